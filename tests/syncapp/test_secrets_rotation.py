"""Rotating FIELD_ENCRYPTION_KEYS for real: secrets written under key A, rotated to [B, A], then
read under [B] alone; and the key dropped too early ([C] only), which must never give a 500."""

import base64
import hashlib
import hmac
import logging
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection as db
from django.test import override_settings
from django.urls import reverse

from syncapp.models import Connection, Integration, SyncRun
from tests.flows.conftest import flow_run, sandbox_build, sandbox_integration_create

pytestmark = pytest.mark.django_db

KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))
WEBHOOK_KEY = "northwind-webhook-key-7c1d"
OTHER_WEBHOOK_KEY = "other-webhook-key-3e9a"
INTENT_BODY = b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"X"}'


def sign(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def deliver(client, key: str):
    return client.post(
        "/webhooks/xero/",
        data=INTENT_BODY,
        content_type="application/json",
        headers={"x-xero-signature": sign(INTENT_BODY, key)},
    )


def raw(table: str, column: str, pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def every_raw_secret(integration: Integration) -> dict:
    values = {
        ("integration", integration.pk): raw(
            "syncapp_integration", "xero_webhook_key", integration.pk
        )
    }
    for pk in integration.connections.values_list("pk", flat=True):
        for column in ("access_token", "refresh_token", "client_secret"):
            values[(column, pk)] = raw("syncapp_connection", column, pk)
    return values


@pytest.fixture
def sandbox():
    return sandbox_build()


@pytest.fixture
def northwind(sandbox):
    """An integration connected to the sandbox with a webhook key, all written under key A."""
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        integration = sandbox_integration_create(sandbox, name="Northwind")
        integration.xero_webhook_key = WEBHOOK_KEY
        integration.save(update_fields=["xero_webhook_key"])
        run = SyncRun.objects.create(
            integration=integration, flow=SyncRun.Flow.CONTACTS, status=SyncRun.Status.SUCCEEDED
        )
        plaintexts = [WEBHOOK_KEY]
        for connection in integration.connections.all():
            secrets = (connection.access_token, connection.refresh_token, connection.client_secret)
            plaintexts += [secret for secret in secrets if secret]
    return integration, run, plaintexts


def admin_pages(integration: Integration, run: SyncRun) -> dict[str, str]:
    xero = integration.connections.get(provider=Connection.Provider.XERO)
    return {
        "integrations": reverse("admin:syncapp_integration_changelist"),
        "integration": reverse("admin:syncapp_integration_change", args=[integration.pk]),
        "connections": reverse("admin:syncapp_connection_changelist"),
        "connection": reverse("admin:syncapp_connection_change", args=[xero.pk]),
        "runs": reverse("admin:syncapp_syncrun_changelist"),
        "run": reverse("admin:syncapp_syncrun_change", args=[run.pk]),
        "webhook events": reverse("admin:syncapp_webhookevent_changelist"),
        "webhook keys": reverse("admin:syncapp_webhookevent_keys"),
    }


def test_rotate_then_drop_the_old_key_every_page_sync_and_webhook_work(
    admin_client, client, sandbox, northwind
):
    integration, run, plaintexts = northwind
    before = every_raw_secret(integration)

    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        out = StringIO()
        call_command("rotate_secrets", stdout=out)
    report = out.getvalue()
    assert "syncapp.Integration.xero_webhook_key: 1 secret(s) re-encrypted" in report
    assert "syncapp.Connection.access_token: 2 secret(s) re-encrypted" in report
    stored = sum(1 for value in before.values() if value)
    assert f"Re-encrypted {stored} stored secret(s)" in report
    after = every_raw_secret(integration)
    assert all(after[k] != before[k] for k in before if before[k])

    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]):
        assert Integration.objects.get(pk=integration.pk).xero_webhook_key == WEBHOOK_KEY
        assert (
            b"All readable"
            in admin_client.get(admin_pages(integration, run)["integration"]).content
        )
        for name, url in admin_pages(integration, run).items():
            response = admin_client.get(url)
            assert response.status_code == 200, name
            assert b"cannot be decrypted" not in response.content, name
        assert deliver(client, WEBHOOK_KEY).status_code == 200
        assert deliver(client, "not-the-key").status_code == 401
        done = flow_run(integration, SyncRun.Flow.CONTACTS, sandbox=sandbox)
    assert done.status == SyncRun.Status.SUCCEEDED, done.error


