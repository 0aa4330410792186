"""Connect to Xero: authorize URL with state + PKCE, code exchange, organisation picker."""

import base64
import hashlib
import json
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from syncapp.models import Connection
from syncapp.providers.hosts import hosts_for
from syncapp.providers.xero.oauth import pkce_challenge, pkce_pair_create, xero_authorize_url
from tests.factories import IntegrationFactory, UserFactory

pytestmark = pytest.mark.django_db

HOSTS = hosts_for()
ACCESS = "XERO-ACCESS-e3b0c442-never-show"
REFRESH = "XERO-REFRESH-98fc1c14-never-show"
SECRET = "XERO-APP-SECRET-9afbf4c8-never-show"
TWO_ORGS = json.loads(
    (Path(__file__).parent / "fixtures" / "xero" / "connections_two_orgs.json").read_text()
)


@pytest.fixture
def xero_app(settings):
    settings.XERO_CLIENT_ID = "CLIENT-ID-PUBLIC-1"
    settings.XERO_CLIENT_SECRET = SECRET
    return settings


@pytest.fixture
def token_route(respx_mock):
    return respx_mock.post(HOSTS.xero_token).mock(
        return_value=httpx.Response(
            200,
            json={
                "access_token": ACCESS,
                "refresh_token": REFRESH,
                "expires_in": 1800,
                "token_type": "Bearer",
                "scope": "offline_access accounting.invoices accounting.contacts",
            },
        )
    )


def start(client, integration):
    response = client.post(
        reverse("admin:syncapp_connection_connect_xero"), {"integration": integration.pk}
    )
    assert response.status_code == 302, response.content[:500]
    location = urlsplit(response["Location"])
    return location, {k: v[0] for k, v in parse_qs(location.query).items()}


def test_pkce_pair_is_s256_of_a_long_random_verifier():
    verifier, challenge = pkce_pair_create()
    assert 43 <= len(verifier) <= 128
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert challenge == expected.decode() == pkce_challenge(verifier)
    assert pkce_pair_create()[0] != verifier


def test_authorize_url_carries_state_pkce_and_offline_access():
    url = xero_authorize_url(
        hosts=HOSTS,
        client_id="cid",
        redirect_uri="https://hx.test/oauth/xero/callback/",
        state="st",
        code_challenge="ch",
    )
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == HOSTS.xero_authorize
    assert query["response_type"] == "code" and query["code_challenge_method"] == "S256"
    assert "offline_access" in query["scope"].split()
    with pytest.raises(ValueError):
        xero_authorize_url(
            hosts=HOSTS,
            client_id="c",
            redirect_uri="r",
            state="s",
            code_challenge="c",
            scopes=("accounting.invoices",),
        )


def test_one_organisation_connects_straight_away(
    client, admin_user, xero_app, token_route, respx_mock, caplog
):
    caplog.set_level(logging.DEBUG)
    integration = IntegrationFactory()
    one = respx_mock.get(HOSTS.xero_connections).mock(
        return_value=httpx.Response(200, json=TWO_ORGS[:1])
    )
    client.force_login(admin_user)
    location, query = start(client, integration)
    assert query["client_id"] == "CLIENT-ID-PUBLIC-1"
    assert query["redirect_uri"] == "http://testserver/oauth/xero/callback/"
    callback = client.get(
        reverse("syncapp:oauth-xero-callback"), {"code": "auth-code-1", "state": query["state"]}
    )
    connection = Connection.objects.get(integration=integration, provider="xero")
    assert callback.status_code == 302
    assert callback["Location"] == reverse("admin:syncapp_connection_change", args=[connection.pk])
    # The code exchange proved possession of the verifier behind the challenge we sent.
    form = {k: v[0] for k, v in parse_qs(token_route.calls.last.request.content.decode()).items()}
    assert form["grant_type"] == "authorization_code" and form["code"] == "auth-code-1"
    assert pkce_challenge(form["code_verifier"]) == query["code_challenge"]
    assert form["redirect_uri"] == query["redirect_uri"]
    assert one.calls.last.request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert connection.status == Connection.Status.ACTIVE
    assert connection.account_id == TWO_ORGS[0]["tenantId"]
    assert connection.xero_connection_id == TWO_ORGS[0]["id"]
    assert connection.account_name == "Demo Company (UK)"
    assert connection.access_token == ACCESS and connection.refresh_token == REFRESH
    assert "offline_access" in connection.scopes
    page = client.get(callback["Location"]).content.decode()
    assert "Demo Company (UK)" in page
    for secret in (ACCESS, REFRESH, SECRET, "auth-code-1"):
        assert secret not in page
        assert secret not in caplog.text


