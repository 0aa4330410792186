"""The few writes hxsync makes in Harvest: clients, contacts, invoice payments (never thanking
the client) and invoice state events (never e-mailing anyone).

Harvest has no idempotency key: a POST is never resent after a timeout or a 5xx (the base only
retries what cannot have been applied); the flows search before they create again.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from syncapp.providers.harvest.invoice_types import HarvestInvoiceMessage, HarvestInvoicePayment
from syncapp.providers.harvest.params import INVOICE_EVENTS, UNSET, body_of, harvest_timestamp
from syncapp.providers.harvest.types import HarvestClientRecord, HarvestContact


class HarvestWritesMixin:
    """Mixed into HarvestClient; uses its `_write` and `_request`."""

    def create_client(
        self, *, name: str, is_active: bool = UNSET, address: str = UNSET, currency: str = UNSET
    ) -> HarvestClientRecord:
        body = body_of(name=name, is_active=is_active, address=address, currency=currency)
        return self._write("POST", "/clients", body, HarvestClientRecord.from_api)

    def update_client(
        self,
        *,
        client_id: int,
        name: str = UNSET,
        is_active: bool = UNSET,
        address: str = UNSET,
        currency: str = UNSET,
    ) -> HarvestClientRecord:
        body = body_of(name=name, is_active=is_active, address=address, currency=currency)
        return self._write(
            "PATCH", f"/clients/{int(client_id)}", body, HarvestClientRecord.from_api
        )

    def create_contact(
        self,
        *,
        client_id: int,
        first_name: str,
        last_name: str = UNSET,
        title: str = UNSET,
        email: str = UNSET,
        phone_office: str = UNSET,
        phone_mobile: str = UNSET,
        fax: str = UNSET,
    ) -> HarvestContact:
        body = body_of(
            client_id=int(client_id),
            first_name=first_name,
            last_name=last_name,
            title=title,
            email=email,
            phone_office=phone_office,
            phone_mobile=phone_mobile,
            fax=fax,
        )
        return self._write("POST", "/contacts", body, HarvestContact.from_api)

    def update_contact(
        self,
        *,
        contact_id: int,
        client_id: int = UNSET,
        first_name: str = UNSET,
        last_name: str = UNSET,
        title: str = UNSET,
        email: str = UNSET,
        phone_office: str = UNSET,
        phone_mobile: str = UNSET,
        fax: str = UNSET,
    ) -> HarvestContact:
        body = body_of(
            client_id=client_id,
            first_name=first_name,
            last_name=last_name,
            title=title,
            email=email,
            phone_office=phone_office,
            phone_mobile=phone_mobile,
            fax=fax,
        )
        return self._write("PATCH", f"/contacts/{int(contact_id)}", body, HarvestContact.from_api)

    def create_invoice_payment(
        self,
        *,
        invoice_id: int,
        amount: Decimal,
        paid_date: date | None = None,
        paid_at: datetime | None = None,
        notes: str | None = None,
    ) -> HarvestInvoicePayment:
        """Record a payment. `send_thank_you` is always false: the sync never e-mails a client
        (Harvest's default is true and mails a thank-you when the payment settles the invoice)."""
        if not isinstance(amount, Decimal):
            raise TypeError("amount must be a Decimal")
        if paid_date is not None and paid_at is not None:
            raise ValueError("give paid_date or paid_at, not both")
        body: dict[str, Any] = {"amount": amount, "send_thank_you": False}
        if paid_date is not None:
            body["paid_date"] = paid_date.isoformat()
        if paid_at is not None:
            body["paid_at"] = harvest_timestamp(paid_at)
        if notes is not None:
            body["notes"] = notes
        return self._write(
            "POST", f"/invoices/{int(invoice_id)}/payments", body, HarvestInvoicePayment.from_api
        )

    def delete_invoice_payment(self, *, invoice_id: int, payment_id: int) -> None:
        self._request("DELETE", f"/invoices/{int(invoice_id)}/payments/{int(payment_id)}")

    def create_invoice_event(self, *, invoice_id: int, event_type: str) -> HarvestInvoiceMessage:
        """Change an invoice's state through a message that only carries `event_type`: no
        recipients, so nobody is e-mailed (a message without event_type would send the invoice)."""
        if event_type not in INVOICE_EVENTS:
            raise ValueError(f"event_type must be one of {sorted(INVOICE_EVENTS)}")
        return self._write(
            "POST",
            f"/invoices/{int(invoice_id)}/messages",
            {"event_type": event_type},
            HarvestInvoiceMessage.from_api,
        )
