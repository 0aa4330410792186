from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe

from syncapp.admin.ledger_expenses import ExpenseLedgerMixin, expense_resync_ids
from syncapp.admin.preflight import preflight_view
from syncapp.admin.readonly import ReadOnlyAdmin
from syncapp.flows.invoices.services import invoices_write_off_approve
from syncapp.flows.registry import flow_for_kind, flow_get
from syncapp.models import Cursor, Integration, SyncKind, SyncLink

RESYNC_BUTTON = {
    SyncKind.INVOICE: "Resync this invoice",
    SyncKind.CREDIT_NOTE: "Resync this credit note",
    SyncKind.EXPENSE: "Resync this expense",
    SyncKind.EXPENSE_DOC: "Resync the expenses on it",
}


def resync_ids(kind: str, harvest_id: str | None, snapshot: dict) -> list[str] | None:
    """The Harvest ids a resync of this row sends back to its flow; None when it has none."""
    try:
        flow = flow_for_kind(kind)
    except KeyError:  # a kind no flow owns yet (cost journals)
        return None
    if not harvest_id or flow.resync is None:
        return None
    if kind in (SyncKind.EXPENSE, SyncKind.EXPENSE_DOC, SyncKind.PERSON):
        return expense_resync_ids(kind=kind, harvest_id=harvest_id, snapshot=snapshot) or None
    return [harvest_id]


