from django.contrib import admin

from syncapp.admin.readonly import ReadOnlyAdmin
from syncapp.models import Cursor, SyncLink


@admin.register(SyncLink)
class SyncLinkAdmin(ReadOnlyAdmin):
    list_display = ("label", "kind", "integration", "state", "harvest_id", "xero_id", "synced_at")
    list_filter = ("kind", "state", "integration")
    search_fields = ("label", "harvest_id", "xero_id")
    list_select_related = ("integration",)
    date_hierarchy = "updated_at"
    exclude = ("idempotency_key",)


@admin.register(Cursor)
class CursorAdmin(ReadOnlyAdmin):
    list_display = ("stream", "integration", "value", "updated_at")
    list_filter = ("integration",)
    search_fields = ("stream",)
    list_select_related = ("integration",)
