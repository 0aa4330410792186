"""Pure text work for matching: normalised names, e-mail keys, name similarity.

Two names are "the same" when they differ only in case, punctuation, accents, "&" versus "and"
or a legal-form suffix ("Acme Ltd" = "ACME Limited" = "Acme"). Anything else is at most similar.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

# Letters NFKD does not decompose into a base letter plus accents.
_TRANSLITERATE = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "ø": "o",
        "Ø": "o",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "þ": "th",
        "ı": "i",
    }
)
# Legal forms dropped from the end of a name (after punctuation is gone, "S.A.R.L." is "sarl").
# "Corp"/"Corporation" and "Co" stay: they are as often part of the trading name as a form.
LEGAL_SUFFIXES = frozenset(
    {
        "ltd",
        "limited",
        "llc",
        "inc",
        "incorporated",
        "pty",
        "gmbh",
        "sarl",
        "sas",
        "sa",
        "plc",
        "llp",
        "lp",
        "ag",
        "bv",
        "nv",
        "oy",
        "ab",
        "as",
        "srl",
        "spa",
        "kg",
        "ug",
        "pte",
    }
)
_DOTTED = re.compile(r"(?<=\w)\.(?=\w)")
_NON_WORD = re.compile(r"[^\w]+")


def text_fold(value: str) -> str:
    """Lower case without accents: 'Kräuter & Söhne' -> 'krauter & sohne'."""
    value = unicodedata.normalize("NFKC", value or "").translate(_TRANSLITERATE)
    decomposed = unicodedata.normalize("NFKD", value)
    kept: list[str] = []
    for ch in decomposed:
        # Accents go only on alphabetic scripts; in kana the mark is part of the letter (デ/テ).
        if unicodedata.combining(ch) and kept and _is_accentable(kept[-1]):
            continue
        kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)).casefold()


def _is_accentable(base: str) -> bool:
    code = ord(base)
    return code < 0x0530 or 0x1E00 <= code <= 0x1FFF


def name_normalise(name: str) -> str:
    """The key two contact names must share to count as the same name."""
    folded = text_fold(name).replace("&", " and ").replace("+", " and ")
    folded = _DOTTED.sub("", folded)  # "s.a.r.l" -> "sarl", "l.l.c." -> "llc."
    words = [w for w in _NON_WORD.sub(" ", folded).replace("_", " ").split() if w]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


def name_compact(name: str) -> str:
    """The normalised name without spaces: 'Blue Fin' and 'Bluefin' look alike here."""
    return name_normalise(name).replace(" ", "")


def email_normalise(email: str) -> str:
    """E-mail key: case and whitespace never make two addresses different."""
    return "".join((email or "").split()).casefold()


def name_similarity(a: str, b: str) -> float:
    """0..1; the better of the spaced and compact comparisons of the normalised names."""
    na, nb = name_normalise(a), name_normalise(b)
    if not na or not nb:
        return 0.0
    spaced = SequenceMatcher(None, na, nb).ratio()
    compact = SequenceMatcher(None, na.replace(" ", ""), nb.replace(" ", "")).ratio()
    return round(max(spaced, compact), 3)


def name_block_keys(name: str) -> set[str]:
    """Cheap keys that similar names share, so similarity is computed on a few pairs only."""
    normal = name_normalise(name)
    keys = {w for w in normal.split() if len(w) >= 3}
    compact = normal.replace(" ", "")
    if compact:
        keys.add("^" + compact[:3])
        if not compact.isascii():
            keys.add("^" + compact[:2])  # CJK names are short and carry no spaces
    return keys
