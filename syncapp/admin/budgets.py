"""Budget alerts: every threshold a project crossed, whom it was sent to, or why it was not."""

from django.contrib import admin

from syncapp.admin.readonly import ReadOnlyAdmin
from syncapp.models import BudgetAlert


class SentFilter(admin.SimpleListFilter):
    title = "sent"
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return (("yes", "Sent"), ("no", "Not sent"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        return queryset


@admin.register(BudgetAlert)
class BudgetAlertAdmin(ReadOnlyAdmin):
    list_display = (
        "crossed_at",
        "integration",
        "project_name",
        "client_name",
        "budget_kind",
        "period_shown",
        "threshold_shown",
        "used_shown",
        "percent_shown",
        "sent_shown",
    )
    list_filter = ("integration", "threshold", SentFilter)
    search_fields = ("project_name", "client_name", "harvest_project_id")
    list_select_related = ("integration",)
    date_hierarchy = "crossed_at"
    fields = (
        "integration",
        "project_name",
        "client_name",
        "harvest_project_id",
        "budget_kind",
        "period_shown",
        "threshold_shown",
        "used_shown",
        "percent_shown",
        "crossed_at",
        "sent_at",
        "recipients",
        "note",
    )
    readonly_fields = fields

    @admin.display(description="Period", ordering="period")
    def period_shown(self, alert):
        return f"{alert.period:%B %Y}" if alert.period else "Whole project"

    @admin.display(description="Threshold", ordering="threshold")
    def threshold_shown(self, alert):
        return f"{alert.threshold} %"

    @admin.display(description="Used of budget")
    def used_shown(self, alert):
        if alert.unit == "hours":
            return f"{alert.used:,.2f} of {alert.budget:,.2f} hours"
        return f"{alert.unit} {alert.used:,.2f} of {alert.budget:,.2f}".strip()

    @admin.display(description="Used", ordering="percent")
    def percent_shown(self, alert):
        return f"{alert.percent} %"

    @admin.display(description="Sent", boolean=False, ordering="sent_at")
    def sent_shown(self, alert):
        if alert.sent_at:
            return f"Sent {alert.sent_at:%Y-%m-%d %H:%M}"
        return alert.note.split(".")[0] if alert.note else "Not sent"
