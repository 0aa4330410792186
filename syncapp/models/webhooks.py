from django.db import models


class WebhookEvent(models.Model):
    """The inbox for Xero webhook events: stored first, deduplicated, processed by a task."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (no matching integration)"
        FAILED = "failed", "Failed"

    integration = models.ForeignKey(
        "syncapp.Integration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_events",
    )
    dedupe_key = models.CharField(
        max_length=64, unique=True, help_text="Hash of tenant, resource, event type and date."
    )
    tenant_id = models.CharField(max_length=64)
    event_category = models.CharField(max_length=32)
    event_type = models.CharField(max_length=32)
    resource_id = models.CharField(max_length=64)
    event_date = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["status", "received_at"], name="webhookevent_status_idx"),
            models.Index(fields=["tenant_id", "resource_id"], name="webhookevent_resource_idx"),
        ]

    def __str__(self):
        return f"{self.event_category} {self.event_type} {self.resource_id}"
