"""Connect pages and OAuth callbacks for Harvest and Xero.

The connect pages are reached from the Connections admin (ConnectionAdmin.get_urls wraps them in
admin_site.admin_view); the callbacks are where Xero and Harvest send the browser back. Every view
needs the `change_connection` permission: Finance can look at connections, not connect them.
No view renders or logs a token.
"""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse

from syncapp.models import Connection, Integration
from syncapp.providers.errors import ApiError
from syncapp.services.connection_oauth import (
    OAuthFlowError,
    harvest_oauth_finish,
    harvest_oauth_start,
    oauth_app_configured,
    oauth_pending_choose,
    oauth_pending_get,
    xero_oauth_finish,
    xero_oauth_start,
)
from syncapp.services.connections import ConnectionMismatch, connection_connect_harvest_token

logger = logging.getLogger(__name__)
TEMPLATES = "admin/syncapp/connection/"
CALLBACK_NAMES = {
    "xero": "syncapp:oauth-xero-callback",
    "harvest": "syncapp:oauth-harvest-callback",
}


def _require_change(request) -> None:
    if not request.user.has_perm("syncapp.change_connection"):
        raise PermissionDenied


def _context(request, **extra):
    return {**admin.site.each_context(request), "opts": Connection._meta, **extra}


def _changelist():
    return reverse("admin:syncapp_connection_changelist")


def _connection_page(connection: Connection) -> str:
    return reverse("admin:syncapp_connection_change", args=[connection.pk])


def oauth_redirect_uri(request, *, provider: str) -> str:
    """XERO_REDIRECT_URI / HARVEST_REDIRECT_URI when set (must equal what the vendor app has
    registered), else this site's own callback URL."""
    configured = getattr(settings, f"{provider.upper()}_REDIRECT_URI", "")
    return configured or request.build_absolute_uri(reverse(CALLBACK_NAMES[provider]))


class _IntegrationField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Integration.objects.order_by("name"), **kwargs)


class HarvestTokenForm(forms.Form):
    integration = _IntegrationField()
    account_id = forms.CharField(
        label="Harvest account ID", max_length=32, help_text="Harvest › Developers › your token."
    )
    token = forms.CharField(
        label="Personal access token",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted; never shown again.",
    )
    base_url = forms.URLField(
        label="Sandbox base URL",
        required=False,
        help_text="Leave empty for the real Harvest.",
        assume_scheme="http",
    )


class OAuthStartForm(forms.Form):
    integration = _IntegrationField()
    base_url = forms.URLField(
        label="Sandbox base URL",
        required=False,
        help_text="Leave empty for the real service.",
        assume_scheme="http",
    )


def _initial(request) -> dict:
    initial = {}
    if request.GET.get("integration", "").isdigit():
        initial["integration"] = int(request.GET["integration"])
    if request.GET.get("base_url"):
        initial["base_url"] = request.GET["base_url"]
    return initial


def connect_harvest(request):
    """Token form; with a Harvest OAuth app configured, also the "Sign in with Harvest" button."""
    _require_change(request)
    token_form = HarvestTokenForm(initial=_initial(request), prefix="token")
    oauth_form = OAuthStartForm(initial=_initial(request), prefix="oauth")
    if request.method == "POST" and "connect_token" in request.POST:
        token_form = HarvestTokenForm(request.POST, prefix="token")
        if token_form.is_valid():
            data = token_form.cleaned_data
            try:
                connection = connection_connect_harvest_token(
                    integration=data["integration"],
                    account_id=data["account_id"],
                    token=data["token"],
                    base_url=data["base_url"] or "",
                )
            except ValueError as exc:
                token_form.add_error(None, str(exc))
            except ApiError as exc:
                token_form.add_error(
                    None,
                    f"Harvest refused this token or account ID ({exc.api_message}). "
                    "Check both on Harvest › Developers and try again.",
                )
            else:
                messages.success(request, f"Connected to Harvest: {connection.account_name}.")
                return redirect(_connection_page(connection))
    elif request.method == "POST" and "connect_oauth" in request.POST:
        oauth_form = OAuthStartForm(request.POST, prefix="oauth")
        if oauth_form.is_valid():
            try:
                url = harvest_oauth_start(
                    session=request.session,
                    integration=oauth_form.cleaned_data["integration"],
                    redirect_uri=oauth_redirect_uri(request, provider="harvest"),
                    base_url=oauth_form.cleaned_data["base_url"] or "",
                )
            except OAuthFlowError as exc:
                oauth_form.add_error(None, str(exc))
            else:
                return HttpResponseRedirect(url)
    return render(
        request,
        TEMPLATES + "connect_harvest.html",
        _context(
            request,
            title="Connect Harvest",
            token_form=token_form,
            oauth_form=oauth_form,
            oauth_available=oauth_app_configured(provider="harvest"),
        ),
    )


