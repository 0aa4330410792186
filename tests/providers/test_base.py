import json
import logging
import random
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from syncapp.providers import errors
from syncapp.providers.base import (
    DEFAULT_TIMEOUT,
    ProviderClient,
    RetryPolicy,
    SimulatedClock,
    json_dumps,
    json_loads,
    parse_iso_datetime,
    parse_xero_date,
    parse_xero_datetime,
    to_decimal,
    to_money,
)

BASE = "https://api.example.test/v2"
TOKEN = "s3cr3t-token-value"


class TokenClient(ProviderClient):
    provider = "test"

    def _auth_headers(self):
        return {"Authorization": f"Bearer {TOKEN}"}


class RecordingGovernor:
    def __init__(self):
        self.events = []

    def acquire(self):
        self.events.append(("acquire",))
        return len(self.events)

    def release(self, lease, *, status, headers):
        self.events.append(("release", lease, status, dict(headers or {})))


@pytest.fixture
def client(sim_clock):
    c = TokenClient(
        base_url=BASE, clock=sim_clock, rng=random.Random(7), contact_email="ops@firm.test"
    )
    yield c
    c.close()


def test_sends_user_agent_auth_and_explicit_timeout(client, respx_mock):
    route = respx_mock.get(f"{BASE}/things").mock(
        return_value=httpx.Response(200, json={"ok": True})
    )
    assert client._request_json("GET", "/things") == {"ok": True}
    sent = route.calls.last.request
    assert sent.headers["User-Agent"] == "hxsync (ops@firm.test)"
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.extensions["timeout"] == DEFAULT_TIMEOUT.as_dict()
    assert client.calls == 1


def test_429_then_5xx_then_success_waits_retry_after_on_the_clock(client, sim_clock, respx_mock):
    respx_mock.get(f"{BASE}/things").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(502),
            httpx.Response(200, json={"n": 1.25}),
        ]
    )
    assert client._request_json("GET", "/things") == {"n": Decimal("1.25")}
    assert client.calls == 3
    assert sim_clock.slept >= 7  # Retry-After honoured, on the injected clock
    assert sim_clock.slept < 7 + 1.0  # plus at most one jittered backoff step


def test_retries_are_bounded(sim_clock, respx_mock):
    c = TokenClient(base_url=BASE, clock=sim_clock, retry=RetryPolicy(max_attempts=3))
    route = respx_mock.get(f"{BASE}/things").mock(return_value=httpx.Response(500))
    with pytest.raises(errors.HostUnavailable):
        c._request("GET", "/things")
    assert route.call_count == 3


def test_auth_failure_is_never_retried(client, respx_mock):
    route = respx_mock.get(f"{BASE}/things").mock(
        return_value=httpx.Response(401, json={"error": "invalid_token"})
    )
    with pytest.raises(errors.AuthExpired):
        client._request("GET", "/things")
    assert route.call_count == 1


def test_validation_failure_is_not_retried(client, respx_mock):
    route = respx_mock.post(f"{BASE}/things").mock(
        return_value=httpx.Response(422, json={"message": "bad"})
    )
    with pytest.raises(errors.ValidationFailed):
        client._request("POST", "/things", json_body={"a": 1})
    assert route.call_count == 1


def test_long_retry_after_is_raised_not_slept(client, sim_clock, respx_mock):
    respx_mock.get(f"{BASE}/things").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "3600"})
    )
    with pytest.raises(errors.RateLimited) as caught:
        client._request("GET", "/things")
    assert caught.value.retry_after == 3600
    assert sim_clock.slept == 0


def test_post_without_idempotency_key_is_not_resent_after_a_read_timeout(client, respx_mock):
    route = respx_mock.post(f"{BASE}/payments").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(errors.Timeout) as caught:
        client._request("POST", "/payments", json_body={"amount": Decimal("10.00")})
    assert caught.value.maybe_applied
    assert route.call_count == 1


def test_post_is_resent_when_it_cannot_have_been_applied(client, respx_mock):
    route = respx_mock.post(f"{BASE}/payments").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(503),
            httpx.Response(201, json={"id": 5}),
        ]
    )
    assert client._request_json("POST", "/payments", json_body={"a": 1}) == {"id": 5}
    assert route.call_count == 4


