import pickle
from collections import Counter
from decimal import Decimal

from syncapp.sandbox import SandboxState
from syncapp.sandbox.harvest.money import invoice_totals
from syncapp.sandbox.seed import seed_sandbox

from .conftest import HARVEST, SEED_TODAY


def _seeded(seed=0, invoices=None):
    state = SandboxState.empty()
    seed_sandbox(state, seed=seed, invoices=invoices, today=SEED_TODAY)
    return state


def test_same_seed_same_agency():
    assert pickle.dumps(_seeded(5).harvest) == pickle.dumps(_seeded(5).harvest)
    assert pickle.dumps(_seeded(5).harvest) != pickle.dumps(_seeded(6).harvest)


def test_the_agency_has_what_the_demo_needs(seeded_state):
    hs = seeded_state.harvest
    assert len(hs.clients) == 40
    assert Counter(c["currency"] for c in hs.clients.values()).keys() == {"USD", "EUR", "GBP"}
    assert len(hs.projects) == 80
    assert sum(1 for p in hs.projects.values() if p["budget"] or p["cost_budget"]) >= 40
    assert all(u["cost_rate"] > 0 for u in hs.users.values())
    months = {e["spent_date"][:7] for e in hs.time_entries.values()}
    assert len(months) >= 4
    approved = [e for e in hs.time_entries.values() if e["is_closed"]]
    assert approved and all(e["is_locked"] for e in approved)
    assert sum(1 for e in hs.expenses if e in hs.receipts) >= 50
    states = Counter(i["state"] for i in hs.invoices.values())
    assert {"draft", "open", "paid", "closed"} <= states.keys()
    assert any(i["state"] == "open" and i["_payments"] for i in hs.invoices.values())  # part paid
    assert any(i["tax"] for i in hs.invoices.values())
    assert any(i["tax2"] for i in hs.invoices.values())
    assert any(i["discount"] for i in hs.invoices.values())
    assert len(hs.seed_info["near_duplicates"]) == 6


def test_invoice_amounts_are_consistent(seeded_state):
    for invoice in seeded_state.harvest.invoices.values():
        totals = invoice_totals(
            lines=[(li["amount"], li["taxed"], li["taxed2"]) for li in invoice["_line_items"]],
            tax=invoice["tax"],
            tax2=invoice["tax2"],
            discount=invoice["discount"],
        )
        paid = sum((p["amount"] for p in invoice["_payments"]), Decimal("0"))
        assert invoice["amount"] == totals.amount
        assert invoice["due_amount"] == invoice["amount"] - paid
        assert (invoice["state"] == "paid") == (
            invoice["due_amount"] == 0 and bool(invoice["_payments"])
        )
        assert invoice["updated_at"] < "2026-01-15T12:00:00Z"


def test_invoice_count_is_honoured():
    small = _seeded(invoices=12)
    assert len(small.harvest.invoices) == 12
    assert {"draft", "open", "paid", "closed"} <= {
        i["state"] for i in small.harvest.invoices.values()
    }
    large = _seeded(invoices=1500)
    assert len(large.harvest.invoices) == 1500
    numbers = [i["number"] for i in large.harvest.invoices.values()]
    assert len(set(numbers)) == 1500


def test_receipts_download_from_the_account_host(harvest, seeded_state, app):
    expense_id = next(
        e for e, (_, kind, _) in seeded_state.harvest.receipts.items() if kind == "application/pdf"
    )
    expense = harvest.get(f"{HARVEST}/expenses/{expense_id}").json()
    receipt = expense["receipt"]
    assert (
        receipt["url"]
        == f"http://sandbox/northwind-sandbox.harvestapp.com/expenses/{expense_id}/receipt"
    )
    download = harvest.get(receipt["url"], follow_redirects=True)
    assert download.status_code == 200
    assert download.headers["content-type"] == receipt["content_type"] == "application/pdf"
    assert len(download.content) == receipt["file_size"]
    assert download.content.startswith(b"%PDF")
    assert harvest.get(receipt["url"], headers={"Authorization": "Bearer nope"}).status_code == 401


def test_receipt_upload_as_multipart_then_delete(harvest, seeded_state):
    hs = seeded_state.harvest
    ua = next(iter(hs.user_assignments.values()))
    category = next(c for c in hs.expense_categories.values() if c["unit_price"] is None)
    created = harvest.post(
        f"{HARVEST}/expenses",
        data={
            "project_id": str(ua["_project_id"]),
            "user_id": str(ua["_user_id"]),
            "expense_category_id": str(category["id"]),
            "spent_date": "2026-01-14",
            "total_cost": "42.50",
        },
        files={"receipt": ("taxi.png", b"\x89PNG fake", "image/png")},
    )
    assert created.status_code == 201, created.text
    expense = created.json()
    assert expense["total_cost"] == 42.5
    assert expense["receipt"]["file_name"] == "taxi.png"
    assert harvest.get(expense["receipt"]["url"], follow_redirects=True).content == b"\x89PNG fake"
    patched = harvest.patch(
        f"{HARVEST}/expenses/{expense['id']}", json={"delete_receipt": True}
    ).json()
    assert patched["receipt"] is None
