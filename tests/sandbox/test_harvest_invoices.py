from decimal import Decimal

import pytest

from syncapp.sandbox.harvest.money import invoice_totals

from .conftest import HARVEST

HARVEST_EXAMPLE_LINES = [
    {
        "kind": "Service",
        "description": "Planning meetings",
        "quantity": 2,
        "unit_price": 100,
        "taxed": True,
        "taxed2": True,
    },
    {
        "kind": "Service",
        "description": "Importing products",
        "quantity": 1,
        "unit_price": 100,
        "taxed": True,
        "taxed2": True,
    },
]


@pytest.fixture
def client_id(seeded_state):
    return next(c["id"] for c in seeded_state.harvest.clients.values() if c["currency"] == "EUR")


@pytest.fixture
def draft(harvest, client_id):
    response = harvest.post(
        f"{HARVEST}/invoices",
        json={
            "client_id": client_id,
            "tax": 5,
            "tax2": 2,
            "discount": 10,
            "line_items": HARVEST_EXAMPLE_LINES,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_harvest_worked_example_totals(draft):
    assert draft["amount"] == 288.9
    assert draft["due_amount"] == 288.9
    assert (draft["discount_amount"], draft["tax_amount"], draft["tax2_amount"]) == (30, 13.5, 5.4)
    assert draft["state"] == "draft"
    assert draft["currency"] == "EUR"  # the client's currency by default
    assert draft["payment_term"] == "upon receipt" and draft["due_date"] == draft["issue_date"]


def test_totals_in_decimal_round_half_up_and_tax_only_on_taxed_lines():
    totals = invoice_totals(
        lines=[(Decimal("100.00"), True, False), (Decimal("33.35"), False, True)],
        tax=Decimal("8.875"),
        tax2=Decimal("2"),
        discount=Decimal("12.5"),
    )
    # discount 133.35 * 12.5 % = 16.66875 -> 16.67; tax on 100 * 0.875 = 87.5 -> 7.765625 -> 7.77;
    # tax2 on 33.35 * 0.875 = 29.18125 -> 0.583625 -> 0.58
    assert totals.discount_amount == Decimal("16.67")
    assert totals.tax_amount == Decimal("7.77")
    assert totals.tax2_amount == Decimal("0.58")
    assert totals.amount == Decimal("125.03")


def test_state_changes_only_through_messages(harvest, draft):
    url = f"{HARVEST}/invoices/{draft['id']}"
    # A PATCH cannot set the state (Harvest ignores it).
    harvest.patch(url, json={"state": "paid"})
    assert harvest.get(url).json()["state"] == "draft"

    sent = harvest.post(
        f"{url}/messages",
        json={"recipients": [{"name": "AP", "email": "ap@example.com"}], "subject": "Invoice"},
    )
    assert sent.status_code == 201
    assert sent.json()["event_type"] is None
    invoice = harvest.get(url).json()
    assert invoice["state"] == "open" and invoice["sent_at"] is not None

    assert harvest.post(f"{url}/messages", json={"event_type": "close"}).status_code == 201
    invoice = harvest.get(url).json()
    assert invoice["state"] == "closed" and invoice["closed_at"]

    refused = harvest.post(f"{url}/messages", json={"event_type": "close"})
    assert refused.status_code == 422 and "message" in refused.json()

    assert harvest.post(f"{url}/messages", json={"event_type": "re-open"}).status_code == 201
    assert harvest.get(url).json()["state"] == "open"
    assert harvest.post(f"{url}/messages", json={"event_type": "draft"}).status_code == 201
    invoice = harvest.get(url).json()
    assert invoice["state"] == "draft" and invoice["sent_at"] is None
    assert harvest.post(f"{url}/messages", json={"event_type": "send"}).status_code == 201
    assert harvest.get(url).json()["state"] == "open"

    events = [m["event_type"] for m in harvest.get(f"{url}/messages").json()["invoice_messages"]]
    assert sorted(events, key=str) == sorted([None, "close", "re-open", "draft", "send"], key=str)


def test_sending_needs_recipients(harvest, draft):
    response = harvest.post(f"{HARVEST}/invoices/{draft['id']}/messages", json={"subject": "x"})
    assert response.status_code == 422
    assert response.json() == {"message": "Recipients can't be blank"}


def test_payments_lower_due_amount_then_pay_and_reopen_on_delete(harvest, draft):
    url = f"{HARVEST}/invoices/{draft['id']}"
    harvest.post(f"{url}/messages", json={"event_type": "send"})
    part = harvest.post(f"{url}/payments", json={"amount": 88.9, "paid_date": "2026-01-10"})
    assert part.status_code == 201
    invoice = harvest.get(url).json()
    assert (invoice["state"], invoice["due_amount"]) == ("open", 200)

    too_much = harvest.post(f"{url}/payments", json={"amount": 200.01})
    assert too_much.status_code == 422

    rest = harvest.post(
        f"{url}/payments",
        json={"amount": 200, "paid_at": "2026-01-12T10:00:00Z", "send_thank_you": True},
    ).json()
    invoice = harvest.get(url).json()
    assert (invoice["state"], invoice["due_amount"]) == ("paid", 0)
    assert invoice["paid_date"] == "2026-01-12"
    messages = harvest.get(f"{url}/messages").json()["invoice_messages"]
    assert sum(1 for m in messages if m["thank_you"]) == 1  # send_thank_you recorded

    payments = harvest.get(f"{url}/payments").json()["invoice_payments"]
    assert sorted(p["amount"] for p in payments) == [88.9, 200]

    assert harvest.delete(f"{url}/payments/{rest['id']}").status_code == 200
    invoice = harvest.get(url).json()
    assert (invoice["state"], invoice["due_amount"], invoice["paid_at"]) == ("open", 200, None)


def test_no_thank_you_when_asked_not_to_or_when_not_paid_off(harvest, draft):
    url = f"{HARVEST}/invoices/{draft['id']}"
    harvest.post(f"{url}/messages", json={"event_type": "send"})
    harvest.post(f"{url}/payments", json={"amount": 100, "send_thank_you": True})
    harvest.post(f"{url}/payments", json={"amount": 188.9, "send_thank_you": False})
    messages = harvest.get(f"{url}/messages").json()["invoice_messages"]
    assert not any(m["thank_you"] for m in messages)
    assert harvest.get(url).json()["state"] == "paid"


def test_line_items_patched_by_id_with_destroy(harvest, draft):
    url = f"{HARVEST}/invoices/{draft['id']}"
    first, second = draft["line_items"]
    patched = harvest.patch(
        url,
        json={
            "line_items": [
                {"id": first["id"], "quantity": 3},
                {"id": second["id"], "_destroy": True},
                {"kind": "Product", "description": "License", "unit_price": 50},
            ]
        },
    ).json()
    lines = {li["description"]: li for li in patched["line_items"]}
    assert set(lines) == {"Planning meetings", "License"}
    assert (
        lines["Planning meetings"]["amount"] == 300
        and lines["Planning meetings"]["unit_price"] == 100
    )
    assert lines["License"]["taxed"] is False
    # 350 - 10 % = 315; taxes on the taxed 300 * 0.9 = 270: 13.50 and 5.40
    assert patched["amount"] == 333.9


def test_validation_errors_are_422_with_message_and_leave_the_invoice_alone(
    app, harvest, draft, client_id
):
    url = f"{HARVEST}/invoices/{draft['id']}"
    bad = harvest.patch(url, json={"discount": 10, "line_items": [{"id": 1, "quantity": 2}]})
    assert bad.status_code == 422 and set(bad.json()) == {"message"}
    assert harvest.get(url).json() == draft
    taken = harvest.post(
        f"{HARVEST}/invoices", json={"client_id": client_id, "number": draft["number"]}
    )
    assert taken.json() == {"message": "Number has already been taken"}
    with app.validator.invalid_requests_expected():
        missing = harvest.post(f"{HARVEST}/invoices", json={"line_items": []})
    assert missing.status_code == 422
    unknown = harvest.post(f"{HARVEST}/invoices", json={"client_id": 1, "line_items": []})
    assert unknown.json() == {"message": "Client can't be blank"}
    assert harvest.get(f"{HARVEST}/invoices/999").status_code == 404


def test_payment_terms_set_the_due_date(harvest, client_id):
    net30 = harvest.post(
        f"{HARVEST}/invoices",
        json={"client_id": client_id, "issue_date": "2026-01-01", "payment_term": "net 30"},
    ).json()
    assert net30["due_date"] == "2026-01-31"
    custom = harvest.post(
        f"{HARVEST}/invoices",
        json={"client_id": client_id, "issue_date": "2026-01-01", "due_date": "2026-02-14"},
    ).json()
    assert (custom["payment_term"], custom["due_date"]) == ("custom", "2026-02-14")


def test_invoice_from_tracked_time_locks_the_entries_and_delete_releases_them(
    harvest, seeded_state
):
    hs = seeded_state.harvest
    entry = next(
        e
        for e in hs.time_entries.values()
        if e["billable"] and not e["is_billed"] and e["billable_rate"]
    )
    project = hs.projects[entry["_project_id"]]
    created = harvest.post(
        f"{HARVEST}/invoices",
        json={
            "client_id": project["_client_id"],
            "line_items_import": {"project_ids": [project["id"]], "time": {"summary_type": "task"}},
        },
    )
    assert created.status_code == 201, created.text
    invoice = created.json()
    assert invoice["line_items"] and invoice["amount"] > 0
    locked = harvest.get(f"{HARVEST}/time_entries/{entry['id']}").json()
    assert locked["is_locked"] and locked["is_billed"] and locked["invoice"]["id"] == invoice["id"]
    refused = harvest.patch(f"{HARVEST}/time_entries/{entry['id']}", json={"notes": "edit"})
    assert refused.status_code == 422 and "locked" in refused.json()["message"]
    assert harvest.delete(f"{HARVEST}/time_entries/{entry['id']}").status_code == 422
    assert harvest.delete(f"{HARVEST}/invoices/{invoice['id']}").status_code == 200
    released = harvest.get(f"{HARVEST}/time_entries/{entry['id']}").json()
    assert not released["is_locked"] and released["invoice"] is None


def test_sandbox_control_pays_an_invoice(anonymous, harvest, seeded_state):
    invoice = next(
        i
        for i in seeded_state.harvest.invoices.values()
        if i["state"] == "open" and not i["_payments"]
    )
    paid = anonymous.post(f"/_sandbox/harvest/invoices/{invoice['id']}/pay", json={})
    assert paid.status_code == 201
    assert paid.json()["invoice_state"] == "paid"
    assert harvest.get(f"{HARVEST}/invoices/{invoice['id']}").json()["due_amount"] == 0
    again = anonymous.post(f"/_sandbox/harvest/invoices/{invoice['id']}/pay", json={})
    assert again.status_code == 422
    assert (
        anonymous.get("/_sandbox/harvest/credentials").json()["account_id"]
        == seeded_state.harvest.account_id
    )
