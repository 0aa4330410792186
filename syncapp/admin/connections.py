from django.contrib import admin
from django.utils.html import format_html

from syncapp.models import Connection


def secret_state(value: str) -> str:
    """What the admin may say about a secret: whether one is set, never any of it."""
    return "set" if value else "not set"


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = (
        "integration",
        "provider",
        "account_name",
        "status_badge",
        "token_expires_at",
        "short_error",
    )
    list_filter = ("provider", "status", "integration")
    search_fields = ("account_name", "account_id", "integration__name")
    list_select_related = ("integration",)
    # The encrypted fields are excluded outright so no form, history entry or export renders them.
    exclude = ("access_token", "refresh_token", "client_secret")
    readonly_fields = (
        "status",
        "account_id",
        "account_name",
        "xero_connection_id",
        "access_token_state",
        "refresh_token_state",
        "client_secret_state",
        "token_expires_at",
        "scopes",
        "last_error",
        "connected_at",
        "updated_at",
    )

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        colour = {"active": "#2e7d32", "needs_reauth": "#c62828", "disabled": "#757575"}
        return format_html(
            '<strong style="color:{}">{}</strong>', colour[obj.status], obj.get_status_display()
        )

    @admin.display(description="Last error")
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.display(description="Access token")
    def access_token_state(self, obj):
        return secret_state(obj.access_token)

    @admin.display(description="Refresh token")
    def refresh_token_state(self, obj):
        return secret_state(obj.refresh_token)

    @admin.display(description="Client secret")
    def client_secret_state(self, obj):
        return secret_state(obj.client_secret)
