import logging
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from syncapp.providers import errors
from syncapp.providers.harvest.client import HarvestClient
from syncapp.providers.harvest.timesheet_types import HarvestExpense

API = "https://api.harvestapp.com/v2"
TOKEN = "pat-1234567.abcdefSECRET"


@pytest.fixture
def harvest(sim_clock):
    client = HarvestClient(
        base_url=API,
        account_id=987654,
        access_token=TOKEN,
        clock=sim_clock,
        contact_email="finance@agency.test",
    )
    yield client
    client.close()


def _page(key, items, next_url=None):
    return httpx.Response(
        200,
        json={
            key: items,
            "per_page": 2000,
            "links": {"next": next_url, "first": None, "last": None, "previous": None},
        },
    )


def test_every_request_names_token_account_and_user_agent(harvest, respx_mock):
    route = respx_mock.get(f"{API}/company").mock(
        return_value=httpx.Response(
            200, json={"name": "Agency", "full_domain": "agency.harvestapp.com", "is_active": True}
        )
    )
    company = harvest.get_company()
    assert company.name == "Agency"
    headers = route.calls.last.request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Harvest-Account-Id"] == "987654"
    assert headers["User-Agent"] == "hxsync (finance@agency.test)"


def test_lists_ask_for_2000_per_page_and_updated_since(harvest, respx_mock):
    route = respx_mock.get(f"{API}/invoices").mock(return_value=_page("invoices", []))
    since = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (
        list(harvest.list_invoices(updated_since=since, state="open", from_date=date(2026, 1, 1)))
        == []
    )
    params = route.calls.last.request.url.params
    assert params["per_page"] == "2000"
    assert params["updated_since"] == "2026-01-02T03:04:05Z"
    assert params["state"] == "open"
    assert params["from"] == "2026-01-01"


def test_naive_updated_since_is_refused(harvest):
    with pytest.raises(ValueError):
        list(harvest.list_clients(updated_since=datetime(2026, 1, 1)))


def test_cursor_pagination_follows_links_next(harvest, respx_mock):
    # the more specific route first: respx matches params by containment
    second = respx_mock.get(f"{API}/clients", params={"cursor": "eyJpZCI6Mn0"}).mock(
        return_value=_page("clients", [{"id": 3, "name": "C"}])
    )
    first = respx_mock.get(f"{API}/clients").mock(
        return_value=_page(
            "clients",
            [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}],
            f"{API}/clients?cursor=eyJpZCI6Mn0&per_page=2000&ref=next_cursor",
        )
    )
    assert [c.id for c in harvest.list_clients()] == [1, 2, 3]
    assert first.call_count == 1 and second.call_count == 1


def test_page_pagination_follows_links_next(harvest, respx_mock):
    third = respx_mock.get(f"{API}/time_entries", params={"page": "3"}).mock(
        return_value=_page("time_entries", [{"id": 30, "hours": 1.5}])
    )
    second = respx_mock.get(f"{API}/time_entries", params={"page": "2"}).mock(
        return_value=_page(
            "time_entries", [{"id": 20, "hours": 2}], f"{API}/time_entries?page=3&per_page=2000"
        )
    )
    first = respx_mock.get(f"{API}/time_entries").mock(
        return_value=_page(
            "time_entries", [{"id": 10, "hours": 0.25}], f"{API}/time_entries?page=2&per_page=2000"
        )
    )
    entries = list(harvest.list_time_entries())
    assert [(e.id, e.hours) for e in entries] == [
        (10, Decimal("0.25")),
        (20, Decimal("2")),
        (30, Decimal("1.5")),
    ]
    assert first.called and second.called and third.called


def test_money_parses_to_decimal_from_floats_and_strings(harvest, respx_mock):
    respx_mock.get(f"{API}/invoices/13150403").mock(
        return_value=httpx.Response(
            200,
            json={
                "id": 13150403,
                "client": {"id": 5735776, "name": "123 Industries"},
                "number": "1001",
                "amount": 288.9,
                "due_amount": "288.90",
                "tax": 5.0,
                "tax_amount": 13.5,
                "tax2": 2.0,
                "tax2_amount": 5.4,
                "discount": 10.0,
                "discount_amount": 30.0,
                "currency": "USD",
                "state": "open",
                "issue_date": "2017-04-01",
                "due_date": "2017-04-01",
                "line_items": [
                    {
                        "id": 53341602,
                        "kind": "Service",
                        "description": "x",
                        "quantity": 2.0,
                        "unit_price": 100.0,
                        "amount": 200.0,
                        "taxed": True,
                        "taxed2": True,
                        "project": {"id": 14308069, "name": "Online Store", "code": "OS1"},
                    },
                    {
                        "id": 53341603,
                        "kind": "Product",
                        "description": "y",
                        "quantity": 1,
                        "unit_price": "100.10",
                        "amount": 100.1,
                        "taxed": False,
                        "taxed2": False,
                    },
                ],
            },
        )
    )
    invoice = harvest.get_invoice(invoice_id=13150403)
    assert invoice.amount == Decimal("288.9") and invoice.due_amount == Decimal("288.90")
    assert invoice.tax == Decimal("5.0") and invoice.discount_amount == Decimal("30.0")
    assert [line.amount for line in invoice.line_items] == [Decimal("200.0"), Decimal("100.1")]
    assert sum(line.amount for line in invoice.line_items) == Decimal("300.1")
    assert invoice.line_items[0].project.id == 14308069
    assert invoice.client.name == "123 Industries"
    assert invoice.issue_date == date(2017, 4, 1)
    assert all(
        isinstance(v, Decimal) for v in (invoice.amount, invoice.tax_amount, invoice.tax2_amount)
    )


