"""`contacts_run`: read what changed on both sides (cursors), plan, apply, move the cursors.

Reads: Harvest clients and contact people with `updated_since`, Xero contacts with
`If-Modified-Since` (archived ones included, so archiving in Xero is seen and archived twins are
candidates). When a client has to be matched, Xero's whole contact list is read once, because a
match can be any contact. Cursors move only after a run that got through, to the newest
timestamp each side reported (never our clock: the two systems' clocks are not ours).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from mappings.models import ContactMatchRule
from mappings.models.contacts import FieldOwner
from syncapp.flows.base import FlowContext, read_watermark
from syncapp.flows.contacts.apply import ContactsApply, chunks
from syncapp.flows.contacts.links import clients_with_invoices_waiting
from syncapp.flows.contacts.matching import MatchRules
from syncapp.flows.contacts.plan import LedgerView, OpenConflict, PlanInput, contacts_plan
from syncapp.flows.contacts.records import (
    FIELD_OWNER_ATTR,
    FIELDS,
    HarvestSide,
    xero_side_from_contact,
)
from syncapp.models import Conflict, Cursor, Integration, SyncKind, SyncLink, SyncRun
from syncapp.services.cursors import cursors_get, cursors_set

STREAMS = ("harvest.clients", "harvest.contacts", "xero.contacts")
# When Xero's contacts were last read (our clock, not a watermark): an idle poll reads them only
# every CONTACTS_XERO_POLL_MINUTES (a Starter organisation has 1,000 calls a day); with webhooks a
# contact changed in Xero asks for its own run, so the poll is only a catch-up.
XERO_READ_STREAM = "xero.contacts.read"
DEFAULT_XERO_POLL_MINUTES = 60
DEFAULT_XERO_POLL_MINUTES_WITH_WEBHOOKS = 360
RETRY_STATES = (SyncLink.State.SENDING, SyncLink.State.FAILED, SyncLink.State.PENDING)


def contact_rules_for(*, integration: Integration) -> tuple[MatchRules, dict[str, str]]:
    rule = ContactMatchRule.objects.filter(integration=integration).first() or ContactMatchRule()
    auto = rule.auto_link and (
        integration.contact_match_policy == Integration.ContactMatchPolicy.AUTO_LINK
    )
    rules = MatchRules(
        match_on_reference=rule.match_on_reference,
        match_on_email=rule.match_on_email,
        match_on_name=rule.match_on_name,
        auto_link=auto,
        name_similarity_threshold=float(rule.name_similarity_threshold),
    )
    owners = {name: getattr(rule, FIELD_OWNER_ATTR[name]) or FieldOwner.REVIEW for name in FIELDS}
    return rules, owners


# Reads overlap the last one by a second: a change stamped in the same second as the cursor is
# read again rather than missed (an unchanged record costs nothing: it plans as a skip).
CURSOR_OVERLAP = timedelta(seconds=1)
# A Harvest cursor written this long after its stamp covers everything up to it (clocks agree
# to well within a minute).
HARVEST_SETTLE = timedelta(minutes=1)
# A schedule firing every minute is not skipped for arriving a moment early.
POLL_SLACK = timedelta(seconds=5)


def _since(cursor: datetime | None) -> datetime | None:
    return cursor - CURSOR_OVERLAP if cursor else None


def _newest(current: datetime | None, *stamps: datetime | None) -> datetime | None:
    found = [s for s in (current, *stamps) if s is not None]
    return max(found) if found else None


def xero_contacts_read_due(*, integration: Integration, last: datetime | None) -> bool:
    """Whether a poll with nothing to do on the Harvest side still reads Xero's contacts."""
    from syncapp.flows.payments.schedule import xero_webhooks_on

    if xero_webhooks_on(integration=integration):
        minutes = getattr(
            settings,
            "CONTACTS_XERO_POLL_MINUTES_WITH_WEBHOOKS",
            DEFAULT_XERO_POLL_MINUTES_WITH_WEBHOOKS,
        )
    else:
        minutes = getattr(settings, "CONTACTS_XERO_POLL_MINUTES", DEFAULT_XERO_POLL_MINUTES)
    return last is None or timezone.now() - last >= timedelta(minutes=int(minutes)) - POLL_SLACK


def harvest_cursors_settled(*, integration: Integration, cursors: dict) -> set[str]:
    """Harvest streams whose cursor was last written well after the newest stamp it holds: every
    record stamped up to the cursor was visible to that run and handled by it."""
    written = dict(
        Cursor.objects.filter(
            integration=integration, stream__in=("harvest.clients", "harvest.contacts")
        ).values_list("stream", "updated_at")
    )
    return {
        stream
        for stream, at in written.items()
        if cursors.get(stream) is not None and at - cursors[stream] > HARVEST_SETTLE
    }


