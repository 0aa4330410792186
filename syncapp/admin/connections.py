"""Connections in the admin: status, token expiry, scopes and last error; Connect Harvest,
Connect to Xero, Test connection and Disconnect. Secrets are never rendered: only whether one is
set and when the access token expires."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil

from syncapp import oauth_views
from syncapp.crypto import UnreadableSecret
from syncapp.models import Connection
from syncapp.services.connections import connection_disconnect, connection_test


def secret_state(value) -> str:
    """What the admin may say about a secret: whether one is set, never any of it."""
    if isinstance(value, UnreadableSecret):
        return value.message
    return "set" if value else "not set"


def connection_expiry_text(connection: Connection, *, now=None) -> str:
    if connection.status == Connection.Status.DISABLED:
        return "—"
    if connection.auth_method == Connection.AuthMethod.TOKEN or connection.token_expires_at is None:
        return "Does not expire (personal access token)"
    now = now or timezone.now()
    if connection.token_expires_at > now:
        return f"Expires in {timeuntil(connection.token_expires_at, now)}"
    return (
        f"Expired {timesince(connection.token_expires_at, now)} ago "
        "(renewed automatically at the next sync)"
    )


def connection_connect_url(connection: Connection) -> str:
    name = "xero" if connection.provider == Connection.Provider.XERO else "harvest"
    query = {"integration": connection.integration_id}
    if connection.base_url:
        query["base_url"] = connection.base_url
    return reverse(f"admin:syncapp_connection_connect_{name}") + "?" + urlencode(query)


def connection_advice(connection: Connection, *, can_change: bool) -> str:
    """What finance should do about this connection, in plain words ("" when nothing)."""
    label = connection.get_provider_display()
    action = f"Reconnect to {label}" if connection.provider == "xero" else f"Reconnect {label}"
    who = "" if can_change else " (ask an administrator)"
    if connection.status == Connection.Status.NEEDS_REAUTH:
        return (
            f"hxsync can no longer reach {label}, so syncs for this integration are stopped. "
            f"Click “{action}”{who} and sign in again"
            + (" choosing the same organisation." if connection.provider == "xero" else ".")
        )
    if connection.status == Connection.Status.DISABLED:
        return f"Disconnected. Click “{action}”{who} to connect again."
    return ""


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    change_list_template = "admin/syncapp/connection/change_list.html"
    change_form_template = "admin/syncapp/connection/change_form.html"
    list_display = (
        "integration",
        "provider",
        "account_name",
        "status_badge",
        "token_expiry",
        "short_error",
    )
    list_filter = ("provider", "status", "integration")
    search_fields = ("account_name", "account_id", "integration__name")
    list_select_related = ("integration",)
    actions = ["test_connections"]
    # The encrypted fields are excluded outright so no form, history entry or export renders them.
    exclude = ("access_token", "refresh_token", "client_secret")
    readonly_fields = (
        "integration",
        "provider",
        "auth_method",
        "status",
        "account_id",
        "account_name",
        "xero_connection_id",
        "access_token_state",
        "refresh_token_state",
        "client_secret_state",
        "token_expiry",
        "token_expires_at",
        "scope_list",
        "last_error",
        "connected_at",
        "updated_at",
    )
    fields = (
        "integration",
        "provider",
        "status",
        "account_name",
        "account_id",
        "xero_connection_id",
        "auth_method",
        "token_expiry",
        "token_expires_at",
        "scope_list",
        "last_error",
        "access_token_state",
        "refresh_token_state",
        "client_secret_state",
        "base_url",
        "client_id",
        "connected_at",
        "updated_at",
    )

    def has_add_permission(self, request, obj=None):
        # Connections are made by signing in ("Connect Harvest", "Connect to Xero"), not typed.
        return False

    # --- list and form columns ---------------------------------------------------------------

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        colour = {"active": "#2e7d32", "needs_reauth": "#c62828", "disabled": "#757575"}
        return format_html(
            '<strong style="color:{}">{}</strong>', colour[obj.status], obj.get_status_display()
        )

    @admin.display(description="Access token", ordering="token_expires_at")
    def token_expiry(self, obj):
        return connection_expiry_text(obj)

    @admin.display(description="Scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes.split()) or "—"

    @admin.display(description="Last error")
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.display(description="Access token stored")
    def access_token_state(self, obj):
        return secret_state(obj.access_token)

    @admin.display(description="Refresh token stored")
    def refresh_token_state(self, obj):
        return secret_state(obj.refresh_token)

    @admin.display(description="Client secret stored")
    def client_secret_state(self, obj):
        return secret_state(obj.client_secret)

    # --- extra pages -------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "connect/harvest/",
                wrap(oauth_views.connect_harvest),
                name="syncapp_connection_connect_harvest",
            ),
            path(
                "connect/xero/",
                wrap(oauth_views.connect_xero),
                name="syncapp_connection_connect_xero",
            ),
            path(
                "<int:pk>/test/",
                wrap(self.test_view),
                name="syncapp_connection_test",
            ),
            path(
                "<int:pk>/disconnect/",
                wrap(self.disconnect_view),
                name="syncapp_connection_disconnect",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {
            "can_connect": request.user.has_perm("syncapp.change_connection"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=extra)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        connection = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if connection is not None:
            can_change = request.user.has_perm("syncapp.change_connection")
            extra.update(
                connection=connection,
                can_connect=can_change,
                advice=connection_advice(connection, can_change=can_change),
                reconnect_url=connection_connect_url(connection),
                expiry_text=connection_expiry_text(connection),
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _connection_or_404(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(Connection.objects.select_related("integration"), pk=pk)

    def _report_test(self, request, connection):
        result = connection_test(connection=connection)
        level = messages.SUCCESS if result.ok else messages.ERROR
        self.message_user(request, f"{connection.integration}: {result.message}", level)

    def test_view(self, request, pk):
        """POST only: a test talks to the vendor and may record that access was lost."""
        connection = self._connection_or_404(request, pk)
        if request.method != "POST":
            return redirect(reverse("admin:syncapp_connection_change", args=[pk]))
        self._report_test(request, connection)
        return redirect(reverse("admin:syncapp_connection_change", args=[pk]))

    @admin.action(description="Test connection (reports the organisation or account name)")
    def test_connections(self, request, queryset):
        for connection in queryset.select_related("integration"):
            self._report_test(request, connection)

    def disconnect_view(self, request, pk):
        connection = self._connection_or_404(request, pk)
        if not request.user.has_perm("syncapp.change_connection"):
            raise PermissionDenied
        if request.method == "POST":
            warnings = connection_disconnect(connection=connection)
            for warning in warnings:
                self.message_user(request, warning, messages.WARNING)
            self.message_user(
                request,
                f"Disconnected {connection.get_provider_display()} from {connection.integration}. "
                "Its credentials are deleted; syncs stop until it is connected again.",
                messages.SUCCESS,
            )
            return redirect(reverse("admin:syncapp_connection_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Disconnect {connection.get_provider_display()}?",
            "connection": connection,
        }
        return TemplateResponse(
            request, "admin/syncapp/connection/disconnect_confirm.html", context
        )
