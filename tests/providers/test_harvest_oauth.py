"""Harvest OAuth2 on id.getharvest.com, and clients built from stored connections."""

import logging
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from syncapp.models import Connection
from syncapp.providers import errors
from syncapp.providers.harvest.factory import harvest_client_for_connection
from syncapp.providers.harvest.oauth import HarvestIdentityClient
from syncapp.providers.hosts import hosts_for
from syncapp.sandbox import SandboxState, SimClock, build_sandbox_app
from syncapp.sandbox.harvest.app import credentials
from syncapp.sandbox.seed import seed_sandbox
from tests.factories import ACCESS_TOKEN, REFRESH_TOKEN, ConnectionFactory

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
ID = "https://id.getharvest.com"


@pytest.fixture
def identity(sim_clock):
    client = HarvestIdentityClient(
        hosts=hosts_for(),
        client_id="app-id",
        client_secret="app-secret-value",
        now=lambda: NOW,
        clock=sim_clock,
    )
    yield client
    client.close()


def test_authorize_url(identity):
    url = identity.authorize_url(
        state="st4te", redirect_uri="https://hx.test/oauth/harvest/callback"
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ID}/oauth2/authorize"
    assert parse_qs(parts.query) == {
        "client_id": ["app-id"],
        "response_type": ["code"],
        "state": ["st4te"],
        "redirect_uri": ["https://hx.test/oauth/harvest/callback"],
    }


def test_code_exchange_posts_form_and_computes_expiry(identity, respx_mock, caplog):
    route = respx_mock.post(f"{ID}/api/v2/oauth2/token").mock(
        return_value=httpx.Response(
            200,
            json={
                "access_token": "new-access",
                "refresh_token": "new-refresh",
                "token_type": "bearer",
                "expires_in": 1209599,
            },
        )
    )
    with caplog.at_level(logging.DEBUG):
        tokens = identity.exchange_code(code="the-code")
    form = parse_qs(route.calls.last.request.content.decode())
    assert form == {
        "code": ["the-code"],
        "grant_type": ["authorization_code"],
        "client_id": ["app-id"],
        "client_secret": ["app-secret-value"],
    }
    assert tokens.access_token == "new-access" and tokens.refresh_token == "new-refresh"
    assert tokens.expires_at == NOW + timedelta(seconds=1209599)
    assert "new-access" not in repr(tokens)
    for secret in ("new-access", "new-refresh", "app-secret-value", "the-code"):
        assert secret not in caplog.text


def test_rejected_refresh_is_auth_expired_and_not_retried(identity, respx_mock):
    route = respx_mock.post(f"{ID}/api/v2/oauth2/token").mock(
        return_value=httpx.Response(
            400, json={"error": "invalid_grant", "error_description": "revoked"}
        )
    )
    with pytest.raises(errors.AuthExpired) as caught:
        identity.refresh_access_token(refresh_token="old")
    assert caught.value.oauth_error == "invalid_grant"
    assert route.call_count == 1


def test_code_exchange_is_not_resent_after_a_timeout(identity, respx_mock):
    route = respx_mock.post(f"{ID}/api/v2/oauth2/token").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(errors.Timeout):
        identity.exchange_code(code="once")
    assert route.call_count == 1


def test_accounts_keep_only_harvest_products(identity, respx_mock):
    route = respx_mock.get(f"{ID}/api/v2/accounts").mock(
        return_value=httpx.Response(
            200,
            json={
                "user": {"id": 1, "first_name": "Ada", "last_name": "L", "email": "ada@x.test"},
                "accounts": [
                    {"id": 111, "name": "Agency", "product": "harvest"},
                    {"id": 222, "name": "Agency Forecast", "product": "forecast"},
                ],
            },
        )
    )
    found = identity.list_accounts(access_token="tok")
    assert [(a.id, a.name) for a in found.accounts] == [("111", "Agency")]
    assert found.user_email == "ada@x.test"
    assert route.calls.last.request.headers["Authorization"] == "Bearer tok"