def test_expense_units_may_be_decimal(harvest, respx_mock):
    respx_mock.get(f"{API}/expenses").mock(
        return_value=_page(
            "expenses", [{"id": 1, "units": 1.0, "total_cost": 12.34, "receipt": None}]
        )
    )
    (expense,) = harvest.list_expenses()
    assert expense.units == Decimal("1.0") and expense.total_cost == Decimal("12.34")
    assert expense.receipt is None


def test_payment_never_thanks_the_client_and_sends_exact_amount(harvest, respx_mock):
    route = respx_mock.post(f"{API}/invoices/7/payments").mock(
        return_value=httpx.Response(
            201,
            json={
                "id": 99,
                "amount": 1234.56,
                "paid_date": "2026-01-15",
                "notes": "Xero payment p-1",
            },
        )
    )
    payment = harvest.create_invoice_payment(
        invoice_id=7,
        amount=Decimal("1234.56"),
        paid_date=date(2026, 1, 15),
        notes="Xero payment p-1",
    )
    assert payment.id == 99 and payment.amount == Decimal("1234.56")
    assert route.calls.last.request.content == (
        b'{"amount":1234.56,"send_thank_you":false,"paid_date":"2026-01-15","notes":"Xero payment p-1"}'
    )


def test_payment_amount_must_be_decimal(harvest):
    with pytest.raises(TypeError):
        harvest.create_invoice_payment(invoice_id=7, amount=12.5)


def test_invoice_event_sends_only_event_type(harvest, respx_mock):
    route = respx_mock.post(f"{API}/invoices/7/messages").mock(
        return_value=httpx.Response(201, json={"id": 5, "event_type": "close", "recipients": []})
    )
    message = harvest.create_invoice_event(invoice_id=7, event_type="close")
    assert message.event_type == "close"
    assert route.calls.last.request.content == b'{"event_type":"close"}'
    with pytest.raises(ValueError):
        harvest.create_invoice_event(invoice_id=7, event_type="email")


def test_update_sends_only_given_fields(harvest, respx_mock):
    route = respx_mock.patch(f"{API}/contacts/3").mock(
        return_value=httpx.Response(200, json={"id": 3, "first_name": "Ada", "email": ""})
    )
    harvest.update_contact(contact_id=3, email="")
    assert route.calls.last.request.content == b'{"email":""}'


def test_422_becomes_validation_failed_with_harvests_message(harvest, respx_mock):
    respx_mock.post(f"{API}/clients").mock(
        return_value=httpx.Response(422, json={"message": "Name has already been taken"})
    )
    with pytest.raises(errors.ValidationFailed) as caught:
        harvest.create_client(name="Acme")
    assert caught.value.messages == ["Name has already been taken"]


def test_429_waits_retry_after_then_succeeds(harvest, respx_mock, sim_clock):
    respx_mock.get(f"{API}/tasks").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "11"}),
            _page("tasks", [{"id": 1, "name": "Design"}]),
        ]
    )
    assert [t.name for t in harvest.list_tasks()] == ["Design"]
    assert sim_clock.slept >= 11


def test_post_is_not_resent_after_a_timeout(harvest, respx_mock):
    route = respx_mock.post(f"{API}/invoices/7/payments").mock(
        side_effect=httpx.ReadTimeout("slow")
    )
    with pytest.raises(errors.Timeout):
        harvest.create_invoice_payment(invoice_id=7, amount=Decimal("5.00"))
    assert route.call_count == 1


def test_receipt_download_sends_token_only_to_harvest(harvest, respx_mock):
    url = "https://agency.harvestapp.com/expenses/15296442/receipt"
    route = respx_mock.get(url).mock(
        return_value=httpx.Response(
            200, content=b"%PDF-1.4", headers={"Content-Type": "application/pdf"}
        )
    )
    expense = HarvestExpense.from_api(
        {
            "id": 15296442,
            "total_cost": 1,
            "receipt": {
                "url": url,
                "file_name": "r.pdf",
                "file_size": 8,
                "content_type": "application/pdf",
            },
        }
    )
    receipt = harvest.download_receipt(expense=expense)
    assert receipt.content == b"%PDF-1.4" and receipt.file_name == "r.pdf"
    assert route.calls.last.request.headers["Harvest-Account-Id"] == "987654"
    evil = HarvestExpense.from_api(
        {"id": 1, "total_cost": 1, "receipt": {"url": "https://evil.test/r", "file_name": "r"}}
    )
    with pytest.raises(errors.UnexpectedResponse):
        harvest.download_receipt(expense=evil)


def test_token_never_logged(harvest, respx_mock, caplog):
    respx_mock.get(f"{API}/users/me").mock(
        return_value=httpx.Response(
            401, json={"error": "invalid_token", "error_description": "expired"}
        )
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(errors.AuthExpired) as caught:
        harvest.get_current_user()
    assert TOKEN not in caplog.text and TOKEN not in str(caught.value)
    assert "GET /v2/users/me -> 401" in caplog.text


def test_token_source_is_asked_per_attempt(sim_clock, respx_mock):
    tokens = iter(["first", "second"])
    client = HarvestClient(
        base_url=API, account_id=1, token_source=lambda: next(tokens), clock=sim_clock
    )
    route = respx_mock.get(f"{API}/company").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"name": "A"})]
    )
    client.get_company()
    assert [c.request.headers["Authorization"] for c in route.calls] == [
        "Bearer first",
        "Bearer second",
    ]
