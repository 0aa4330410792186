from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from syncapp.admin.readonly import ReadOnlyAdmin
from syncapp.models import SyncEvent, SyncRun


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "integration",
        "flow",
        "trigger",
        "status",
        "dry_run",
        "progress",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "flow", "trigger", "dry_run", "integration")
    search_fields = ("integration__name", "error")
    date_hierarchy = "created_at"
    list_select_related = ("integration", "requested_by")
    readonly_fields = (
        "integration",
        "flow",
        "trigger",
        "dry_run",
        "status",
        "requested_by",
        "progress",
        "counters",
        "error",
        "events_link",
        "task_id",
        "created_at",
        "started_at",
        "finished_at",
    )
    fields = readonly_fields
    change_form_template = "admin/syncapp/syncrun/change_form.html"

    @admin.display(description="Progress")
    def progress(self, obj):
        if not obj.total:
            return "—"
        return f"{obj.done} / {obj.total}"

    @admin.display(description="Records")
    def events_link(self, obj):
        url = reverse("admin:syncapp_syncevent_changelist")
        return format_html(
            '<a href="{}?run__id__exact={}">What this run did, record by record</a>', url, obj.pk
        )


@admin.register(SyncEvent)
class SyncEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "kind", "label", "message", "run")
    list_filter = ("action", "kind", "run__integration")
    search_fields = ("label", "harvest_id", "xero_id", "message", "api_error")
    date_hierarchy = "created_at"
    list_select_related = ("run", "run__integration")
