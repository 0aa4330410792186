"""Names, e-mails and similarity: what counts as the same and what only looks alike."""

import pytest

from syncapp.flows.contacts.normalise import (
    email_normalise,
    name_normalise,
    name_similarity,
    text_fold,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Ltd", "ACME Limited"),
        ("Acme Ltd.", "acme"),
        ("Kräuter & Söhne GmbH", "Krauter and Sohne"),
        ("Widgets Pty Ltd", "WIDGETS PTY LIMITED"),
        ("Dupont S.A.R.L.", "DUPONT SARL"),
        ("Orchid Health", "Orchid Health Inc"),
        ("Orchid Health, Inc.", "Orchid Health Incorporated"),
        ("Smith & Co LLC", "Smith and Co"),
        ("Ørsted Østergaard", "Orsted Ostergaard"),
        ("Straße Büro", "strasse buro"),
        ("Café Zoë", "CAFE ZOE"),
        ("  Lumen   Labs  ", "lumen-labs"),
        ("Müller+Partner AG", "Muller and Partner"),
    ],
)
def test_names_that_are_the_same(a, b):
    assert name_normalise(a) == name_normalise(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Corporation", "ACME Corp."),  # Corp is part of many trading names: not dropped
        ("Bluefin Studios", "Blue Fin Studios"),
        ("Harbor View Hotels", "Harbour View Hotels"),
        ("Acme", "Acme Holdings"),
        ("東京デザイン株式会社", "東京デザイン"),
    ],
)
def test_names_that_are_not_the_same(a, b):
    assert name_normalise(a) != name_normalise(b)


def test_a_legal_suffix_alone_is_kept():
    assert name_normalise("Limited") == "limited"
    assert name_normalise("Inc.") == "inc"


def test_non_latin_names_survive_normalisation():
    assert name_normalise("東京デザイン株式会社") == "東京デザイン株式会社"
    assert name_normalise("Ελληνικά Ltd") == "ελληνικα"


def test_similarity_ranks_near_duplicates_high_and_strangers_low():
    assert name_similarity("Bluefin Studios", "Blue Fin Studios") == 1.0
    assert name_similarity("Harbor View Hotels", "Harbour View Hotels") > 0.9
    assert name_similarity("Acme Corporation", "Meridian Foods") < 0.5
    assert name_similarity("", "Acme") == 0.0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Accounts@Acme.example.com", "accounts@acme.example.com"),
        (" ap@x.example.com ", "AP@X.EXAMPLE.COM"),
        ("ap @ x.example.com", "ap@x.example.com"),
    ],
)
def test_emails_ignore_case_and_spaces(a, b):
    assert email_normalise(a) == email_normalise(b)


def test_text_fold_strips_accents_and_case():
    assert text_fold("Kräuter & Söhne") == "krauter & sohne"
