"""Signed webhook deliveries, as Xero sends them.

- `x-xero-signature` is the base64 HMAC-SHA256 of the raw body keyed with the webhook key.
- Before a subscription goes live Xero proves the receiver with "intent to receive": payloads with
  no events, one correctly signed (must get 200 with an empty body) and one wrongly signed (must
  get 401). Only then are events sent
  (https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/).
- Events of one change set travel together with `firstEventSequence`/`lastEventSequence` and a
  random `entropy`. The intent-to-receive payloads carry sequence 0, as Xero's do (the spec's
  `minimum: 1` describes event deliveries only).

Delivery: in-process hooks (tests) get every payload synchronously; a configured URL (served
demo) gets a real HTTP POST from a background thread, retried a few times.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import string
import threading
import time
from collections.abc import Callable
from typing import Any

from syncapp.sandbox.xero.state import XeroState

logger = logging.getLogger(__name__)

Sender = Callable[[bytes, dict[str, str]], int]
_LOG_KEEP = 200
_SENT_KEEP = 50


def webhook_sign(*, key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def _entropy() -> str:
    return "".join(random.choices(string.ascii_uppercase, k=20))


def webhook_configure(state: XeroState, *, url: str | None, key: str | None = None) -> dict[str, Any]:
    """Subscribe (or change the URL). The subscription is PENDING until intent to receive passes."""
    if key is None:
        key = state.webhook.get("key") or base64.b64encode(random.randbytes(48)).decode()
    state.webhook.update({"key": key, "url": url, "status": "PENDING" if url else "HOOKS_ONLY"})
    return dict(state.webhook)


def webhook_add_hook(state: XeroState, hook: Callable[[bytes, dict[str, str]], Any]) -> None:
    """Receive every delivery in-process: `hook(raw_body, headers)`."""
    state.webhook_hooks.append(hook)


def _http_sender(url: str) -> Sender:
    def send(body: bytes, headers: dict[str, str]) -> int:
        import httpx

        response = httpx.post(url, content=body, headers=headers, timeout=5.0)
        return response.status_code

    return send


def webhook_intent_to_receive(state: XeroState, *, send: Sender | None = None) -> bool:
    """Run the handshake against the URL (or `send`); marks the subscription OK or FAILED."""
    key = state.webhook.get("key")
    if not key:
        raise ValueError("no webhook subscription")
    if send is None:
        url = state.webhook.get("url")
        if not url:
            raise ValueError("no webhook URL configured")
        send = _http_sender(url)
    passed = True
    for good in (True, False):
        body = json.dumps(
            {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": _entropy()},
            separators=(",", ":"),
        ).encode()
        signature = webhook_sign(key=key, body=body)
        if not good:
            signature = webhook_sign(key=key + "x", body=body)
        headers = {"Content-Type": "application/json", "x-xero-signature": signature}
        try:
            status = send(body, headers)
        except Exception:  # noqa: BLE001 - a receiver that cannot be reached fails the handshake
            logger.warning("intent to receive: receiver unreachable")
            status = 0
        passed = passed and status == (200 if good else 401)
    state.webhook["status"] = "OK" if passed else "FAILED"
    return passed


def webhook_payload(state: XeroState, events: list[dict[str, Any]]) -> bytes:
    first = state.next_number("webhook:sequence")
    last = first + len(events) - 1
    state.counters["webhook:sequence"] = last
    return json.dumps(
        {"events": events, "firstEventSequence": first, "lastEventSequence": last, "entropy": _entropy()},
        separators=(",", ":"),
    ).encode()


def webhook_flush(state: XeroState) -> bytes | None:
    """Deliver the queued events as one signed payload; returns the body sent (or None)."""
    if not state.webhook_outbox:
        return None
    events, state.webhook_outbox = state.webhook_outbox, []
    key = state.webhook.get("key")
    if not key:
        return None
    body = webhook_payload(state, events)
    state.webhook_sent.append(body)
    del state.webhook_sent[:-_SENT_KEEP]
    return _send(state, key=key, body=body, events=len(events))


def webhook_replay(state: XeroState, *, index: int = -1) -> bytes:
    """Deliver an earlier payload again, byte for byte (Xero may deliver an event twice)."""
    body = state.webhook_sent[index]
    _send(state, key=state.webhook["key"], body=body, events=len(json.loads(body)["events"]))
    return body


def _send(state: XeroState, *, key: str, body: bytes, events: int) -> bytes:
    headers = {"Content-Type": "application/json", "x-xero-signature": webhook_sign(key=key, body=body)}
    for hook in list(state.webhook_hooks):
        hook(body, dict(headers))
    url = state.webhook.get("url")
    if url and state.webhook.get("status") == "OK":
        thread = threading.Thread(
            target=_deliver, args=(state, url, body, headers), daemon=True, name="xero-webhook"
        )
        thread.start()
    else:
        _log(state, {"sequence": json.loads(body)["firstEventSequence"], "status": "hooks", "events": events})
    return body


def _deliver(state: XeroState, url: str, body: bytes, headers: dict[str, str], attempts: int = 3) -> None:
    send = _http_sender(url)
    status = 0
    for attempt in range(attempts):
        try:
            status = send(body, headers)
        except Exception:  # noqa: BLE001 - network failure: retry like Xero does
            status = 0
        if 200 <= status < 300:
            break
        time.sleep(min(2 ** attempt, 5))
    _log(state, {"url": url, "status": status, "bytes": len(body)})


def _log(state: XeroState, entry: dict[str, Any]) -> None:
    state.webhook_log.append(entry)
    if len(state.webhook_log) > _LOG_KEEP:
        del state.webhook_log[: len(state.webhook_log) - _LOG_KEEP]
