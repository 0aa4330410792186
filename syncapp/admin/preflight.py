"""The invoice preflight page: every problem a sync would trip over, with what to do, before it
tries. Reached from the ledger list ("Invoice preflight") or /admin/syncapp/synclink/preflight/<id>/.
GET shows the checks on what is cached; the buttons refresh Xero's settings or also check the
Harvest invoices not yet in Xero (reads only, nothing is written to either side)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from syncapp.flows.invoices.services import invoices_preflight
from syncapp.flows.xero_cache import xero_settings_get
from syncapp.models import Integration
from syncapp.providers.errors import ApiError


def preflight_view(model_admin, request, integration_id: int):
    integration = get_object_or_404(Integration, pk=integration_id)
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
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Invoice preflight — {integration}",
        "integration": integration,
        "problems": problems,
        "blocking": [p for p in problems if p.blocking],
        "settings": settings,
        "checked_invoices": read_invoices,
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/syncapp/preflight/preflight.html", context)
