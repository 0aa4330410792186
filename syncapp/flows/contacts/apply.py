"""Perform the planned contact operations: conflicts, creates and updates in batches of 50.

Every Xero write follows the ledger protocol (services.ledger): the records are marked SENDING
with their idempotency keys and committed before the request, and settled in one bulk update
after it. A create whose answer was lost stays SENDING; the next run finds the contact by the
reference it carries (ContactNumber) before creating anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from syncapp.flows.base import FlowContext
from syncapp.flows.contacts.conflicts import KIND, ConflictQueue, error_is_name_taken
from syncapp.flows.contacts.plan import CONFLICT, CREATE, HOLD, LINK, SKIP, UPDATE, ContactOp
from syncapp.flows.contacts.records import XeroSide, xero_side_from_contact
from syncapp.models import Conflict, SyncEvent, SyncLink
from syncapp.providers.errors import ApiError, AuthExpired, GovernorWouldWait
from syncapp.providers.xero.idempotency import idempotency_key_for_batch
from syncapp.providers.xero.types import Contact
from syncapp.services.ledger import LinkIntent, LinkOutcome, links_prepare, links_settle

BATCH_SIZE = 50


def chunks(items: Sequence[Any], size: int = BATCH_SIZE) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


# Per-run note, in a dry run: Harvest client ids whose Xero contact the run would create or link.
WOULD_HAVE_CONTACT = "contacts.would_have_contact"


class ContactsApply(ConflictQueue):
    """Applies one run's operations; `contacts` are the Xero contacts the plan saw."""

    def __init__(self, *, ctx: FlowContext, contacts: dict[str, XeroSide]) -> None:
        self.ctx = ctx
        self.integration = ctx.integration
        self.contacts = contacts
        self.new_conflicts: list[Conflict] = []
        self.conflict_links: dict[str, str] = {}

    # -- entry point -------------------------------------------------------------------------

    def run(self, ops: list[ContactOp]) -> None:
        if self.ctx.dry_run:
            for op in ops:
                self.preview(op)
            return
        for op in ops:
            if op.action == CONFLICT:
                self.conflict_open(
                    op,
                    reason=op.conflict_reason,
                    detail=op.message,
                    candidates=op.conflict_candidates,
                )
                self.record(op, CONFLICT, op.message)
            elif op.action == SKIP and not op.ledger_changes:
                self.record(op, SKIP, op.message)
            elif op.action == HOLD:
                self.record(op, SyncEvent.Action.HOLD, op.message)
            if op.conflict_reason == Conflict.Reason.FIELD_DIVERGED:
                self.conflict_open(
                    op,
                    reason=op.conflict_reason,
                    detail=op.conflict_detail or op.message,
                    candidates=op.conflict_candidates,
                )
                if op.action != CONFLICT:
                    self.record(op, CONFLICT, op.message, counts_as_done=False)
        self.conflicts_flush()
        self.links_hold([op for op in ops if op.action == HOLD])
        self.creates_apply([op for op in ops if op.action == CREATE])
        self.links_attach([op for op in ops if op.action == LINK])
        writes = [op for op in ops if op.action in (LINK, UPDATE) and op.writes]
        self.updates_apply(writes)
        quiet = [
            op
            for op in ops
            if op.action in (LINK, UPDATE, SKIP)
            and not op.writes
            and op.ledger_changes
            and op.contact_id
        ]
        self.ledger_only(quiet)

    # -- preview -----------------------------------------------------------------------------

    def preview(self, op: ContactOp) -> None:
        words = {
            CREATE: "Would create",
            LINK: "Would link",
            UPDATE: "Would update",
            CONFLICT: "Would send to review",
            SKIP: "Would skip",
            HOLD: "Would hold",
        }
        self.record(op, op.action, f"{words[op.action]}: {op.message}")
        if op.action in (CREATE, LINK):
            # The invoices step of the same dry run plans these clients' invoices as the real
            # run would, once their contact exists, instead of holding them.
            self.ctx.shared.setdefault(WOULD_HAVE_CONTACT, set()).add(op.client.client_id)
        if op.conflict_reason == Conflict.Reason.FIELD_DIVERGED and op.action != CONFLICT:
            self.record(op, CONFLICT, f"Would send to review: {op.message}", counts_as_done=False)

    def record(
        self,
        op: ContactOp,
        action: str,
        message: str,
        *,
        xero_id: str = "",
        api_error: str = "",
        counts_as_done: bool = True,
    ) -> None:
        self.ctx.recorder.record(
            action=action,
            kind=KIND,
            harvest_id=op.client.client_id,
            xero_id=xero_id or op.contact_id or "",
            label=op.client.name,
            message=message,
            api_error=api_error,
            counts_as_done=counts_as_done,
        )

    # -- creates -----------------------------------------------------------------------------

    def creates_apply(self, ops: list[ContactOp]) -> None:
        for batch in chunks(ops):
            self.batch_send(batch, operation="contacts.create")

    def batch_send(self, batch: list[ContactOp], *, operation: str) -> None:
        creating = operation == "contacts.create"
        links = links_prepare(
            integration=self.integration,
            kind=KIND,
            intents=[
                LinkIntent(op.client.client_id, op.client.name, op.xero_payload, op.snapshot)
                for op in batch
            ],
        )
        # The client resends this very request with this key after a timeout (Xero replays the
        # first answer). A later attempt is a new request: Xero replays answers for 24 hours,
        # refusals included, so a record retried after finance fixed something must not reuse
        # it. Creates never rely on the key across runs: they are found by reference first.
        key = idempotency_key_for_batch(
            operation=operation,
            record_keys=[
                f"{links[op.client.client_id].idempotency_key}#{links[op.client.client_id].attempts}"
                for op in batch
            ],
        )
        send = self.ctx.xero.create_contacts if creating else self.ctx.xero.update_contacts
        try:
            result = send(contacts=[op.xero_payload for op in batch], idempotency_key=key)
        except GovernorWouldWait:
            # The run gives its worker back and resumes when the rate limit allows. The rows
            # stay SENDING: an earlier attempt of this request may have reached Xero, so the
            # resumed run finds them by reference before sending again.
            raise
        except AuthExpired:
            raise
        except ApiError as error:
            # The outcome may be unknown (a timeout after the write): such rows stay SENDING
            # and the next run searches Xero by reference before creating again.
            state = SyncLink.State.SENDING if error.maybe_applied else SyncLink.State.FAILED
            links_settle(
                outcomes=[
                    LinkOutcome(link=links[op.client.client_id], error=str(error), state=state)
                    for op in batch
                ]
            )
            for op in batch:
                self.record(
                    op,
                    SyncEvent.Action.FAIL,
                    f"Xero did not answer the batch: {error}",
                    api_error=getattr(error, "api_message", "") or str(error),
                )
            return
        outcomes = []
        # Successes first, so a name refused because a sibling in this batch took it can name it.
        for record in sorted(result, key=lambda r: not r.ok):
            op = batch[record.index]
            link = links[op.client.client_id]
            if record.ok:
                snapshot = op.snapshot
                if record.element.get("ContactID"):
                    answer = xero_side_from_contact(Contact.from_api(record.element))
                    self.contacts[answer.contact_id] = answer
                    xero_now = answer.values()
                    snapshot = {
                        **op.snapshot,
                        "xero": {**op.snapshot["xero"], **_sent_form(xero_now, op)},
                    }
                outcomes.append(
                    LinkOutcome(
                        link=link,
                        xero_id=record.xero_id,
                        payload_hash=op.state_hash,
                        snapshot=snapshot,
                    )
                )
                action = op.action if op.action in (CREATE, LINK) else UPDATE
                self.record(op, action, op.message, xero_id=record.xero_id)
            elif error_is_name_taken(record.error_text):
                outcomes.append(
                    self.name_taken(op, link=link, error=record.error_text, creating=creating)
                )
            else:
                outcomes.append(
                    LinkOutcome(link=link, error=record.error_text, state=SyncLink.State.FAILED)
                )
                self.record(
                    op,
                    SyncEvent.Action.FAIL,
                    "Xero refused the contact.",
                    api_error=record.error_text,
                )
        links_settle(outcomes=outcomes)
        self.conflicts_flush()

    def links_attach(self, ops: list[ContactOp]) -> None:
        """Give newly matched clients their Xero id in the ledger before anything is sent."""
        self._links_put(
            ops,
            state=SyncLink.State.PENDING,
            xero_id=lambda op: op.contact_id,
            fields=["xero_id"],
        )

    def links_hold(self, ops: list[ContactOp]) -> None:
        """A contact Xero would refuse (plan says why) waits, with its reason in the ledger for
        the invoices that need it; not retried until the client changes in Harvest."""
        self._links_put(
            ops,
            state=SyncLink.State.HELD,
            last_error=lambda op: op.message,
            fields=["last_error"],
        )

    def _links_put(self, ops: list[ContactOp], *, state: str, fields: list[str], **values) -> None:
        """One upsert of the clients' ledger rows in `state`; `values` maps a field to how each
        op gives it."""
        if not ops:
            return
        SyncLink.objects.bulk_create(
            [
                SyncLink(
                    integration=self.integration,
                    kind=KIND,
                    harvest_id=op.client.client_id,
                    label=op.client.name[:255],
                    state=state,
                    snapshot={},
                    **{name: value(op) for name, value in values.items()},
                )
                for op in ops
            ],
            update_conflicts=True,
            unique_fields=["integration", "kind", "harvest_id"],
            update_fields=[*fields, "label", "state", "snapshot", "updated_at"],
        )

    def updates_apply(self, ops: list[ContactOp]) -> None:
        to_xero: list[ContactOp] = []
        harvest_failed: list[LinkOutcome] = []
        harvest_done: list[LinkOutcome] = []
        links = {}
        if any(op.harvest_client_changes or op.harvest_contact_changes for op in ops):
            links = {
                link.harvest_id: link
                for link in SyncLink.objects.filter(
                    integration=self.integration,
                    kind=KIND,
                    harvest_id__in=[op.client.client_id for op in ops],
                )
            }
        for op in ops:
            error = self.harvest_write(op)
            if error:
                harvest_failed.append(
                    LinkOutcome(
                        link=links[op.client.client_id], error=error, state=SyncLink.State.FAILED
                    )
                )
                if not self.harvest_name_taken(op, error=error):
                    self.record(
                        op, SyncEvent.Action.FAIL, "Harvest refused the change.", api_error=error
                    )
            elif op.xero_payload:
                to_xero.append(op)
            else:
                harvest_done.append(
                    LinkOutcome(
                        link=links[op.client.client_id],
                        xero_id=op.contact_id,
                        payload_hash=op.state_hash,
                        snapshot=op.snapshot,
                    )
                )
                self.record(op, op.action, op.message)
        if harvest_failed or harvest_done:
            links_settle(outcomes=[*harvest_failed, *harvest_done])
        self.conflicts_flush()
        for batch in chunks(to_xero):
            self.batch_send(batch, operation="contacts.update")

    def harvest_write(self, op: ContactOp) -> str:
        """Xero's changes into Harvest (no batch API there: one call per client changed)."""
        harvest = self.ctx.harvest
        try:
            if op.harvest_client_changes:
                harvest.update_client(
                    client_id=int(op.client.client_id), **op.harvest_client_changes
                )
            if op.harvest_contact_changes and op.client.contact_id is not None:
                harvest.update_contact(
                    contact_id=op.client.contact_id, **op.harvest_contact_changes
                )
        except (AuthExpired, GovernorWouldWait):
            raise
        except ApiError as error:
            return getattr(error, "api_message", "") or str(error)
        return ""

    def ledger_only(self, ops: list[ContactOp]) -> None:
        """Snapshots that moved without a write (both sides changed alike, a review settled)."""
        if not ops:
            return
        links = {
            link.harvest_id: link
            for link in SyncLink.objects.filter(
                integration=self.integration,
                kind=KIND,
                harvest_id__in=[op.client.client_id for op in ops],
            )
        }
        outcomes = []
        for op in ops:
            link = links.get(op.client.client_id)
            if link is None:
                continue
            outcomes.append(
                LinkOutcome(
                    link=link,
                    xero_id=op.contact_id,
                    payload_hash=op.state_hash,
                    snapshot=op.snapshot,
                )
            )
            if op.action == LINK:
                self.record(op, LINK, op.message)
            else:
                self.record(op, SKIP, op.message)
        links_settle(outcomes=outcomes)


def _sent_form(xero_now: dict[str, Any], op: ContactOp) -> dict[str, Any]:
    """Xero's own answer for the fields sent, so its trimming never looks like a change later."""
    sent_keys = {
        "Name": "name",
        "EmailAddress": "email",
        "FirstName": "first_name",
        "LastName": "last_name",
        "DefaultCurrency": "currency",
        "Addresses": "address",
    }
    return {name: xero_now[name] for key, name in sent_keys.items() if key in op.xero_payload}
