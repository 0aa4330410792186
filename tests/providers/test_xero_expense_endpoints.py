"""The Xero calls the expenses flow makes, through XeroClient against the in-process simulator
(contract validation on, so every request and answer is also checked against
../shared/specs/xero/xero_accounting.yaml): supplier contacts found by number and email, ACCPAY
bills with repeatable numbers, SPEND money from the card account, and receipts as attachments
with Xero's limits and replayed uploads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from syncapp.providers.base import SimulatedClock
from syncapp.providers.errors import ValidationFailed
from syncapp.providers.hosts import hosts_for
from syncapp.providers.xero import writes
from syncapp.providers.xero.client import WHERE_CHUNK, XeroClient
from syncapp.sandbox import SandboxState, SimClock, build_sandbox_app, sandbox_client
from syncapp.sandbox.seed import seed_sandbox
from syncapp.sandbox.xero.control import DEFAULT_CLIENT_ID
from syncapp.sandbox.xero.identity import token_mint
from syncapp.sandbox.xero.ledger import RECONCILED_MESSAGE

BASE = "http://sandbox"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
CARD = "095"


@pytest.fixture
def sandbox():
    state = SandboxState.empty()
    seed_sandbox(state, seed=0, today=date(2026, 11, 20))
    clock = SimClock(frozen_at=datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    app = build_sandbox_app(state, clock=clock, validate=True, rate_limits=False)
    return app, state, clock


@pytest.fixture
def xero(sandbox):
    app, state, clock = sandbox
    token = token_mint(state.xero, client_id=DEFAULT_CLIENT_ID, now=clock.now(), lifetime=1800)
    client = XeroClient(
        base_url=hosts_for(base_url=BASE).xero_api,
        tenant_id=state.xero.tenant_id,
        token_source=lambda: token["access_token"],
        transport=httpx.WSGITransport(app=app),
        clock=SimulatedClock(start=1_800_000_000.0),
    )
    with client:
        yield client


@pytest.fixture
def supplier(xero) -> str:
    result = xero.create_contacts(
        contacts=[
            {
                "Name": "Ada Lovelace (expenses)",
                "ContactNumber": "harvest-user-4242",
                "EmailAddress": "ada@agency.test",
            }
        ],
        idempotency_key="hx:test:supplier:4242",
    )
    [created] = result.succeeded
    return created.xero_id


def bill(contact_id: str, number: str, amount: str, expense_id: int, **overrides) -> dict:
    body = {
        "Type": "ACCPAY",
        "Contact": {"ContactID": contact_id},
        "InvoiceNumber": number,
        "Date": "2026-11-12",
        "DueDate": "2026-11-30",
        "LineAmountTypes": "Inclusive",
        "Status": "AUTHORISED",
        "LineItems": [
            {
                "Description": f"Train to client site (Harvest expense {expense_id})",
                "Quantity": Decimal("1"),
                "UnitAmount": Decimal(amount),
                "AccountCode": "493",
                "TaxType": "INPUT",
            }
        ],
    }
    body.update(overrides)
    return body


def spend(reference: str, amount: str, **overrides) -> dict:
    body = {
        "Type": "SPEND",
        "BankAccount": {"Code": CARD},
        "Date": "2026-11-12",
        "Reference": reference,
        "LineAmountTypes": "Inclusive",
        "LineItems": [
            {
                "Description": f"Hotel (Harvest expense {reference.rsplit('-', 1)[-1]})",
                "Quantity": Decimal("1"),
                "UnitAmount": Decimal(amount),
                "AccountCode": "493",
                "TaxType": "INPUT",
            }
        ],
    }
    body.update(overrides)
    return body


def test_a_supplier_is_found_by_its_contact_number_and_by_email(xero, supplier):
    by_number = list(xero.list_contacts(where='ContactNumber=="harvest-user-4242"'))
    by_email = list(xero.list_contacts(where='EmailAddress=="ADA@agency.test"'))
    assert [c.contact_id for c in by_number] == [supplier]
    assert [c.contact_id for c in by_email] == [supplier]
    assert list(xero.list_contacts(where='ContactNumber=="harvest-user-424"')) == []


def test_bills_share_a_number_and_are_all_found_by_it(xero, supplier, sandbox):
    number = "HX-E-U4242-2026-11"
    created = xero.create_invoices(
        invoices=[bill(supplier, number, "84.50", 1), bill(supplier, number, "12.25", 2)],
        idempotency_key="hx:test:bills:1",
    )
    assert [r.ok for r in created] == [True, True]
    # A sales invoice may not share a number with another sales invoice, but bills may.
    sales = bill(supplier, number, "10.00", 3, Type="ACCREC")
    sales["LineItems"][0].update(AccountCode="200", TaxType="OUTPUT")
    assert xero.create_invoices(invoices=[sales], idempotency_key="hx:test:sale:1").succeeded

    found = list(xero.list_invoices(invoice_numbers=[number], where='Type=="ACCPAY"'))
    assert sorted(i.total for i in found) == [Decimal("12.25"), Decimal("84.50")]
    assert {i.invoice_id for i in found} == {r.xero_id for r in created}
    assert {i.raw["LineAmountTypes"] for i in found} == {"Inclusive"}
    _, state, _ = sandbox
    assert state.xero.contacts[supplier]["IsSupplier"] is True


def test_an_unpaid_bill_is_updated_in_place_and_a_draft_deleted(xero, supplier):
    draft = bill(supplier, "HX-E-501", "40.00", 501, Status="DRAFT")
    [bill_id] = [r.xero_id for r in xero.create_invoices(invoices=[draft], idempotency_key="k1")]
    submitted = xero.update_invoices(
        invoices=[
            {**bill(supplier, "HX-E-501", "42.10", 501, Status="SUBMITTED"), "InvoiceID": bill_id}
        ],
        idempotency_key="k2",
    )
    assert submitted.results[0].xero_id == bill_id
    assert xero.get_invoice(invoice_id=bill_id).total == Decimal("42.10")
    deleted = xero.update_invoices(
        invoices=[{"InvoiceID": bill_id, "Status": "DELETED"}], idempotency_key="k3"
    )
    assert deleted.results[0].ok
    assert xero.get_invoice(invoice_id=bill_id).status == "DELETED"

    approved = bill(supplier, "HX-E-502", "15.00", 502)
    [approved_id] = [
        r.xero_id for r in xero.create_invoices(invoices=[approved], idempotency_key="k4")
    ]
    not_deletable = xero.update_invoices(
        invoices=[{"InvoiceID": approved_id, "Status": "DELETED"}], idempotency_key="k5"
    )
    assert not not_deletable.results[0].ok  # an approved bill is voided, not deleted
    voided = xero.update_invoices(
        invoices=[{"InvoiceID": approved_id, "Status": "VOIDED"}], idempotency_key="k6"
    )
    assert voided.results[0].ok
    assert xero.get_invoice(invoice_id=approved_id).status == "VOIDED"


def test_card_spending_is_found_by_reference_and_id_edited_and_deleted(xero, sandbox):
    created = xero.create_bank_transactions(
        transactions=[spend("HX-E-901", "120.40"), spend("HX-E-902", "18.00")],
        idempotency_key="hx:test:spend:1",
    )
    first, second = (r.xero_id for r in created)
    [by_reference] = xero.list_bank_transactions(references=["hx-e-901"])
    assert (by_reference.bank_transaction_id, by_reference.type) == (first, "SPEND")
    assert by_reference.raw["BankAccount"]["Code"] == CARD
    assert by_reference.total == Decimal("120.40")
    by_id = list(xero.list_bank_transactions(ids=[second, first], where='Type=="SPEND"'))
    assert {t.bank_transaction_id for t in by_id} == {first, second}

    edited = xero.update_bank_transactions(
        transactions=[{**spend("HX-E-901", "121.00"), "BankTransactionID": first}],
        idempotency_key="hx:test:spend:2",
    )
    assert edited.results[0].ok
    assert xero.get_bank_transaction(bank_transaction_id=first).total == Decimal("121.00")

    deleted = xero.update_bank_transactions(
        transactions=[
            {**spend("HX-E-902", "18.00"), "BankTransactionID": second, "Status": "DELETED"}
        ],
        idempotency_key="hx:test:spend:3",
    )
    assert deleted.results[0].ok
    [gone] = xero.list_bank_transactions(references=["HX-E-902"])
    assert gone.status == "DELETED"  # still listed, so a search never mistakes it for missing


def test_a_reconciled_spend_refuses_the_update(xero, sandbox):
    app, _, _ = sandbox
    [tx_id] = [
        r.xero_id
        for r in xero.create_bank_transactions(
            transactions=[spend("HX-E-903", "60.00")], idempotency_key="hx:test:spend:4"
        )
    ]
    with sandbox_client(app) as control:
        assert (
            control.post(f"/_sandbox/xero/bank-transactions/{tx_id}/reconcile").status_code == 200
        )
    refused = xero.update_bank_transactions(
        transactions=[{**spend("HX-E-903", "61.00"), "BankTransactionID": tx_id}],
        idempotency_key="hx:test:spend:5",
    )
    assert refused.results[0].errors == (RECONCILED_MESSAGE,)
    assert xero.get_bank_transaction(bank_transaction_id=tx_id).total == Decimal("60.00")


def test_many_references_are_read_in_chunks_that_together_find_all(xero):
    references = [f"HX-E-{7000 + n}" for n in range(WHERE_CHUNK + 5)]
    for start in range(0, len(references), 50):
        xero.create_bank_transactions(
            transactions=[spend(r, "1.00") for r in references[start : start + 50]],
            idempotency_key=f"hx:test:many:{start}",
        )
    calls = xero.calls
    found = {t.reference for t in xero.list_bank_transactions(references=references)}
    assert found == set(references)
    assert xero.calls - calls == 2


def test_a_replayed_upload_stores_one_file_and_listing_shows_it(xero, supplier):
    [bill_id] = [
        r.xero_id
        for r in xero.create_invoices(
            invoices=[bill(supplier, "HX-E-601", "9.99", 601)], idempotency_key="hx:test:b601"
        )
    ]
    upload = dict(
        entity="Invoices",
        entity_id=bill_id,
        file_name="expense-601-taxi.pdf",
        content=PDF,
        idempotency_key="hx:test:att:601",
    )
    first = xero.upload_attachment(**upload)
    again = xero.upload_attachment(**upload)  # the answer to the first was lost, say
    assert first.attachment_id == again.attachment_id
    [listed] = xero.list_attachments(entity="Invoices", entity_id=bill_id)
    assert (listed.file_name, listed.content_length, listed.mime_type) == (
        "expense-601-taxi.pdf",
        len(PDF),
        "application/pdf",
    )
    assert xero.get_invoice(invoice_id=bill_id).raw["HasAttachments"] is True


def test_an_eleventh_receipt_is_refused_by_xero(xero):
    [tx_id] = [
        r.xero_id
        for r in xero.create_bank_transactions(
            transactions=[spend("HX-E-700", "5.00")], idempotency_key="hx:test:s700"
        )
    ]
    for n in range(writes.ATTACHMENTS_PER_RECORD):
        xero.upload_attachment(
            entity="BankTransactions",
            entity_id=tx_id,
            file_name=f"expense-{n}-r.png",
            content=b"\x89PNG" + bytes([n]),
            idempotency_key=f"hx:test:png:{n}",
        )
    with pytest.raises(ValidationFailed) as refused:
        xero.upload_attachment(
            entity="BankTransactions",
            entity_id=tx_id,
            file_name="expense-10-r.png",
            content=b"\x89PNG!",
            idempotency_key="hx:test:png:10",
        )
    assert "maximum of 10 attachments" in " ".join(refused.value.messages)
    assert len(xero.list_attachments(entity="BankTransactions", entity_id=tx_id)) == 10


def test_files_xero_would_refuse_are_refused_before_sending(xero):
    calls = xero.calls
    with pytest.raises(ValidationFailed, match="up to 10 MB"):
        xero.upload_attachment(
            entity="Invoices",
            entity_id="a3675fc4-f8dd-4f03-ba5b-f1870566bcd7",
            file_name="scan.pdf",
            content=b"0" * (writes.ATTACHMENT_MAX_BYTES + 1),
            idempotency_key="hx:test:big",
        )
    with pytest.raises(ValidationFailed, match="does not take 'heic' files"):
        xero.upload_attachment(
            entity="Invoices",
            entity_id="a3675fc4-f8dd-4f03-ba5b-f1870566bcd7",
            file_name="receipt.heic",
            content=b"ftypheic",
            idempotency_key="hx:test:heic",
        )
    assert xero.calls == calls


def test_xeros_own_413_comes_back_as_a_refused_file(xero, monkeypatch):
    [tx_id] = [
        r.xero_id
        for r in xero.create_bank_transactions(
            transactions=[spend("HX-E-701", "5.00")], idempotency_key="hx:test:s701"
        )
    ]
    # Let the file through our own check, so Xero's gateway is the one refusing it.
    monkeypatch.setattr(writes, "ATTACHMENT_MAX_BYTES", 2 * writes.ATTACHMENT_MAX_BYTES)
    with pytest.raises(ValidationFailed) as refused:
        xero.upload_attachment(
            entity="BankTransactions",
            entity_id=tx_id,
            file_name="scan.png",
            content=b"0" * (10 * 1024 * 1024 + 1),
            idempotency_key="hx:test:413",
        )
    assert refused.value.status == 413
    assert "Xero takes attachments up to 20 MB" in str(refused.value)
    assert xero.list_attachments(entity="BankTransactions", entity_id=tx_id) == []