@pytest.fixture
def sandbox():
    state = SandboxState.empty()
    seed_sandbox(state, seed=0, today=date(2026, 1, 15))
    clock = SimClock(frozen_at=NOW)
    return build_sandbox_app(state, clock=clock), clock


def test_full_oauth_flow_against_the_sandbox(sandbox):
    app, clock = sandbox
    creds = credentials(app.state.harvest)
    transport = httpx.WSGITransport(app=app)
    hosts = hosts_for(base_url="http://sandbox")
    with HarvestIdentityClient(
        hosts=hosts,
        client_id=creds["oauth_client_id"],
        client_secret=creds["oauth_client_secret"],
        transport=transport,
        clock=clock,
    ) as identity:
        consent = urlsplit(identity.authorize_url(state="s1"))
        with httpx.Client(transport=transport, base_url="http://sandbox") as browser:
            answer = browser.post(
                consent.path, params=parse_qs(consent.query), data={"decision": "allow"}
            )
        assert answer.status_code == 302
        back = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert back["state"] == ["s1"]
        tokens = identity.exchange_code(code=back["code"][0])
        found = identity.list_accounts(access_token=tokens.access_token)
        assert [a.id for a in found.accounts] == [str(creds["account_id"])]
        refreshed = identity.refresh_access_token(refresh_token=tokens.refresh_token)
        assert refreshed.access_token != tokens.access_token


@pytest.mark.django_db
def test_client_for_a_token_connection(sandbox):
    app, clock = sandbox
    creds = credentials(app.state.harvest)
    connection = ConnectionFactory(
        provider=Connection.Provider.HARVEST,
        auth_method=Connection.AuthMethod.TOKEN,
        account_id=str(creds["account_id"]),
        access_token=creds["personal_access_token"],
        refresh_token="",
        base_url="http://sandbox",
    )
    with harvest_client_for_connection(
        connection=connection, transport=httpx.WSGITransport(app=app), clock=clock
    ) as harvest:
        assert harvest.get_company().name
        assert harvest.governor.key == f"harvest:{creds['account_id']}"


@pytest.mark.django_db(transaction=True)
def test_oauth_connection_refreshes_ahead_of_expiry_and_commits_the_new_tokens(sandbox):
    app, clock = sandbox
    creds = credentials(app.state.harvest)
    transport = httpx.WSGITransport(app=app)
    hosts = hosts_for(base_url="http://sandbox")
    with HarvestIdentityClient(
        hosts=hosts,
        client_id=creds["oauth_client_id"],
        client_secret=creds["oauth_client_secret"],
        transport=transport,
        clock=clock,
    ) as identity:
        consent = urlsplit(identity.authorize_url(state="s"))
        with httpx.Client(transport=transport, base_url="http://sandbox") as browser:
            answer = browser.post(
                consent.path, params=parse_qs(consent.query), data={"decision": "allow"}
            )
        tokens = identity.exchange_code(
            code=parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
        )
    connection = ConnectionFactory(
        provider=Connection.Provider.HARVEST,
        auth_method=Connection.AuthMethod.OAUTH,
        account_id=str(creds["account_id"]),
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        token_expires_at=NOW + timedelta(hours=2),  # inside the one-day margin
        client_id=creds["oauth_client_id"],
        client_secret=creds["oauth_client_secret"],
        base_url="http://sandbox",
    )
    with harvest_client_for_connection(
        connection=connection, transport=transport, clock=clock, now=lambda: NOW
    ) as harvest:
        assert harvest.get_company().name
    connection.refresh_from_db()
    assert connection.access_token != tokens.access_token
    assert connection.refresh_token and connection.refresh_token != tokens.refresh_token
    assert connection.token_expires_at == NOW + timedelta(seconds=1209599)


@pytest.mark.django_db
def test_factory_refuses_a_xero_connection():
    connection = ConnectionFactory(provider=Connection.Provider.XERO)
    with pytest.raises(ValueError):
        harvest_client_for_connection(connection=connection)
    assert connection.access_token == ACCESS_TOKEN and connection.refresh_token == REFRESH_TOKEN