def test_post_with_idempotency_key_is_resent_after_a_timeout(client, respx_mock):
    route = respx_mock.put(f"{BASE}/Invoices").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json={"Invoices": []})]
    )
    client._request("PUT", "/Invoices", json_body={}, headers={"Idempotency-Key": "k1"})
    post = respx_mock.post(f"{BASE}/Invoices").mock(
        side_effect=[httpx.Response(500), httpx.Response(200, json={"Invoices": []})]
    )
    client._request("POST", "/Invoices", json_body={}, headers={"Idempotency-Key": "k2"})
    assert route.call_count == 2 and post.call_count == 2
    assert post.calls.last.request.headers["Idempotency-Key"] == "k2"


def test_governor_is_asked_before_and_told_after_every_attempt(sim_clock, respx_mock):
    governor = RecordingGovernor()
    c = TokenClient(base_url=BASE, clock=sim_clock, governor=governor)
    respx_mock.get(f"{BASE}/things").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "30", "X-Rate-Limit-Problem": "minute"}),
            httpx.Response(200, json={}, headers={"X-MinLimit-Remaining": "58"}),
        ]
    )
    c._request("GET", "/things")
    kinds = [event[0] for event in governor.events]
    assert kinds == ["acquire", "release", "acquire", "release"]
    assert governor.events[1][2] == 429
    assert governor.events[1][3]["retry-after"] == "30"
    assert governor.events[3][3]["x-minlimit-remaining"] == "58"
    # the governor owns the waiting after a 429, the client does not sleep Retry-After again
    assert sim_clock.slept < 1


def test_governor_slot_is_released_when_no_answer_came(sim_clock, respx_mock):
    governor = RecordingGovernor()
    c = TokenClient(
        base_url=BASE, clock=sim_clock, governor=governor, retry=RetryPolicy(max_attempts=1)
    )
    respx_mock.get(f"{BASE}/things").mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(errors.HostUnavailable):
        c._request("GET", "/things")
    assert governor.events[-1][0] == "release" and governor.events[-1][2] is None


def test_log_has_method_path_status_rate_headers_and_no_secret(client, caplog, respx_mock):
    respx_mock.get(f"{BASE}/things").mock(
        return_value=httpx.Response(200, json={}, headers={"X-DayLimit-Remaining": "4990"})
    )
    with caplog.at_level(logging.DEBUG, logger="syncapp.providers"):
        client._request("GET", "/things", params={"code": "authcode123", "updated_since": "x"})
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "GET /v2/things -> 200" in text
    assert "X-DayLimit-Remaining=4990" in text
    assert TOKEN not in text and "authcode123" not in text
    record = caplog.records[-1]
    assert record.http_status == 200 and record.rate == {"X-DayLimit-Remaining": "4990"}


def test_link_pagination_follows_next_and_keeps_its_query(client, respx_mock):
    # the more specific route first: respx matches params by containment
    second = respx_mock.get(f"{BASE}/items", params={"cursor": "abc"}).mock(
        return_value=httpx.Response(200, json={"items": [3], "links": {"next": None}})
    )
    first = respx_mock.get(f"{BASE}/items", params={"per_page": "2"}).mock(
        return_value=httpx.Response(
            200, json={"items": [1, 2], "links": {"next": f"{BASE}/items?cursor=abc&per_page=2"}}
        )
    )
    assert list(client._iter_link_pages("/items", items_key="items", params={"per_page": 2})) == [
        1,
        2,
        3,
    ]
    assert first.called and second.called


def test_link_pagination_cap_raises_instead_of_truncating(client, respx_mock):
    respx_mock.get(f"{BASE}/items").mock(
        return_value=httpx.Response(
            200, json={"items": [1], "links": {"next": f"{BASE}/items?page=2"}}
        )
    )
    with pytest.raises(errors.PaginationLimitExceeded):
        list(client._iter_link_pages("/items", items_key="items", max_pages=3))


def test_next_link_to_another_host_is_refused(client, respx_mock):
    respx_mock.get(f"{BASE}/items").mock(
        return_value=httpx.Response(
            200, json={"items": [1], "links": {"next": "https://evil.test/steal"}}
        )
    )
    with pytest.raises(errors.UnexpectedResponse):
        list(client._iter_link_pages("/items", items_key="items"))


def test_numbered_pagination_stops_on_short_page(client, respx_mock):
    route = respx_mock.get(f"{BASE}/Invoices").mock(
        side_effect=[
            httpx.Response(200, json={"Invoices": [1, 2]}),
            httpx.Response(200, json={"Invoices": [3]}),
        ]
    )
    got = list(
        client._iter_numbered_pages(
            "/Invoices", items_key="Invoices", page_size=2, params={"pageSize": 2}
        )
    )
    assert got == [1, 2, 3]
    assert [call.request.url.params["page"] for call in route.calls] == ["1", "2"]


