"""The payment ledger: every payment hxsync mirrored (or held), in either direction."""

from django.contrib import admin, messages
from django.utils.html import format_html

from syncapp.admin.readonly import ReadOnlyAdmin
from syncapp.flows.payments.ledger import payment_links_recheck
from syncapp.flows.payments.types import DIRECTION_FROM_HARVEST, DIRECTION_FROM_XERO
from syncapp.models import PaymentLedgerEntry, SyncLink

DIRECTIONS = {
    DIRECTION_FROM_XERO: "Xero → Harvest",
    DIRECTION_FROM_HARVEST: "Harvest → Xero",
}
SOURCES = {
    "payment": "Payment",
    "credit_note": "Credit note applied",
    "overpayment": "Overpayment applied",
    "prepayment": "Prepayment applied",
    "harvest_payment": "Harvest payment",
    "harvest_refund": "Harvest refund (credit note)",
}


class DirectionFilter(admin.SimpleListFilter):
    title = "direction"
    parameter_name = "direction"

    def lookups(self, request, model_admin):
        return list(DIRECTIONS.items())

    def queryset(self, request, queryset):
        if self.value() in DIRECTIONS:
            return queryset.filter(snapshot__direction=self.value())
        return queryset


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", "Held or failed"), ("no", "Everything else")]

    def queryset(self, request, queryset):
        wanted = (SyncLink.State.HELD, SyncLink.State.FAILED, SyncLink.State.SENDING)
        if self.value() == "yes":
            return queryset.filter(state__in=wanted)
        if self.value() == "no":
            return queryset.exclude(state__in=wanted)
        return queryset


@admin.register(PaymentLedgerEntry)
class PaymentLedgerAdmin(ReadOnlyAdmin):
    list_display = ("invoice", "what_and_way", "amount", "paid_on", "state_shown")
    list_filter = (NeedsAttentionFilter, DirectionFilter, "state", "integration")
    search_fields = ("label", "harvest_id", "xero_id", "last_error")
    list_select_related = ("integration",)
    date_hierarchy = "updated_at"
    actions = ["recheck"]
    fields = (
        "integration",
        "label",
        "direction",
        "what",
        "amount",
        "paid_on",
        "invoice",
        "state",
        "last_error",
        "harvest_payment",
        "xero_payment",
        "attempts",
        "synced_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    # The payment ledger is part of the ledger: whoever may read the ledger may read this.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("syncapp.view_synclink")

    def has_module_permission(self, request):
        return request.user.has_perm("syncapp.view_synclink")

    def has_trigger_sync_permission(self, request):
        return request.user.has_perm("syncapp.trigger_sync")

    @admin.action(
        description="Check the selected held or failed payments again now",
        permissions=["trigger_sync"],
    )
    def recheck(self, request, queryset):
        runs = payment_links_recheck(
            link_ids=list(queryset.values_list("pk", flat=True)), user=request.user
        )
        if runs:
            self.message_user(
                request,
                f"Queued payments run(s) {', '.join(f'#{r}' for r in runs)}; held and failed "
                "payments among the selection are looked at again.",
                messages.SUCCESS,
            )
        else:
            self.message_user(request, "None of the selected payments is held or failed.")

    @admin.display(description="Invoice")
    def invoice(self, obj):
        snap = obj.snapshot
        harvest = snap.get("harvest_invoice_number") or snap.get("harvest_invoice_id") or "?"
        xero = snap.get("xero_invoice_number")
        return f"{harvest} (Xero {xero})" if xero and xero != harvest else str(harvest)

    @admin.display(description="What")
    def what_and_way(self, obj):
        return f"{self.what(obj)}, {self.direction(obj)}"

    @admin.display(description="Direction")
    def direction(self, obj):
        return DIRECTIONS.get(obj.snapshot.get("direction", DIRECTION_FROM_XERO), "?")

    @admin.display(description="What")
    def what(self, obj):
        return SOURCES.get(obj.snapshot.get("source", ""), obj.snapshot.get("source", "—"))

    @admin.display(description="Amount")
    def amount(self, obj):
        amount = obj.snapshot.get("amount")
        return f"{amount} {obj.snapshot.get('currency', '')}".strip() if amount else "—"

    @admin.display(description="Paid on")
    def paid_on(self, obj):
        return obj.snapshot.get("paid_on") or "—"

    @admin.display(description="State", ordering="state")
    def state_shown(self, obj):
        label = obj.get_state_display()
        if obj.state in (SyncLink.State.HELD, SyncLink.State.FAILED) and obj.last_error:
            return format_html("<strong>{}</strong>: {}", label, obj.last_error)
        if obj.state == SyncLink.State.SENDING:
            return "Checking (an earlier write's outcome is being confirmed)"
        return label

    @admin.display(description="Harvest payment")
    def harvest_payment(self, obj):
        return obj.harvest_id or "—"

    @admin.display(description="Xero payment")
    def xero_short(self, obj):
        if not obj.xero_id:
            return "—"
        return format_html('<span title="{}">{}…</span>', obj.xero_id, obj.xero_id[:13])

    @admin.display(description="Xero payment / allocation")
    def xero_payment(self, obj):
        return obj.xero_id or "—"
