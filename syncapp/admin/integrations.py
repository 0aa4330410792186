from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, IntegerField, JSONField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from syncapp.admin.runs import outcome_html
from syncapp.engine import counters_failed
from syncapp.flows.payments.schedule import payments_cadence_text
from syncapp.models import Connection, Integration, RateGovernorState, SyncLink, SyncRun
from syncapp.services.budget import xero_day_figures
from syncapp.services.runs import sync_run_request
from syncapp.services.secrets import integration_secrets_unreadable

# Ledger states a person should look at: failed, waiting (held) or in review.
ATTENTION = (SyncLink.State.FAILED, SyncLink.State.HELD, SyncLink.State.CONFLICT)


class ConnectionInlineForm(forms.ModelForm):
    class Meta:
        model = Connection
        fields = ("xero_tier",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.provider != Connection.Provider.XERO:
            # Harvest has no tier: the field would only invite a meaningless choice.
            self.fields["xero_tier"].disabled = True
            self.fields["xero_tier"].widget = forms.HiddenInput()


class ConnectionInline(admin.TabularInline):
    model = Connection
    form = ConnectionInlineForm
    fields = ("provider", "account_name", "status", "token_expires_at", "last_error", "xero_tier")
    # The Xero tier is finance's to set (what Xero bills them for); the rest comes from connecting.
    readonly_fields = ("provider", "account_name", "status", "token_expires_at", "last_error")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "is_active",
        "xero_invoice_status",
        "open_conflicts",
        "needs_attention",
        "last_run",
        "xero_today",
        "checks",
    )
    list_filter = ("is_active", "xero_invoice_status", "numbering_policy")
    search_fields = ("name",)
    actions = ["sync_now"]
    inlines = [ConnectionInline]
    readonly_fields = ("stored_secrets", "xero_day", "payments_cadence")
    fieldsets = (
        (None, {"fields": ("name", "is_active", "stored_secrets")}),
        ("Xero's day allowance", {"fields": ("xero_day",)}),
        (
            "Invoices",
            {
                "fields": (
                    "invoice_trigger",
                    "xero_invoice_status",
                    "numbering_policy",
                    "invoice_number_prefix",
                    "default_account_code",
                    "default_tax_type",
                    "currency_policy",
                    "rounding_policy",
                    "rounding_account_code",
                    "removed_invoice_policy",
                )
            },
        ),
        ("Clients and contacts", {"fields": ("contact_match_policy",)}),
        (
            "Payments",
            {
                "fields": (
                    "payments_cadence",
                    "payment_match_policy",
                    "harvest_payments_to_xero",
                )
            },
        ),
        (
            "Expenses",
            {
                "description": (
                    "Harvest expenses reach Xero as bills to the person who spent them, as "
                    "spend money from the company card's bank account, or on the client's "
                    "invoice, as the mode below says; an expense category can override the "
                    "mode in Mappings › Expense categories."
                ),
                "fields": (
                    "expense_mode",
                    "expense_approval",
                    "expenses_from",
                    "expense_grouping",
                    "expense_bill_status",
                    "expense_card_account_code",
                    "expense_uninvoiced_days",
                ),
            },
        ),
        (
            "Cost journals",
            {
                "description": (
                    "Each month's project costs (hours at each time entry's cost rate, plus "
                    "expenses where the project's budget includes them) go to Xero as one "
                    "balanced manual journal: a debit per project, one credit for the total. "
                    "Leave the credit account empty to keep journals off; the costs still feed "
                    "the profitability dashboard and budget alerts."
                ),
                "fields": (
                    "journal_debit",
                    "journal_cost_account_code",
                    "journal_wip_account_code",
                    "journal_credit_account_code",
                    "journal_status",
                ),
            },
        ),
        (
            "Budgets",
            {
                "description": (
                    "The Budget alerts run compares each Harvest project's budget with its "
                    "hours and costs and e-mails the project's managers and these addresses "
                    "once for each threshold crossed (per month for monthly budgets)."
                ),
                "fields": ("budget_thresholds", "finance_emails"),
            },
        ),
    )

    def get_queryset(self, request):
        latest_runs = SyncRun.objects.filter(integration=OuterRef("pk")).order_by("-created_at")
        xero = Connection.objects.filter(
            integration=OuterRef("pk"), provider=Connection.Provider.XERO
        )
        governor = RateGovernorState.objects.filter(key=OuterRef("xero_key"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                xero_tenant=Subquery(xero.values("account_id")[:1]),
                xero_name=Subquery(xero.values("account_name")[:1]),
                xero_tier=Subquery(xero.values("xero_tier")[:1]),
                xero_key=Concat(Value("xero:"), "xero_tenant"),
            )
            .annotate(
                xero_governor_state=Subquery(
                    governor.values("state")[:1], output_field=JSONField()
                ),
                open_conflict_count=Count("conflicts", filter=Q(conflicts__status="open")),
                last_run_id=Subquery(latest_runs.values("pk")[:1]),
                last_run_status=Subquery(latest_runs.values("status")[:1]),
                last_run_counters=Subquery(
                    latest_runs.values("counters")[:1], output_field=JSONField()
                ),
                attention_count=Coalesce(
                    Subquery(
                        SyncLink.objects.filter(integration=OuterRef("pk"), state__in=ATTENTION)
                        .order_by()
                        .values("integration")
                        .annotate(n=Count("pk"))
                        .values("n")[:1],
                        output_field=IntegerField(),
                    ),
                    0,
                ),
            )
        )

    @admin.display(description="Records needing attention", ordering="attention_count")
    def needs_attention(self, obj):
        if not obj.attention_count:
            return "0"
        url = reverse("admin:syncapp_synclink_changelist")
        return format_html(
            '<a href="{}?integration__id__exact={}&state__in={}">{} failed or waiting</a>',
            url,
            obj.pk,
            ",".join(ATTENTION),
            obj.attention_count,
        )

    @admin.display(description="Open conflicts", ordering="open_conflict_count")
    def open_conflicts(self, obj):
        if not obj.open_conflict_count:
            return "0"
        url = reverse("admin:syncapp_conflict_changelist")
        return format_html(
            '<a href="{}?integration__id__exact={}&status__exact=open">{}</a>',
            url,
            obj.pk,
            obj.open_conflict_count,
        )

    def _xero_figures(self, obj):
        if not getattr(obj, "xero_tenant", None):
            return None
        # The list annotates the governor's row; with Redis the state lives there instead.
        state = None if getattr(settings, "REDIS_URL", "") else (obj.xero_governor_state or {})
        return xero_day_figures(
            tier=obj.xero_tier,
            label=obj.xero_name or obj.name,
            tenant_id=obj.xero_tenant,
            state=state,
        )

    @admin.display(description="Xero calls today")
    def xero_today(self, obj):
        figures = self._xero_figures(obj)
        if figures is None:
            return "—"
        text = format_html(
            "{} today · about {} by midnight UTC · allowance {}",
            f"{figures.calls_today:,}",
            f"{figures.projected_today:,}",
            f"{figures.allowance:,}",
        )
        if figures.waiting:
            return format_html("{}<br><strong>{}</strong>", text, figures.waiting)
        return text

    @admin.display(description="Xero calls today (UTC)")
    def xero_day(self, obj):
        figures = self._xero_figures(obj) if obj.pk else None
        if figures is None:
            return "No Xero organisation connected."
        rows = [
            ("Calls so far today", f"{figures.calls_today:,}"),
            ("Projection for the day (at this pace)", f"{figures.projected_today:,}"),
            (
                "Allowance",
                f"{figures.allowance:,} calls per rolling 24 hours ("
                + ("learned from Xero's answers" if figures.learned else "from the Xero tier")
                + ")",
            ),
            (
                "Calls in the last 24 hours",
                f"{figures.calls_window:,}, of which {figures.polls_window:,} by scheduled polls",
            ),
        ]
        table = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        note = figures.waiting or (
            "Over the allowance at this pace: polls slow down and bulk work waits."
            if figures.projected_today > figures.allowance
            else "Within the allowance."
        )
        return format_html("<table>{}</table><p><strong>{}</strong></p>", table, note)

    @admin.display(description="How fast payments arrive")
    def payments_cadence(self, obj):
        if obj.pk is None:
            return "—"
        return payments_cadence_text(obj)

    @admin.display(description="Stored secrets")
    def stored_secrets(self, obj):
        if obj.pk is None:
            return "—"
        problems = integration_secrets_unreadable(integration=obj)
        if not problems:
            return "All readable"
        return format_html_join("", "<p><strong>{}</strong></p>", ((p,) for p in problems))

    @admin.display(description="Last run")
    def last_run(self, obj):
        if obj.last_run_id is None:
            return "never"
        url = reverse("admin:syncapp_syncrun_change", args=[obj.last_run_id])
        failed = counters_failed(obj.last_run_counters or {})
        outcome = outcome_html(status=obj.last_run_status, failed=failed)
        return format_html('<a href="{}">#{}</a> {}', url, obj.last_run_id, outcome)

    @admin.display(description="Before syncing")
    def checks(self, obj):
        url = reverse("admin:syncapp_synclink_preflight", args=[obj.pk])
        return format_html('<a href="{}">Check mappings and Xero settings</a>', url)

    def has_sync_permission(self, request):
        return request.user.has_perm("syncapp.trigger_sync")

    @admin.action(description="Sync now", permissions=["sync"])
    def sync_now(self, request, queryset):
        for integration in queryset:
            run, created = sync_run_request(
                integration=integration,
                flow=SyncRun.Flow.ALL,
                trigger=SyncRun.Trigger.MANUAL,
                user=request.user,
            )
            url = reverse("admin:syncapp_syncrun_change", args=[run.pk])
            if created:
                message = format_html(
                    'Queued <a href="{}">run #{}</a> for {}. It starts as soon as a worker is free.',
                    url,
                    run.pk,
                    integration,
                )
                self.message_user(request, message, messages.SUCCESS)
            else:
                message = format_html(
                    '{} already has <a href="{}">run #{}</a> {}; no second run was queued.',
                    integration,
                    url,
                    run.pk,
                    run.get_status_display().lower(),
                )
                self.message_user(request, message, messages.WARNING)
