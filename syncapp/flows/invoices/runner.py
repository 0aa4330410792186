"""The invoices flow's entry point for the engine: read Harvest incrementally (cursor), plan and
apply a chunk at a time (flat memory; a few queries per chunk and per batch, never per invoice),
retry what the ledger still holds (held, unsettled, failed), and reconcile deletions only after a
complete read (ARCHITECTURE rule 7)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import chain, islice

from django.conf import settings
from django.utils import timezone

from syncapp.flows.base import FlowContext
from syncapp.flows.contacts.apply import WOULD_HAVE_CONTACT
from syncapp.flows.contacts.links import ContactLink, contact_links_for_clients
from syncapp.flows.invoices.accounts import EntryFact
from syncapp.flows.invoices.apply import InvoiceApplier
from syncapp.flows.invoices.context import mapping_context_load
from syncapp.flows.invoices.ledger import KINDS, invoice_links_load, invoice_links_unsettled
from syncapp.flows.invoices.plan import PlanPolicy, invoice_plan, removed_plan
from syncapp.flows.invoices.preflight import preflight_check
from syncapp.flows.invoices.services import preflight_inputs
from syncapp.flows.xero_cache import MAX_AGE as SETTINGS_MAX_AGE
from syncapp.flows.xero_cache import xero_settings_get, xero_settings_note_currency
from syncapp.models import Cursor, SyncLink, SyncRun
from syncapp.providers.errors import GovernorWouldWait
from syncapp.providers.harvest.invoice_types import HarvestInvoice
from syncapp.services.cursors import cursor_set, cursors_get

logger = logging.getLogger(__name__)

CHUNK = 500
STREAM = "harvest.invoices"
FULL_STREAM = "harvest.invoices.full"
FULL_EVERY = timedelta(hours=24)
# Harvest's updated_since is compared to its own clock: read a little before the watermark.
CURSOR_OVERLAP = timedelta(minutes=5)
MINUTE_WAIT = 61.0
# Stands for the contact the same dry run's contacts step would create.
DRY_RUN_CONTACT = "(contact this run would create)"


def _batched(items, size: int):
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _entries(harvest, invoices_from) -> dict[str, list[EntryFact]]:
    """Billed time entries by invoice id, for lines whose task decides their account."""
    by_invoice: dict[str, list[EntryFact]] = {}
    for entry in harvest.list_time_entries(is_billed=True, from_date=invoices_from):
        if entry.invoice is None or entry.task is None or entry.project is None:
            continue
        by_invoice.setdefault(str(entry.invoice.id), []).append(
            EntryFact(
                project_id=str(entry.project.id),
                task_id=str(entry.task.id),
                task_name=entry.task.name,
                hours=entry.hours or Decimal(0),
            )
        )
    return by_invoice


def _closed_waiting(link: SyncLink) -> bool:
    """Held because Harvest closed it before it reached Xero: nothing to try again until Harvest
    changes it (the incremental read brings it back then)."""
    return link.state == SyncLink.State.HELD and link.snapshot["harvest"].get("state") == "closed"


def governors_wait_a_minute(flow: FlowContext) -> None:
    """A bulk run waits in place for Xero's minute window to refill (60 calls a minute); only a
    longer wait (the day limit) stops the run, to be picked up by the next one."""
    for client in (flow.xero, flow.harvest):
        governor = getattr(client, "governor", None)
        if governor is not None and getattr(governor, "max_wait", 0) < MINUTE_WAIT:
            governor.max_wait = MINUTE_WAIT


def settings_max_age(flow: FlowContext) -> timedelta:
    if flow.run.trigger != SyncRun.Trigger.SCHEDULE:
        return SETTINGS_MAX_AGE
    hours = getattr(settings, "XERO_SETTINGS_POLL_MAX_AGE_HOURS", 24)
    return max(SETTINGS_MAX_AGE, timedelta(hours=float(hours)))


class InvoiceRun:
    def __init__(self, flow: FlowContext, *, cached_settings: bool = False) -> None:
        """`cached_settings`: plan from the cached Xero settings however old (a poll that only
        plans again what the ledger holds). A scheduled run refreshes them at most every
        XERO_SETTINGS_POLL_MAX_AGE_HOURS (default 24: six calls a day, not 24, on a Starter
        organisation's 1,000); a run asked for by hand every 6 hours, the preflight on demand."""
        self.flow = flow
        self.integration = integration = flow.integration
        governors_wait_a_minute(flow)
        self.settings = (
            cached_settings and xero_settings_get(integration=integration)
        ) or xero_settings_get(
            integration=integration, xero=flow.xero, max_age=settings_max_age(flow)
        )
        company = flow.harvest.get_company()
        self.mapping = mapping_context_load(
            integration=integration, settings=self.settings, harvest_url=company.base_uri
        )
        self.policy = PlanPolicy(
            trigger=integration.invoice_trigger,
            currency_policy=integration.currency_policy,
            removed_policy=integration.removed_invoice_policy,
            closed_policy=integration.closed_invoice_policy,
            currency_codes=frozenset(self.settings.currency_codes),
            lock_date=self.settings.lock_date,
            allowed_actions={k: v == "ALLOWED" for k, v in self.settings.actions.items()},
            account_status={
                code: account.get("Status", "ACTIVE")
                for code, account in self.settings.accounts_by_code.items()
            },
        )
        self.applier = InvoiceApplier(
            flow=flow,
            rounding_policy=integration.rounding_policy,
            rounding_account=integration.rounding_account_code,
        )
        self.seen: set[str] = set()
        self.newest: datetime | None = None
        self.stopped = ""
        self.wait: GovernorWouldWait | None = None  # what stopped it, for the re-queue

    def chunk_process(self, invoices: list[HarvestInvoice]) -> None:
        links = invoice_links_load(
            integration=self.integration, harvest_ids=[i.id for i in invoices]
        )
        contacts = contact_links_for_clients(
            integration=self.integration,
            harvest_client_ids={str(i.client.id) for i in invoices if i.client},
        )
        operations = []
        would_have = self.flow.shared.get(WOULD_HAVE_CONTACT, set()) if self.flow.dry_run else ()
        for invoice in invoices:
            answer = contacts.get(str(invoice.client.id)) if invoice.client else None
            if answer and answer.hold_reason and str(invoice.client.id) in would_have:
                answer = ContactLink(DRY_RUN_CONTACT, None)
            contact = (
                (answer.xero_contact_id, answer.hold_reason)
                if answer
                else (None, "The Harvest invoice has no client.")
            )
            operations.append(
                invoice_plan(
                    invoice=invoice,
                    link=links.get(str(invoice.id)),
                    contact=contact,
                    ctx=self.mapping,
                    policy=self.policy,
                )
            )
        self.currencies_enable(operations)
        self.applier.operations_apply(operations)
        self.flow.recorder.flush()

    def currencies_enable(self, operations) -> None:
        """Policy "enable": switch on, once, each currency Xero lacks before sending."""
        if self.policy.currency_policy != "enable" or self.flow.dry_run:
            return
        missing = {
            op.doc.payload.get("CurrencyCode")
            for op in operations
            if op.doc is not None
            and op.doc.payload.get("CurrencyCode") not in self.policy.currency_codes
        }
        for code in sorted(c for c in missing if c):
            self.flow.xero.create_currency(
                code=code, idempotency_key=f"hx:{self.integration.pk}:currency:{code}"
            )
            xero_settings_note_currency(integration=self.integration, code=code)
            self.policy = PlanPolicy(
                **{**self.policy.__dict__, "currency_codes": self.policy.currency_codes | {code}}
            )

    def read(self, invoices) -> None:
        try:
            self._read(invoices)
        except GovernorWouldWait as exc:
            self.wait = exc
            self.stopped = (
                f"Stopped early: {exc}. What was not sent waits for the next run "
                "(the cursor did not move)."
            )
            logger.warning("invoices run stopped by the rate governor: %s", exc)

    def _read(self, invoices) -> None:
        for chunk in _batched(invoices, CHUNK):
            self.flow.recorder.add_total(len(chunk))
            for invoice in chunk:
                self.seen.add(str(invoice.id))
                if invoice.updated_at and (self.newest is None or invoice.updated_at > self.newest):
                    self.newest = invoice.updated_at
            self.chunk_process(chunk)


def invoices_in_scope(flow: FlowContext) -> list[str] | None:
    """The Harvest invoices a targeted run covers (None: an ordinary run). A resync names them;
    a run after a conflict was resolved names clients, whose waiting invoices go now."""
    scope = flow.scope
    if "harvest_invoice_ids" in scope:
        return [str(h) for h in scope["harvest_invoice_ids"]]
    if "harvest_client_ids" in scope:
        clients = [int(c) for c in scope["harvest_client_ids"]]
        return [
            str(h)
            for h in SyncLink.objects.filter(
                integration=flow.integration,
                kind__in=KINDS,
                # Failed too: an invoice sent (and refused) while its contact was still
                # archived or unlinked goes again once the client's contact is ready.
                state__in=(SyncLink.State.HELD, SyncLink.State.FAILED),
                snapshot__harvest__client__id__in=clients,
            ).values_list("harvest_id", flat=True)
        ]
    return None


def _preflight(run: InvoiceRun) -> list[dict]:
    inputs = preflight_inputs(integration=run.integration)
    problems = preflight_check(integration=run.integration, settings=run.settings, **inputs)
    return [p.as_dict() for p in problems]


def invoices_run(flow: FlowContext) -> None:
    resync = invoices_in_scope(flow)
    if resync is None:
        _invoices_poll(flow)
        return
    # Resync from the admin: these invoices only, read again and sent whatever the hash says.
    run = InvoiceRun(flow)
    flow.recorder.summary.extra["preflight"] = _preflight(run)
    rows = SyncLink.objects.filter(
        integration=flow.integration, kind__in=KINDS, harvest_id__in=resync
    ).exclude(state=SyncLink.State.SENDING)
    # Sent again whatever the hash or an earlier refusal says. Kept: the Harvest invoice (a
    # client-scoped run finds the row by it, also when this run is killed before re-reading)
    # and finance's write-off decision on a closed invoice.
    for pk, snapshot in rows.values_list("pk", "snapshot"):
        snapshot = snapshot or {}
        SyncLink.objects.filter(pk=pk).update(
            payload_hash="",
            snapshot={key: snapshot[key] for key in ("harvest", "write_off") if key in snapshot},
        )
    run.read(flow.harvest.get_invoice(invoice_id=int(h)) for h in resync)
    run.applier.finish()
    flow.recorder.flush()


def _harvest_changed(flow: FlowContext, *, since: datetime | None):
    """Harvest invoices changed since the cursor. Read `CURSOR_OVERLAP` before it, unless the
    cursor was last written that long after its stamp: then everything stamped up to it was
    read by that run, and the read starts at the cursor, dropping what is stamped at it (Harvest
    stamps whole seconds). Without that, every poll read the last batch changed again."""
    if since is None:
        return flow.harvest.list_invoices()
    written = (
        Cursor.objects.filter(integration=flow.integration, stream=STREAM)
        .values_list("updated_at", flat=True)
        .first()
    )
    if written is None or written - since <= CURSOR_OVERLAP:
        return flow.harvest.list_invoices(updated_since=since - CURSOR_OVERLAP)
    return (
        invoice
        for invoice in flow.harvest.list_invoices(updated_since=since)
        if invoice.updated_at is None or invoice.updated_at > since
    )


def _invoices_poll(flow: FlowContext) -> None:
    """An ordinary run: what Harvest changed since the cursor, what the ledger left unsettled,
    and once a day everything. Nothing of that: no Xero call at all (not even the settings)."""
    integration = flow.integration
    started = timezone.now()
    cursors = cursors_get(integration=integration, streams=(STREAM, FULL_STREAM))
    since, last_full = cursors[STREAM], cursors[FULL_STREAM]
    full = since is None or last_full is None or started - last_full > FULL_EVERY
    leftovers = {
        link.harvest_id: link.snapshot.get("harvest")
        for link in invoice_links_unsettled(integration=integration)
        if (link.snapshot or {}).get("harvest") and not _closed_waiting(link)
    }
    governors_wait_a_minute(flow)
    changed = iter(_harvest_changed(flow, since=None if full else since))
    first = next(changed, None)
    if first is None and not full and not leftovers:
        flow.recorder.summary.extra.update({"idle": True, "full_read": False})
        if not flow.dry_run:
            cursor_set(integration=integration, stream=STREAM, value=since)  # read up to now
        return
    run = InvoiceRun(flow, cached_settings=first is None and not full)
    flow.recorder.summary.extra["preflight"] = _preflight(run)
    if run.mapping.accounts is not None and run.mapping.accounts.uses_tasks:
        run.mapping = type(run.mapping)(
            **{**run.mapping.__dict__, "entries": _entries(flow.harvest, None)}
        )
    run.read(chain([first], changed) if first is not None else changed)
    again = [HarvestInvoice.from_api(raw) for key, raw in leftovers.items() if key not in run.seen]
    if again and not run.stopped:
        run.read(again)
    if full and not run.stopped:
        synced = SyncLink.objects.filter(
            integration=integration, kind__in=KINDS, xero_id__isnull=False
        ).exclude(state__in=(SyncLink.State.VOIDED, SyncLink.State.CONFLICT))
        # Ids first (small), whole rows only for the few that are gone.
        gone = [h for h in synced.values_list("harvest_id", flat=True) if h not in run.seen]
        missing = list(synced.filter(harvest_id__in=gone)) if gone else []
        operations = removed_plan(links=missing, seen=run.seen, policy=run.policy)
        if operations:
            flow.recorder.add_total(len(operations))
            run.applier.operations_apply(operations)
    if not run.stopped:
        try:
            run.applier.finish()
        except GovernorWouldWait as exc:
            run.wait = exc
            run.stopped = f"Stopped before repairing unanswered writes: {exc}."
    flow.recorder.flush()
    extra = flow.recorder.summary.extra
    if run.stopped:
        extra["stopped"] = run.stopped
    if run.wait is not None:
        # How long and for whom, for the engine's re-queue (services/run_waits.py).
        extra["wait_seconds"] = run.wait.seconds
        extra["wait_key"] = run.wait.key
        extra["wait_reason"] = run.wait.reason
    extra["mismatched_totals"] = run.applier.mismatched
    extra["full_read"] = full
    # Again after the run: what it held (a missing tax rate or currency) is listed with its fix.
    extra["preflight"] = _preflight(run)
    if flow.dry_run:
        extra["would_total"] = {k: str(v) for k, v in sorted(run.applier.would_total.items())}
        return
    if run.stopped:
        return
    # Written even when it did not move: when it was written tells the next poll that what is
    # stamped up to it was read (see _harvest_changed).
    newest = max(run.newest, since) if since and run.newest else (run.newest or since)
    cursor_set(integration=integration, stream=STREAM, value=newest)
    if full:
        cursor_set(integration=integration, stream=FULL_STREAM, value=started)
