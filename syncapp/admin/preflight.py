"""The preflight page: every problem a sync would trip over, with what to do, before it tries.
Reached from the ledger list ("Preflight") or /admin/syncapp/synclink/preflight/<id>/.
GET shows the checks on what is cached; the buttons refresh Xero's settings or also check the
Harvest invoices not yet in Xero (reads only). Invoices held for a missing tax rate or currency
get their fix here (finance with `syncapp.trigger_sync`): create the rate in Xero, map it to an
existing rate, or enable the currency; the held invoices are sent right after. Its Expenses
section lists what holds expenses back (unmapped categories, the card account), each linking to
the mapping or setting that fixes it."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from syncapp.flows.expenses.preflight import expenses_preflight_check
from syncapp.flows.invoices.fixes import (
    FixRefused,
    held_currency_enable,
    held_tax_map,
    held_tax_rate_create,
)
from syncapp.flows.invoices.services import invoices_preflight
from syncapp.flows.journals.preflight import journals_preflight_check
from syncapp.flows.xero_cache import xero_settings_get
from syncapp.models import Integration
from syncapp.providers.errors import ApiError

FIXES = ("create_tax_rate", "map_tax", "enable_currency")


def _fix(request, integration: Integration, fix: str):
    post = request.POST
    combo = {"applies": post.get("applies", ""), "tax": post.get("tax"), "tax2": post.get("tax2")}
    if fix == "create_tax_rate":
        run = held_tax_rate_create(
            integration=integration,
            name=post.get("name", ""),
            report_tax_type=post.get("report_tax_type", ""),
            user=request.user,
            **combo,
        )
        done = "Tax rate created in Xero and mapped"
    elif fix == "map_tax":
        run = held_tax_map(
            integration=integration,
            xero_tax_type=post.get("xero_tax_type", ""),
            user=request.user,
            **combo,
        )
        done = "Tax mapping saved"
    else:
        run = held_currency_enable(
            integration=integration, code=post.get("currency", ""), user=request.user
        )
        done = f"{post.get('currency', '').upper()} enabled in Xero"
    waiting = len(run.scope.get("harvest_invoice_ids", ())) if run else 0
    messages.success(
        request,
        f"{done}; {waiting} waiting invoice(s) are being sent (run #{run.pk})."
        if run
        else f"{done}; no invoice was waiting for it.",
    )


def _choices(settings) -> tuple[list[dict], list[str]]:
    """Active sales rates to map to, and the report tax types the organisation's sales rates
    use (what finance picks for a new rate)."""
    if settings is None:
        return [], ["OUTPUT"]
    rates = [
        {
            "tax_type": r.get("TaxType"),
            "name": r.get("Name", ""),
            "rate": Decimal(str(r.get("EffectiveRate") or "0")).normalize(),
        }
        for r in settings.tax_rates
        if r.get("Status", "ACTIVE") == "ACTIVE" and r.get("CanApplyToRevenue", True)
    ]
    reports = sorted(
        {
            r.get("ReportTaxType")
            for r in settings.tax_rates
            if r.get("ReportTaxType") and r.get("CanApplyToRevenue", True)
        }
        | {"OUTPUT"}
    )
    return rates, reports


def preflight_view(model_admin, request, integration_id: int):
    integration = get_object_or_404(Integration, pk=integration_id)
    fix = next((name for name in FIXES if name in request.POST), None)
    if request.method == "POST" and fix:
        if not request.user.has_perm("syncapp.trigger_sync"):
            raise PermissionDenied
        try:
            _fix(request, integration, fix)
        except FixRefused as exc:
            messages.error(request, str(exc))
        except ApiError as exc:
            messages.error(request, f"Xero refused it: {exc}")
        return redirect(request.path)
    refresh = request.method == "POST" and "refresh" in request.POST
    read_invoices = request.method == "POST" and "check_invoices" in request.POST
    try:
        problems = invoices_preflight(
            integration=integration, refresh=refresh, read_invoices=read_invoices
        )
    except ApiError as exc:
        messages.error(request, f"Could not read from Harvest or Xero: {exc}")
        problems = invoices_preflight(integration=integration)
    settings = xero_settings_get(integration=integration)
    rates, report_types = _choices(settings)
    expense_problems = expenses_preflight_check(integration=integration, settings=settings)
    journal_problems = journals_preflight_check(integration=integration, settings=settings)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Preflight — {integration}",
        "integration": integration,
        "problems": problems,
        "blocking": [p for p in problems if p.blocking],
        "settings": settings,
        "checked_invoices": read_invoices,
        "can_fix": request.user.has_perm("syncapp.trigger_sync"),
        "xero_rates": rates,
        "report_tax_types": report_types,
        "expense_problems": [
            {"problem": p, "fix_label": "Set it" if p.code == "expense_card_account" else "Map it"}
            for p in expense_problems
        ],
        "journal_problems": journal_problems,
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/syncapp/preflight/preflight.html", context)
