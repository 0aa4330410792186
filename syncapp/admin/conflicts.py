"""Contact review: open conflicts, a page per conflict showing the Harvest client beside each
Xero candidate (matching fields highlighted), and the resolutions finance can pick, one by one or
in bulk. Every resolution goes through syncapp.services.conflicts."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from syncapp.flows.contacts.normalise import email_normalise, name_normalise, name_similarity
from syncapp.flows.contacts.records import FIELD_LABELS, contact_reference
from syncapp.models import Conflict, Integration
from syncapp.services.conflicts import (
    ConflictResolutionError,
    conflict_candidate_id,
    conflict_create_new,
    conflict_ignore,
    conflict_is_field_review,
    conflict_link,
    conflict_take_side,
    conflicts_resolve_bulk,
)

ROWS = (
    ("name", "Name"),
    ("email", "E-mail"),
    ("person", "Contact person"),
    ("address", "Address"),
    ("currency", "Currency"),
    ("reference", "Reference"),
    ("status", "Status"),
)


def _person(data: dict) -> str:
    return " ".join(p for p in (data.get("first_name", ""), data.get("last_name", "")) if p)


def _lines(value: str) -> list[str]:
    return [
        " ".join(line.split()).casefold() for line in (value or "").splitlines() if line.strip()
    ]


def review_cell(key: str, harvest: dict, candidate: dict) -> tuple[str, str]:
    """(value shown, css class): "match" same, "similar" alike, "differs" both set but not equal."""
    h_id = str(harvest.get("id", ""))
    if key == "reference":
        numbers = [
            n for n in (candidate.get("contact_number"), candidate.get("account_number")) if n
        ]
        value = " / ".join(numbers)
        ours = contact_reference(harvest_client_id=h_id).casefold() if h_id else ""
        return value, "match" if ours and any(n.casefold() == ours for n in numbers) else ""
    if key == "status":
        status = str(candidate.get("status") or "ACTIVE").upper()
        return ("Archived" if status == "ARCHIVED" else "Active"), (
            "differs" if status == "ARCHIVED" else ""
        )
    if key == "person":
        h, c = _person(harvest), _person(candidate)
        same = h.casefold() == c.casefold()
    elif key == "email":
        h, c = harvest.get("email", ""), candidate.get("email", "")
        same = email_normalise(h) == email_normalise(c)
    elif key == "name":
        h, c = harvest.get("name", ""), candidate.get("name", "")
        same = name_normalise(h) == name_normalise(c)
        if h and c and not same and name_similarity(h, c) >= 0.75:
            return c, "similar"
    elif key == "address":
        h, c = harvest.get("address", ""), candidate.get("address", "")
        same = _lines(h) == _lines(c)
    else:
        h, c = harvest.get(key, ""), candidate.get(key, "")
        same = str(h).upper() == str(c).upper()
    if not h or not c:
        return c, ""
    return c, "match" if same else "differs"


def review_context(conflict: Conflict) -> dict:
    harvest = conflict.harvest_snapshot or {}
    if conflict_is_field_review(conflict):
        fields = []
        for item in conflict.candidates or []:
            if not isinstance(item, dict) or not item.get("field"):
                continue
            fields.append(
                {
                    "label": item.get("label") or FIELD_LABELS.get(item["field"], item["field"]),
                    "harvest": _show(item.get("harvest")),
                    "xero": _show(item.get("xero")),
                    "base_harvest": _show(item.get("base_harvest")),
                    "base_xero": _show(item.get("base_xero")),
                }
            )
        return {"mode": "fields", "fields": fields, "harvest": harvest}
    candidates = []
    for item in conflict.candidates or []:
        if not isinstance(item, dict):
            continue
        cells = [review_cell(key, harvest, item) for key, _ in ROWS]
        candidates.append({"id": conflict_candidate_id(item), "data": item, "cells": cells})
    rows = []
    for index, (key, label) in enumerate(ROWS):
        if key == "person":
            h_value = _person(harvest)
        elif key == "reference":
            h_value = (
                contact_reference(harvest_client_id=harvest["id"]) if harvest.get("id") else ""
            )
        elif key == "status":
            h_value = "Active" if harvest.get("is_active", True) else "Archived in Harvest"
        else:
            h_value = harvest.get(key, "")
        rows.append(
            {"label": label, "harvest": h_value, "cells": [c["cells"][index] for c in candidates]}
        )
    return {"mode": "match", "rows": rows, "candidates": candidates, "harvest": harvest}


def _show(value) -> str:
    if isinstance(value, dict):
        from syncapp.flows.contacts.address import address_join

        return address_join(value)
    return str(value or "")


class ConflictStatusFilter(admin.SimpleListFilter):
    """Finance opens the queue to work on it: open conflicts unless another status is picked."""

    title = "status"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*Conflict.Status.choices, ("all", "All")]

    def choices(self, changelist):
        value = self.value() or Conflict.Status.OPEN
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or Conflict.Status.OPEN
        return queryset if value == "all" else queryset.filter(status=value)


@admin.register(Conflict)
class ConflictAdmin(admin.ModelAdmin):
    change_form_template = "admin/syncapp/conflict/review.html"
    list_display = ("review_link", "why", "best_candidate", "integration", "found")
    list_filter = (ConflictStatusFilter, "reason", "kind", "integration")
    search_fields = ("label", "harvest_id", "detail")
    list_select_related = ("integration", "resolved_by")
    actions = [
        "bulk_link_best",
        "bulk_create",
        "bulk_ignore",
        "bulk_take_harvest",
        "bulk_take_xero",
    ]
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

    @admin.display(description="Harvest client", ordering="label")
    def review_link(self, obj):
        url = reverse("admin:syncapp_conflict_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.label or obj.harvest_id)

    @admin.display(description="Found", ordering="created_at")
    def found(self, obj):
        return date_format(timezone.localtime(obj.created_at), "j M Y")

    @admin.display(description="Why it waits", ordering="reason")
    def why(self, obj):
        detail = (obj.detail or "").split("\n")[0]
        short = detail if len(detail) <= 110 else detail[:107].rstrip() + "…"
        return format_html("<strong>{}</strong><br>{}", obj.get_reason_display(), short)

    @admin.display(description="Best candidate in Xero")
    def best_candidate(self, obj):
        items = [c for c in obj.candidates or [] if isinstance(c, dict)]
        if not items:
            return "—"
        first = items[0]
        if first.get("field"):
            return ", ".join(c.get("label") or c.get("field") for c in items) + " differ"
        more = f" (+{len(items) - 1} more)" if len(items) > 1 else ""
        return f"{first.get('name', '?')}{more}"

    def get_list_display(self, request):
        # With a single integration its name on every row is noise that pushes the table wide.
        if Integration.objects.count() <= 1:
            return tuple(f for f in self.list_display if f != "integration")
        return self.list_display

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "Contacts waiting for review", **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    # -- the review page ---------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        conflict = get_object_or_404(
            Conflict.objects.select_related("integration", "resolved_by"), pk=object_id
        )
        if not self.has_view_or_change_permission(request, conflict):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Review: {conflict.label or conflict.harvest_id}",
            "conflict": conflict,
            "can_resolve": self.has_change_permission(request, conflict)
            and conflict.status == Conflict.Status.OPEN,
            "resolve_url": reverse("admin:syncapp_conflict_resolve", args=[conflict.pk]),
            **review_context(conflict),
        }
        return TemplateResponse(request, self.change_form_template, context)

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/resolve/",
                self.admin_site.admin_view(require_POST(self.resolve_view)),
                name="syncapp_conflict_resolve",
            ),
        ]
        return extra + super().get_urls()

    def resolve_view(self, request, pk):
        conflict = get_object_or_404(Conflict, pk=pk)
        if not self.has_change_permission(request, conflict):
            raise PermissionDenied
        action = request.POST.get("action", "")
        user = request.user
        try:
            if action == "link":
                conflict_link(
                    conflict=conflict, xero_contact_id=request.POST.get("contact_id", ""), user=user
                )
                done = "Linked. The contact and any invoices that waited for it are queued to sync."
            elif action == "create":
                conflict_create_new(conflict=conflict, user=user)
                done = "A new Xero contact will be created; the client's invoices follow it."
            elif action == "ignore":
                conflict_ignore(conflict=conflict, user=user)
                done = (
                    "Left as they are in both systems."
                    if conflict_is_field_review(conflict)
                    else "Ignored: this client stays out of Xero and its invoices are held."
                )
            elif action in ("take_harvest", "take_xero"):
                side = action.removeprefix("take_")
                conflict_take_side(conflict=conflict, side=side, user=user)
                done = (
                    f"Keeping {'Harvest' if side == 'harvest' else 'Xero'}'s value; queued to sync."
                )
            else:
                messages.error(request, "Unknown action.")
                return redirect("admin:syncapp_conflict_change", pk)
        except ConflictResolutionError as error:
            messages.error(request, str(error))
            return redirect("admin:syncapp_conflict_change", pk)
        messages.success(request, f"{conflict.label}: {done}")
        return redirect("admin:syncapp_conflict_changelist")

    # -- bulk actions ------------------------------------------------------------------------

    def _bulk(self, request, queryset, action, verb):
        outcome = conflicts_resolve_bulk(conflicts=list(queryset), action=action, user=request.user)
        if outcome.resolved:
            queued = ", ".join(f"#{run.pk}" for run in outcome.runs)
            messages.success(
                request,
                f"{verb} {outcome.resolved} conflict(s)."
                + (f" Queued sync runs {queued}." if queued else ""),
            )
        for error in outcome.errors:
            messages.warning(request, error)

    @admin.action(description="Link each to its best Xero candidate", permissions=["change"])
    def bulk_link_best(self, request, queryset):
        self._bulk(request, queryset, "link_best", "Linked")

    @admin.action(description="Create new Xero contacts", permissions=["change"])
    def bulk_create(self, request, queryset):
        self._bulk(request, queryset, "create", "Will create contacts for")

    @admin.action(description="Ignore (keep out of Xero)", permissions=["change"])
    def bulk_ignore(self, request, queryset):
        self._bulk(request, queryset, "ignore", "Ignored")

    @admin.action(
        description="Keep Harvest's value (changed on both sides)", permissions=["change"]
    )
    def bulk_take_harvest(self, request, queryset):
        self._bulk(request, queryset, "take_harvest", "Kept Harvest's value for")

    @admin.action(description="Keep Xero's value (changed on both sides)", permissions=["change"])
    def bulk_take_xero(self, request, queryset):
        self._bulk(request, queryset, "take_xero", "Kept Xero's value for")