@admin.register(SyncLink)
class SyncLinkAdmin(ExpenseLedgerMixin, ReadOnlyAdmin):
    list_display = (
        "label",
        "kind",
        "integration",
        "state",
        "receipt_column",
        "harvest_id",
        "xero_id",
        "synced_at",
        "last_error_short",
    )
    list_filter = ("kind", "state", "integration")
    search_fields = ("label", "harvest_id", "xero_id")
    list_select_related = ("integration",)
    date_hierarchy = "updated_at"
    exclude = ("idempotency_key", "snapshot")
    actions = ("resync_invoices", "write_off_closed")
    change_list_template = "admin/syncapp/synclink/change_list.html"
    change_form_template = "admin/syncapp/synclink/change_form.html"

    # What finance reads first; the technical fields (ids, hash, attempts) after.
    FIRST = ("label", "kind", "integration", "state", "last_error", "account_rules")

    def get_list_display(self, request):
        """The receipt column where expenses are listed (all kinds, or expenses only)."""
        shown = super().get_list_display(request)
        if request.GET.get("kind__exact", SyncKind.EXPENSE) != SyncKind.EXPENSE:
            return tuple(name for name in shown if name != "receipt_column")
        return shown

    def get_readonly_fields(self, request, obj=None):
        first = self.first_fields(obj) or self.FIRST
        rest = [f.name for f in self.model._meta.fields if f.name not in self.exclude + first]
        return [*first, *rest]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description="Last error")
    def last_error_short(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.display(description="Lines: which rule chose each account")
    def account_rules(self, obj):
        snapshot = obj.snapshot or {}
        return mark_safe(  # noqa: S308 - rendered by a template with autoescape
            render_to_string(
                "admin/syncapp/synclink/explain.html",
                {
                    "lines": snapshot.get("explain") or [],
                    "expected": snapshot.get("expected"),
                    "mismatch": snapshot.get("mismatch", ""),
                },
            )
        )

    def _can_resync(self, request) -> bool:
        return request.user.has_perm("syncapp.trigger_sync")

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self._can_resync(request):
            actions.pop("resync_invoices", None)
            actions.pop("write_off_closed", None)
        return actions

    @admin.action(description="Resync the selected records now")
    def resync_invoices(self, request, queryset):
        """Each record goes back to the flow that owns its kind (the registry's `resync`)."""
        if not self._can_resync(request):
            raise PermissionDenied
        chosen: dict[tuple[int, str], list[str]] = {}
        skipped = 0
        rows = queryset.values_list("integration_id", "kind", "harvest_id", "snapshot")
        for integration_id, kind, harvest_id, snapshot in rows:
            ids = resync_ids(kind, harvest_id, snapshot or {})
            if ids is None:
                skipped += 1
                continue
            ids_for = chosen.setdefault((integration_id, flow_for_kind(kind).name), [])
            ids_for.extend(i for i in ids if i not in ids_for)
        integrations = Integration.objects.in_bulk({pk for pk, _ in chosen})
        for (integration_id, name), harvest_ids in chosen.items():
            flow = flow_get(name)
            run = import_string(flow.resync)(
                integration=integrations[integration_id], harvest_ids=harvest_ids, user=request.user
            )
            url = reverse("admin:syncapp_syncrun_change", args=[run.pk])
            messages.success(
                request,
                format_html(
                    'Resync of {} {} record(s) for {} queued: <a href="{}">follow its progress</a>.',
                    len(harvest_ids),
                    flow.label.lower(),
                    integrations[integration_id],
                    url,
                ),
            )
        if skipped:
            messages.warning(
                request, f"{skipped} selected row(s) cannot be resynced from here; left alone."
            )

    @admin.action(
        description="Write off in Xero the selected invoices closed in Harvest (void when "
        "nothing is paid, otherwise a credit note for what is still due)"
    )
    def write_off_closed(self, request, queryset):
        if not self._can_resync(request):
            raise PermissionDenied
        chosen = list(queryset.filter(kind=SyncKind.INVOICE).select_related("integration"))
        runs = invoices_write_off_approve(links=chosen, user=request.user)
        approved = sum(1 for link in chosen if "approved_by" in link.snapshot.get("write_off", {}))
        if approved:
            messages.success(
                request,
                f"Write-off of {approved} invoice(s) approved; it is applied in Xero by the "
                f"queued run(s) {', '.join(f'#{run.pk}' for run in runs)}.",
            )
        if len(queryset) > approved:
            messages.warning(
                request,
                f"{len(queryset) - approved} selected row(s) are not invoices flagged as closed "
                "in Harvest; left alone.",
            )

    def resync_one_view(self, request, link_id: int):
        if request.method != "POST" or not self._can_resync(request):
            raise PermissionDenied
        link = get_object_or_404(SyncLink, pk=link_id, kind__in=list(RESYNC_BUTTON))
        ids = resync_ids(link.kind, link.harvest_id, link.snapshot or {})
        if not ids:
            messages.warning(request, "Nothing on this row can be resynced; left alone.")
            return redirect("admin:syncapp_synclink_change", link.pk)
        run = import_string(flow_for_kind(link.kind).resync)(
            integration=link.integration, harvest_ids=ids, user=request.user
        )
        messages.success(
            request, f"Resync of {link.label or link.harvest_id} queued (run #{run.pk})."
        )
        return redirect("admin:syncapp_syncrun_change", run.pk)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        link = SyncLink.objects.filter(pk=object_id).only("kind").first() if object_id else None
        button = RESYNC_BUTTON.get(link.kind) if link else None
        extra_context["can_resync"] = bool(button and self._can_resync(request))
        extra_context["resync_label"] = button or ""
        return super().changeform_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["preflight_integrations"] = list(Integration.objects.only("pk", "name"))
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "preflight/<int:integration_id>/",
                view(lambda request, integration_id: preflight_view(self, request, integration_id)),
                name="syncapp_synclink_preflight",
            ),
            path(
                "<int:link_id>/resync/",
                view(self.resync_one_view),
                name="syncapp_synclink_resync",
            ),
            *self.expense_urls(),
            *super().get_urls(),
        ]


@admin.register(Cursor)
class CursorAdmin(ReadOnlyAdmin):
    list_display = ("stream", "integration", "value", "updated_at")
    list_filter = ("integration",)
    search_fields = ("stream",)
    list_select_related = ("integration",)
