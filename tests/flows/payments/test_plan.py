"""The payment plan, pure: Xero invoice JSON + Harvest invoice + ledger -> operations."""

from __future__ import annotations

from decimal import Decimal

from syncapp.flows.payments.plan import (
    HarvestInvoiceView,
    HarvestPaymentView,
    LinkView,
    invoice_in_sync,
    payment_plan,
    settlements_of,
    xero_invoice_view,
)
from syncapp.flows.payments.types import DIRECTION_FROM_HARVEST

D = Decimal
INVOICE_ID = "5e7b3b9e-1f0a-4c61-9b1a-2f6d3c4b5a69"
PAY_1 = "a1b2c3d4-0000-4000-8000-000000000001"
PAY_2 = "a1b2c3d4-0000-4000-8000-000000000002"
CN = "c0ffee00-0000-4000-8000-0000000000cc"
OVERPAYMENT = "0e0e0e0e-0000-4000-8000-0000000000aa"
PREPAYMENT = "99999999-0000-4000-8000-0000000000bb"


def xero_raw(*, total="1000.00", due="0.00", status="PAID", currency="USD", **lists):
    return {
        "InvoiceID": INVOICE_ID,
        "InvoiceNumber": "INV-0042",
        "Type": "ACCREC",
        "Status": status,
        "CurrencyCode": currency,
        "Total": D(total),
        "AmountDue": D(due),
        "Payments": lists.pop("Payments", []),
        **lists,
    }


def payment(pid, amount, day="/Date(1764028800000+0000)/", reference=""):
    data = {"PaymentID": pid, "Amount": D(amount), "Date": day}
    if reference:
        data["Reference"] = reference
    return data


def harvest(*, amount="1000.00", due="1000.00", state="open", currency="USD"):
    return HarvestInvoiceView(
        invoice_id=77,
        number="42",
        state=state,
        currency=currency,
        amount=D(amount),
        due_amount=D(due),
    )


def plan_for(raw, harvest_invoice, *, links=(), harvest_payments=(), expected="USD"):
    return payment_plan(
        xero=xero_invoice_view(raw),
        harvest=harvest_invoice,
        links=list(links),
        harvest_payments=list(harvest_payments),
        expected_currency=expected,
    )


def actions(plan):
    return [(op.action, op.key) for op in plan.ops]


def test_partial_and_multiple_payments_each_become_one_harvest_payment():
    raw = xero_raw(
        due="250.00",
        status="AUTHORISED",
        Payments=[payment(PAY_2, "500.00", "/Date(1764115200000+0000)/"), payment(PAY_1, "250.00")],
    )
    plan = plan_for(raw, harvest())
    assert actions(plan) == [("create", PAY_1), ("create", PAY_2)]  # oldest first
    assert plan.harvest_due_after == D("250.00")
    assert plan.flags == []
    first = plan.ops[0].settlement
    assert first.paid_on.isoformat() == "2025-11-25"
    assert f"hxsync:{PAY_1}" in first.note()


def test_synced_payments_are_skipped_and_a_missing_one_is_removed():
    raw = xero_raw(due="500.00", status="AUTHORISED", Payments=[payment(PAY_1, "500.00")])
    links = [
        LinkView(xero_key=PAY_1, state="synced", harvest_payment_id="901", amount=D("500.00")),
        LinkView(xero_key=PAY_2, state="synced", harvest_payment_id="902", amount=D("500.00")),
    ]
    plan = plan_for(
        raw,
        harvest(due="0.00", state="paid"),
        links=links,
        harvest_payments=[
            HarvestPaymentView(901, D("500.00"), ""),
            HarvestPaymentView(902, D("500.00"), ""),
        ],
    )
    assert actions(plan) == [("remove", PAY_2), ("skip", PAY_1)]
    assert plan.ops[0].harvest_payment_id == "902"
    assert plan.harvest_due_after == D("500.00")


def test_summary_answer_never_removes():
    raw = xero_raw()
    del raw["Payments"]
    links = [LinkView(xero_key=PAY_1, state="synced", harvest_payment_id="901", amount=D("10"))]
    plan = plan_for(raw, harvest(), links=links)
    assert [op.action for op in plan.ops] == []


def test_credit_note_overpayment_and_prepayment_allocations_are_represented():
    raw = xero_raw(
        Payments=[payment(PAY_1, "700.00")],
        CreditNotes=[
            {
                "CreditNoteID": CN,
                "CreditNoteNumber": "CN-0007",
                "AppliedAmount": D("100.00"),
                "Date": "/Date(1764028800000+0000)/",
            },
        ],
        Overpayments=[{"OverpaymentID": OVERPAYMENT, "AppliedAmount": D("150.00")}],
        Prepayments=[{"PrepaymentID": PREPAYMENT, "AppliedAmount": D("50.00")}],
    )
    plan = plan_for(raw, harvest())
    sources = {op.settlement.source: op for op in plan.ops}
    assert set(sources) == {"payment", "credit_note", "overpayment", "prepayment"}
    assert all(op.action == "create" for op in plan.ops)
    assert "CN-0007" in sources["credit_note"].settlement.note()
    assert sources["overpayment"].key.startswith("op:" + OVERPAYMENT)
    assert len(sources["overpayment"].key) <= 64
    assert plan.harvest_due_after == D("0.00")
    assert plan.flags == []


