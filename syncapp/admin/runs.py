from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from syncapp.admin.readonly import ReadOnlyAdmin
from syncapp.engine import counters_failed
from syncapp.flows.registry import flow_choices
from syncapp.models import SyncEvent, SyncRun

RUN_COLUMNS = (
    ("created", "Created"),
    ("updated", "Updated"),
    ("linked", "Linked"),
    ("skipped", "Unchanged"),
    ("held", "Waiting"),
    ("conflicts", "To review"),
    ("failed", "Failed"),
    ("xero_calls", "Xero calls"),
    ("harvest_calls", "Harvest calls"),
)
OUTCOME_COLOURS = {
    SyncRun.Status.SUCCEEDED: "#15803d",
    SyncRun.Status.WITH_FAILURES: "#b45309",
    SyncRun.Status.ABANDONED: "#b45309",
    SyncRun.Status.FAILED: "#b91c1c",
    SyncRun.Status.BLOCKED: "#b91c1c",
}


def outcome_html(*, status: str, failed: int = 0):
    """A run's status as finance reads it: coloured, with the failures counted."""
    label = SyncRun.Status(status).label
    if failed and status == SyncRun.Status.WITH_FAILURES:
        label = f"{label} ({failed})"
    colour = OUTCOME_COLOURS.get(status)
    if colour is None:
        return label
    return format_html('<strong style="color: {}">{}</strong>', colour, label)


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "integration",
        "flow",
        "trigger",
        "outcome",
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
        "outcome",
        "note",
        "due_at",
        "requested_by",
        "progress",
        "what_it_did",
        "error",
        "events_link",
        "task_id",
        "created_at",
        "started_at",
        "finished_at",
    )
    fields = readonly_fields
    change_form_template = "admin/syncapp/syncrun/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        extra = dict(extra_context or {}, finished_statuses=SyncRun.FINISHED)
        if run is not None:
            failed = counters_failed(run.counters or {})
            # What went through, not what was looked at: a run with failures never fills up.
            extra.update(failed_count=failed, bar_value=max(run.done - failed, 0))
        return super().change_view(request, object_id, form_url, extra_context=extra)

    @admin.display(description="Status", ordering="status")
    def outcome(self, obj):
        return outcome_html(status=obj.status, failed=counters_failed(obj.counters or {}))

    @admin.display(description="Progress")
    def progress(self, obj):
        if not obj.total:
            return "—"
        return f"{obj.done} / {obj.total}"

    @admin.display(description="What it did")
    def what_it_did(self, obj):
        flows = [(name, obj.counters.get(name) or {}) for name in obj.counters.get("flows_run", [])]
        if not flows:
            return "—"
        header = format_html_join("", "<th>{}</th>", ((label,) for _, label in RUN_COLUMNS))
        rows = format_html_join(
            "",
            "<tr><th>{}</th>{}</tr>",
            (
                (
                    dict(flow_choices()).get(name, name),
                    format_html_join(
                        "", "<td>{}</td>", ((counts.get(key, 0),) for key, _ in RUN_COLUMNS)
                    ),
                )
                for name, counts in flows
            ),
        )
        return format_html("<table><tr><th></th>{}</tr>{}</table>", header, rows)

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
