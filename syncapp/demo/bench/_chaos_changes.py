"""What changes while `bench chaos` runs its triggers, as people would change it: Harvest
invoices edited through Harvest's API, Xero invoices paid by finance (each a webhook event), and
the contact reviews worked through."""

from __future__ import annotations

import uuid

from django.utils import timezone

from syncapp.models import SyncKind, SyncLink, WebhookEvent


class Changes:
    """Mixed into bench chaos's `Chaos` (its rig, url, integration, rng, opts and records)."""

    def harvest_edit(self, *, count: int, wave: int) -> list[int]:
        """Change a line's price on open, unpaid Harvest invoices, through Harvest's API (faults
        included: retried, the change is the same each time)."""
        import httpx

        state, lock = self.rig.state, self.rig.app.lock
        with lock:
            candidates = sorted(
                i
                for i, inv in state.harvest.invoices.items()
                if inv["state"] == "open"
                and not inv["_payments"]
                and inv["amount"] > 0
                and inv["_line_items"]
                and i not in self._paid_harvest_ids()
            )
            chosen = self.rng.sample(candidates, k=min(count, len(candidates)))
            changes = {}
            for invoice_id in chosen:
                item = state.harvest.invoices[invoice_id]["_line_items"][0]
                changes[invoice_id] = {"id": item["id"], "unit_price": str(item["unit_price"] + 7)}
        harvest = self.rig.credentials["harvest"]
        headers = {
            "Authorization": f"Bearer {harvest['personal_access_token']}",
            "Harvest-Account-Id": str(harvest["account_id"]),
        }
        done = []
        with httpx.Client(base_url=self.url, headers=headers, timeout=10) as http:
            for invoice_id, line in changes.items():
                for _ in range(12):
                    try:
                        answer = http.patch(
                            f"/api.harvestapp.com/v2/invoices/{invoice_id}",
                            json={"line_items": [line], "notes": f"chaos wave {wave}"},
                        )
                    except httpx.HTTPError:
                        continue
                    if answer.status_code == 200:
                        done.append(invoice_id)
                        break
        self.edited.update(done)
        return done

    def _paid_harvest_ids(self) -> set[int]:
        ids = SyncLink.objects.filter(
            integration=self.integration, kind=SyncKind.INVOICE, xero_id__in=set(self.paid.values())
        ).values_list("harvest_id", flat=True)
        return {int(i) for i in ids}

    def xero_pay(self, *, count: int) -> list[int]:
        """Finance pays some invoices hxsync sent to Xero; each becomes a webhook event."""
        from syncapp.sandbox.xero.control import xero_invoice_pay

        links = dict(
            SyncLink.objects.filter(
                integration=self.integration,
                kind=SyncKind.INVOICE,
                state=SyncLink.State.SYNCED,
                xero_id__isnull=False,
            ).values_list("xero_id", "harvest_id")
        )
        state, lock = self.rig.state, self.rig.app.lock
        events = []
        with lock:
            payable = sorted(
                xero_id
                for xero_id, harvest_id in links.items()
                if int(harvest_id) not in self.edited
                # Nothing paid in Harvest: finance paying again in Xero would be a real double
                # payment (hxsync holds it: "only ... is due there"), not a sync fault.
                and not state.harvest.invoices.get(int(harvest_id), {}).get("_payments", True)
                and (record := state.xero.invoices.get(xero_id.lower()))
                and record.get("Status") == "AUTHORISED"
                and record.get("AmountDue", 0) > 0
            )
            for xero_id in self.rng.sample(payable, k=min(count, len(payable))):
                payment = xero_invoice_pay(
                    state.xero, invoice_ref=xero_id, now=self.rig.clock.now()
                )
                self.paid[payment["PaymentID"]] = xero_id
                events.append((xero_id, payment["PaymentID"]))
        tenant = self.rig.credentials["xero"]["tenant_id"]
        ids = []
        for xero_id, payment_id in events:
            event = WebhookEvent.objects.create(
                integration=self.integration,
                dedupe_key=uuid.uuid4().hex,
                tenant_id=tenant,
                event_category="INVOICE",
                event_type="UPDATE",
                resource_id=xero_id,
                event_date=timezone.now(),
                payload={"chaos_payment": payment_id},
            )
            ids.append(event.pk)
        self.webhooks += len(ids)
        return ids

    def reviews_resolve(self) -> int:
        """Finance works through the contact reviews: link the best match when it is an active
        contact, else create a new one. (`--link-archived` links archived matches too: see
        ARCHIVED_LINK in the module's notes.)"""
        from syncapp.models import Conflict
        from syncapp.services.conflicts import (
            ConflictResolutionError,
            conflict_best_candidate,
            conflict_candidate_id,
            conflict_create_new,
            conflict_link,
        )

        reviews = list(
            Conflict.objects.filter(
                integration=self.integration, status=Conflict.Status.OPEN, kind=SyncKind.CLIENT
            )
        )
        for review in reviews:
            best = conflict_best_candidate(review)
            status = next(
                (c.get("status") for c in review.candidates if conflict_candidate_id(c) == best),
                None,
            )
            try:
                if best and (status == "ACTIVE" or self.opts.link_archived):
                    conflict_link(conflict=review, xero_contact_id=best)
                else:
                    conflict_create_new(conflict=review)
            except ConflictResolutionError:
                continue
        return len(reviews)
