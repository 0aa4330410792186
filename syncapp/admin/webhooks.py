"""The Xero webhook inbox (each event's status and payload, retry) and the webhook keys page."""

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from syncapp.admin import payments  # noqa: F401 - registers the payment ledger beside the inbox
from syncapp.admin.connections import secret_state
from syncapp.admin.readonly import ReadOnlyAdmin
from syncapp.flows.payments.webhooks import webhook_events_retry
from syncapp.models import Connection, Integration, SyncRun, WebhookEvent

KEYS_TEMPLATE = """{% extends "admin/base_site.html" %}
{% block content %}
<p>Xero signs every webhook with the key shown once in the Xero developer portal
(your app › Webhooks). Give it to hxsync here; it is stored encrypted and never shown again.</p>
<p>Delivery URL to enter in Xero: <code>{{ delivery_url }}</code></p>
<table>
<thead><tr><th>Integration</th><th>Xero organisation</th><th>Webhook key</th><th>Set a new key</th></tr></thead>
<tbody>
{% for row in rows %}
<tr>
<td>{{ row.integration.name }}</td>
<td>{{ row.organisation }}</td>
<td>{{ row.key_state }}</td>
<td><form method="post">{% csrf_token %}
<input type="hidden" name="integration" value="{{ row.integration.pk }}">
<input type="password" name="key" autocomplete="off" aria-label="Webhook key for {{ row.integration.name }}">
<input type="submit" value="Save key">
{% if row.integration.xero_webhook_key %}<input type="submit" name="clear" value="Remove key">{% endif %}
</form></td>
</tr>
{% endfor %}
</tbody></table>
<p>{% if fallback %}An install-wide key (XERO_WEBHOOK_KEY) is also set.{% else %}No install-wide key (XERO_WEBHOOK_KEY) is set.{% endif %}</p>
{% endblock %}"""

STATUS_HELP = {
    WebhookEvent.Status.RECEIVED: "Waiting for a worker",
    WebhookEvent.Status.PROCESSED: "Done",
    WebhookEvent.Status.IGNORED: "Not for a payment of a connected organisation",
    WebhookEvent.Status.FAILED: "Failed — see the error, then retry",
}


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "integration",
        "event",
        "resource_short",
        "status_shown",
        "attempts",
    )
    list_filter = ("status", "event_category", "event_type", "integration")
    search_fields = ("resource_id", "tenant_id", "error")
    date_hierarchy = "received_at"
    list_select_related = ("integration",)
    actions = ["retry_events"]
    fields = (
        "integration",
        "event",
        "resource_id",
        "tenant_id",
        "event_date",
        "status_shown",
        "attempts",
        "error",
        "received_at",
        "processed_at",
        "payload_shown",
        "runs_link",
        "retry_button",
    )
    readonly_fields = fields

    @admin.display(description="Event")
    def event(self, obj):
        return f"{obj.event_category.title()} {obj.event_type.lower()}"

    @admin.display(description="Xero record")
    def resource_short(self, obj):
        return format_html('<span title="{}">{}…</span>', obj.resource_id, obj.resource_id[:8])

    @admin.display(description="Status", ordering="status")
    def status_shown(self, obj):
        help_text = STATUS_HELP.get(obj.status, "")
        if obj.status == WebhookEvent.Status.FAILED and obj.error:
            return format_html("<strong>{}</strong>: {}", obj.get_status_display(), obj.error)
        return (
            f"{obj.get_status_display()} — {help_text}" if help_text else obj.get_status_display()
        )

    @admin.display(description="Payload (as Xero sent it)")
    def payload_shown(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True))

    @admin.display(description="What it did")
    def runs_link(self, obj):
        if obj.integration_id is None:
            return "—"
        url = reverse("admin:syncapp_syncrun_changelist")
        return format_html(
            '<a href="{}?integration__id__exact={}&trigger__exact={}">Webhook runs of {}</a>',
            url,
            obj.integration_id,
            SyncRun.Trigger.WEBHOOK,
            obj.integration,
        )

    @admin.display(description="Retry")
    def retry_button(self, obj):
        if obj.integration_id is None or obj.status == WebhookEvent.Status.RECEIVED:
            return "—"
        # A submit button of the page's own form (which carries the CSRF token), posted to retry/.
        return format_html(
            '<button type="submit" formaction="{}" class="button">Process this event again</button>',
            reverse("admin:syncapp_webhookevent_retry", args=[obj.pk]),
        )

    def has_trigger_sync_permission(self, request):
        return request.user.has_perm("syncapp.trigger_sync")

    @admin.action(description="Process the selected events again", permissions=["trigger_sync"])
    def retry_events(self, request, queryset):
        count = webhook_events_retry(event_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} event(s) queued again.", messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "<int:event_id>/retry/",
                self.admin_site.admin_view(require_POST(self.retry_view)),
                name="syncapp_webhookevent_retry",
            ),
            path(
                "keys/",
                self.admin_site.admin_view(self.keys_view),
                name="syncapp_webhookevent_keys",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if request.user.has_perm("syncapp.change_integration"):
            extra_context["subtitle"] = mark_safe(  # noqa: S308 - built by format_html
                format_html(
                    '<a href="{}">Webhook keys and the delivery URL for Xero</a>',
                    reverse("admin:syncapp_webhookevent_keys"),
                )
            )
        return super().changelist_view(request, extra_context=extra_context)

    def retry_view(self, request, event_id):
        if not self.has_trigger_sync_permission(request):
            raise PermissionDenied
        event = get_object_or_404(WebhookEvent, pk=event_id)
        count = webhook_events_retry(event_ids=[event.pk])
        if count:
            messages.success(request, "The event was queued again.")
        else:
            messages.warning(request, "This event belongs to no integration; nothing to retry.")
        return HttpResponseRedirect(reverse("admin:syncapp_webhookevent_change", args=[event.pk]))

    def keys_view(self, request):
        if not request.user.has_perm("syncapp.change_integration"):
            raise PermissionDenied
        if request.method == "POST":
            integration = get_object_or_404(Integration, pk=request.POST.get("integration"))
            key = "" if request.POST.get("clear") else request.POST.get("key", "").strip()
            if key or request.POST.get("clear"):
                integration.xero_webhook_key = key
                integration.save(update_fields=["xero_webhook_key", "updated_at"])
                messages.success(
                    request,
                    f"Webhook key for {integration} {'saved' if key else 'removed'}.",
                )
            return HttpResponseRedirect(reverse("admin:syncapp_webhookevent_keys"))
        from django.conf import settings

        xero = {
            c.integration_id: c
            for c in Connection.objects.filter(provider=Connection.Provider.XERO)
        }
        rows = [
            {
                "integration": i,
                "organisation": getattr(xero.get(i.pk), "account_name", "") or "not connected",
                "key_state": secret_state(i.xero_webhook_key),
            }
            for i in Integration.objects.order_by("name")
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Xero webhook keys",
            "rows": rows,
            "delivery_url": request.build_absolute_uri(reverse("syncapp:xero-webhook")),
            "fallback": bool(getattr(settings, "XERO_WEBHOOK_KEY", "")),
            "opts": self.model._meta,
        }
        template = engines["django"].from_string(KEYS_TEMPLATE)
        return TemplateResponse(request, template, context)
