"""Harvest's free-text client address <-> Xero's structured address (pure).

Harvest keeps one multi-line text field (https://help.getharvest.com/api-v2/clients-api/clients/clients/
"address": "The physical address for the client"); Xero wants AddressLine1-4, City, Region,
PostalCode and Country (https://developer.xero.com/documentation/api/accounting/types#addresses).
The split is conservative: a line becomes City/Region/PostalCode only when it looks like one
(US "City, ST 12345", UK "London SW1A 1AA", continental "10115 Berlin"); otherwise it stays an
address line, so nothing is ever lost or guessed wrongly into a field.
"""

from __future__ import annotations

import re

ADDRESS_FIELDS = (
    "AddressLine1",
    "AddressLine2",
    "AddressLine3",
    "AddressLine4",
    "City",
    "Region",
    "PostalCode",
    "Country",
)

COUNTRIES = {
    "usa": "USA",
    "us": "USA",
    "u.s.a.": "USA",
    "united states": "USA",
    "united states of america": "USA",
    "uk": "United Kingdom",
    "u.k.": "United Kingdom",
    "united kingdom": "United Kingdom",
    "gb": "United Kingdom",
    "great britain": "United Kingdom",
    "england": "United Kingdom",
    "scotland": "United Kingdom",
    "wales": "United Kingdom",
    "germany": "Germany",
    "deutschland": "Germany",
    "france": "France",
    "netherlands": "Netherlands",
    "the netherlands": "Netherlands",
    "nederland": "Netherlands",
    "norway": "Norway",
    "norge": "Norway",
    "canada": "Canada",
    "australia": "Australia",
    "new zealand": "New Zealand",
    "ireland": "Ireland",
    "spain": "Spain",
    "españa": "Spain",
    "italy": "Italy",
    "italia": "Italy",
    "sweden": "Sweden",
    "denmark": "Denmark",
    "switzerland": "Switzerland",
    "austria": "Austria",
    "belgium": "Belgium",
}

_US = re.compile(r"^(?P<city>[^,]+),\s*(?P<region>[A-Za-z]{2})\.?\s+(?P<postal>\d{5}(?:-\d{4})?)$")
_CA = re.compile(
    r"^(?P<city>[^,]+),\s*(?P<region>[A-Za-z]{2})\s+(?P<postal>[A-Za-z]\d[A-Za-z]\s?\d[A-Za-z]\d)$"
)
_AU = re.compile(
    r"^(?P<city>.+?),?\s+(?P<region>NSW|VIC|QLD|WA|SA|TAS|ACT|NT)\s+(?P<postal>\d{4})$"
)
_UK_POSTCODE = r"[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}"
_UK_LINE = re.compile(rf"^(?P<city>[^\d,][^,]*?),?\s+(?P<postal>{_UK_POSTCODE})$")
_UK_ALONE = re.compile(rf"^(?P<postal>{_UK_POSTCODE})$")
_EU = re.compile(r"^(?P<postal>\d{4,5}(?:\s?[A-Za-z]{2})?)\s+(?P<city>[^\d,].*)$")
_CITY_REGION = re.compile(r"^(?P<city>[^,\d]+),\s*(?P<region>[^,\d]+)$")


def address_lines(text: str) -> list[str]:
    """Non-empty lines; a one-line address is split at its commas."""
    lines = [" ".join(line.split()) for line in (text or "").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    if len(lines) == 1 and lines[0].count(",") >= 2:
        lines = [part.strip() for part in lines[0].split(",") if part.strip()]
        # "City, ST 12345" was one line before the split: put it back together.
        if len(lines) >= 2 and re.fullmatch(r"[A-Za-z]{2}\.?\s+\d{5}(-\d{4})?", lines[-1]):
            lines[-2:] = [f"{lines[-2]}, {lines[-1]}"]
    return lines


def _locality(line: str) -> dict[str, str] | None:
    for pattern in (_US, _CA, _AU, _UK_LINE, _EU, _CITY_REGION):
        found = pattern.match(line)
        if found:
            parts = found.groupdict()
            return {
                "City": parts.get("city", "").strip(),
                "Region": (parts.get("region") or "").strip().upper()
                if pattern in (_US, _CA, _AU)
                else (parts.get("region") or "").strip(),
                "PostalCode": (parts.get("postal") or "").strip().upper()
                if pattern in (_UK_LINE, _CA)
                else (parts.get("postal") or "").strip(),
            }
    return None


def address_split(text: str) -> dict[str, str]:
    """Harvest's address text -> Xero address fields (every key present, '' when unknown)."""
    out = dict.fromkeys(ADDRESS_FIELDS, "")
    lines = address_lines(text)
    if lines and lines[-1].casefold().strip(". ") in {k.strip(".") for k in COUNTRIES} | set(
        COUNTRIES
    ):
        out["Country"] = COUNTRIES.get(
            lines[-1].casefold(), COUNTRIES.get(lines[-1].casefold().strip(". "), lines[-1])
        )
        lines = lines[:-1]
    if len(lines) >= 2 and _UK_ALONE.match(lines[-1]):
        out["PostalCode"] = lines[-1].upper()
        out["City"] = lines[-2]
        lines = lines[:-2]
    elif len(lines) >= 2 or (lines and out["Country"]):
        locality = _locality(lines[-1])
        if locality:
            out.update(locality)
            lines = lines[:-1]
    if len(lines) > 4:
        lines = [*lines[:3], ", ".join(lines[3:])]
    for index, line in enumerate(lines):
        out[f"AddressLine{index + 1}"] = line[:500]
    return out


def address_join(address: dict[str, str]) -> str:
    """Xero address fields -> one Harvest address text (lines, 'City, Region Postal', country)."""
    lines = [address.get(f"AddressLine{i}", "") for i in range(1, 5)]
    city, region, postal = (address.get(k, "") for k in ("City", "Region", "PostalCode"))
    if region:
        locality = ", ".join(p for p in (city, f"{region} {postal}".strip()) if p)
    elif postal and postal[:1].isdigit():
        locality = f"{postal} {city}".strip()  # continental order, as "10115 Berlin"
    else:
        locality = f"{city} {postal}".strip()  # British order, as "London SW1A 2AA"
    lines += [locality, address.get("Country", "")]
    return "\n".join(line.strip() for line in lines if line and line.strip())


def address_of_xero(addresses: list[dict] | None) -> dict[str, str]:
    """The POBOX (billing) address Xero prints on invoices, with every field present."""
    for entry in addresses or []:
        if str(entry.get("AddressType", "")).upper() == "POBOX":
            return {k: str(entry.get(k) or "").strip() for k in ADDRESS_FIELDS}
    return dict.fromkeys(ADDRESS_FIELDS, "")


def address_is_empty(address: dict[str, str]) -> bool:
    return not any((address or {}).values())
