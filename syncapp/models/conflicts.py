from django.conf import settings
from django.db import models
from django.db.models import Q

from syncapp.models.ledger import SyncKind


class Conflict(models.Model):
    """A record that could not be matched or merged safely; finance decides."""

    class Reason(models.TextChoices):
        AMBIGUOUS_MATCH = "ambiguous_match", "Several possible matches"
        WEAK_MATCH = "weak_match", "Only a similar name matched"
        REVIEW_POLICY = "review_policy", "Likely match, needs a person to confirm"
        NAME_TAKEN = "name_taken", "Name already used in Xero"
        FIELD_DIVERGED = "field_diverged", "Changed differently on both sides"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        IGNORED = "ignored", "Ignored"

    class Resolution(models.TextChoices):
        LINK = "link", "Linked to a Xero record"
        CREATE = "create", "Created new in Xero"
        IGNORE = "ignore", "Ignored"
        TAKE_HARVEST = "take_harvest", "Took Harvest's value"
        TAKE_XERO = "take_xero", "Took Xero's value"

    integration = models.ForeignKey(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="conflicts"
    )
    kind = models.CharField(max_length=16, choices=SyncKind.choices, default=SyncKind.CLIENT)
    harvest_id = models.CharField(max_length=64)
    label = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    detail = models.TextField(blank=True)
    harvest_snapshot = models.JSONField(default=dict, blank=True)
    candidates = models.JSONField(
        default=list, blank=True, help_text="Each Xero candidate with the reasons it matched."
    )
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    resolved_xero_id = models.CharField(max_length=64, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "kind", "harvest_id"],
                condition=Q(status="open"),
                name="conflict_one_open_per_record",
            )
        ]
        indexes = [
            models.Index(fields=["integration", "status"], name="conflict_status_idx"),
        ]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.label or self.harvest_id}"
