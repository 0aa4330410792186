"""XeroClient against faked routes (respx): headers, filters, paging, batches, errors."""

import json
import logging
import random
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from syncapp.providers.base import RetryPolicy
from syncapp.providers.errors import (
    AuthExpired,
    HostUnavailable,
    PaginationLimitExceeded,
    RateLimited,
    Timeout,
)
from syncapp.providers.hosts import hosts_for
from syncapp.providers.xero.client import XeroClient

API = hosts_for().xero_api
TENANT = "fe79f7dd-b6d4-4a92-ba7b-538af6289c58"
TOKEN = "xero-access-token-do-not-log-7c1e"
FIXTURES = Path(__file__).parent / "fixtures" / "xero"
KEY = "hx:1:invoice:batch:0123456789abcdef"


def invoice_body(n):
    return {
        "Type": "ACCREC",
        "Contact": {"ContactID": "a3675fc4-f8dd-4f03-ba5b-f1870566bcd7"},
        "InvoiceNumber": f"HV-{n}",
        "Date": "2026-11-24",
        "DueDate": "2026-12-24",
        "LineAmountTypes": "Exclusive",
        "Status": "DRAFT",
        "LineItems": [
            {
                "Description": "Design",
                "Quantity": Decimal("3"),
                "UnitAmount": Decimal("100.00"),
                "AccountCode": "200",
                "TaxType": "OUTPUT2",
            }
        ],
    }


@pytest.fixture
def client(sim_clock):
    c = XeroClient(
        base_url=API,
        tenant_id=TENANT,
        token_source=lambda: TOKEN,
        clock=sim_clock,
        rng=random.Random(1),
        retry=RetryPolicy(max_attempts=3, backoff_base=0.5, backoff_cap=4, max_sleep=120),
        contact_email="finance@agency.test",
    )
    yield c
    c.close()


def test_every_request_names_the_tenant_token_and_hxsync(client, respx_mock):
    route = respx_mock.get(f"{API}/Organisation").mock(
        return_value=httpx.Response(
            200, json={"Organisations": [{"Name": "Demo Company (UK)", "BaseCurrency": "GBP"}]}
        )
    )
    org = client.get_organisation()
    assert org.name == "Demo Company (UK)" and org.base_currency == "GBP"
    sent = route.calls.last.request
    assert sent.headers["xero-tenant-id"] == TENANT
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["User-Agent"] == "hxsync (finance@agency.test)"


def test_invoice_filters_modified_since_and_paging(client, respx_mock):
    since = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    pages = {
        "1": {
            "pagination": {"page": 1, "pageSize": 2, "pageCount": 2, "itemCount": 3},
            "Invoices": [{"InvoiceID": "a", "Total": 1.10}, {"InvoiceID": "b", "Total": 2}],
        },
        "2": {
            "pagination": {"page": 2, "pageSize": 2, "pageCount": 2, "itemCount": 3},
            "Invoices": [{"InvoiceID": "c", "Total": "3.30"}],
        },
    }

    def answer(request):
        return httpx.Response(200, json=pages[request.url.params["page"]])

    route = respx_mock.get(f"{API}/Invoices").mock(side_effect=answer)
    invoices = list(
        client.list_invoices(
            modified_since=since,
            statuses=["AUTHORISED", "PAID"],
            invoice_numbers=["HV-1", "HV-2"],
            contact_ids=["c1", "c2"],
            ids=["i1"],
            where='Type=="ACCREC"',
            page_size=2,
        )
    )
    assert [i.invoice_id for i in invoices] == ["a", "b", "c"]
    assert [i.total for i in invoices] == [Decimal("1.10"), Decimal("2"), Decimal("3.30")]
    assert route.call_count == 2
    first = route.calls[0].request
    assert first.headers["If-Modified-Since"] == "2026-11-01T08:30:00Z"
    params = first.url.params
    assert params["Statuses"] == "AUTHORISED,PAID"
    assert params["InvoiceNumbers"] == "HV-1,HV-2"
    assert params["ContactIDs"] == "c1,c2"
    assert params["IDs"] == "i1"
    assert params["where"] == 'Type=="ACCREC"'
    assert params["pageSize"] == "2" and params["page"] == "1"
    assert route.calls[1].request.url.params["page"] == "2"


