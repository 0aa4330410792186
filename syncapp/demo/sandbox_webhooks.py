"""Demo wiring: send the sandbox's signed Xero webhooks to this install's receiver.

The real Xero is set up in its developer portal (Webhooks: delivery URL + the key it shows once);
the sandbox is set up through its `/_sandbox/xero/webhooks` control the same way: take the key
first so the receiver knows it, then give the URL, which runs the intent-to-receive handshake.
"""

from __future__ import annotations

import httpx

from syncapp.models import Connection, Integration


class SandboxWebhookError(Exception):
    pass


def sandbox_webhooks_subscribe(*, integration: Integration, receiver_url: str) -> dict:
    """Subscribe `receiver_url` at the sandbox the integration's Xero connection points to."""
    connection = integration.connections.filter(provider=Connection.Provider.XERO).first()
    if connection is None or not connection.base_url:
        raise SandboxWebhookError("This integration's Xero connection is not the sandbox.")
    with httpx.Client(base_url=connection.base_url, timeout=15.0) as http:
        try:
            key = http.post("/_sandbox/xero/webhooks", json={}).json()["key"]
            integration.xero_webhook_key = key
            integration.save(update_fields=["xero_webhook_key", "updated_at"])
            answer = http.post(
                "/_sandbox/xero/webhooks", json={"url": receiver_url, "key": key}
            ).json()
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise SandboxWebhookError(f"The sandbox could not be reached: {exc}") from exc
    if answer.get("status") != "OK":
        raise SandboxWebhookError(
            f"The sandbox could not deliver to {receiver_url} (intent to receive failed); "
            "is the web server reachable from the sandbox?"
        )
    return {"url": answer.get("url"), "status": answer.get("status")}