def test_key_dropped_too_early_pages_say_which_secret_and_webhooks_never_500(
    admin_client, client, northwind, caplog
):
    integration, run, plaintexts = northwind
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_C]):
        Integration.objects.create(name="Other", xero_webhook_key=OTHER_WEBHOOK_KEY)
        pages = admin_pages(integration, run)
        for name, url in pages.items():
            response = admin_client.get(url)
            assert response.status_code == 200, name
            for secret in (*plaintexts, OTHER_WEBHOOK_KEY):
                assert secret.encode() not in response.content, name

        connection_page = admin_client.get(pages["connection"]).content.decode()
        assert "The access token of connection" in connection_page
        assert "cannot be decrypted with FIELD_ENCRYPTION_KEYS" in connection_page
        assert "reconnect it under Sync › Connections" in connection_page
        integration_page = admin_client.get(pages["integration"]).content.decode()
        assert "The Xero webhook key of integration &#x27;Northwind&#x27; cannot be" in (
            integration_page
        )
        assert "The access token of connection &#x27;Xero — Sandbox Xero&#x27;" in (
            integration_page
        )
        keys_page = admin_client.get(pages["webhook keys"]).content.decode()
        assert "The Xero webhook key of integration &#x27;Northwind&#x27; cannot be decrypted" in (
            keys_page
        )

        with caplog.at_level(logging.WARNING, logger="syncapp.flows.payments.webhooks"):
            assert deliver(client, WEBHOOK_KEY).status_code == 401
        assert "The Xero webhook key of integration 'Northwind' cannot be decrypted" in caplog.text
        assert WEBHOOK_KEY not in caplog.text
        assert deliver(client, OTHER_WEBHOOK_KEY).status_code == 200


def test_saving_a_row_with_an_unreadable_secret_keeps_the_stored_secret(admin_client, northwind):
    integration, _, plaintexts = northwind
    stored = raw("syncapp_integration", "xero_webhook_key", integration.pk)
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_C]):
        url = reverse("admin:syncapp_integration_change", args=[integration.pk])
        form = admin_client.get(url).context["adminform"].form
        data = {name: value for name, value in form.initial.items() if value is not None}
        data.update({"is_active": "", **management_form_data()})
        response = admin_client.post(url, data)
        assert response.status_code == 302, getattr(response, "context", None)
    assert raw("syncapp_integration", "xero_webhook_key", integration.pk) == stored
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        refreshed = Integration.objects.get(pk=integration.pk)
    assert (refreshed.xero_webhook_key, refreshed.is_active) == (WEBHOOK_KEY, False)


def management_form_data() -> dict:
    prefix = "connections"
    return {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}


def test_rotation_refuses_an_unreadable_secret_and_rewrites_nothing(northwind):
    integration, _, plaintexts = northwind
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_C]):
        Integration.objects.create(name="Written under C", xero_webhook_key=OTHER_WEBHOOK_KEY)
    before = every_raw_secret(integration)
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        with pytest.raises(CommandError) as failure:
            call_command("rotate_secrets", stdout=StringIO())
    message = str(failure.value)
    assert message.startswith("Nothing was rewritten: 1 stored secret(s) cannot be decrypted")
    assert "The Xero webhook key of integration 'Written under C'" in message
    assert OTHER_WEBHOOK_KEY not in message
    assert every_raw_secret(integration) == before  # readable ones were not rewritten either


def test_a_run_whose_token_is_unreadable_fails_with_a_sentence(sandbox, northwind, caplog):
    integration, _, plaintexts = northwind
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_C]), caplog.at_level(logging.ERROR):
        done = flow_run(integration, SyncRun.Flow.CONTACTS, sandbox=sandbox)
    assert done.status == SyncRun.Status.BLOCKED
    assert "access token of connection" in done.error
    assert "cannot be decrypted with FIELD_ENCRYPTION_KEYS" in done.error
    for secret in plaintexts:
        assert secret not in done.error
    assert "Unexpected error" not in done.error
    assert not [r for r in caplog.records if r.exc_info], "logged a traceback"
