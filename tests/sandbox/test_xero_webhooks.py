"""Signed webhooks: signature, intent to receive, deliveries for invoice and contact changes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from syncapp.sandbox.core.contract import schema_validate
from syncapp.sandbox.xero.webhooks import (
    webhook_add_hook,
    webhook_configure,
    webhook_intent_to_receive,
    webhook_sign,
)
from tests.sandbox.test_xero_support import *  # noqa: F403 - shared fixtures
from tests.sandbox.test_xero_support import API, invoice_body

KEY = "c2FuZGJveC13ZWJob29rLWtleS1mb3ItdGVzdHMtb25seQ=="


def valid(body: bytes, signature: str, key: str = KEY) -> bool:
    expected = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature)


@pytest.fixture
def inbox(xstate):
    webhook_configure(xstate.xero, url=None, key=KEY)
    received: list[tuple[bytes, dict]] = []
    webhook_add_hook(xstate.xero, lambda body, headers: received.append((body, headers)))
    return received


def test_signature_is_base64_hmac_sha256_of_the_raw_body():
    body = b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"ABC"}'
    signature = webhook_sign(key=KEY, body=body)
    assert valid(body, signature)
    assert not valid(body + b" ", signature)
    assert not valid(body, signature, key=KEY + "x")


def test_intent_to_receive_needs_200_for_good_and_401_for_bad(xstate):
    webhook_configure(xstate.xero, url="http://receiver.invalid/webhooks/xero/", key=KEY)
    seen = []

    def good_receiver(body: bytes, headers: dict) -> int:
        payload = json.loads(body)
        assert payload["events"] == [] and payload["firstEventSequence"] == 0 and payload["entropy"]
        seen.append(valid(body, headers["x-xero-signature"]))
        return 200 if seen[-1] else 401

    assert webhook_intent_to_receive(xstate.xero, send=good_receiver) is True
    assert seen == [True, False]
    assert xstate.xero.webhook["status"] == "OK"
    assert webhook_intent_to_receive(xstate.xero, send=lambda body, headers: 200) is False
    assert xstate.xero.webhook["status"] == "FAILED"


def test_invoice_and_contact_changes_are_delivered_signed(xero, inbox, customer):
    created = xero.put(f"{API}/Invoices", json={"Invoices": [invoice_body(customer), invoice_body(customer)]})
    assert created.status_code == 200
    assert len(inbox) == 1  # one change set, one delivery
    body, headers = inbox[0]
    assert valid(body, headers["x-xero-signature"])
    payload = json.loads(body)
    assert schema_validate(spec="xero_webhooks", schema="WebhookEvent", instance=payload) == []
    assert [(e["eventCategory"], e["eventType"]) for e in payload["events"]] == [("INVOICE", "CREATE")] * 2
    ids = [i["InvoiceID"] for i in created.json()["Invoices"]]
    assert [e["resourceId"] for e in payload["events"]] == ids
    assert payload["events"][0]["resourceUrl"] == f"https://api.xero.com/api.xro/2.0/Invoices/{ids[0]}"
    assert (payload["firstEventSequence"], payload["lastEventSequence"]) == (1, 2)

    xero.post(f"{API}/Contacts", json={"Contacts": [{"ContactID": customer, "FirstName": "Changed"}]})
    contact_payload = json.loads(inbox[1][0])
    assert [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in contact_payload["events"]] == [
        ("CONTACT", "UPDATE", customer)]
    assert contact_payload["firstEventSequence"] == 3

    xero.get(f"{API}/Invoices")  # reads send nothing
    assert len(inbox) == 2


def test_payment_surfaces_as_invoice_update(xero, inbox, customer):
    invoice = xero.put(f"{API}/Invoices", json={"Invoices": [invoice_body(customer)]}).json()["Invoices"][0]
    xero.put(f"{API}/Payments", json={"Payments": [{"Invoice": {"InvoiceID": invoice["InvoiceID"]},
                                                     "Account": {"Code": "090"}, "Amount": 10}]})
    events = json.loads(inbox[-1][0])["events"]
    assert [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in events] == [
        ("INVOICE", "UPDATE", invoice["InvoiceID"])]


def test_credit_note_events_carry_type_and_status(xero, inbox, customer):
    note = {"Type": "ACCRECCREDIT", "Contact": {"ContactID": customer}, "Status": "DRAFT",
            "LineItems": [{"Description": "Refund", "Quantity": 1, "UnitAmount": 5, "AccountCode": "200"}]}
    xero.put(f"{API}/CreditNotes", json={"CreditNotes": [note]})
    payload = json.loads(inbox[-1][0])
    assert payload["events"][0]["data"] == {"Type": "ACCRECCREDIT", "Status": "DRAFT"}
    assert schema_validate(spec="xero_webhooks", schema="CreditNoteWebhookEvent", instance=payload) == []


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[bytes] = []
    event = threading.Event()

    def do_POST(self):  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ok = valid(body, self.headers["x-xero-signature"])
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()
        if ok and json.loads(body)["events"]:
            type(self).bodies.append(body)
            type(self).event.set()

    def log_message(self, *args):
        pass


def test_real_http_delivery_to_a_configured_url(xero, xstate, customer):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/webhooks/xero/"
        response = xero.post("/_sandbox/xero/webhooks", json={"url": url, "key": KEY})
        assert response.json()["status"] == "OK"  # the handshake passed over real HTTP
        xero.put(f"{API}/Contacts", json={"Contacts": [{"Name": "Webhook Watcher"}]})
        assert _Receiver.event.wait(10), "no delivery arrived"
        events = json.loads(_Receiver.bodies[-1])["events"]
        assert [(e["eventCategory"], e["eventType"]) for e in events] == [("CONTACT", "CREATE")]
    finally:
        server.shutdown()
        server.server_close()


def test_replay_delivers_the_same_bytes_again(xero, inbox, customer):
    xero.put(f"{API}/Contacts", json={"Contacts": [{"Name": "Echo Echo Ltd"}]})
    replayed = xero.post("/_sandbox/xero/webhooks/replay", json={})
    assert replayed.status_code == 200
    assert len(inbox) == 2 and inbox[0][0] == inbox[1][0]
    assert inbox[0][1]["x-xero-signature"] == inbox[1][1]["x-xero-signature"]


def test_old_saved_state_loads_with_new_fields(xstate):
    import pickle

    data = xstate.xero.__getstate__()
    del data["webhook_sent"]
    restored = type(xstate.xero).__new__(type(xstate.xero))
    restored.__setstate__(pickle.loads(pickle.dumps(data)))
    assert restored.webhook_sent == [] and restored.invoices == xstate.xero.invoices
