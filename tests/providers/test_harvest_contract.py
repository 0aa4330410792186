"""Every request HarvestClient builds (method, path, query, headers, body) validates against
Harvest's OpenAPI description in ../shared/specs (loaded once per session by the `specs` fixture)."""

import inspect
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from syncapp.providers.harvest.client import INVOICE_EVENTS, HarvestClient

API = "https://api.harvestapp.com/v2"
SINCE = datetime(2026, 1, 1, 8, 30, tzinfo=UTC)

CALLS = [
    ("get_company", {}),
    ("list_clients", {"updated_since": SINCE, "is_active": True}),
    ("get_client", {"client_id": 11}),
    ("list_contacts", {"updated_since": SINCE, "client_id": 11}),
    ("list_projects", {"updated_since": SINCE, "is_active": False, "client_id": 11}),
    ("get_project", {"project_id": 12}),
    ("list_task_assignments", {"updated_since": SINCE, "is_active": True}),
    ("list_task_assignments", {"project_id": 12, "updated_since": SINCE, "is_active": True}),
    ("list_user_assignments", {"updated_since": SINCE, "user_id": 3, "is_active": True}),
    ("list_user_assignments", {"project_id": 12, "user_id": 3}),
    ("list_tasks", {"updated_since": SINCE, "is_active": True}),
    ("list_users", {"updated_since": SINCE, "is_active": True}),
    ("get_current_user", {}),
    (
        "list_time_entries",
        {
            "updated_since": SINCE,
            "from_date": date(2026, 1, 1),
            "to_date": date(2026, 1, 31),
            "client_id": 11,
            "project_id": 12,
            "task_id": 13,
            "user_id": 3,
            "is_billed": False,
            "is_running": False,
        },
    ),
    (
        "list_expenses",
        {
            "updated_since": SINCE,
            "from_date": date(2026, 1, 1),
            "to_date": date(2026, 1, 31),
            "client_id": 11,
            "project_id": 12,
            "user_id": 3,
            "is_billed": True,
        },
    ),
    ("get_expense", {"expense_id": 21}),
    ("list_expense_categories", {"updated_since": SINCE, "is_active": True}),
    (
        "list_invoices",
        {
            "updated_since": SINCE,
            "from_date": date(2026, 1, 1),
            "to_date": date(2026, 1, 31),
            "state": "open",
            "client_id": 11,
            "project_id": 12,
        },
    ),
    ("get_invoice", {"invoice_id": 31}),
    ("list_invoice_messages", {"invoice_id": 31, "updated_since": SINCE}),
    ("list_invoice_payments", {"invoice_id": 31, "updated_since": SINCE}),
    ("list_invoice_item_categories", {"updated_since": SINCE}),
    (
        "create_client",
        {"name": "Acme Ltd", "is_active": True, "address": "1 Road\nTown", "currency": "EUR"},
    ),
    ("update_client", {"client_id": 11, "name": "Acme Limited", "address": ""}),
    (
        "create_contact",
        {
            "client_id": 11,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "title": "CFO",
            "email": "ada@acme.test",
            "phone_office": "+44 1",
            "phone_mobile": "+44 2",
            "fax": "+44 3",
        },
    ),
    ("update_contact", {"contact_id": 41, "email": "accounts@acme.test", "client_id": 11}),
    (
        "create_invoice_payment",
        {
            "invoice_id": 31,
            "amount": Decimal("1234.56"),
            "paid_date": date(2026, 1, 15),
            "notes": "Xero payment 9f",
        },
    ),
    (
        "create_invoice_payment",
        {
            "invoice_id": 31,
            "amount": Decimal("0.01"),
            "paid_at": datetime(2026, 1, 15, 9, tzinfo=UTC),
        },
    ),
    ("delete_invoice_payment", {"invoice_id": 31, "payment_id": 51}),
    *[
        ("create_invoice_event", {"invoice_id": 31, "event_type": event})
        for event in sorted(INVOICE_EVENTS)
    ],
]
# Not on api.harvestapp.com, so not in the contract: receipts live on the account's own host.
NOT_IN_SPEC = {"download_receipt"}

_LIST_KEYS = {
    "clients",
    "contacts",
    "projects",
    "task_assignments",
    "user_assignments",
    "tasks",
    "users",
    "time_entries",
    "expenses",
    "expense_categories",
    "invoices",
    "messages",
    "payments",
    "invoice_item_categories",
}


def _answer(request: httpx.Request) -> httpx.Response:
    """A minimal well-formed answer, so the client goes on (and follows one next link)."""
    path = request.url.path.removeprefix("/v2")
    last = path.rstrip("/").split("/")[-1]
    if request.method == "DELETE":
        return httpx.Response(200)
    if request.method == "GET" and last in _LIST_KEYS:
        key = {"messages": "invoice_messages", "payments": "invoice_payments"}.get(last, last)
        first_page = "cursor" not in request.url.params and "page" not in request.url.params
        next_url = f"{API}{path}?cursor=eyJpZCI6MX0&per_page=2000" if first_page else None
        return httpx.Response(200, json={key: [{"id": 1}], "links": {"next": next_url}})
    return httpx.Response(200 if request.method != "POST" else 201, json={"id": 1, "name": "x"})


@pytest.fixture
def contract_client(specs):
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        specs.assert_request_valid(request)
        sent.append(request)
        return _answer(request)

    client = HarvestClient(
        base_url=API,
        account_id="987654",
        access_token="pat-xyz",
        transport=httpx.MockTransport(handler),
        contact_email="finance@agency.test",
    )
    client.sent = sent
    yield client
    client.close()


@pytest.mark.parametrize(
    ("method", "kwargs"), CALLS, ids=[f"{m}-{i}" for i, (m, _) in enumerate(CALLS)]
)
def test_request_matches_harvest_contract(contract_client, method, kwargs):
    result = getattr(contract_client, method)(**kwargs)
    if inspect.isgenerator(result):
        result = list(result)
    assert contract_client.sent, "no request was sent"
    if method.startswith("list_"):
        # the follow-up request built from links.next was checked too
        assert len(contract_client.sent) == 2
        assert "cursor" in contract_client.sent[1].url.params


def test_every_public_method_is_covered():
    public = {
        name
        for name, member in inspect.getmembers(HarvestClient, inspect.isfunction)
        if not name.startswith("_") and re.match(r"(get|list|create|update|delete|download)_", name)
    }
    assert public - NOT_IN_SPEC == {method for method, _ in CALLS}


def test_contract_check_catches_a_bad_request(specs):
    bad = httpx.Request(
        "POST",
        f"{API}/invoices/31/payments",
        headers={
            "Authorization": "Bearer x",
            "Harvest-Account-Id": "1",
            "Content-Type": "application/json",
        },
        content=b'{"notes":"no amount"}',
    )
    assert specs.request_errors(bad)