def harvest_changed(lister, *, cursor: datetime | None, settled: set[str]) -> list:
    """Records changed since the cursor. Harvest stamps whole seconds, so a settled cursor is
    asked from itself and the records at it (already handled) dropped: an idle poll then has
    nothing to plan, and no reason to read Xero. Unsettled, the read overlaps by a second."""
    stream = {"list_clients": "harvest.clients", "list_contacts": "harvest.contacts"}[
        lister.__name__
    ]
    if cursor is None or stream not in settled:
        return list(lister(updated_since=_since(cursor)))
    return [r for r in lister(updated_since=cursor) if r.updated_at and r.updated_at > cursor]


def contacts_run(ctx: FlowContext) -> None:
    integration = ctx.integration
    rules, owners = contact_rules_for(integration=integration)
    cursors = cursors_get(integration=integration, streams=(*STREAMS, XERO_READ_STREAM))
    seen = dict(cursors)

    # Harvest: what changed since the last run.
    settled = harvest_cursors_settled(integration=integration, cursors=cursors)
    clients = {
        str(c.id): c
        for c in harvest_changed(
            ctx.harvest.list_clients, cursor=cursors["harvest.clients"], settled=settled
        )
    }
    people = harvest_changed(
        ctx.harvest.list_contacts, cursor=cursors["harvest.contacts"], settled=settled
    )
    people_complete = cursors["harvest.contacts"] is None
    seen["harvest.clients"] = _newest(
        seen["harvest.clients"], *(c.updated_at for c in clients.values())
    )
    seen["harvest.contacts"] = _newest(seen["harvest.contacts"], *(p.updated_at for p in people))

    ledger = {
        link.harvest_id: link
        for link in SyncLink.objects.filter(
            integration=integration, kind=SyncKind.CLIENT, harvest_id__isnull=False
        )
    }
    conflicts = conflicts_load(integration=integration)
    needed = clients_with_invoices_waiting(integration=integration)
    if cursors["harvest.clients"] is None:
        needed |= clients_with_invoices_to_send(ctx)
    # A contact whose creation was in flight or failed is finished whatever the client's state:
    # it was started because something needed it.
    needed |= {
        h
        for h, link in ledger.items()
        if link.state in (SyncLink.State.SENDING, SyncLink.State.FAILED) and not link.xero_id
    }
    affected = set(clients) | {str(p.client.id) for p in people if p.client}
    affected |= {h for h in needed if not (ledger.get(h) and ledger[h].xero_id)}
    affected |= {
        h
        for h, link in ledger.items()
        if link.state in RETRY_STATES
        or (link.snapshot or {}).get("force")
        or (link.snapshot or {}).get("force_create")
    }
    # A run after finance resolved conflicts covers just the clients released.
    scoped = {str(c) for c in ctx.scope.get("harvest_client_ids", ())} or None
    if scoped is not None:
        affected = set(scoped)

    # Xero: everything when something has to be matched, else what changed.
    unlinked = {
        h
        for h in affected
        if not (ledger.get(h) and ledger[h].xero_id)
        and (h not in clients or clients[h].is_active or h in ledger or h in needed)
    }
    full_xero = cursors["xero.contacts"] is None or bool(unlinked - set(conflicts))
    # Unlinked clients waiting in contact review with nothing new from Harvest wait for a person
    # (whose decision asks for its own run), not for this poll: no reason to read either side.
    if scoped is None:
        changed_in_harvest = set(clients) | {str(p.client.id) for p in people if p.client}
        affected -= {
            h
            for h in set(conflicts) - changed_in_harvest
            if not (ledger.get(h) and ledger[h].xero_id)
        }
    read_xero = (
        full_xero
        or bool(affected)
        or ctx.run.trigger != SyncRun.Trigger.SCHEDULE
        or xero_contacts_read_due(integration=integration, last=cursors[XERO_READ_STREAM])
    )
    read, read_at = [], None
    if read_xero:
        for contact in ctx.xero.list_contacts(
            modified_since=None if full_xero else _since(cursors["xero.contacts"]),
            include_archived=True,
        ):
            read_at = read_at or getattr(ctx.xero, "server_time", None)
            read.append(contact)
        read_at = read_at or getattr(ctx.xero, "server_time", None)
    if read_xero:
        seen[XERO_READ_STREAM] = timezone.now()
    contacts = {c.contact_id: xero_side_from_contact(c) for c in read}
    since = _since(cursors["xero.contacts"])
    changed = [c for c in read if since is None or (c.updated and c.updated > since)]
    seen["xero.contacts"] = _newest(
        seen["xero.contacts"],
        *(c.updated for c in read),
        read_watermark(newest=None, read_at=read_at) if read_xero else None,
    )
    by_xero = {link.xero_id: h for h, link in ledger.items() if link.xero_id}
    if scoped is None:
        affected |= {by_xero[c.contact_id] for c in changed if c.contact_id in by_xero}

    # Fill in what the deltas did not carry.
    if affected - set(clients):
        clients = {str(c.id): c for c in ctx.harvest.list_clients()}
    if affected and not people_complete:
        people = list(ctx.harvest.list_contacts())
    missing = sorted(
        {
            ledger[h].xero_id
            for h in affected
            if h in ledger and ledger[h].xero_id and ledger[h].xero_id not in contacts
        }
    )
    for ids in chunks(missing):
        for c in ctx.xero.list_contacts(ids=ids, include_archived=True):
            contacts[c.contact_id] = xero_side_from_contact(c)

    primary = {}
    for person in sorted(people, key=lambda p: p.id):
        if person.client:
            primary.setdefault(str(person.client.id), person)
    sides = [
        harvest_side(clients[h], primary.get(h), invoices_waiting=h in needed)
        for h in sorted(affected)
        if h in clients
    ]
    ops = contacts_plan(
        PlanInput(
            clients=sides,
            contacts=contacts,
            ledger={
                h: LedgerView(h, link.xero_id, link.state, link.snapshot or {}, link.payload_hash)
                for h, link in ledger.items()
            },
            linked=by_xero,
            conflicts=conflicts,
            rules=rules,
            owners=owners,
        )
    )
    ctx.recorder.set_total(len(ops))
    ContactsApply(ctx=ctx, contacts=contacts).run(ops)
    ctx.recorder.flush()
    extra = ctx.recorder.summary.extra
    extra["clients_considered"] = len(ops)
    extra["xero_contacts_read"] = len(read)
    extra["full_xero_read"] = full_xero
    extra["xero_read"] = read_xero
    extra["open_conflicts"] = Conflict.objects.filter(
        integration=integration, kind=SyncKind.CLIENT, status=Conflict.Status.OPEN
    ).count()
    if not ctx.dry_run and scoped is None:
        cursors_set(integration=integration, values=seen)
    if not ctx.dry_run and ctx.run.flow != SyncRun.Flow.ALL:
        # Only clients whose contact this run made ready: invoices held for another reason (a
        # tax rate, a closed invoice) would otherwise be read again at every poll.
        ready_before = {
            h for h, link in ledger.items() if link.xero_id and link.state == SyncLink.State.SYNCED
        }
        invoices_follow(integration=integration, waiting=needed - ready_before)


