"""Side records of every write: history entries and webhook events waiting for delivery."""

from __future__ import annotations

from typing import Any

from syncapp.sandbox.xero.state import XeroState

RESOURCE_PATHS = {
    "INVOICE": "Invoices",
    "CONTACT": "Contacts",
    "CREDITNOTE": "CreditNotes",
}


def history_add(
    state: XeroState, *, object_id: str, changes: str, details: str, when: Any, user: str = "System Generated"
) -> None:
    state.history.setdefault(object_id, []).append(
        {"Changes": changes, "Details": details, "User": user, "DateUTC": when}
    )


def event_emit(
    state: XeroState, *, category: str, event_type: str, resource_id: str, when: Any,
    data: dict[str, Any] | None = None,
) -> None:
    """Queue a webhook event (delivered by webhooks.webhook_flush) if a subscription exists.

    Xero sends events for contacts, invoices and credit notes only; payments surface as an
    UPDATE of the invoice they pay (https://developer.xero.com/documentation/guides/webhooks/overview).
    """
    if not state.webhook.get("key"):
        return
    event = {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/{RESOURCE_PATHS[category]}/{resource_id}",
        "resourceId": resource_id,
        "tenantId": state.tenant_id,
        "tenantType": "ORGANISATION",
        "eventCategory": category,
        "eventType": event_type,
        "eventDateUtc": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}",
    }
    if data is not None:
        event["data"] = data
    state.webhook_outbox.append(event)
