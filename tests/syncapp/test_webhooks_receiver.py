"""The Xero webhook receiver: signature vectors, intent to receive, inbox deduplication."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.test import Client, override_settings

from syncapp.flows.payments.webhooks import webhook_signature_valid
from syncapp.models import Connection, Integration, WebhookEvent
from syncapp.sandbox.xero.state import XeroState
from syncapp.sandbox.xero.webhooks import webhook_configure, webhook_intent_to_receive

pytestmark = pytest.mark.django_db

KEY = "qAM6x3m0bXW5f2tEjNQ0hSvY7m0Zz3kW1R9cUrzr3fA4oN9lq0V0xZ2H1kT8p5Y3dGm7b6aC4e2f1g0h9i8j7k=="
TENANT = "5c5a5b6e-1111-4c2b-9a41-8f0a2c1d9e7b"
# A real-shaped delivery; the signature is computed independently of the code under test.
BODY = json.dumps(
    {
        "events": [
            {
                "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/0b1c2d3e-aaaa-4bbb-8ccc-0d1e2f3a4b5c",
                "resourceId": "0b1c2d3e-aaaa-4bbb-8ccc-0d1e2f3a4b5c",
                "tenantId": TENANT,
                "tenantType": "ORGANISATION",
                "eventCategory": "INVOICE",
                "eventType": "UPDATE",
                "eventDateUtc": "2026-11-25T08:00:00.123",
            }
        ],
        "firstEventSequence": 1,
        "lastEventSequence": 1,
        "entropy": "ABCDEFGHIJKLMNOPQRST",
    },
    separators=(",", ":"),
).encode()


def sign(body: bytes, key: str = KEY) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def integration():
    integration = Integration.objects.create(name="Webhooks", xero_webhook_key=KEY)
    Connection.objects.create(
        integration=integration, provider=Connection.Provider.XERO, account_id=TENANT
    )
    return integration


@pytest.fixture
def queued(monkeypatch):
    calls: list[list[int]] = []
    monkeypatch.setattr(
        "syncapp.webhook_views.webhook_events_enqueue",
        lambda *, event_ids: calls.append(list(event_ids)),
    )
    return calls


def post(client, body: bytes, signature: str | None):
    headers = {"x-xero-signature": signature} if signature is not None else {}
    return client.post(
        "/webhooks/xero/", data=body, content_type="application/json", headers=headers
    )


def test_signature_helper_vectors():
    good = sign(BODY)
    assert webhook_signature_valid(key=KEY, body=BODY, signature=good)
    assert not webhook_signature_valid(key=KEY, body=BODY, signature=sign(BODY, KEY + "x"))
    altered = bytearray(BODY)
    altered[10] ^= 0x01
    assert not webhook_signature_valid(key=KEY, body=bytes(altered), signature=good)
    assert not webhook_signature_valid(key=KEY, body=BODY, signature="")
    assert not webhook_signature_valid(key="", body=BODY, signature=good)
    assert not webhook_signature_valid(key=KEY, body=BODY, signature="ünïcode")


def test_valid_signature_stores_the_event_and_queues_it(client, integration, queued):
    response = post(client, BODY, sign(BODY))
    assert response.status_code == 200
    assert response.content == b""
    event = WebhookEvent.objects.get()
    assert (event.integration, event.event_category, event.event_type) == (
        integration,
        "INVOICE",
        "UPDATE",
    )
    assert event.resource_id == "0b1c2d3e-aaaa-4bbb-8ccc-0d1e2f3a4b5c"
    assert event.payload["tenantId"] == TENANT
    assert event.status == WebhookEvent.Status.RECEIVED
    assert queued == [[event.pk]]


@pytest.mark.parametrize(
    "signature",
    [sign(BODY, "wrong-key"), None, "", "not base64 at all", sign(BODY)[:-4] + "AAA="],
    ids=["wrong-key", "missing", "empty", "garbage", "truncated"],
)
def test_invalid_signature_is_401_with_empty_body_and_stores_nothing(
    client, integration, queued, signature
):
    response = post(client, BODY, signature)
    assert response.status_code == 401
    assert response.content == b""
    assert not WebhookEvent.objects.exists()
    assert queued == []


def test_body_altered_by_one_byte_is_refused(client, integration, queued):
    signature = sign(BODY)
    altered = BODY.replace(b'"eventType":"UPDATE"', b'"eventType":"UPDATF"')
    assert len(altered) == len(BODY)
    assert post(client, altered, signature).status_code == 401
    assert not WebhookEvent.objects.exists()


def test_replayed_delivery_is_accepted_but_stored_once(client, integration, queued):
    signature = sign(BODY)
    assert post(client, BODY, signature).status_code == 200
    assert post(client, BODY, signature).status_code == 200
    assert WebhookEvent.objects.count() == 1
    assert len(queued) == 1  # the replay queues nothing new


def test_intent_to_receive_handshake_passes_against_the_receiver(client, integration, queued):
    """The sandbox's own handshake: correctly signed -> 200, wrongly signed -> 401, no events."""
    state = XeroState(seed=0, tenant_id=TENANT)
    webhook_configure(state, url="http://testserver/webhooks/xero/", key=KEY)

    def send(body, headers):
        return post(client, body, headers["x-xero-signature"]).status_code

    assert webhook_intent_to_receive(state, send=send) is True
    assert state.webhook["status"] == "OK"
    assert not WebhookEvent.objects.exists()


def test_csrf_is_exempt_on_this_view_only(integration, queued, admin_user):
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, BODY, sign(BODY)).status_code == 200
    strict.force_login(admin_user)
    response = strict.post("/admin/syncapp/integration/add/", data={"name": "x"})
    assert response.status_code == 403


def test_only_post(client, integration):
    assert client.get("/webhooks/xero/").status_code == 405


@override_settings(XERO_WEBHOOK_KEY="install-wide-key")
def test_settings_key_is_the_fallback(client, queued):
    integration = Integration.objects.create(name="No own key")
    Connection.objects.create(
        integration=integration, provider=Connection.Provider.XERO, account_id=TENANT
    )
    assert post(client, BODY, sign(BODY, "install-wide-key")).status_code == 200
    assert WebhookEvent.objects.get().integration == integration


def test_event_signed_with_another_integrations_key_is_ignored(client, integration, queued):
    other = Integration.objects.create(name="Other", xero_webhook_key="other-key")
    del other
    response = post(client, BODY, sign(BODY, "other-key"))
    assert response.status_code == 200  # the signature is valid for *an* integration
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.IGNORED
    assert event.integration is None
    assert queued == []


def test_unknown_tenant_is_kept_as_ignored(client, queued):
    Integration.objects.create(name="Keyed", xero_webhook_key=KEY)
    assert post(client, BODY, sign(BODY)).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.IGNORED
    assert "No integration" in event.error


def test_webhook_key_is_encrypted_at_rest(integration):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xero_webhook_key FROM syncapp_integration WHERE id = %s", [integration.pk]
        )
        stored = cursor.fetchone()[0]
    assert stored and KEY not in stored
    assert Integration.objects.get(pk=integration.pk).xero_webhook_key == KEY
