from django.contrib import admin

from syncapp.admin.readonly import ReadOnlyAdmin
from syncapp.models import WebhookEvent


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "event_category",
        "event_type",
        "resource_id",
        "integration",
        "status",
        "attempts",
    )
    list_filter = ("status", "event_category", "event_type", "integration")
    search_fields = ("resource_id", "tenant_id", "error")
    date_hierarchy = "received_at"
    list_select_related = ("integration",)
