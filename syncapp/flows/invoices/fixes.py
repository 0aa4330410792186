"""What the preflight page's buttons do for invoices held until something exists in Xero: a tax
rate (create it in Xero, or map the Harvest combination to an existing rate) or a currency
(enable it in Xero). Each fix then releases the invoices it held: a run of just those invoices
is queued, so they follow within seconds.

Creating a rate or enabling a currency changes Xero's settings, not a mirrored record: no ledger
row; a deterministic Idempotency-Key keeps a double click from creating two rates.
"""

from __future__ import annotations

from contextlib import ExitStack
from decimal import Decimal, InvalidOperation

from django.db import transaction

from mappings.models import TaxMapping
from syncapp.flows.invoices.plan import tax_combination_label
from syncapp.flows.invoices.services import invoices_resync_request
from syncapp.flows.xero_cache import xero_settings_get, xero_settings_note_currency
from syncapp.models import Integration, SyncKind, SyncLink, SyncRun

APPLIES = ("none", "tax", "tax2", "both")


class FixRefused(ValueError):
    """The fix cannot be applied; the message says why, in finance's words."""


def _held(*, integration: Integration, test) -> list[str]:
    rows = SyncLink.objects.filter(
        integration=integration,
        kind__in=(SyncKind.INVOICE, SyncKind.CREDIT_NOTE),
        state=SyncLink.State.HELD,
        snapshot__has_key="wait",
    ).values_list("harvest_id", "snapshot")
    return [harvest_id for harvest_id, snapshot in rows if test(snapshot["wait"])]


def _combo(applies: str, tax, tax2) -> tuple[str, Decimal, Decimal]:
    if applies not in APPLIES:
        raise FixRefused(f"Unknown tax combination '{applies}'.")
    try:
        return applies, Decimal(str(tax)), Decimal(str(tax2))
    except InvalidOperation as exc:
        raise FixRefused("The tax percentages must be numbers.") from exc


def _held_for_combo(*, integration: Integration, combo) -> list[str]:
    def waits(wait: dict) -> bool:
        return any(_combo(*c) == combo for c in wait.get("taxes") or ())

    return _held(integration=integration, test=waits)


def _release(*, integration: Integration, harvest_ids: list[str], user) -> SyncRun | None:
    if not harvest_ids:
        return None
    return invoices_resync_request(integration=integration, harvest_ids=harvest_ids, user=user)


def _xero(integration: Integration, stack: ExitStack, client_options: dict):
    from syncapp import engine

    connections = {c.provider: c for c in integration.connections.all()}
    if "xero" not in connections or "harvest" not in connections:
        raise FixRefused("Harvest or Xero is not connected for this integration.")
    return engine.run_clients(connections=connections, stack=stack, **client_options)[1]


def held_tax_map(
    *, integration: Integration, applies: str, tax, tax2, xero_tax_type: str, user=None
) -> SyncRun | None:
    """Map a Harvest tax combination to an existing Xero rate (a TaxMapping) and release the
    invoices it held."""
    combo = _combo(applies, tax, tax2)
    settings = xero_settings_get(integration=integration)
    rate = settings.tax_rates_by_type.get(xero_tax_type) if settings else None
    if rate is None or rate.get("Status", "ACTIVE") != "ACTIVE":
        raise FixRefused(f"{xero_tax_type} is not an active tax rate in Xero.")
    wanted = combo[1] + combo[2]
    effective = Decimal(str(rate.get("EffectiveRate") or "0"))
    if effective != wanted:
        raise FixRefused(
            f"{rate.get('Name', xero_tax_type)} is {effective.normalize():f} % but Harvest "
            f"charges {wanted.normalize():f} %: Xero's totals would not match. Pick a rate at "
            "the same percentage, or create one."
        )
    with transaction.atomic():
        TaxMapping.objects.update_or_create(
            integration=integration,
            applies=combo[0],
            tax_percent=combo[1],
            tax2_percent=combo[2],
            defaults={
                "xero_tax_type": xero_tax_type,
                "description": "Mapped from the invoice preflight page",
            },
        )
        return _release(
            integration=integration,
            harvest_ids=_held_for_combo(integration=integration, combo=combo),
            user=user,
        )


def held_tax_rate_create(
    *,
    integration: Integration,
    applies: str,
    tax,
    tax2,
    name: str,
    report_tax_type: str,
    user=None,
    **client_options,
) -> SyncRun | None:
    """Create the rate in Xero (PUT /TaxRates: one component per Harvest tax, added side by side
    as Harvest does), map the combination to it, and release the invoices it held."""
    combo = _combo(applies, tax, tax2)
    name = (name or "").strip() or f"Harvest {tax_combination_label(*combo)}"
    if not report_tax_type:
        raise FixRefused("Pick the tax return type (Xero's ReportTaxType) for the new rate.")
    components = [
        {"Name": label, "Rate": rate, "IsCompound": False}
        for label, rate in (("Tax", combo[1]), ("Tax 2", combo[2]))
        if rate or (label == "Tax" and combo[0] != "tax2")
    ] or [{"Name": "Tax", "Rate": Decimal(0), "IsCompound": False}]
    key = f"hx:{integration.pk}:taxrate:{combo[0]}:{combo[1]}:{combo[2]}:{name}"[:128]
    with ExitStack() as stack:
        xero = _xero(integration, stack, client_options)
        result = xero.create_tax_rates(
            tax_rates=[
                {"Name": name, "TaxComponents": components, "ReportTaxType": report_tax_type}
            ],
            idempotency_key=key.replace(" ", "_"),
        )
        record = result.results[0]
        if not record.ok:
            raise FixRefused(f"Xero refused the new rate: {record.error_text}")
        tax_type = record.xero_id or record.element.get("TaxType", "")
        xero_settings_get(integration=integration, xero=xero, refresh=True)
    return held_tax_map(
        integration=integration,
        applies=combo[0],
        tax=combo[1],
        tax2=combo[2],
        xero_tax_type=tax_type,
        user=user,
    )


def held_currency_enable(
    *, integration: Integration, code: str, user=None, **client_options
) -> SyncRun | None:
    """Enable a currency in Xero and release the invoices that waited for it."""
    code = (code or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise FixRefused(f"'{code}' is not a currency code.")
    with ExitStack() as stack:
        xero = _xero(integration, stack, client_options)
        xero.create_currency(code=code, idempotency_key=f"hx:{integration.pk}:currency:{code}")
    xero_settings_note_currency(integration=integration, code=code)
    return _release(
        integration=integration,
        harvest_ids=_held(integration=integration, test=lambda w: w.get("currency") == code),
        user=user,
    )
