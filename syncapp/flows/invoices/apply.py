"""Perform planned operations through the Xero client, 50 records per call, and settle the
ledger a batch per query.

Each batch: ledger rows marked SENDING with deterministic keys (committed), one call with
`summarizeErrors=false` and one Idempotency-Key derived from the rows' keys, then every
record's own outcome written back in one bulk update. After a write Xero's SubTotal, TotalTax
and Total are compared with Harvest's; a difference is flagged (or balanced, by policy), never
accepted silently. A batch whose answer never came stays SENDING and is repaired: Xero is
searched (invoice number, or Reference when Xero numbers invoices) before anything is resent.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal

from django.utils import timezone

from syncapp.flows.invoices import search
from syncapp.flows.invoices.ledger import links_park, links_send, links_write
from syncapp.flows.invoices.plan import (
    CREATE,
    FAIL,
    FLAG,
    HOLD,
    REPAIR,
    SKIP,
    UPDATE,
    VOID,
    WRITE_OFF,
    Operation,
)
from syncapp.flows.invoices.writeoff import write_offs_apply
from syncapp.flows.xero_cache import json_plain
from syncapp.models import SyncEvent, SyncLink
from syncapp.providers.errors import ApiError, AuthExpired, GovernorWouldWait
from syncapp.providers.xero.idempotency import idempotency_key_for_batch

logger = logging.getLogger(__name__)

BATCH = 50
CREDIT = "credit_note"
ID_FIELD = {"invoice": "InvoiceID", CREDIT: "CreditNoteID"}
EVENT = {
    CREATE: SyncEvent.Action.CREATE,
    UPDATE: SyncEvent.Action.UPDATE,
    VOID: SyncEvent.Action.VOID,
}


def _batches(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def revenue_facts(raw: dict | None) -> dict:
    """What the profitability dashboard needs of the Harvest invoice once it is in Xero (its
    month, currency, client and each line's project and amount), kept small on the row."""
    if not raw:
        return {}
    client = raw.get("client") or {}
    return json_plain(
        {
            "issue_date": raw.get("issue_date"),
            "currency": raw.get("currency"),
            "discount": raw.get("discount"),
            "client": {"id": client.get("id"), "name": client.get("name")},
            "line_items": [
                {
                    "project": {
                        "id": (line.get("project") or {}).get("id"),
                        "name": (line.get("project") or {}).get("name"),
                    },
                    "amount": line.get("amount"),
                }
                for line in raw.get("line_items") or []
            ],
        }
    )


def _totals(element: dict) -> tuple[Decimal | None, ...]:
    def value(name):
        raw = element.get(name)
        return Decimal(str(raw)) if raw is not None else None

    return value("SubTotal"), value("TotalTax"), value("Total")


class InvoiceApplier:
    def __init__(self, *, flow, rounding_policy: str = "flag", rounding_account: str = "") -> None:
        self.flow = flow
        self.integration = flow.integration
        self.xero = flow.xero
        self.recorder = flow.recorder
        self.dry_run = flow.dry_run
        self.rounding_policy = rounding_policy
        self.rounding_account = rounding_account
        self.mismatched = 0
        self.unsettled: list[Operation] = []
        self.follow_up: list[Operation] = []
        self.would_total: dict[str, Decimal] = {}

    # --- entry ----------------------------------------------------------------------------

    def operations_apply(self, operations: list[Operation]) -> None:
        by_action: dict[str, list[Operation]] = {}
        for op in operations:
            by_action.setdefault(op.action, []).append(op)
        for op in by_action.get(SKIP, ()):
            self._record(SyncEvent.Action.SKIP, op, message=op.reason)
        self._park(by_action.get(HOLD, []), SyncLink.State.HELD, SyncEvent.Action.HOLD)
        self._park(by_action.get(FAIL, []), SyncLink.State.FAILED, SyncEvent.Action.FAIL)
        self._flag(by_action.get(FLAG, []))
        if self.dry_run:
            fresh = by_action.get(REPAIR, []) + by_action.get(CREATE, [])
            taken = search.numbers_taken(xero=self.xero, operations=fresh) if fresh else {}
            for action in (REPAIR, CREATE, UPDATE, VOID):
                for op in by_action.get(action, ()):
                    ours, holder = taken.get(op.harvest_id, (True, ""))
                    if not ours:
                        self._record(
                            SyncEvent.Action.CONFLICT,
                            op,
                            message=f"Would go to review: number {op.label} is already used in "
                            f"Xero by {holder} that hxsync did not create.",
                        )
                    else:
                        self._preview(op)
            for op in by_action.get(WRITE_OFF, ()):
                self._record(SyncEvent.Action.VOID, op, message=f"Would write off: {op.reason}")
            return
        repaired = self._repair(by_action.get(REPAIR, []))
        self._write(by_action.get(CREATE, []) + repaired[CREATE], CREATE)
        self._write(by_action.get(UPDATE, []) + repaired[UPDATE], UPDATE)
        self._write(by_action.get(VOID, []), VOID)
        if by_action.get(WRITE_OFF):
            write_offs_apply(applier=self, operations=by_action[WRITE_OFF])

    def finish(self, *, rounds: int = 2) -> None:
        """Follow-ups (rounding lines, numbers that turned out to be ours) and one repair of
        batches whose answers were lost; what is still unsettled waits for the next run."""
        for _ in range(rounds):
            follow_up, self.follow_up = self.follow_up, []
            unsettled, self.unsettled = self.unsettled, []
            if not follow_up and not unsettled:
                return
            self._write(follow_up, UPDATE)
            repaired = self._repair(unsettled)
            self._write(repaired[CREATE], CREATE)
            self._write(repaired[UPDATE], UPDATE)
        for op in self.unsettled:
            self._record(
                SyncEvent.Action.FAIL,
                op,
                message="Xero's answer never arrived; the next run checks Xero before resending.",
            )

    # --- records --------------------------------------------------------------------------

    def _record(self, action, op: Operation, *, message="", api_error="", link=None, xero_id=""):
        link = link or op.link
        self.recorder.record(
            action=action,
            kind=op.kind,
            harvest_id=op.harvest_id,
            xero_id=xero_id or (link.xero_id if link and link.xero_id else ""),
            label=op.label,
            message=message,
            api_error=api_error,
            link=None if self.dry_run else link,
        )

    def _preview(self, op: Operation) -> None:
        if op.doc is None:
            self._record(EVENT[op.action], op, message=f"Would {op.action}: {op.reason}")
            return
        currency = op.doc.payload.get("CurrencyCode", "")
        expected = op.doc.expected
        self.would_total[currency] = self.would_total.get(currency, Decimal(0)) + expected.total
        verb = {REPAIR: "check Xero for, then create", CREATE: "create", UPDATE: "update"}[
            op.action
        ]
        noun = "credit note" if op.kind == CREDIT else "invoice"
        self._record(
            EVENT.get(op.action, SyncEvent.Action.CREATE),
            op,
            message=(
                f"Would {verb} {noun} {op.label}: {currency} {expected.total} "
                f"(subtotal {expected.sub_total}, tax {expected.total_tax})"
            ),
        )

    def _park(self, ops: list[Operation], state: str, action: str) -> None:
        if not ops:
            return
        if not self.dry_run:
            links_park(integration=self.integration, operations=ops, state=state)
        for op in ops:
            self._record(action, op, message=op.reason)

    def _flag(self, ops: list[Operation]) -> None:
        changed = []
        for op in ops:
            self._record(SyncEvent.Action.CONFLICT, op, message=op.reason)
            if op.link is not None and not self.dry_run:
                op.link.state = SyncLink.State.CONFLICT
                op.link.last_error = op.reason
                if (op.raw or {}).get("state") == "closed":  # flagged once, not every run
                    op.link.snapshot = {**(op.link.snapshot or {}), "write_off": {"flagged": True}}
                changed.append(op.link)
        if changed:
            links_write(links=changed)

    # --- repair ---------------------------------------------------------------------------

    def _repair(self, ops: list[Operation]) -> dict[str, list[Operation]]:
        """Rows whose write may or may not have happened: find them in Xero first."""
        out: dict[str, list[Operation]] = {CREATE: [], UPDATE: []}
        if not ops:
            return out
        creates = [op for op in ops if op.link is None or not op.link.xero_id]
        out[UPDATE].extend(replace(op, action=UPDATE) for op in ops if op not in creates)
        found = search.documents_find(
            xero=self.xero, operations=creates, integration=self.integration
        )
        for op in creates:
            xero_id = found.get(op.harvest_id)
            if xero_id:
                op.link.xero_id = xero_id
                out[UPDATE].append(replace(op, action=UPDATE))
            else:
                out[CREATE].append(replace(op, action=CREATE))
        return out

    # --- writes ---------------------------------------------------------------------------

    def _write(self, ops: list[Operation], action: str) -> None:
        for kind in ("invoice", CREDIT):
            same = [op for op in ops if op.kind == kind]
            for batch in _batches(same):
                self._batch(batch, action=action, kind=kind)

    def _payload(self, op: Operation, link: SyncLink, action: str, kind: str) -> dict:
        id_field = ID_FIELD[kind]
        if action == VOID:
            status = (link.snapshot or {}).get("status", "")
            return {
                id_field: link.xero_id,
                "Status": "DELETED" if status in ("DRAFT", "SUBMITTED") else "VOIDED",
            }
        payload = {k: v for k, v in op.doc.payload.items() if not k.startswith("_")}
        if action == UPDATE:
            payload[id_field] = link.xero_id
        return payload

    def _call(self, *, kind: str, action: str, payloads: list[dict], key: str):
        if kind == CREDIT:
            method = (
                self.xero.create_credit_notes if action == CREATE else self.xero.update_credit_notes
            )
            return method(credit_notes=payloads, idempotency_key=key)
        method = self.xero.create_invoices if action == CREATE else self.xero.update_invoices
        return method(invoices=payloads, idempotency_key=key)

    def _batch(self, ops: list[Operation], *, action: str, kind: str) -> None:
        links = links_send(integration=self.integration, operations=ops)
        for op in ops:
            link = links[op.harvest_id]
            if op.link is not None and op.link.xero_id and not link.xero_id:
                link.xero_id = op.link.xero_id  # found by the repair search
            op.link = link
        payloads = [self._payload(op, op.link, action, kind) for op in ops]
        key = idempotency_key_for_batch(
            operation=f"{kind}.{action}", record_keys=[op.link.idempotency_key for op in ops]
        )
        try:
            result = self._call(kind=kind, action=action, payloads=payloads, key=key)
        except AuthExpired:
            raise
        except ApiError as exc:
            if not (exc.retryable or exc.maybe_applied or isinstance(exc, GovernorWouldWait)):
                raise
            logger.warning("invoice batch of %d left unsettled: %s", len(ops), exc)
            self.unsettled.extend(replace(op, action=REPAIR) for op in ops)
            return
        settled, collisions = [], []
        for op, record in zip(ops, result.results, strict=True):
            link = op.link
            if record.ok:
                self._settle_ok(op, link, record, action)
            elif action == CREATE and any("must be unique" in e for e in record.errors):
                collisions.append((op, record))
                continue
            else:
                self._settle_refused(op, link, record, action)
            settled.append(link)
        if collisions:
            settled.extend(self._collisions(collisions))
        links_write(links=settled)
        self.recorder.flush()  # the run page's progress bar moves a batch at a time

    def _settle_ok(self, op: Operation, link: SyncLink, record, action: str) -> None:
        element = record.element
        now = timezone.now()
        link.xero_id = record.xero_id or link.xero_id
        link.synced_at = now
        link.last_error = ""
        if action == VOID:
            link.state = SyncLink.State.VOIDED
            link.snapshot = {**(link.snapshot or {}), "status": element.get("Status", "")}
            link.snapshot.pop("harvest", None)
            self._record(SyncEvent.Action.VOID, op, message=op.reason, link=link)
            return
        expected = op.doc.expected
        actual = _totals(element)
        wanted = (expected.sub_total, expected.total_tax, expected.total)
        link.payload_hash = op.doc.payload.get("_base_hash") or op.payload_hash
        link.snapshot = {
            "status": element.get("Status", ""),
            "expected": expected.as_dict(),
            "explain": op.doc.explain,
            "revenue": revenue_facts(op.raw),
        }
        if actual == wanted:
            link.state = SyncLink.State.SYNCED
            self._record(EVENT[action], op, link=link)
            return
        if op.doc.payload.get("_rounded") and actual[2] == expected.total:
            link.state = SyncLink.State.SYNCED
            link.snapshot["rounded"] = True
            self._record(
                EVENT[action],
                op,
                link=link,
                message="Balanced by a rounding line to the rounding account (policy).",
            )
            return
        self.mismatched += 1
        difference = (
            f"Xero's totals differ from Harvest's: SubTotal {actual[0]} vs {wanted[0]}, "
            f"TotalTax {actual[1]} vs {wanted[1]}, Total {actual[2]} vs {wanted[2]}."
        )
        link.snapshot["mismatch"] = difference
        balance = (
            self.rounding_policy == "balance"
            and self.rounding_account
            and actual[2] is not None
            and not op.doc.payload.get("_rounded")
        )
        if balance:
            payload = dict(op.doc.payload)
            payload["LineItems"] = [
                *payload["LineItems"],
                {
                    "Description": "Rounding (to match the Harvest invoice total)",
                    "Quantity": Decimal(1),
                    "UnitAmount": expected.total - actual[2],
                    "AccountCode": self.rounding_account,
                    "TaxType": "NONE",
                },
            ]
            payload["_rounded"] = True
            # The ledger keeps the hash of what Harvest asks for, so the next run does not take
            # the rounding line for a change and send the invoice again.
            payload["_base_hash"] = op.payload_hash
            link.state = SyncLink.State.SENDING
            self.follow_up.append(
                replace(op, action=UPDATE, doc=replace(op.doc, payload=payload), link=link)
            )
            return
        link.state = SyncLink.State.CONFLICT
        link.last_error = difference
        self._record(SyncEvent.Action.CONFLICT, op, message=difference, link=link)

    def _settle_refused(self, op: Operation, link: SyncLink, record, action: str) -> None:
        snapshot = dict(link.snapshot or {})
        if action == CREATE:
            link.state = SyncLink.State.FAILED
            snapshot["failed_hash"] = op.payload_hash
            snapshot["harvest"] = json_plain(op.raw)
            message = "Xero refused the invoice; fix the cause and it is sent again."
            event = SyncEvent.Action.FAIL
        else:
            # Paid, voided or in a locked period: Xero forbids it. Finance decides; the same
            # payload is not sent again (no loop of failures).
            link.state = SyncLink.State.CONFLICT
            snapshot["refused_hash"] = op.payload_hash or "void"
            message = (
                f"Xero refused to {'void' if action == VOID else 'update'} it; "
                "it needs finance's decision."
            )
            event = SyncEvent.Action.CONFLICT
        link.snapshot = snapshot
        link.last_error = record.error_text
        self._record(event, op, message=message, api_error=record.error_text, link=link)

    def _collisions(self, collisions) -> list[SyncLink]:
        """The number is taken in Xero: ours from an earlier unanswered write, or someone
        else's invoice (a conflict for finance, never an overwrite)."""
        ops = [op for op, _ in collisions]
        found = search.documents_find(xero=self.xero, operations=ops, integration=self.integration)
        settled = []
        for op, record in collisions:
            link = op.link
            xero_id = found.get(op.harvest_id)
            if xero_id:
                link.xero_id = xero_id
                self.follow_up.append(replace(op, action=UPDATE, link=link))
                continue
            link.state = SyncLink.State.CONFLICT
            link.last_error = record.error_text
            snapshot = dict(link.snapshot or {})
            snapshot["failed_hash"] = op.payload_hash
            link.snapshot = snapshot
            self._record(
                SyncEvent.Action.CONFLICT,
                op,
                message=(
                    f"Number {op.label} is already used in Xero by a document hxsync did not "
                    "create. Renumber one of them, or set an invoice number prefix."
                ),
                api_error=record.error_text,
                link=link,
            )
            settled.append(link)
        return settled