def clients_with_invoices_to_send(ctx: FlowContext) -> set[str]:
    """On the first run, the clients whose Harvest invoices will go to Xero, archived ones too
    (an archived client can still owe money): their contacts are made now, so the invoices that
    follow in the same run do not wait for "contacts not there yet". One listing, once."""
    from syncapp.flows.invoices.plan import TRIGGER_STATES

    states = TRIGGER_STATES.get(ctx.integration.invoice_trigger, TRIGGER_STATES["open"])
    return {
        str(invoice.client.id)
        for invoice in ctx.harvest.list_invoices()
        if invoice.client and invoice.state in states and invoice.state != "closed"
    }


def invoices_follow(*, integration: Integration, waiting: set[str]) -> None:
    """Invoices that waited for a client now in Xero go at once, not at the next poll (in a run
    of everything, the invoices step that follows takes them)."""
    from syncapp.services.runs import sync_run_request

    ready = sorted(
        SyncLink.objects.filter(
            integration=integration,
            kind=SyncKind.CLIENT,
            harvest_id__in=sorted(waiting),
            xero_id__isnull=False,
            state=SyncLink.State.SYNCED,
        ).values_list("harvest_id", flat=True)
    )
    if ready:
        sync_run_request(
            integration=integration,
            flow=SyncRun.Flow.INVOICES,
            trigger=SyncRun.Trigger.RESYNC,
            scope={"harvest_client_ids": ready},
        )


def conflicts_load(*, integration: Integration) -> dict[str, OpenConflict]:
    out: dict[str, OpenConflict] = {}
    rows = Conflict.objects.filter(
        integration=integration,
        kind=SyncKind.CLIENT,
        status__in=(Conflict.Status.OPEN, Conflict.Status.IGNORED),
    ).order_by("created_at")
    for conflict in rows:
        fields = frozenset(
            c.get("field")
            for c in conflict.candidates or []
            if isinstance(c, dict) and c.get("field")
        )
        if fields and conflict.status == Conflict.Status.IGNORED:
            continue  # "leave both as they are" on a linked contact: it keeps syncing
        out[conflict.harvest_id] = OpenConflict(conflict.reason, fields, conflict.status)
    return out


def harvest_side(client, person, *, invoices_waiting: bool = False) -> HarvestSide:
    return HarvestSide(
        client_id=str(client.id),
        name=client.name,
        email=person.email if person else "",
        first_name=person.first_name if person else "",
        last_name=person.last_name if person else "",
        address=client.address,
        currency=client.currency,
        is_active=client.is_active,
        invoices_waiting=invoices_waiting,
        contact_id=person.id if person else None,
        updated_at=client.updated_at.isoformat() if client.updated_at else "",
    )
