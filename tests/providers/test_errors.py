from decimal import Decimal

import httpx
import pytest

from syncapp.providers import errors


def _response(
    status,
    *,
    json=None,
    text=None,
    headers=None,
    method="GET",
    url="https://api.xero.com/api.xro/2.0/Invoices?page=2",
):
    request = httpx.Request(method, url)
    if json is not None:
        return httpx.Response(status, json=json, headers=headers, request=request)
    return httpx.Response(status, text=text or "", headers=headers, request=request)


def test_xero_validation_exception_keeps_elements_and_messages():
    body = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [
            {
                "InvoiceNumber": "INV-1",
                "ValidationErrors": [
                    {"Message": "Account code '999' is not a valid code for this document."},
                    {"Message": "Invoice # must be unique."},
                ],
            }
        ],
    }
    error = errors.ApiError.from_response(_response(400, json=body, method="POST"), provider="xero")
    assert isinstance(error, errors.ValidationFailed)
    assert error.status == 400
    assert error.elements[0]["InvoiceNumber"] == "INV-1"
    assert error.messages == [
        "Account code '999' is not a valid code for this document.",
        "Invoice # must be unique.",
    ]
    assert error.api_message == "A validation exception occurred"
    assert not error.retryable
    # the path is kept, the query string (which can carry codes) is not
    assert error.path == "/api.xro/2.0/Invoices"
    assert "page=2" not in str(error)


def test_harvest_422_message():
    error = errors.ApiError.from_response(
        _response(
            422,
            json={"message": "Name has already been taken"},
            method="POST",
            url="https://api.harvestapp.com/v2/clients",
        ),
        provider="harvest",
    )
    assert isinstance(error, errors.ValidationFailed)
    assert error.messages == ["Name has already been taken"]
    assert str(error) == "harvest POST /v2/clients 422: Name has already been taken"


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (
            401,
            {"error": "invalid_token", "error_description": "The access token is invalid"},
            errors.AuthExpired,
        ),
        (
            401,
            {"Title": "Unauthorized", "Detail": "AuthenticationUnsuccessful"},
            errors.AuthExpired,
        ),
        (400, {"error": "invalid_grant"}, errors.AuthExpired),
        (403, {"Title": "Forbidden", "Detail": "AuthorizationUnsuccessful"}, errors.Forbidden),
        (404, None, errors.NotFound),
        (500, None, errors.HostUnavailable),
        (502, None, errors.HostUnavailable),
        (418, None, errors.ApiError),
    ],
)
def test_status_classification(status, body, cls):
    response = _response(status, json=body) if body is not None else _response(status, text="nope")
    error = errors.ApiError.from_response(response)
    assert type(error) is cls


def test_dead_refresh_grant_is_auth_expired_and_not_retryable():
    error = errors.ApiError.from_response(
        _response(400, json={"error": "invalid_grant"}, method="POST")
    )
    assert isinstance(error, errors.AuthExpired)
    assert error.oauth_error == "invalid_grant"
    assert not error.retryable


def test_429_reads_retry_after_and_problem():
    error = errors.ApiError.from_response(
        _response(429, text="", headers={"Retry-After": "37", "X-Rate-Limit-Problem": "minute"})
    )
    assert isinstance(error, errors.RateLimited)
    assert error.retry_after == 37
    assert error.problem == "minute"
    assert error.retryable and not error.maybe_applied


def test_retry_after_as_http_date_in_the_past_is_zero():
    assert errors.retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    assert errors.retry_after_seconds({"Retry-After": "garbage"}) == 0
    assert errors.retry_after_seconds({}) == 0


def test_5xx_maybe_applied_except_503():
    assert errors.ApiError.from_response(_response(500)).maybe_applied
    assert not errors.ApiError.from_response(_response(503)).maybe_applied


def test_transport_errors_classified():
    request = httpx.Request("POST", "https://api.harvestapp.com/v2/x")
    read = errors.error_from_transport(
        httpx.ReadTimeout("t", request=request), method="POST", path="/v2/x"
    )
    connect = errors.error_from_transport(
        httpx.ConnectTimeout("t", request=request), method="POST", path="/v2/x"
    )
    refused = errors.error_from_transport(
        httpx.ConnectError("r", request=request), method="POST", path="/v2/x"
    )
    assert isinstance(read, errors.Timeout) and read.maybe_applied and read.retryable
    assert isinstance(connect, errors.Timeout) and not connect.maybe_applied
    assert isinstance(refused, errors.HostUnavailable) and not refused.maybe_applied


def test_body_numbers_parse_as_decimal():
    error = errors.ApiError.from_response(_response(422, json={"message": "x", "amount": 1.1}))
    assert error.body["amount"] == Decimal("1.1")


def test_governor_would_wait_is_a_rate_limit_that_is_not_retried_in_place():
    error = errors.GovernorWouldWait(42.5, key="xero:t", reason="60/60s")
    assert isinstance(error, errors.RateLimited)
    assert error.retry_after == 42.5 and error.seconds == 42.5
    assert not error.retryable
    assert "xero:t" in str(error)
