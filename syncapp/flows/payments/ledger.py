"""The payment rows of the ledger, keyed by the Xero side (ARCHITECTURE rule 1).

Payments flow from Xero to Harvest, so the row is known by its Xero key (`SyncLink.xero_id`:
a PaymentID or an allocation key) before the Harvest payment exists. The protocol is the shared
one in services/ledger.py turned around: prepare (SENDING, committed) before the Harvest write,
settle after. Harvest has no idempotency key, so a row left SENDING is repaired by finding the
Harvest payment whose note carries the key (plan.harvest_payment_find) before creating again.

Two workers never write the same payment at once: every run that writes holds the integration's
lease (services/leases.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from syncapp.flows.payments.plan import DIRECTION_FROM_HARVEST, DIRECTION_FROM_XERO, LinkView
from syncapp.models import Integration, SyncKind, SyncLink
from syncapp.services.ledger import ledger_settle, ledger_upsert


def payment_links_for_invoices(
    *, integration: Integration, xero_invoice_ids: Iterable[str]
) -> dict[str, list[SyncLink]]:
    """Payment rows per Xero invoice id, one query for the whole batch."""
    ids = sorted(set(xero_invoice_ids))
    result: dict[str, list[SyncLink]] = {i: [] for i in ids}
    if not ids:
        return result
    rows = SyncLink.objects.filter(
        integration=integration, kind=SyncKind.PAYMENT, snapshot__xero_invoice_id__in=ids
    )
    for link in rows:
        result.setdefault(str(link.snapshot.get("xero_invoice_id")), []).append(link)
    return result


def link_view(link: SyncLink) -> LinkView:
    amount = link.snapshot.get("amount")
    return LinkView(
        xero_key=link.xero_id or "",
        state=link.state,
        harvest_payment_id=link.harvest_id,
        amount=Decimal(str(amount)) if amount not in (None, "") else None,
        direction=link.snapshot.get("direction", DIRECTION_FROM_XERO),
    )


@dataclass(frozen=True)
class PaymentIntent:
    xero_key: str
    label: str
    snapshot: dict


def payment_links_prepare(
    *, integration: Integration, intents: list[PaymentIntent], state: str = SyncLink.State.SENDING
) -> dict[str, SyncLink]:
    """Upsert the rows by Xero key in one statement, committed before any Harvest write."""
    if not intents:
        return {}
    keys = [i.xero_key for i in intents]
    existing = {
        link.xero_id: link
        for link in SyncLink.objects.filter(
            integration=integration, kind=SyncKind.PAYMENT, xero_id__in=keys
        )
    }
    rows = []
    for intent in intents:
        previous = existing.get(intent.xero_key)
        rows.append(
            SyncLink(
                integration=integration,
                kind=SyncKind.PAYMENT,
                xero_id=intent.xero_key,
                harvest_id=previous.harvest_id if previous else None,
                label=intent.label[:255],
                state=state,
                snapshot={**(previous.snapshot if previous else {}), **intent.snapshot},
                attempts=(previous.attempts if previous else 0) + 1,
                last_error=previous.last_error if previous else "",
            )
        )
    return ledger_upsert(
        rows=rows, key="xero_id", update_fields=["label", "state", "snapshot", "attempts"]
    )


@dataclass
class PaymentOutcome:
    link: SyncLink
    state: str
    harvest_id: str | None = None
    error: str = ""
    snapshot: dict | None = None
    clear_harvest_id: bool = False


def payment_links_settle(*, outcomes: list[PaymentOutcome]) -> None:
    """One bulk update for a batch's outcomes."""
    if not outcomes:
        return
    now = timezone.now()
    links = []
    for outcome in outcomes:
        link = outcome.link
        link.state = outcome.state
        link.last_error = outcome.error
        if outcome.harvest_id:
            link.harvest_id = str(outcome.harvest_id)
        elif outcome.clear_harvest_id:
            link.harvest_id = None
        if outcome.snapshot is not None:
            link.snapshot = {**link.snapshot, **outcome.snapshot}
        if outcome.state == SyncLink.State.SYNCED:
            link.synced_at = now
        links.append(link)
    ledger_settle(
        links=links, fields=["state", "last_error", "harvest_id", "snapshot", "synced_at"]
    )


def reverse_links_load(*, integration: Integration, harvest_payment_ids: Iterable[str]):
    """Rows keyed by Harvest payment id (both directions: a mirrored one is never sent back)."""
    ids = [str(i) for i in harvest_payment_ids]
    return {
        link.harvest_id: link
        for link in SyncLink.objects.filter(
            integration=integration, kind=SyncKind.PAYMENT, harvest_id__in=ids
        )
    }


def reverse_links_for_invoices(*, integration: Integration, harvest_invoice_ids: Iterable[int]):
    ids = sorted({int(i) for i in harvest_invoice_ids})
    result: dict[int, list[SyncLink]] = {i: [] for i in ids}
    rows = SyncLink.objects.filter(
        integration=integration,
        kind=SyncKind.PAYMENT,
        snapshot__direction=DIRECTION_FROM_HARVEST,
        snapshot__harvest_invoice_id__in=ids,
    )
    for link in rows:
        result.setdefault(int(link.snapshot["harvest_invoice_id"]), []).append(link)
    return result


def payment_links_recheck(*, link_ids: Iterable[int], user=None) -> list[int]:
    """Finance fixed what held or failed these payments: look at them again in a run now.

    Held rows are otherwise rechecked every ten minutes and failed ones a few times; this makes
    them due at once (attempts start again) and queues a payments run per integration.
    Returns the queued runs' ids."""
    from syncapp.models import SyncRun
    from syncapp.services.runs import sync_run_request

    rows = SyncLink.objects.filter(
        pk__in=list(link_ids),
        kind=SyncKind.PAYMENT,
        state__in=(SyncLink.State.HELD, SyncLink.State.FAILED),
    )
    integration_ids = set(rows.values_list("integration_id", flat=True))
    # Older than the ten-minute recheck interval: the next run looks at them again.
    rows.update(attempts=0, updated_at=timezone.now() - timedelta(minutes=11))
    runs = []
    for integration in Integration.objects.filter(pk__in=integration_ids):
        run, _ = sync_run_request(
            integration=integration,
            flow=SyncRun.Flow.PAYMENTS,
            trigger=SyncRun.Trigger.MANUAL,
            user=user,
        )
        runs.append(run.pk)
    return runs
