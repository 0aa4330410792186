"""What the admin calls: resync of chosen invoices, and the preflight with its reads."""

from __future__ import annotations

from contextlib import ExitStack
from decimal import Decimal

from django.db import transaction

from mappings.models import AccountMapping, CurrencyMapping, TaxMapping
from syncapp.flows.invoices.context import INVOICE_SCOPES
from syncapp.flows.invoices.ledger import invoice_links_load
from syncapp.flows.invoices.plan import TRIGGER_STATES
from syncapp.flows.invoices.preflight import (
    HeldInvoice,
    PendingInvoice,
    Problem,
    preflight_check,
)
from syncapp.flows.xero_cache import xero_settings_get
from syncapp.models import Integration, SyncKind, SyncLink, SyncRun


def invoices_resync_request(*, integration: Integration, harvest_ids, user=None) -> SyncRun:
    """Queue a run that reads these Harvest invoices again and sends them whatever the ledger's
    hash says (finance asked for it)."""
    from syncapp.services.runs import sync_run_request

    ids = sorted({str(h) for h in harvest_ids if h})
    run, _ = sync_run_request(
        integration=integration,
        flow=SyncRun.Flow.INVOICES,
        trigger=SyncRun.Trigger.RESYNC,
        user=user,
        scope={"harvest_invoice_ids": ids},
    )
    return run


def invoices_write_off_approve(*, links, user) -> list[SyncRun]:
    """Finance approves writing off in Xero invoices closed in Harvest (flagged ledger rows):
    the decision is kept on each row and a resync of just those invoices applies it (through
    the run's ledger writes: void when nothing is paid in Xero, else a credit note for the
    rest). Returns the queued runs; rows that are not flagged closed invoices are left alone."""
    who = getattr(user, "get_username", lambda: str(user))()
    by_integration: dict[int, list[SyncLink]] = {}
    for link in links:
        if ((link.snapshot or {}).get("write_off") or {}).get("flagged") and link.xero_id:
            by_integration.setdefault(link.integration_id, []).append(link)
    runs = []
    with transaction.atomic():
        for chosen in by_integration.values():
            for link in chosen:
                link.snapshot = {**link.snapshot, "write_off": {"approved_by": who}}
                link.save(update_fields=["snapshot", "updated_at"])
            runs.append(
                invoices_resync_request(
                    integration=chosen[0].integration,
                    harvest_ids=[link.harvest_id for link in chosen],
                    user=user,
                )
            )
    return runs


def preflight_inputs(*, integration: Integration) -> dict:
    accounts = [
        (m.account_code, f"Account mapping: {m}")
        for m in AccountMapping.objects.filter(integration=integration, scope__in=INVOICE_SCOPES)
    ]
    currencies = list(CurrencyMapping.objects.filter(integration=integration))
    accounts += [
        (c.sales_account_code, f"Currency mapping {c.harvest_currency}")
        for c in currencies
        if c.sales_account_code
    ]
    tax_mappings = list(TaxMapping.objects.filter(integration=integration))
    taxes = [(m.xero_tax_type, f"Tax mapping: {m}") for m in tax_mappings]
    expected = {
        "none": lambda m: Decimal(0),
        "tax": lambda m: m.tax_percent,
        "tax2": lambda m: m.tax2_percent,
        "both": lambda m: m.tax_percent + m.tax2_percent,
    }
    return {
        "account_codes": accounts,
        "tax_types": taxes,
        "tax_expectations": [
            (m.xero_tax_type, expected[m.applies](m), f"Tax mapping: {m}")
            for m in tax_mappings
            if m.applies in expected
        ],
        "currency_targets": [c.xero_currency for c in currencies],
        "held": [
            HeldInvoice(harvest_id, label, snapshot["wait"])
            for harvest_id, label, snapshot in SyncLink.objects.filter(
                integration=integration,
                kind__in=(SyncKind.INVOICE, SyncKind.CREDIT_NOTE),
                state=SyncLink.State.HELD,
                snapshot__has_key="wait",
            ).values_list("harvest_id", "label", "snapshot")
        ],
    }


def invoices_preflight(
    *,
    integration: Integration,
    refresh: bool = False,
    read_invoices: bool = False,
    **client_options,
) -> list[Problem]:
    """Check mappings and the organisation (and, with `read_invoices`, the Harvest invoices not
    yet in Xero: currencies, lock date, numbers already taken in Xero). Reads only."""
    from syncapp import engine

    settings = xero_settings_get(integration=integration)
    pending: list[PendingInvoice] = []
    taken: dict[str, str] = {}
    if refresh or read_invoices or settings is None:
        connections = {c.provider: c for c in integration.connections.all()}
        if "xero" not in connections or "harvest" not in connections:
            return [
                Problem(
                    "not_connected",
                    "Connections",
                    "Harvest or Xero is not connected for this integration.",
                    "Connect both under Sync › Connections.",
                    blocking=True,
                )
            ]
        with ExitStack() as stack:
            harvest, xero = engine.run_clients(
                connections=connections, stack=stack, **client_options
            )
            settings = xero_settings_get(integration=integration, xero=xero, refresh=refresh)
            if read_invoices:
                states = TRIGGER_STATES.get(integration.invoice_trigger, TRIGGER_STATES["open"])
                invoices = [i for i in harvest.list_invoices() if i.state in states]
                links = invoice_links_load(
                    integration=integration, harvest_ids=[i.id for i in invoices]
                )
                pending = [
                    PendingInvoice(str(i.id), i.number, i.currency, i.issue_date)
                    for i in invoices
                    if not (links.get(str(i.id)) and links[str(i.id)].xero_id)
                ]
                if integration.numbering_policy != "xero" and pending:
                    prefix = integration.invoice_number_prefix
                    numbers = [f"{prefix}{p.number}" for p in pending]
                    for found in xero.list_invoices(invoice_numbers=numbers, summary_only=True):
                        taken[found.invoice_number.lower()] = (
                            f"a {found.status.lower()} invoice ({found.currency_code} {found.total})"
                        )
    return preflight_check(
        integration=integration,
        settings=settings,
        pending=pending,
        taken_numbers=taken,
        **preflight_inputs(integration=integration),
    )