def test_overpayment_beyond_what_harvest_has_due_is_held_with_the_reason():
    raw = xero_raw(
        total="1000.00",
        Payments=[payment(PAY_1, "1000.00")],
        Overpayments=[{"OverpaymentID": OVERPAYMENT, "AppliedAmount": D("200.00")}],
    )
    plan = plan_for(raw, harvest(amount="1000.00", due="1000.00"))
    by_action = {op.action: op for op in plan.ops}
    assert by_action["create"].key == PAY_1
    assert by_action["hold"].key.startswith("op:")
    assert "only 0.00 is due" in by_action["hold"].reason


def test_two_allocations_of_one_credit_note_are_one_settlement():
    raw = xero_raw(
        CreditNotes=[
            {"CreditNoteID": CN, "CreditNoteNumber": "CN-1", "AppliedAmount": D("10.00")},
            {"CreditNoteID": CN, "CreditNoteNumber": "CN-1", "AppliedAmount": D("15.00")},
        ]
    )
    (settlement,) = settlements_of(raw)
    assert settlement.amount == D("25.00")


def test_changed_allocation_amount_replaces_the_harvest_payment():
    raw = xero_raw(
        CreditNotes=[{"CreditNoteID": CN, "AppliedAmount": D("60.00")}], status="AUTHORISED"
    )
    key = settlements_of(raw)[0].key
    links = [LinkView(xero_key=key, state="synced", harvest_payment_id="5", amount=D("40.00"))]
    plan = plan_for(raw, harvest(due="960.00"), links=links)
    assert actions(plan) == [("replace", key)]
    assert plan.harvest_due_after == D("940.00")


def test_unknown_outcome_is_adopted_by_the_note_not_created_again():
    raw = xero_raw(Payments=[payment(PAY_1, "1000.00")])
    links = [
        LinkView(xero_key=PAY_1, state="sending", harvest_payment_id=None, amount=D("1000.00"))
    ]
    found = HarvestPaymentView(31, D("1000.00"), f"Xero payment … (hxsync:{PAY_1})")
    plan = plan_for(raw, harvest(due="0.00", state="paid"), links=links, harvest_payments=[found])
    assert actions(plan) == [("adopt", PAY_1)]
    assert plan.ops[0].harvest_payment_id == "31"


def test_payment_recorded_by_hxsync_from_harvest_is_not_mirrored_back():
    raw = xero_raw(Payments=[payment(PAY_1, "1000.00", reference="Harvest payment 555")])
    plan = plan_for(raw, harvest(due="0.00", state="paid"))
    assert actions(plan) == [("skip", PAY_1)]
    links = [LinkView(PAY_1, "synced", "555", D("1000.00"), direction=DIRECTION_FROM_HARVEST)]
    assert invoice_in_sync(xero=xero_invoice_view(raw), links=links)


def test_currency_mismatch_holds_everything():
    raw = xero_raw(currency="EUR", Payments=[payment(PAY_1, "10.00")], due="990.00")
    plan = plan_for(raw, harvest(), expected="USD")
    assert actions(plan) == [("hold", PAY_1)]
    assert "Currency check failed" in plan.ops[0].reason
    assert plan.flags and "Currencies differ" in plan.flags[0]


def test_paid_comes_from_amount_due_not_status():
    # Xero says nothing is due, Harvest's total is higher: flagged, never "marked paid".
    raw = xero_raw(total="900.00", due="0.00", status="PAID", Payments=[payment(PAY_1, "900.00")])
    plan = plan_for(raw, harvest(amount="1000.00", due="1000.00"))
    assert actions(plan) == [("create", PAY_1)]
    assert plan.harvest_due_after == D("100.00")
    assert "fully paid" in plan.flags[0]
    # A PAID status with money still due is not trusted either: nothing extra is invented.
    raw = xero_raw(
        total="1000.00", due="100.00", status="PAID", Payments=[payment(PAY_1, "900.00")]
    )
    plan = plan_for(raw, harvest())
    assert actions(plan) == [("create", PAY_1)]
    assert plan.flags == []


def test_closed_harvest_invoice_holds():
    raw = xero_raw(Payments=[payment(PAY_1, "10.00")], due="990.00", status="AUTHORISED")
    plan = plan_for(raw, harvest(state="closed"))
    assert actions(plan) == [("hold", PAY_1)]
    assert "closed" in plan.ops[0].reason


def test_deleted_payment_in_the_list_is_not_a_settlement():
    raw = xero_raw(Payments=[{**payment(PAY_1, "10.00"), "Status": "DELETED"}])
    assert settlements_of(raw) == ()


def test_in_sync_check_needs_every_settlement_synced_at_its_amount():
    raw = xero_raw(Payments=[payment(PAY_1, "10.00")])
    view = xero_invoice_view(raw)
    assert not invoice_in_sync(xero=view, links=[])
    synced = LinkView(PAY_1, "synced", "1", D("10.00"))
    assert invoice_in_sync(xero=view, links=[synced])
    assert not invoice_in_sync(xero=view, links=[LinkView(PAY_1, "synced", "1", D("9.00"))])
    gone = LinkView(PAY_2, "synced", "2", D("5.00"))
    assert not invoice_in_sync(xero=view, links=[synced, gone])
