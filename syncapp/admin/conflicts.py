from django.contrib import admin

from syncapp.models import Conflict


@admin.register(Conflict)
class ConflictAdmin(admin.ModelAdmin):
    list_display = ("label", "reason", "integration", "status", "created_at", "resolved_by")
    list_filter = ("status", "reason", "kind", "integration")
    search_fields = ("label", "harvest_id", "detail")
    date_hierarchy = "created_at"
    list_select_related = ("integration", "resolved_by")
    readonly_fields = (
        "integration",
        "kind",
        "harvest_id",
        "label",
        "reason",
        "detail",
        "harvest_snapshot",
        "candidates",
        "resolution",
        "resolved_xero_id",
        "resolved_by",
        "resolved_at",
        "created_at",
    )
    fields = ("status", *readonly_fields)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
