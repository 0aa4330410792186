"""Token refresh under the connection's lock: when, what is stored, and what a refusal does."""

import base64
import logging
from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from django.db import transaction
from django.utils import timezone

from syncapp.models import Connection, SyncRun
from syncapp.providers.errors import AuthExpired, HostUnavailable
from syncapp.providers.hosts import hosts_for
from syncapp.providers.tokens import (
    connection_access_token_get,
    connection_token_refresh,
)
from syncapp.providers.xero.factory import xero_client_for_connection, xero_refresher
from syncapp.providers.xero.types import TokenSet
from tests.factories import ACCESS_TOKEN, CLIENT_SECRET, REFRESH_TOKEN, ConnectionFactory

pytestmark = pytest.mark.django_db
TOKEN_URL = hosts_for().xero_token
NEW_ACCESS = "NEW-ACCESS-51f0-never-show"
NEW_REFRESH = "NEW-REFRESH-93aa-never-show"


class FakeRefresher:
    def __init__(self, *, fail=None):
        self.calls = []
        self.fail = fail

    def __call__(self, *, connection, refresh_token):
        self.calls.append(refresh_token)
        if self.fail:
            raise self.fail
        return TokenSet(
            access_token=NEW_ACCESS,
            refresh_token=NEW_REFRESH,
            expires_at=timezone.now() + timedelta(minutes=30),
            scopes=("offline_access", "accounting.invoices"),
        )


def expiring(**kwargs):
    return ConnectionFactory(token_expires_at=timezone.now() + timedelta(minutes=2), **kwargs)


def test_fresh_token_is_used_without_refreshing():
    connection = ConnectionFactory(token_expires_at=timezone.now() + timedelta(minutes=25))
    refresher = FakeRefresher()
    assert connection_access_token_get(connection_id=connection.pk, refresher=refresher) == (
        ACCESS_TOKEN
    )
    assert refresher.calls == []


def test_token_about_to_expire_is_refreshed_and_the_rotated_pair_committed():
    connection = expiring()
    refresher = FakeRefresher()
    token = connection_access_token_get(connection_id=connection.pk, refresher=refresher)
    assert token == NEW_ACCESS
    assert refresher.calls == [REFRESH_TOKEN]
    connection.refresh_from_db()
    assert connection.refresh_token == NEW_REFRESH
    assert connection.token_expires_at > timezone.now() + timedelta(minutes=29)
    assert connection.scopes == "offline_access accounting.invoices"
    # A second caller finds the new token and does not refresh again.
    assert connection_access_token_get(connection_id=connection.pk, refresher=refresher) == (
        NEW_ACCESS
    )
    assert len(refresher.calls) == 1


def test_refused_refresh_marks_needs_reauth_stops_runs_and_says_what_to_do():
    connection = expiring()
    queued = SyncRun.objects.create(integration=connection.integration)
    refresher = FakeRefresher(fail=AuthExpired("invalid_grant", oauth_error="invalid_grant"))
    with pytest.raises(AuthExpired):
        connection_access_token_get(connection_id=connection.pk, refresher=refresher)
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_REAUTH
    assert "Reconnect to Xero" in connection.last_error
    queued.refresh_from_db()
    assert queued.status == SyncRun.Status.BLOCKED
    assert "needs reconnecting" in queued.error
    # Never retried forever: the next caller is refused without asking Xero again.
    with pytest.raises(AuthExpired):
        connection_access_token_get(connection_id=connection.pk, refresher=refresher)
    assert len(refresher.calls) == 1


def test_transient_failure_changes_nothing():
    connection = expiring()
    refresher = FakeRefresher(fail=HostUnavailable("down", status=503))
    with pytest.raises(HostUnavailable):
        connection_access_token_get(connection_id=connection.pk, refresher=refresher)
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ACTIVE
    assert connection.refresh_token == REFRESH_TOKEN


def test_forced_refresh_after_401_only_if_nobody_replaced_the_token_yet():
    connection = ConnectionFactory(token_expires_at=timezone.now() + timedelta(minutes=25))
    refresher = FakeRefresher()
    connection_token_refresh(
        connection_id=connection.pk, refresher=refresher, stale_access_token="someone-elses"
    )
    assert refresher.calls == []
    refreshed = connection_token_refresh(
        connection_id=connection.pk, refresher=refresher, stale_access_token=ACCESS_TOKEN
    )
    assert refresher.calls == [REFRESH_TOKEN] and refreshed.access_token == NEW_ACCESS


@pytest.mark.django_db(transaction=True)
def test_refresh_refuses_to_run_inside_a_callers_transaction():
    """Its commit must not depend on a caller that could still roll it back."""
    connection = expiring()
    with pytest.raises(RuntimeError), transaction.atomic():
        connection_token_refresh(connection_id=connection.pk, refresher=FakeRefresher())


def test_real_refresh_request_rotates_and_logs_no_secret(respx_mock, caplog):
    caplog.set_level(logging.DEBUG)
    connection = expiring()
    route = respx_mock.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            200,
            json={
                "access_token": NEW_ACCESS,
                "refresh_token": NEW_REFRESH,
                "expires_in": 1800,
                "token_type": "Bearer",
                "scope": "offline_access accounting.invoices",
            },
        )
    )
    token = connection_access_token_get(connection_id=connection.pk, refresher=xero_refresher())
    assert token == NEW_ACCESS
    sent = route.calls.last.request
    form = {k: v[0] for k, v in parse_qs(sent.content.decode()).items()}
    assert form == {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN}
    basic = base64.b64decode(sent.headers["Authorization"].split()[1]).decode()
    assert basic == f"client-id-public:{CLIENT_SECRET}"
    connection.refresh_from_db()
    assert connection.refresh_token == NEW_REFRESH
    for secret in (REFRESH_TOKEN, NEW_REFRESH, NEW_ACCESS, CLIENT_SECRET, ACCESS_TOKEN):
        assert secret not in caplog.text


def test_invalid_grant_from_xero_ends_in_needs_reauth(respx_mock):
    connection = expiring()
    respx_mock.post(TOKEN_URL).mock(
        return_value=httpx.Response(400, json={"error": "invalid_grant"})
    )
    with pytest.raises(AuthExpired):
        connection_access_token_get(connection_id=connection.pk, refresher=xero_refresher())
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_REAUTH
    assert "invalid_grant" in connection.last_error
    assert "Reconnect to Xero" in connection.last_error


def test_client_for_connection_refreshes_before_calling_xero(respx_mock, sim_clock):
    connection = expiring()
    respx_mock.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            200, json={"access_token": NEW_ACCESS, "refresh_token": NEW_REFRESH, "expires_in": 1800}
        )
    )
    org = respx_mock.get(f"{hosts_for().xero_api}/Organisation").mock(
        return_value=httpx.Response(200, json={"Organisations": [{"Name": "Demo"}]})
    )
    with xero_client_for_connection(connection=connection, governed=False, clock=sim_clock) as c:
        assert c.get_organisation().name == "Demo"
    assert org.calls.last.request.headers["Authorization"] == f"Bearer {NEW_ACCESS}"
    assert org.calls.last.request.headers["xero-tenant-id"] == connection.account_id
