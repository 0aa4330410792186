"""Xero dates, idempotency keys and per-record batch results (no HTTP)."""

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncapp.providers.errors import UnexpectedResponse, ValidationFailed
from syncapp.providers.xero.dates import (
    XeroDateError,
    xero_date_parse,
    xero_datetime_parse,
    xero_if_modified_since,
)
from syncapp.providers.xero.idempotency import (
    IDEMPOTENCY_KEY_MAX,
    idempotency_key_derive,
    idempotency_key_for_batch,
    idempotency_key_for_link,
)
from syncapp.providers.xero.results import batch_result_from_validation, batch_result_parse
from syncapp.providers.xero.types import Invoice, XeroTenant

FIXTURES = Path(__file__).parent / "fixtures" / "xero"


def fixture(name):
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("/Date(1539993600000+0000)/", date(2018, 10, 20)),
        ("/Date(1539993600000)/", date(2018, 10, 20)),
        ("2018-10-20T00:00:00", date(2018, 10, 20)),
        ("2018-10-20", date(2018, 10, 20)),
        (None, None),
        ("", None),
    ],
)
def test_document_dates_in_both_forms(raw, expected):
    assert xero_date_parse(raw) == expected


def test_offset_is_informational_the_milliseconds_are_utc():
    plain = xero_datetime_parse("/Date(1541176290160+0000)/")
    zoned = xero_datetime_parse("/Date(1541176290160+1300)/")
    assert plain == zoned == datetime(2018, 11, 2, 16, 31, 30, 160000, tzinfo=UTC)


def test_iso_forms_including_seven_fraction_digits_become_aware_utc():
    assert xero_datetime_parse("2019-12-07T18:46:19.5165400") == datetime(
        2019, 12, 7, 18, 46, 19, 516540, tzinfo=UTC
    )
    assert xero_datetime_parse("2018-11-02T16:31:30Z") == datetime(
        2018, 11, 2, 16, 31, 30, tzinfo=UTC
    )


