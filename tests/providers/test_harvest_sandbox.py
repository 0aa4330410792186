"""HarvestClient end to end against the in-process Harvest simulator (contract validation on),
with the governor on the simulator's own clock, so rate limits are walked through, not slept."""

from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from syncapp.providers.governor import MemoryBackend, governor_for_harvest
from syncapp.providers.harvest.client import HarvestClient
from syncapp.providers.hosts import hosts_for
from syncapp.sandbox import SandboxState, SimClock, build_sandbox_app
from syncapp.sandbox.harvest.app import credentials
from syncapp.sandbox.seed import seed_sandbox

NOON = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def seeded():
    state = SandboxState.empty()
    seed_sandbox(state, seed=0, today=date(2026, 1, 15))
    return state


@pytest.fixture
def sandbox(seeded):
    import copy

    clock = SimClock(frozen_at=NOON)
    app = build_sandbox_app(copy.deepcopy(seeded), clock=clock, validate=True)
    return app, clock


def _client(app, clock, **options):
    creds = credentials(app.state.harvest)
    governor = governor_for_harvest(
        account_id=str(creds["account_id"]),
        backend=MemoryBackend(),
        clock=clock,
        max_wait=float("inf"),
    )
    return HarvestClient(
        base_url=hosts_for(base_url="http://sandbox").harvest_api,
        account_id=creds["account_id"],
        access_token=creds["personal_access_token"],
        transport=httpx.WSGITransport(app=app),
        governor=governor,
        clock=clock,
        **options,
    )


def test_reads_everything_the_account_holds(sandbox):
    app, clock = sandbox
    hs = app.state.harvest
    with _client(app, clock) as harvest:
        assert harvest.get_company().name
        assert {c.id for c in harvest.list_clients()} == set(hs.clients)
        assert {c.id for c in harvest.list_contacts()} == set(hs.contacts)
        assert {p.id for p in harvest.list_projects()} == set(hs.projects)
        assert {t.id for t in harvest.list_tasks()} == set(hs.tasks)
        assert {u.id for u in harvest.list_users()} == set(hs.users)
        assert {a.id for a in harvest.list_task_assignments()} == set(hs.task_assignments)
        assert {a.id for a in harvest.list_user_assignments()} == set(hs.user_assignments)
        assert {e.id for e in harvest.list_time_entries()} == set(hs.time_entries)
        assert {e.id for e in harvest.list_expenses()} == set(hs.expenses)
        assert {c.id for c in harvest.list_expense_categories()} == set(hs.expense_categories)
        assert {c.id for c in harvest.list_invoice_item_categories()} == set(
            hs.invoice_item_categories
        )
        invoices = list(harvest.list_invoices())
        assert {i.id for i in invoices} == set(hs.invoices)
    for invoice in invoices:
        assert isinstance(invoice.amount, Decimal)
        lines = sum((line.amount for line in invoice.line_items), Decimal("0"))
        assert (
            lines - invoice.discount_amount + invoice.tax_amount + invoice.tax2_amount
            == invoice.amount
        )
    assert app.validator.violations == []


def test_small_pages_give_the_same_records_as_one_big_page(sandbox):
    app, clock = sandbox
    with _client(app, clock) as big, _client(app, clock, per_page=3) as small:
        assert [c.id for c in small.list_contacts()] == [c.id for c in big.list_contacts()]
        assert [e.id for e in small.list_invoices()] == [e.id for e in big.list_invoices()]
        assert small.calls > 3 * big.calls


def test_updated_since_returns_only_newer_records(sandbox):
    app, clock = sandbox
    with _client(app, clock) as harvest:
        everything = list(harvest.list_clients())
        cut = sorted(c.updated_at for c in everything)[len(everything) // 2]
        newer = list(harvest.list_clients(updated_since=cut))
    assert newer and len(newer) < len(everything)
    assert all(c.updated_at >= cut for c in newer)


def test_payment_settles_the_invoice_without_a_thank_you(sandbox):
    app, clock = sandbox
    with _client(app, clock) as harvest:
        invoice = next(i for i in harvest.list_invoices(state="open") if i.due_amount > 0)
        payment = harvest.create_invoice_payment(
            invoice_id=invoice.id,
            amount=invoice.due_amount,
            paid_date=date(2026, 1, 15),
            notes="Xero payment 1f2e",
        )
        assert payment.amount == invoice.due_amount
        after = harvest.get_invoice(invoice_id=invoice.id)
        assert after.state == "paid" and after.due_amount == 0
        assert payment.id in {p.id for p in harvest.list_invoice_payments(invoice_id=invoice.id)}
        messages = list(harvest.list_invoice_messages(invoice_id=invoice.id))
        assert not any(m.thank_you for m in messages)
        harvest.delete_invoice_payment(invoice_id=invoice.id, payment_id=payment.id)
        assert harvest.get_invoice(invoice_id=invoice.id).state == "open"
    assert app.validator.violations == []


def test_event_only_message_changes_state(sandbox):
    app, clock = sandbox
    with _client(app, clock) as harvest:
        draft = next(harvest.list_invoices(state="draft"))
        message = harvest.create_invoice_event(invoice_id=draft.id, event_type="send")
        assert message.event_type == "send"
        assert harvest.get_invoice(invoice_id=draft.id).state == "open"


def test_client_and_contact_writes(sandbox):
    app, clock = sandbox
    with _client(app, clock) as harvest:
        client = harvest.create_client(
            name="Zed & Co GmbH", currency="EUR", address="Hauptstr. 1\nBerlin"
        )
        assert client.currency == "EUR"
        renamed = harvest.update_client(client_id=client.id, name="Zed und Co GmbH")
        assert renamed.name == "Zed und Co GmbH" and renamed.address == "Hauptstr. 1\nBerlin"
        contact = harvest.create_contact(
            client_id=client.id, first_name="Ada", email="ada@zed.test"
        )
        updated = harvest.update_contact(contact_id=contact.id, last_name="Lovelace")
        assert (updated.first_name, updated.last_name, updated.email) == (
            "Ada",
            "Lovelace",
            "ada@zed.test",
        )
        assert updated.client.id == client.id


def test_receipt_download(sandbox):
    app, clock = sandbox
    with _client(app, clock) as harvest:
        expense = next(e for e in harvest.list_expenses() if e.receipt is not None)
        receipt = harvest.download_receipt(expense=expense)
    assert receipt.content == app.state.harvest.receipts[expense.id][2]
    assert receipt.file_name == expense.receipt.file_name


def test_governor_keeps_under_harvests_limit(sandbox):
    app, clock = sandbox
    start = clock.time()
    with _client(app, clock) as harvest:
        for _ in range(230):
            harvest.get_company()
        # every request went through first time: Harvest never had to say 429
        assert harvest.calls == 230
        assert harvest.governor.waited_seconds > 0
    assert clock.time() - start == pytest.approx(2 * 16)


def test_without_governor_the_sandbox_says_429_and_the_client_waits(sandbox):
    app, clock = sandbox
    creds = credentials(app.state.harvest)
    with HarvestClient(
        base_url=hosts_for(base_url="http://sandbox").harvest_api,
        account_id=creds["account_id"],
        access_token=creds["personal_access_token"],
        transport=httpx.WSGITransport(app=app),
        clock=clock,
    ) as harvest:
        for _ in range(101):
            harvest.get_company()
        assert harvest.calls == 102  # one 429, honoured, then the retry went through
    assert clock.time() - NOON.timestamp() >= 1