def connect_xero(request):
    _require_change(request)
    form = OAuthStartForm(initial=_initial(request))
    if request.method == "POST":
        form = OAuthStartForm(request.POST)
        if form.is_valid():
            try:
                url = xero_oauth_start(
                    session=request.session,
                    integration=form.cleaned_data["integration"],
                    redirect_uri=oauth_redirect_uri(request, provider="xero"),
                    base_url=form.cleaned_data["base_url"] or "",
                )
            except OAuthFlowError as exc:
                form.add_error(None, str(exc))
            else:
                return HttpResponseRedirect(url)
    return render(
        request,
        TEMPLATES + "connect_xero.html",
        _context(
            request,
            title="Connect to Xero",
            form=form,
            app_configured=oauth_app_configured(provider="xero"),
        ),
    )


def _finish(request, *, provider: str, finish):
    _require_change(request)
    label = "Xero" if provider == "xero" else "Harvest"
    try:
        outcome = finish(
            session=request.session,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
        )
    except (OAuthFlowError, ConnectionMismatch) as exc:
        messages.error(request, str(exc))
        return redirect(_changelist())
    except ApiError as exc:
        logger.warning("%s sign-in failed: %s", label, type(exc).__name__)
        messages.error(
            request,
            f"{label} refused to complete the sign-in ({exc.api_message}). "
            f"Click Connect {'to ' if provider == 'xero' else ''}{label} and try again.",
        )
        return redirect(_changelist())
    if outcome.connection is not None:
        messages.success(request, f"Connected to {label}: {outcome.connection.account_name}.")
        return redirect(_connection_page(outcome.connection))
    return redirect(reverse("syncapp:oauth-choose", args=[provider]))


@staff_member_required
def xero_callback(request):
    return _finish(request, provider="xero", finish=xero_oauth_finish)


@staff_member_required
def harvest_callback(request):
    return _finish(request, provider="harvest", finish=harvest_oauth_finish)


@staff_member_required
def oauth_choose(request, provider: str):
    """The organisation (Xero) or account (Harvest) picker after a grant that covers several."""
    _require_change(request)
    if provider not in ("xero", "harvest"):
        raise PermissionDenied
    pending = oauth_pending_get(session=request.session, provider=provider)
    if pending is None:
        messages.error(request, "Nothing is waiting to be connected (or it expired). Start again.")
        return redirect(_changelist())
    error = ""
    if request.method == "POST":
        try:
            connection = oauth_pending_choose(
                session=request.session, provider=provider, choice_id=request.POST.get("choice", "")
            )
        except (OAuthFlowError, ConnectionMismatch) as exc:
            error = str(exc)
        else:
            label = connection.get_provider_display()
            messages.success(request, f"Connected to {label}: {connection.account_name}.")
            return redirect(_connection_page(connection))
    integration = Integration.objects.get(pk=pending["integration_id"])
    noun = "organisation" if provider == "xero" else "Harvest account"
    return render(
        request,
        TEMPLATES + "choose.html",
        _context(
            request,
            title=f"Choose the {noun} for {integration.name}",
            choices=pending["choices"],
            noun=noun,
            error=error,
        ),
    )