@pytest.mark.parametrize("raw", ["yesterday", "/Date(abc)/", "2018-13-45", 12345])
def test_garbage_is_a_typed_error(raw):
    with pytest.raises(XeroDateError):
        xero_datetime_parse(raw)


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)))
def test_ms_dates_round_trip(moment):
    moment = moment.replace(microsecond=(moment.microsecond // 1000) * 1000, tzinfo=UTC)
    ms = int((moment - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(milliseconds=1))
    assert xero_datetime_parse(f"/Date({ms}+0000)/") == moment
    assert xero_date_parse(f"/Date({ms}+0000)/") == moment.date()


def test_if_modified_since_is_utc_with_zone():
    nz = timezone(timedelta(hours=13))
    assert xero_if_modified_since(datetime(2026, 11, 26, 9, 0, 5, tzinfo=nz)) == (
        "2026-11-25T20:00:05Z"
    )
    with pytest.raises(ValueError):
        xero_if_modified_since(datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose


# --- idempotency keys ------------------------------------------------------------------------


def test_key_is_deterministic_and_depends_on_every_ledger_part():
    base = dict(integration_id=3, kind="invoice", harvest_id="13150403", payload_hash="ab" * 32)
    key = idempotency_key_derive(**base)
    assert key == idempotency_key_derive(**base)
    assert key.startswith("hx:3:invoice:13150403:")
    for part, other in [
        ("integration_id", 4),
        ("kind", "payment"),
        ("harvest_id", "13150404"),
        ("payload_hash", "cd" * 32),
    ]:
        assert idempotency_key_derive(**{**base, part: other}) != key


@given(
    integration_id=st.integers(min_value=1, max_value=10**12),
    kind=st.sampled_from(["invoice", "client", "payment", "credit_note"]),
    harvest_id=st.text(min_size=1, max_size=300),
    payload_hash=st.text(min_size=1, max_size=300),
)
def test_key_never_exceeds_128_and_stays_distinct(integration_id, kind, harvest_id, payload_hash):
    key = idempotency_key_derive(
        integration_id=integration_id, kind=kind, harvest_id=harvest_id, payload_hash=payload_hash
    )
    assert 0 < len(key) <= IDEMPOTENCY_KEY_MAX
    assert key.isascii()
    changed = idempotency_key_derive(
        integration_id=integration_id,
        kind=kind,
        harvest_id=harvest_id,
        payload_hash=payload_hash + "x",
    )
    assert changed != key


def test_key_from_a_ledger_row():
    link = SimpleNamespace(integration_id=9, kind="invoice", harvest_id="77", xero_id=None)
    assert idempotency_key_for_link(link=link, payload_hash="f" * 64) == (
        idempotency_key_derive(
            integration_id=9, kind="invoice", harvest_id="77", payload_hash="f" * 64
        )
    )
    with pytest.raises(ValueError):
        idempotency_key_derive(integration_id=9, kind="invoice", harvest_id="77", payload_hash="")


def test_batch_key_follows_the_records_and_their_order():
    keys = [f"hx:1:invoice:{n}:{'a' * 64}" for n in range(50)]
    batch = idempotency_key_for_batch(operation="invoices.put", record_keys=keys)
    assert batch == idempotency_key_for_batch(operation="invoices.put", record_keys=list(keys))
    assert len(batch) <= IDEMPOTENCY_KEY_MAX
    assert batch != idempotency_key_for_batch(operation="invoices.put", record_keys=keys[1:])
    assert batch != idempotency_key_for_batch(operation="invoices.put", record_keys=keys[::-1])
    assert batch != idempotency_key_for_batch(operation="invoices.post", record_keys=keys)


# --- per-record results ----------------------------------------------------------------------


def test_summarize_false_answer_gives_one_typed_result_per_record():
    body = fixture("invoices_put_summarize_false_mixed.json")
    result = batch_result_parse(
        body=body, collection="Invoices", id_field="InvoiceID", sent_count=3
    )
    ok, failed, warned = result.results
    assert ok.ok and ok.status == "OK" and ok.xero_id == "0f6c1f5e-3c7b-4c55-9a62-6b0e4e7f8a01"
    assert not failed.ok and failed.xero_id == ""
    assert failed.errors == (
        "Account code '999' is not a valid code for this document.",
        "The TaxType code 'OUTPUT9' does not exist or cannot be used for this type of transaction.",
    )
    assert "Account code '999'" in failed.error_text
    assert warned.ok and warned.status == "WARNING" and warned.warnings
    assert [r.index for r in result.failed] == [1]
    assert len(result.succeeded) == 2


def test_answer_with_a_different_count_is_refused_not_guessed():
    body = fixture("invoices_put_summarize_false_mixed.json")
    with pytest.raises(UnexpectedResponse):
        batch_result_parse(body=body, collection="Invoices", id_field="InvoiceID", sent_count=4)


def test_validation_exception_elements_become_per_record_failures():
    body = fixture("invoices_put_validation_exception.json")
    error = ValidationFailed(
        "A validation exception occurred",
        elements=body["Elements"],
        messages=["Invoice number must be unique."],
    )
    one = batch_result_from_validation(
        error=error, collection="Invoices", id_field="InvoiceID", sent_count=1
    )
    assert one.results[0].errors == ("Invoice number must be unique.",)
    # Elements that cannot be matched to records: every record failed, with Xero's words.
    three = batch_result_from_validation(
        error=error, collection="Invoices", id_field="InvoiceID", sent_count=3
    )
    assert [r.error_text for r in three] == ["Invoice number must be unique."] * 3


def test_invoice_type_reads_money_as_decimal_and_both_date_forms():
    element = fixture("invoices_put_summarize_false_mixed.json")["Invoices"][0]
    invoice = Invoice.from_api(element)
    assert invoice.total == Decimal("288.90") and isinstance(invoice.total, Decimal)
    assert invoice.sub_total + invoice.total_tax == invoice.total
    assert invoice.date == date(2025, 11, 24)
    assert invoice.contact_id == "a3675fc4-f8dd-4f03-ba5b-f1870566bcd7"


def test_tenants_parse_identity_dates():
    tenants = [XeroTenant.from_api(t) for t in fixture("connections_two_orgs.json")]
    assert [t.tenant_name for t in tenants] == ["Demo Company (UK)", "Studio North Ltd"]
    assert tenants[0].created.tzinfo is not None