def test_paging_stops_at_a_short_page_and_caps_rather_than_truncates(client, respx_mock):
    full = {"Contacts": [{"ContactID": str(n), "Name": f"C{n}"} for n in range(3)]}
    respx_mock.get(f"{API}/Contacts").mock(return_value=httpx.Response(200, json=full))
    with pytest.raises(PaginationLimitExceeded):
        list(
            client._iter_numbered_pages("/Contacts", items_key="Contacts", page_size=3, max_pages=4)
        )


def test_batch_create_sends_key_and_summarize_false_and_types_each_record(client, respx_mock):
    body = (FIXTURES / "invoices_put_summarize_false_mixed.json").read_text()
    route = respx_mock.put(f"{API}/Invoices").mock(
        return_value=httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
    )
    result = client.create_invoices(
        invoices=[invoice_body(n) for n in range(3)], idempotency_key=KEY
    )
    sent = route.calls.last.request
    assert sent.url.params["summarizeErrors"] == "false"
    assert sent.headers["Idempotency-Key"] == KEY
    payload = json.loads(sent.content)
    # Money goes out as exact decimal literals, never through float.
    assert b'"UnitAmount":100.00' in sent.content
    assert len(payload["Invoices"]) == 3
    assert [r.ok for r in result] == [True, False, True]
    assert result.failed[0].errors[0].startswith("Account code '999'")


def test_validation_exception_is_per_record_not_a_crash(client, respx_mock):
    body = (FIXTURES / "invoices_put_validation_exception.json").read_text()
    respx_mock.put(f"{API}/Invoices").mock(
        return_value=httpx.Response(400, content=body, headers={"Content-Type": "application/json"})
    )
    result = client.create_invoices(invoices=[invoice_body(1)], idempotency_key=KEY)
    assert result.results[0].errors == ("Invoice number must be unique.",)


def test_writes_refuse_missing_or_long_keys_and_big_batches(client):
    with pytest.raises(ValueError):
        client.create_invoices(invoices=[invoice_body(1)], idempotency_key="")
    with pytest.raises(ValueError):
        client.create_invoices(invoices=[invoice_body(1)], idempotency_key="k" * 129)
    with pytest.raises(ValueError):
        client.create_invoices(invoices=[invoice_body(n) for n in range(51)], idempotency_key=KEY)


def test_429_minute_limit_waits_retry_after_then_succeeds(client, respx_mock, sim_clock):
    route = respx_mock.get(f"{API}/Currencies").mock(
        side_effect=[
            httpx.Response(
                429,
                headers={
                    "Retry-After": "7",
                    "X-Rate-Limit-Problem": "minute",
                    "X-MinLimit-Remaining": "0",
                },
            ),
            httpx.Response(200, json={"Currencies": [{"Code": "GBP", "Description": "Pound"}]}),
        ]
    )
    before = sim_clock.time()
    assert [c.code for c in client.list_currencies()] == ["GBP"]
    assert route.call_count == 2
    assert sim_clock.time() - before >= 7


def test_daily_limit_is_raised_not_slept(client, respx_mock, sim_clock):
    respx_mock.get(f"{API}/Currencies").mock(
        return_value=httpx.Response(
            429, headers={"Retry-After": "40000", "X-Rate-Limit-Problem": "day"}
        )
    )
    with pytest.raises(RateLimited) as caught:
        client.list_currencies()
    assert caught.value.problem == "day" and caught.value.retry_after == 40000
    assert sim_clock.slept < 60