def test_numbered_pagination_trusts_page_count(client, respx_mock):
    route = respx_mock.get(f"{BASE}/Invoices").mock(
        return_value=httpx.Response(200, json={"Invoices": [1, 2], "pagination": {"pageCount": 1}})
    )
    assert list(client._iter_numbered_pages("/Invoices", items_key="Invoices", page_size=2)) == [
        1,
        2,
    ]
    assert route.call_count == 1


def test_missing_items_key_is_an_error_not_an_empty_list(client, respx_mock):
    respx_mock.get(f"{BASE}/items").mock(return_value=httpx.Response(200, json={"other": []}))
    with pytest.raises(errors.UnexpectedResponse):
        list(client._iter_link_pages("/items", items_key="items"))


def test_json_bodies_carry_exact_decimals(client, respx_mock):
    route = respx_mock.post(f"{BASE}/things").mock(return_value=httpx.Response(201))
    client._request(
        "POST", "/things", json_body={"amount": Decimal("288.90"), "on": date(2026, 1, 31)}
    )
    assert route.calls.last.request.content == b'{"amount":288.90,"on":"2026-01-31"}'
    assert route.calls.last.request.headers["Content-Type"] == "application/json"


def test_json_round_trip_and_float_refusal():
    value = {
        "a": [Decimal("0.1"), 3, None, True, "é"],
        "b": {"c": Decimal("-12345678901234567.89")},
    }
    assert json_loads(json_dumps(value)) == value
    assert json.loads(json_dumps({"x": 'q"uote'})) == {"x": 'q"uote'}
    with pytest.raises(TypeError):
        json_dumps({"amount": 0.1})


@pytest.mark.parametrize("char", ["\x00", "\x08", "\x0c", "\x1b", "\x7f", "\x85", "\ud800"])
def test_control_characters_are_cleaned_however_the_json_escapes_them(char):
    # json.dumps writes \x08 and \x0c as the short escapes \b and \f, the rest as \uXXXX.
    body = json.dumps({"Name": f"a{char}b", "Email": "\\f"})
    decoded = json_loads(body)
    assert decoded["Name"] in ("ab", "a b", "a\ufffdb")
    assert decoded["Email"] == "\\f"


def test_decimal_helpers():
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal("12.50") == Decimal("12.50")
    assert to_decimal(3) == Decimal(3)
    assert to_decimal(None) is None
    assert to_money(None) == Decimal("0")
    with pytest.raises(ValueError):
        to_decimal("abc")


def test_xero_dates_in_both_forms():
    expected = datetime(2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)
    assert parse_xero_datetime("/Date(1573755038314+0000)/") == expected
    assert parse_xero_datetime("/Date(1573755038314)/") == expected
    assert parse_xero_datetime("2019-11-14T18:10:38.314") == expected
    assert parse_xero_date("/Date(1518652800000+0000)/") == date(2018, 2, 15)
    assert parse_xero_date("2018-02-15T00:00:00") == date(2018, 2, 15)
    assert parse_xero_date(None) is None
    assert parse_iso_datetime("2017-06-27T16:27:16Z") == datetime(
        2017, 6, 27, 16, 27, 16, tzinfo=UTC
    )


def test_simulated_clock_counts_instead_of_sleeping():
    clock = SimulatedClock(start=100)
    clock.sleep(2.5)
    clock.sleep(-1)
    assert clock.time() == 102.5 and clock.elapsed == 2.5 and clock.slept == 2.5


@pytest.mark.respx(assert_all_called=False)  # the point: the route is never called
def test_governor_refusal_goes_up_before_anything_is_sent(sim_clock, respx_mock):
    class Refusing:
        def acquire(self):
            raise errors.GovernorWouldWait(90, key="xero:t", reason="60/60s")

        def release(self, lease, *, status, headers):
            raise AssertionError("nothing was acquired")

    c = TokenClient(base_url=BASE, clock=sim_clock, governor=Refusing())
    route = respx_mock.get(f"{BASE}/things").mock(return_value=httpx.Response(200))
    with pytest.raises(errors.GovernorWouldWait) as caught:
        c._request("GET", "/things")
    assert caught.value.retry_after == 90
    assert not route.called and c.calls == 0 and sim_clock.slept == 0
