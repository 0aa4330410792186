"""Connect Harvest: personal access token form, or OAuth (id.getharvest.com) with account choice."""

import logging
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.urls import reverse

from syncapp.models import Connection
from syncapp.providers.hosts import hosts_for
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

HOSTS = hosts_for()
PAT = "HARVEST-PAT-1c8e7a55-never-show"
ACCESS = "HARVEST-OAUTH-ACCESS-5d2b-never-show"
REFRESH = "HARVEST-OAUTH-REFRESH-77e0-never-show"
SECRET = "HARVEST-APP-SECRET-0b3c-never-show"
CONNECT = "admin:syncapp_connection_connect_harvest"


def company(respx_mock, status=200):
    body = {
        "name": "Studio North",
        "full_domain": "studionorth.harvestapp.com",
        "base_uri": "https://studionorth.harvestapp.com",
        "is_active": True,
    }
    if status != 200:
        body = {"error": "invalid_token", "error_description": "The access token is invalid"}
    return respx_mock.get(f"{HOSTS.harvest_api}/company").mock(
        return_value=httpx.Response(status, json=body)
    )


def test_token_form_checks_the_token_then_stores_it_encrypted(
    client, admin_user, respx_mock, caplog
):
    caplog.set_level(logging.DEBUG)
    route = company(respx_mock)
    integration = IntegrationFactory()
    client.force_login(admin_user)
    page = client.get(reverse(CONNECT), {"integration": integration.pk})
    assert page.status_code == 200 and "Personal access token" in page.content.decode()
    response = client.post(
        reverse(CONNECT),
        {
            "connect_token": "1",
            "token-integration": integration.pk,
            "token-account_id": "123456",
            "token-token": PAT,
            "token-base_url": "",
        },
    )
    connection = Connection.objects.get(integration=integration, provider="harvest")
    assert response.status_code == 302
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == f"Bearer {PAT}"
    assert sent.headers["Harvest-Account-Id"] == "123456"
    assert sent.headers["User-Agent"].startswith("hxsync (")
    assert connection.auth_method == Connection.AuthMethod.TOKEN
    assert connection.account_name == "Studio North" and connection.access_token == PAT
    assert connection.token_expires_at is None
    shown = client.get(response["Location"]).content.decode()
    assert "Does not expire" in shown
    assert PAT not in shown and PAT not in caplog.text


def test_a_refused_token_is_not_stored_and_the_form_says_why(client, admin_user, respx_mock):
    company(respx_mock, status=401)
    integration = IntegrationFactory()
    client.force_login(admin_user)
    response = client.post(
        reverse(CONNECT),
        {
            "connect_token": "1",
            "token-integration": integration.pk,
            "token-account_id": "123456",
            "token-token": PAT,
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Harvest refused this token or account ID" in body
    assert PAT not in body  # the password field is not echoed back
    assert not Connection.objects.exists()


def test_account_id_must_be_numeric(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse(CONNECT),
        {
            "connect_token": "1",
            "token-integration": IntegrationFactory().pk,
            "token-account_id": "studio",
            "token-token": PAT,
        },
    )
    assert "account id is a number" in response.content.decode()


def test_oauth_offered_only_with_a_client_id(client, admin_user, settings):
    client.force_login(admin_user)
    settings.HARVEST_CLIENT_ID = ""
    assert "Continue to Harvest" not in client.get(reverse(CONNECT)).content.decode()
    settings.HARVEST_CLIENT_ID = "harvest-app"
    assert "Continue to Harvest" in client.get(reverse(CONNECT)).content.decode()


@pytest.fixture
def harvest_app(settings):
    settings.HARVEST_CLIENT_ID = "harvest-app"
    settings.HARVEST_CLIENT_SECRET = SECRET


def oauth_start(client, integration):
    response = client.post(
        reverse(CONNECT), {"connect_oauth": "1", "oauth-integration": integration.pk}
    )
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == HOSTS.harvest_authorize
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def routes(respx_mock, accounts):
    token = respx_mock.post(HOSTS.harvest_token).mock(
        return_value=httpx.Response(
            200,
            json={
                "access_token": ACCESS,
                "refresh_token": REFRESH,
                "token_type": "bearer",
                "expires_in": 1209600,
            },
        )
    )
    listing = respx_mock.get(HOSTS.harvest_accounts).mock(
        return_value=httpx.Response(
            200,
            json={
                "user": {
                    "id": 1,
                    "first_name": "Ada",
                    "last_name": "L",
                    "email": "ada@studio.test",
                },
                "accounts": accounts,
            },
        )
    )
    return token, listing


def test_oauth_with_one_harvest_account_connects(client, admin_user, harvest_app, respx_mock):
    token, listing = routes(
        respx_mock,
        [
            {"id": 123456, "name": "Studio North", "product": "harvest"},
            {"id": 999, "name": "Studio Forecast", "product": "forecast"},
        ],
    )
    integration = IntegrationFactory()
    client.force_login(admin_user)
    query = oauth_start(client, integration)
    assert query["client_id"] == "harvest-app" and query["response_type"] == "code"
    callback = client.get(
        reverse("syncapp:oauth-harvest-callback"), {"code": "hv-code", "state": query["state"]}
    )
    connection = Connection.objects.get(integration=integration, provider="harvest")
    assert callback.status_code == 302
    form = {k: v[0] for k, v in parse_qs(token.calls.last.request.content.decode()).items()}
    assert form["code"] == "hv-code" and form["grant_type"] == "authorization_code"
    assert listing.calls.last.request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert connection.auth_method == Connection.AuthMethod.OAUTH
    assert connection.account_id == "123456" and connection.account_name == "Studio North"
    assert connection.refresh_token == REFRESH and connection.token_expires_at is not None
    page = client.get(callback["Location"]).content.decode()
    for secret in (ACCESS, REFRESH, SECRET):
        assert secret not in page


def test_oauth_with_two_harvest_accounts_asks_which(client, admin_user, harvest_app, respx_mock):
    routes(
        respx_mock,
        [
            {"id": 1, "name": "Studio North", "product": "harvest"},
            {"id": 2, "name": "Studio South", "product": "harvest"},
        ],
    )
    integration = IntegrationFactory()
    client.force_login(admin_user)
    query = oauth_start(client, integration)
    callback = client.get(
        reverse("syncapp:oauth-harvest-callback"), {"code": "c", "state": query["state"]}
    )
    assert callback["Location"] == reverse("syncapp:oauth-choose", args=["harvest"])
    assert "Studio South" in client.get(callback["Location"]).content.decode()
    client.post(callback["Location"], {"choice": "2"})
    connection = Connection.objects.get(integration=integration, provider="harvest")
    assert connection.account_id == "2" and connection.access_token == ACCESS


def test_oauth_with_no_harvest_account_explains(client, admin_user, harvest_app, respx_mock):
    routes(respx_mock, [{"id": 9, "name": "Forecast only", "product": "forecast"}])
    client.force_login(admin_user)
    query = oauth_start(client, IntegrationFactory())
    response = client.get(
        reverse("syncapp:oauth-harvest-callback"),
        {"code": "c", "state": query["state"]},
        follow=True,
    )
    assert "no Harvest account" in response.content.decode()
    assert not Connection.objects.exists()