def test_timeout_on_a_keyed_write_is_resent_with_the_same_key(client, respx_mock):
    body = (FIXTURES / "invoices_put_summarize_false_mixed.json").read_text()
    route = respx_mock.put(f"{API}/Invoices").mock(
        side_effect=[
            httpx.ReadTimeout("lost"),
            httpx.Response(200, content=body, headers={"Content-Type": "application/json"}),
        ]
    )
    result = client.create_invoices(
        invoices=[invoice_body(n) for n in range(3)], idempotency_key=KEY
    )
    assert len(result) == 3
    keys = {call.request.headers["Idempotency-Key"] for call in route.calls}
    assert keys == {KEY} and route.call_count == 2


def test_5xx_retried_then_raised_typed(client, respx_mock):
    route = respx_mock.get(f"{API}/TaxRates").mock(return_value=httpx.Response(503))
    with pytest.raises(HostUnavailable):
        client.list_tax_rates()
    assert route.call_count == 3


def test_timeouts_exhausted_raise_timeout(client, respx_mock):
    respx_mock.get(f"{API}/Accounts").mock(side_effect=httpx.ConnectTimeout("no"))
    with pytest.raises(Timeout):
        client.list_accounts()


def test_401_refreshes_once_and_retries_with_the_new_token(sim_clock, respx_mock):
    tokens = iter(["old-token", "new-token"])
    current = {"token": next(tokens)}
    refreshed = []

    def refresh(stale):
        refreshed.append(stale)
        current["token"] = next(tokens)
        return current["token"]

    client = XeroClient(
        base_url=API,
        tenant_id=TENANT,
        token_source=lambda: current["token"],
        token_refresh=refresh,
        clock=sim_clock,
    )
    route = respx_mock.get(f"{API}/Organisation").mock(
        side_effect=[
            httpx.Response(401, json={"Title": "Unauthorized", "Detail": "TokenExpired"}),
            httpx.Response(200, json={"Organisations": [{"Name": "Demo"}]}),
        ]
    )
    assert client.get_organisation().name == "Demo"
    assert refreshed == ["old-token"]
    assert route.calls[1].request.headers["Authorization"] == "Bearer new-token"


def test_second_401_is_final(sim_clock, respx_mock):
    client = XeroClient(
        base_url=API,
        tenant_id=TENANT,
        token_source=lambda: "t",
        token_refresh=lambda s: "t2",
        clock=sim_clock,
    )
    route = respx_mock.get(f"{API}/Organisation").mock(return_value=httpx.Response(401))
    with pytest.raises(AuthExpired):
        client.get_organisation()
    assert route.call_count == 2


def test_token_never_logged(client, respx_mock, caplog):
    caplog.set_level(logging.DEBUG)
    respx_mock.get(f"{API}/Organisation").mock(
        return_value=httpx.Response(200, json={"Organisations": [{"Name": "Demo"}]})
    )
    respx_mock.put(f"{API}/Invoices").mock(return_value=httpx.Response(500))
    client.get_organisation()
    with pytest.raises(HostUnavailable):
        client.create_invoices(invoices=[invoice_body(1)], idempotency_key=KEY)
    assert caplog.records
    assert TOKEN not in caplog.text
    assert "/api.xro/2.0/Organisation" in caplog.text


