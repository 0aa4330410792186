"""Revenue per project and month, from the Xero documents hxsync created (issue 15).

The invoices flow keeps, on each synced ledger row, what revenue needs of the Harvest invoice
(`snapshot["revenue"]`, or the whole invoice in `snapshot["harvest"]` on older rows):
issue date, currency, client, lines with their projects, and, once Xero accepted it, the lines
as sent (`snapshot["explain"]`: each line's amount net of discount and ex tax, its project). This
module folds the SYNCED rows into `ProjectMonth.revenue`; the journals run writes the cost
columns of the same rows and nothing here touches them.

When: the dashboard refreshes an integration's revenue on its way in when the invoices ledger
changed since the last fold (a watermark kept as the cursor `REVENUE_STREAM`), and "Refresh
revenue" does it on demand. So no schedule is needed, the invoices flow is not changed, and a
page shown after an invoices run already counts what that run sent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max

from syncapp.models import Integration, ProjectMonth, SyncKind, SyncLink
from syncapp.services.cursors import cursor_get, cursor_set

REVENUE_STREAM = "hxsync.revenue"
REVENUE_KINDS = (SyncKind.INVOICE, SyncKind.CREDIT_NOTE)
CENT = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(frozen=True)
class RevenueLine:
    project_id: str
    project_name: str
    client_id: str
    client_name: str
    month: date
    currency: str
    amount: Decimal


@dataclass
class RevenueRefresh:
    documents: int = 0  # synced invoices and credit notes counted
    without_copy: int = 0  # synced, but the row holds no Harvest copy to date it by
    rows: int = 0  # project months with revenue


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _month(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]).replace(day=1)
    except ValueError:
        return None


def document_revenue(*, kind: str, snapshot: dict) -> list[RevenueLine] | None:
    """One synced document's revenue lines, ex tax, credit notes negative. None when the row
    holds no Harvest copy (nothing to date it by). Pure: no Django."""
    # "revenue": the facts the invoices flow keeps once a document is in Xero; "harvest": the
    # whole Harvest invoice, on rows written before it did.
    harvest = (snapshot or {}).get("revenue") or (snapshot or {}).get("harvest") or {}
    month = _month(harvest.get("issue_date") or "")
    if not harvest or month is None:
        return None
    client = harvest.get("client") or {}
    lines = harvest.get("line_items") or []
    explain = (snapshot or {}).get("explain") or []
    # Xero's lines are what the invoice says in Xero: net of any discount, in the document's
    # own sign (credit notes positive). Harvest's lines are the fallback for a row whose
    # explain is missing: their amounts carry Harvest's sign and no discount.
    if len(explain) == len(lines) and explain:
        sign = Decimal(-1) if kind == SyncKind.CREDIT_NOTE else Decimal(1)
        amounts = [_decimal(item.get("amount")) for item in explain]
        amounts = [sign * a if a is not None else None for a in amounts]
    else:
        keep = 1 - (_decimal(harvest.get("discount")) or ZERO) / 100
        amounts = [
            (_decimal(line.get("amount")) or ZERO) * keep if line else None for line in lines
        ]
    result = []
    for line, amount in zip(lines, amounts, strict=False):
        project = (line or {}).get("project") or {}
        if amount is None or not project.get("id"):
            continue
        result.append(
            RevenueLine(
                project_id=str(project["id"]),
                project_name=str(project.get("name") or ""),
                client_id=str(client.get("id") or ""),
                client_name=str(client.get("name") or ""),
                month=month,
                currency=str(harvest.get("currency") or ""),
                amount=amount,
            )
        )
    return result


def _ledger_newest(integration: Integration):
    return SyncLink.objects.filter(integration=integration, kind__in=REVENUE_KINDS).aggregate(
        newest=Max("updated_at")
    )["newest"]


def profitability_stale(*, integration: Integration) -> bool:
    """Has the invoices ledger changed since revenue was last folded?"""
    newest = _ledger_newest(integration)
    if newest is None:
        return False
    done = cursor_get(integration=integration, stream=REVENUE_STREAM)
    return done is None or newest > done


def profitability_refresh(*, integration: Integration) -> RevenueRefresh:
    """Write each project month's revenue from the synced invoices and credit notes: an upsert
    that sets `revenue` (and the names, on a new row) and leaves the cost columns alone;
    months whose documents were voided go back to zero. Safe to run twice."""
    newest = _ledger_newest(integration)
    outcome = RevenueRefresh()
    totals: dict[tuple[str, date], Decimal] = defaultdict(lambda: ZERO)
    names: dict[tuple[str, date], RevenueLine] = {}
    documents = SyncLink.objects.filter(
        integration=integration, kind__in=REVENUE_KINDS, state=SyncLink.State.SYNCED
    ).values_list("kind", "snapshot")
    for kind, snapshot in documents.iterator(chunk_size=500):
        lines = document_revenue(kind=kind, snapshot=snapshot)
        if lines is None:
            outcome.without_copy += 1
            continue
        outcome.documents += 1
        for line in lines:
            key = (line.project_id, line.month)
            totals[key] += line.amount
            names.setdefault(key, line)
    rows = [
        ProjectMonth(
            integration=integration,
            harvest_project_id=project_id,
            month=month,
            project_name=names[(project_id, month)].project_name,
            harvest_client_id=names[(project_id, month)].client_id,
            client_name=names[(project_id, month)].client_name,
            currency=names[(project_id, month)].currency,
            revenue=amount.quantize(CENT),
        )
        for (project_id, month), amount in totals.items()
    ]
    with transaction.atomic():
        ProjectMonth.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["integration", "harvest_project_id", "month"],
            update_fields=["revenue"],
        )
        _stale_revenue_clear(integration=integration, kept=set(totals))
        if newest is not None:
            cursor_set(integration=integration, stream=REVENUE_STREAM, value=newest)
    outcome.rows = len(rows)
    return outcome


def _stale_revenue_clear(*, integration: Integration, kept: set[tuple[str, date]]) -> None:
    """A month that had revenue and no longer has (its invoice voided or moved) goes to zero."""
    stale = [
        pk
        for pk, project_id, month in ProjectMonth.objects.filter(integration=integration)
        .exclude(revenue=ZERO)
        .values_list("pk", "harvest_project_id", "month")
        if (project_id, month) not in kept
    ]
    if stale:
        ProjectMonth.objects.filter(pk__in=stale).update(revenue=ZERO)


def profitability_refresh_if_stale(*, integrations) -> list[RevenueRefresh]:
    """The dashboard's way in: fold revenue for the integrations whose ledger moved."""
    return [
        profitability_refresh(integration=integration)
        for integration in integrations
        if profitability_stale(integration=integration)
    ]
