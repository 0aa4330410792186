"""The Connections admin: status and advice, Test connection, Disconnect, and no secret anywhere."""

import logging
from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone

from syncapp.models import Connection, SyncRun
from syncapp.providers.hosts import hosts_for
from tests.factories import (
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    SECRETS,
    ConnectionFactory,
    IntegrationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
HOSTS = hosts_for()


def change_url(connection):
    return reverse("admin:syncapp_connection_change", args=[connection.pk])


def assert_no_secret(text):
    for secret in SECRETS:
        assert secret not in text


@pytest.fixture
def finance(client):
    client.force_login(UserFactory(username="fiona", finance=True))
    return client


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def test_list_shows_status_expiry_and_connect_buttons(admin):
    ConnectionFactory(token_expires_at=timezone.now() + timedelta(minutes=20))
    page = admin.get(reverse("admin:syncapp_connection_changelist")).content.decode()
    assert "Connect Harvest" in page and "Connect to Xero" in page
    assert "Expires in 1" in page  # "19 minutes" or "20 minutes"
    assert_no_secret(page)


def test_finance_sees_status_but_no_connect_buttons(finance):
    ConnectionFactory()
    page = finance.get(reverse("admin:syncapp_connection_changelist")).content.decode()
    assert "Connect to Xero" not in page
    assert_no_secret(page)


def test_needs_reauth_page_tells_the_user_to_reconnect(admin):
    connection = ConnectionFactory(
        status=Connection.Status.NEEDS_REAUTH,
        last_error="Xero refused to renew access (invalid_grant). Reconnect to Xero ...",
        scopes="offline_access accounting.invoices",
        token_expires_at=timezone.now() - timedelta(hours=2),
    )
    page = admin.get(change_url(connection)).content.decode()
    assert "Needs reconnecting" in page
    assert "What to do:" in page and "Reconnect to Xero" in page
    assert f"integration={connection.integration_id}" in page  # the reconnect link
    assert "invalid_grant" in page
    assert "offline_access" in page and "Expired" in page
    assert_no_secret(page)


def test_finance_is_told_to_ask_an_administrator(finance):
    connection = ConnectionFactory(status=Connection.Status.NEEDS_REAUTH, last_error="refused")
    page = finance.get(change_url(connection)).content.decode()
    assert "ask an administrator" in page
    assert 'id="reconnect"' not in page and 'id="disconnect"' not in page
    assert 'id="test-connection"' in page
    assert_no_secret(page)


def test_test_connection_names_the_organisation(admin, respx_mock):
    connection = ConnectionFactory(
        account_name="old name", token_expires_at=timezone.now() + timedelta(minutes=25)
    )
    org = respx_mock.get(f"{HOSTS.xero_api}/Organisation").mock(
        return_value=httpx.Response(200, json={"Organisations": [{"Name": "Demo Company (UK)"}]})
    )
    response = admin.post(
        reverse("admin:syncapp_connection_test", args=[connection.pk]), follow=True
    )
    body = response.content.decode()
    assert "Connected to Xero: Demo Company (UK)" in body
    assert org.calls.last.request.headers["xero-tenant-id"] == connection.account_id
    connection.refresh_from_db()
    assert connection.account_name == "Demo Company (UK)" and connection.last_error == ""
    assert_no_secret(body)


def test_test_connection_action_for_harvest_by_finance(finance, respx_mock):
    connection = ConnectionFactory(
        provider=Connection.Provider.HARVEST,
        auth_method=Connection.AuthMethod.TOKEN,
        account_id="123456",
        refresh_token="",
        token_expires_at=None,
    )
    respx_mock.get(f"{HOSTS.harvest_api}/company").mock(
        return_value=httpx.Response(200, json={"name": "Studio North"})
    )
    response = finance.post(
        reverse("admin:syncapp_connection_changelist"),
        {"action": "test_connections", "_selected_action": [connection.pk]},
        follow=True,
    )
    assert "Connected to Harvest: Studio North" in response.content.decode()


def test_refused_refresh_during_a_test_marks_needs_reauth(admin, respx_mock):
    connection = ConnectionFactory(token_expires_at=timezone.now() - timedelta(minutes=1))
    run = SyncRun.objects.create(integration=connection.integration)
    respx_mock.post(HOSTS.xero_token).mock(
        return_value=httpx.Response(400, json={"error": "invalid_grant"})
    )
    response = admin.post(
        reverse("admin:syncapp_connection_test", args=[connection.pk]), follow=True
    )
    body = response.content.decode()
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_REAUTH
    assert "Reconnect to Xero" in body
    run.refresh_from_db()
    assert run.status == SyncRun.Status.BLOCKED
    assert_no_secret(body)


def test_a_test_with_a_revoked_token_marks_needs_reauth(admin, respx_mock):
    connection = ConnectionFactory(token_expires_at=timezone.now() + timedelta(minutes=25))
    respx_mock.get(f"{HOSTS.xero_api}/Organisation").mock(return_value=httpx.Response(401))
    respx_mock.post(HOSTS.xero_token).mock(
        return_value=httpx.Response(400, json={"error": "invalid_grant"})
    )
    admin.post(reverse("admin:syncapp_connection_test", args=[connection.pk]))
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_REAUTH


def test_outage_during_a_test_is_reported_without_losing_the_connection(admin, respx_mock):
    connection = ConnectionFactory(token_expires_at=timezone.now() + timedelta(minutes=25))
    respx_mock.get(f"{HOSTS.xero_api}/Organisation").mock(return_value=httpx.Response(503))
    response = admin.post(
        reverse("admin:syncapp_connection_test", args=[connection.pk]), follow=True
    )
    assert "could not be reached" in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ACTIVE


def test_disconnect_revokes_at_xero_and_forgets_here(admin, respx_mock, caplog):
    caplog.set_level(logging.DEBUG)
    connection = ConnectionFactory(
        xero_connection_id="7cb59f93-2964-421d-bb5e-a0f7a4572a44",
        token_expires_at=timezone.now() + timedelta(minutes=25),
    )
    delete = respx_mock.delete(f"{HOSTS.xero_connections}/{connection.xero_connection_id}").mock(
        return_value=httpx.Response(204)
    )
    revoke = respx_mock.post(HOSTS.xero_revoke).mock(return_value=httpx.Response(200))
    url = reverse("admin:syncapp_connection_disconnect", args=[connection.pk])
    confirm = admin.get(url)
    assert confirm.status_code == 200 and "Yes, disconnect" in confirm.content.decode()
    response = admin.post(url, follow=True)
    assert delete.calls.last.request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert parse_qs(revoke.calls.last.request.content.decode()) == {"token": [REFRESH_TOKEN]}
    connection.refresh_from_db()
    assert connection.status == Connection.Status.DISABLED
    assert connection.access_token == "" and connection.refresh_token == ""
    body = response.content.decode()
    assert "Disconnected Xero" in body
    assert_no_secret(body)
    assert_no_secret(caplog.text)


def test_disconnect_goes_ahead_when_xero_is_unreachable(admin, respx_mock):
    connection = ConnectionFactory(
        xero_connection_id="7cb59f93-2964-421d-bb5e-a0f7a4572a44",
        token_expires_at=timezone.now() + timedelta(minutes=25),
    )
    respx_mock.delete(f"{HOSTS.xero_connections}/{connection.xero_connection_id}").mock(
        side_effect=httpx.ConnectError("down")
    )
    respx_mock.post(HOSTS.xero_revoke).mock(side_effect=httpx.ConnectError("down"))
    response = admin.post(
        reverse("admin:syncapp_connection_disconnect", args=[connection.pk]), follow=True
    )
    assert "did not confirm" in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == Connection.Status.DISABLED and connection.refresh_token == ""


def test_finance_cannot_disconnect(finance):
    connection = ConnectionFactory()
    url = reverse("admin:syncapp_connection_disconnect", args=[connection.pk])
    assert finance.get(url).status_code == 403
    assert finance.post(url).status_code == 403
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ACTIVE


def test_no_connection_page_shows_a_secret(admin):
    connection = ConnectionFactory()
    IntegrationFactory()
    urls = [
        reverse("admin:syncapp_connection_changelist"),
        change_url(connection),
        reverse("admin:syncapp_connection_connect_xero"),
        reverse("admin:syncapp_connection_connect_harvest"),
        reverse("admin:syncapp_connection_disconnect", args=[connection.pk]),
        reverse("admin:syncapp_connection_history", args=[connection.pk]),
        reverse("admin:syncapp_integration_change", args=[connection.integration_id]),
    ]
    for url in urls:
        response = admin.get(url)
        assert response.status_code == 200, url
        assert_no_secret(response.content.decode())


def test_auth_lost_during_a_run_marks_the_connection_and_words_the_run_error():
    from syncapp.providers.errors import AuthExpired
    from syncapp.services.connections import connection_auth_lost

    connection = ConnectionFactory()
    queued = SyncRun.objects.create(integration=connection.integration)
    message = connection_auth_lost(
        integration=connection.integration,
        provider="xero",
        error=AuthExpired("TokenRevoked", status=401),
    )
    assert "Reconnect to Xero" in message
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_REAUTH
    assert "TokenRevoked" in connection.last_error
    queued.refresh_from_db()
    assert queued.status == SyncRun.Status.BLOCKED