def test_payment_delete_and_history_and_attachment(client, respx_mock):
    pid, iid = "99ea7f6b-c513-4066-bc27-b7c65dcd76c2", "0f6c1f5e-3c7b-4c55-9a62-6b0e4e7f8a01"
    delete = respx_mock.post(f"{API}/Payments/{pid}").mock(
        return_value=httpx.Response(
            200, json={"Payments": [{"PaymentID": pid, "Status": "DELETED"}]}
        )
    )
    history = respx_mock.put(f"{API}/Invoices/{iid}/History").mock(
        return_value=httpx.Response(
            200, json={"HistoryRecords": [{"Details": "Synced from Harvest"}]}
        )
    )
    attach = respx_mock.put(f"{API}/Invoices/{iid}/Attachments/receipt%201.pdf").mock(
        return_value=httpx.Response(
            200,
            json={
                "Attachments": [
                    {
                        "AttachmentID": "x",
                        "FileName": "receipt 1.pdf",
                        "MimeType": "application/pdf",
                        "ContentLength": 4,
                    }
                ]
            },
        )
    )
    assert client.delete_payment(payment_id=pid, idempotency_key="k1").status == "DELETED"
    assert json.loads(delete.calls.last.request.content) == {"Status": "DELETED"}
    notes = client.add_history(
        entity="Invoices", entity_id=iid, details="Synced from Harvest", idempotency_key="k2"
    )
    assert notes[0].details == "Synced from Harvest"
    assert json.loads(history.calls.last.request.content) == {
        "HistoryRecords": [{"Details": "Synced from Harvest"}]
    }
    att = client.upload_attachment(
        entity="Invoices",
        entity_id=iid,
        file_name="receipt 1.pdf",
        content=b"%PDF",
        idempotency_key="k3",
    )
    assert att.content_length == 4
    sent = attach.calls.last.request
    assert sent.content == b"%PDF" and sent.headers["Idempotency-Key"] == "k3"
    with pytest.raises(ValueError):
        client.upload_attachment(
            entity="Payments", entity_id=iid, file_name="a.pdf", content=b"x", idempotency_key="k4"
        )


class RecordingGovernor:
    def __init__(self):
        self.released = []
        self.acquired = 0

    def acquire(self):
        self.acquired += 1
        return self.acquired

    def release(self, lease, *, status, headers):
        self.released.append((status, dict(headers or {})))


def test_governor_gets_a_slot_per_request_and_learns_from_xero_headers(sim_clock, respx_mock):
    governor = RecordingGovernor()
    client = XeroClient(
        base_url=API,
        tenant_id=TENANT,
        token_source=lambda: TOKEN,
        governor=governor,
        clock=sim_clock,
    )
    respx_mock.get(f"{API}/Currencies").mock(
        return_value=httpx.Response(
            200,
            json={"Currencies": []},
            headers={
                "X-MinLimit-Remaining": "58",
                "X-DayLimit-Remaining": "4990",
                "X-AppMinLimit-Remaining": "9990",
            },
        )
    )
    client.list_currencies()
    assert governor.acquired == 1
    status, headers = governor.released[0]
    assert status == 200
    assert headers["x-minlimit-remaining"] == "58" and headers["x-daylimit-remaining"] == "4990"
    assert headers["x-appminlimit-remaining"] == "9990"


@pytest.mark.django_db
def test_connection_clients_share_one_governor_per_organisation():
    from syncapp.providers.xero.factory import xero_client_for_connection
    from tests.factories import ConnectionFactory

    connection = ConnectionFactory(account_id=TENANT)
    with xero_client_for_connection(connection=connection) as one:
        assert one.governor.key == f"xero:{TENANT}"
        assert one.governor.limits.concurrent == 5
    assert one.tenant_id == TENANT


def test_long_id_lists_are_read_in_chunks(client, respx_mock):
    numbers = [f"HV-{n}" for n in range(250)]

    def answer(request):
        asked = request.url.params["InvoiceNumbers"].split(",")
        return httpx.Response(200, json={"Invoices": [{"InvoiceNumber": n} for n in asked]})

    route = respx_mock.get(f"{API}/Invoices").mock(side_effect=answer)
    found = [
        i.invoice_number
        for i in client.list_invoices(invoice_numbers=numbers, statuses=["AUTHORISED"])
    ]
    assert found == numbers
    assert route.call_count == 3
    assert all(c.request.url.params["Statuses"] == "AUTHORISED" for c in route.calls)
    with pytest.raises(ValueError):
        list(
            client.list_invoices(
                ids=[str(n) for n in range(101)], contact_ids=[str(n) for n in range(101)]
            )
        )
