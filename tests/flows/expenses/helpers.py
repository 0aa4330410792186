"""Running the expenses flow against the in-process sandbox, and reading what Xero holds."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

from mappings.models import ExpenseCategoryMapping
from syncapp.demo.bench.invoices import SharedClock
from syncapp.models import SyncRun
from syncapp.services.runs import sync_run_execute

LINE_ID = re.compile(r"\(Harvest expense (\d+)\)$")
GONE = ("DELETED", "VOIDED")


def expenses_run(integration, sandbox, *, dry_run: bool = False, rounds: int = 6) -> SyncRun:
    """One run, resumed as a worker would until it is done (a rate-limit wait re-queues it)."""
    run = SyncRun.objects.create(
        integration=integration, flow="expenses", trigger=SyncRun.Trigger.COMMAND, dry_run=dry_run
    )
    return run_as_a_worker_would(sandbox, run, rounds=rounds)


def run_as_a_worker_would(sandbox, run: SyncRun, *, rounds: int = 10) -> SyncRun:
    """A queued run, executed here on the sandbox's clock and resumed after each rate-limit
    wait, as a worker would."""
    clock = SharedClock(sandbox.clock)
    for _ in range(rounds):
        sync_run_execute(run_id=run.pk, transport=sandbox.transport, clock=clock)
        run.refresh_from_db()
        if run.status != SyncRun.Status.QUEUED:
            return run
        SyncRun.objects.filter(pk=run.pk).update(due_at=None)
    return run


def categories_map(integration, *, account: str = "429", modes: dict[str, str] | None = None):
    """Map every category the flow has seen (by name) to `account`; `modes`: name -> mode."""
    modes = modes or {}
    for row in ExpenseCategoryMapping.objects.filter(integration=integration):
        row.account_code = account
        row.mode = modes.get(row.name, "")
        row.save()


def live_documents(sandbox) -> list[dict]:
    xero = sandbox.state.xero
    bills = [
        i
        for i in xero.invoices.values()
        if i["Type"] == "ACCPAY" and str(i.get("InvoiceNumber", "")).startswith("HX-E-")
    ]
    spends = [
        t
        for t in xero.bank_transactions.values()
        if str(t.get("Reference", "")).startswith("HX-E-")
    ]
    return [d for d in bills + spends if d.get("Status") not in GONE]


def lines_by_expense(sandbox) -> dict[str, list[Decimal]]:
    """Harvest expense id -> the amounts of every live Xero line that carries it."""
    found: dict[str, list[Decimal]] = {}
    for document in live_documents(sandbox):
        for line in document["LineItems"]:
            match = LINE_ID.search(line.get("Description", ""))
            if match:
                found.setdefault(match.group(1), []).append(Decimal(str(line["LineAmount"])))
    return found


def references_repeated(sandbox) -> list[str]:
    counts = Counter(d.get("InvoiceNumber") or d.get("Reference") for d in live_documents(sandbox))
    return [ref for ref, n in counts.items() if n > 1]


def approved(sandbox) -> dict[str, dict]:
    return {str(e["id"]): e for e in sandbox.state.harvest.expenses.values() if e.get("is_closed")}
