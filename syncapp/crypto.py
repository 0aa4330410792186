"""Secrets at rest: Fernet tokens under a MultiFernet built from FIELD_ENCRYPTION_KEYS.

The first key encrypts; every key decrypts, so a new key can be put in front, the stored
values re-encrypted (`manage.py rotate_secrets`), and the old key dropped afterwards.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_HELP = (
    "Each FIELD_ENCRYPTION_KEYS entry must be a Fernet key (32 url-safe base64-encoded bytes; "
    "make one with `python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'`)"
)


class SecretUnreadable(Exception):
    """A stored secret no configured key can decrypt (a key was removed too early).

    The message is meant for people: it names the secret and says what to do.
    """


def field_encryption_key_problems(keys) -> list[str]:
    """One sentence per unusable FIELD_ENCRYPTION_KEYS entry, naming its position, never its value."""
    if isinstance(keys, str):
        return ["FIELD_ENCRYPTION_KEYS must be a list of keys, not a single string."]
    if not keys:
        return ["FIELD_ENCRYPTION_KEYS is empty: hxsync needs at least one key."]
    problems = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError):
            problems.append(f"FIELD_ENCRYPTION_KEYS entry {position} is not a valid Fernet key.")
    return problems


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    problems = field_encryption_key_problems(keys)
    if problems:
        raise ImproperlyConfigured(" ".join(problems) + " " + KEY_HELP)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def secrets_cipher() -> MultiFernet:
    return _multifernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def secret_encrypt(plaintext: str) -> str:
    return secrets_cipher().encrypt(plaintext.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return secrets_cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS; "
            "put the key it was written with back in the list, then run rotate_secrets."
        ) from exc


def secret_rotate(token: str) -> str:
    """The same secret encrypted with the first key; raises InvalidToken if no key reads it."""
    return secrets_cipher().rotate(token.encode()).decode()


class UnreadableSecret:
    """Stands in for a stored secret that no configured key can decrypt.

    Loading a row never fails because of it, so pages and lists still render and can say which
    secret is unreadable (`message`). Using it as text (formatting, `str()`, `.encode()`...)
    raises SecretUnreadable with that message, so a sync stops with a sentence, not garbage.
    Saving the row writes the stored token back unchanged: nothing is lost until the key returns.
    """

    def __init__(self, *, token: str, label: str, owner: str, reset_hint: str):
        self.token = token
        self.label = label  # "Access token"
        self.owner = owner  # "connection", "integration"
        self.reset_hint = reset_hint
        self.row = None

    def bind(self, row) -> "UnreadableSecret":
        """Say which row holds the secret: a model instance or its name."""
        self.row = row
        return self

    @property
    def message(self) -> str:
        where = self.owner
        if self.row is not None:
            where = f"{self.owner} '{self.row}'"
        return (
            f"The {self.label} of {where} cannot be decrypted with FIELD_ENCRYPTION_KEYS: "
            "put back the key it was written with and run `manage.py rotate_secrets`, "
            f"or {self.reset_hint}."
        )

    def error(self) -> SecretUnreadable:
        return SecretUnreadable(self.message)

    def __bool__(self):
        # A secret is stored, so "is one set?" checks go on to use it and raise the clear error.
        return True

    def __repr__(self):
        return f"<UnreadableSecret: {self.label} of {self.owner}>"

    def __str__(self):
        raise self.error()

    def __format__(self, spec):
        raise self.error()

    def __len__(self):
        raise self.error()

    def __iter__(self):
        raise self.error()

    def __add__(self, other):
        raise self.error()

    def __radd__(self, other):
        raise self.error()

    def __getattr__(self, name):
        # Only reached for names the object lacks: any string method means "use as text".
        if not name.startswith("__") and hasattr(str, name):
            raise self.error()
        raise AttributeError(name)
