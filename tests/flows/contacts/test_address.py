"""Harvest's free-text address into Xero's address fields, and back."""

import pytest

from syncapp.flows.contacts.address import address_join, address_split

CASES = [
    (
        "1 Main St\nSan Francisco, CA 94105\nUSA",
        {
            "AddressLine1": "1 Main St",
            "City": "San Francisco",
            "Region": "CA",
            "PostalCode": "94105",
            "Country": "USA",
        },
    ),
    (
        "350 Fifth Avenue, Floor 21, New York, NY 10118",
        {
            "AddressLine1": "350 Fifth Avenue",
            "AddressLine2": "Floor 21",
            "City": "New York",
            "Region": "NY",
            "PostalCode": "10118",
        },
    ),
    (
        "10 Downing St\nLondon SW1A 2AA\nUnited Kingdom",
        {
            "AddressLine1": "10 Downing St",
            "City": "London",
            "PostalCode": "SW1A 2AA",
            "Country": "United Kingdom",
        },
    ),
    (
        "12 High St\nLeeds\nls1 4ap",
        {"AddressLine1": "12 High St", "City": "Leeds", "PostalCode": "LS1 4AP"},
    ),
    (
        "Hauptstraße 5\n10115 Berlin\nDeutschland",
        {
            "AddressLine1": "Hauptstraße 5",
            "City": "Berlin",
            "PostalCode": "10115",
            "Country": "Germany",
        },
    ),
    (
        "Keizersgracht 1\n1015 CJ Amsterdam\nNetherlands",
        {
            "AddressLine1": "Keizersgracht 1",
            "City": "Amsterdam",
            "PostalCode": "1015 CJ",
            "Country": "Netherlands",
        },
    ),
    (
        "Level 3, 1 George St\nSydney NSW 2000\nAustralia",
        {
            "AddressLine1": "Level 3, 1 George St",
            "City": "Sydney",
            "Region": "NSW",
            "PostalCode": "2000",
            "Country": "Australia",
        },
    ),
    (
        "1 Rue de Rivoli\nBâtiment B\n75001 Paris\nFrance",
        {
            "AddressLine1": "1 Rue de Rivoli",
            "AddressLine2": "Bâtiment B",
            "City": "Paris",
            "PostalCode": "75001",
            "Country": "France",
        },
    ),
    # Nothing that looks like a city line: every line stays an address line, nothing guessed.
    (
        "100 Market Street\nSuite 1",
        {"AddressLine1": "100 Market Street", "AddressLine2": "Suite 1"},
    ),
    ("", {}),
    (
        "A\nB\nC\nD\nE\nSpringfield, IL 62701",
        {
            "AddressLine1": "A",
            "AddressLine2": "B",
            "AddressLine3": "C",
            "AddressLine4": "D, E",
            "City": "Springfield",
            "Region": "IL",
            "PostalCode": "62701",
        },
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_address_split(text, expected):
    got = address_split(text)
    assert {k: v for k, v in got.items() if v} == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_join_then_split_gives_the_same_fields(text, expected):
    fields = address_split(text)
    assert address_split(address_join(fields)) == fields