def test_several_organisations_go_through_the_picker(
    client, admin_user, xero_app, token_route, respx_mock
):
    integration = IntegrationFactory()
    respx_mock.get(HOSTS.xero_connections).mock(return_value=httpx.Response(200, json=TWO_ORGS))
    client.force_login(admin_user)
    _, query = start(client, integration)
    callback = client.get(
        reverse("syncapp:oauth-xero-callback"), {"code": "c", "state": query["state"]}
    )
    assert callback["Location"] == reverse("syncapp:oauth-choose", args=["xero"])
    assert not Connection.objects.filter(integration=integration).exists()
    # While finance chooses, the session holds the tokens only encrypted.
    for session in Session.objects.all():
        raw = json.dumps(session.get_decoded())
        assert ACCESS not in raw and REFRESH not in raw
    picker = client.get(callback["Location"])
    body = picker.content.decode()
    assert "Demo Company (UK)" in body and "Studio North Ltd" in body
    assert ACCESS not in body
    chosen = client.post(callback["Location"], {"choice": TWO_ORGS[1]["tenantId"]})
    connection = Connection.objects.get(integration=integration, provider="xero")
    assert chosen["Location"] == reverse("admin:syncapp_connection_change", args=[connection.pk])
    assert connection.account_name == "Studio North Ltd"
    assert connection.xero_connection_id == TWO_ORGS[1]["id"]
    assert connection.refresh_token == REFRESH
    # The pending grant is used once.
    again = client.post(reverse("syncapp:oauth-choose", args=["xero"]), {"choice": "x"})
    assert again.status_code == 302 and again["Location"].endswith("/admin/syncapp/connection/")


def test_a_state_we_did_not_issue_is_refused_before_any_exchange(
    client, admin_user, xero_app, respx_mock
):
    integration = IntegrationFactory()
    token = respx_mock.post(HOSTS.xero_token)
    client.force_login(admin_user)
    start(client, integration)
    response = client.get(
        reverse("syncapp:oauth-xero-callback"), {"code": "c", "state": "forged"}, follow=True
    )
    assert "not one hxsync started" in response.content.decode()
    assert not token.called
    assert not Connection.objects.exists()


def test_state_is_single_use(client, admin_user, xero_app, token_route, respx_mock):
    respx_mock.get(HOSTS.xero_connections).mock(return_value=httpx.Response(200, json=TWO_ORGS[:1]))
    client.force_login(admin_user)
    _, query = start(client, IntegrationFactory())
    url = reverse("syncapp:oauth-xero-callback")
    client.get(url, {"code": "c", "state": query["state"]})
    replay = client.get(url, {"code": "c", "state": query["state"]}, follow=True)
    assert "not one hxsync started" in replay.content.decode()
    assert token_route.call_count == 1


def test_user_who_cancels_is_told_what_to_do(client, admin_user, xero_app):
    client.force_login(admin_user)
    _, query = start(client, IntegrationFactory())
    response = client.get(
        reverse("syncapp:oauth-xero-callback"),
        {"error": "access_denied", "state": query["state"]},
        follow=True,
    )
    assert "Connect to Xero again" in response.content.decode()


def test_rejected_code_is_reported_not_crashed(client, admin_user, xero_app, respx_mock):
    respx_mock.post(HOSTS.xero_token).mock(
        return_value=httpx.Response(400, json={"error": "invalid_grant"})
    )
    client.force_login(admin_user)
    _, query = start(client, IntegrationFactory())
    response = client.get(
        reverse("syncapp:oauth-xero-callback"),
        {"code": "old", "state": query["state"]},
        follow=True,
    )
    assert "Xero refused to complete the sign-in" in response.content.decode()
    assert not Connection.objects.exists()


def test_no_app_configured_says_which_settings_to_set(client, admin_user, settings):
    settings.XERO_CLIENT_ID = ""
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:syncapp_connection_connect_xero"), {"integration": IntegrationFactory().pk}
    )
    assert response.status_code == 200
    assert "XERO_CLIENT_ID" in response.content.decode()


def test_finance_cannot_connect(client):
    client.force_login(UserFactory(username="fiona", finance=True))
    assert client.get(reverse("admin:syncapp_connection_connect_xero")).status_code == 403
    assert client.get(reverse("syncapp:oauth-xero-callback"), {"state": "s"}).status_code == 403
    assert client.get(reverse("syncapp:oauth-choose", args=["xero"])).status_code == 403


def test_callback_needs_a_login(client):
    response = client.get(reverse("syncapp:oauth-xero-callback"), {"code": "c", "state": "s"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_reconnecting_to_another_organisation_is_refused_once_the_ledger_has_links(
    client, admin_user, xero_app, token_route, respx_mock
):
    from tests.factories import ConnectionFactory, SyncLinkFactory

    current = ConnectionFactory(
        account_id=TWO_ORGS[0]["tenantId"],
        account_name="Demo Company (UK)",
        status=Connection.Status.NEEDS_REAUTH,
    )
    SyncLinkFactory(integration=current.integration)
    respx_mock.get(HOSTS.xero_connections).mock(return_value=httpx.Response(200, json=TWO_ORGS))
    client.force_login(admin_user)
    _, query = start(client, current.integration)
    picker_url = client.get(
        reverse("syncapp:oauth-xero-callback"), {"code": "c", "state": query["state"]}
    )["Location"]
    picker = client.get(picker_url).content.decode()
    # The organisation already connected is offered first (and preselected).
    assert picker.index("Demo Company (UK)") < picker.index("Studio North Ltd")
    refused = client.post(picker_url, {"choice": TWO_ORGS[1]["tenantId"]})
    assert refused.status_code == 200
    assert "already syncs with the Xero organisation" in refused.content.decode()
    current.refresh_from_db()
    assert current.account_id == TWO_ORGS[0]["tenantId"]
    assert current.status == Connection.Status.NEEDS_REAUTH
    # The same organisation reconnects fine, with the grant still waiting.
    done = client.post(picker_url, {"choice": TWO_ORGS[0]["tenantId"]})
    assert done.status_code == 302
    current.refresh_from_db()
    assert current.status == Connection.Status.ACTIVE and current.refresh_token == REFRESH
