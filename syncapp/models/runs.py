from django.conf import settings
from django.db import models

from syncapp.flows.registry import flow_choices
from syncapp.models.ledger import SyncKind


class SyncRun(models.Model):
    """One run of one flow (or of all of them), from queued to finished."""

    class Flow(models.TextChoices):
        """Names code refers to; the field's choices come from the flow registry."""

        ALL = "all", "Everything"
        CONTACTS = "contacts", "Clients → contacts"
        INVOICES = "invoices", "Invoices"
        PAYMENTS = "payments", "Payments"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Sync now (admin)"
        SCHEDULE = "schedule", "Schedule"
        WEBHOOK = "webhook", "Webhook"
        RESYNC = "resync", "Resync"
        COMMAND = "command", "Command line"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        WITH_FAILURES = "with_failures", "Finished with failures"
        FAILED = "failed", "Failed"
        BLOCKED = "blocked", "Blocked"
        ABANDONED = "abandoned", "Abandoned"

    FINISHED = (
        Status.SUCCEEDED,
        Status.WITH_FAILURES,
        Status.FAILED,
        Status.BLOCKED,
        Status.ABANDONED,
    )
    # Outcomes after which the flows it covered have done their work at least once.
    COMPLETED = (Status.SUCCEEDED, Status.WITH_FAILURES)

    integration = models.ForeignKey(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="runs"
    )
    flow = models.CharField(max_length=16, choices=flow_choices, default=Flow.ALL)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    counters = models.JSONField(default=dict, blank=True)
    scope = models.JSONField(
        default=dict,
        blank=True,
        help_text="Only these records (e.g. the invoices of a resync); empty: everything due.",
    )
    error = models.TextField(blank=True)
    note = models.CharField(
        max_length=255, blank=True, help_text="What the run is waiting for, while it waits."
    )
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A queued run waiting for a rate limit starts no earlier than this.",
    )
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"
        indexes = [
            models.Index(fields=["integration", "status"], name="syncrun_status_idx"),
            models.Index(fields=["created_at"], name="syncrun_created_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="syncrun_heartbeat_idx"),
        ]

    def __str__(self):
        return f"{self.get_flow_display()} run #{self.pk} ({self.get_status_display()})"

    @property
    def duration_seconds(self):
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class SyncEvent(models.Model):
    """What one run did to one record, with the remote API's own words when it refused."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        LINK = "link", "Linked"
        SKIP = "skip", "Unchanged"
        HOLD = "hold", "Held"
        CONFLICT = "conflict", "Sent to review"
        VOID = "void", "Voided / deleted"
        FAIL = "fail", "Failed"

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="events")
    link = models.ForeignKey(
        "syncapp.SyncLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    kind = models.CharField(max_length=16, choices=SyncKind.choices)
    harvest_id = models.CharField(max_length=64, blank=True)
    xero_id = models.CharField(max_length=64, blank=True)
    label = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    message = models.TextField(blank=True)
    api_error = models.TextField(blank=True, help_text="The remote service's own error text.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["run", "action"], name="syncevent_run_action_idx"),
            models.Index(fields=["kind", "harvest_id"], name="syncevent_harvest_idx"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.get_kind_display()} {self.label}"


class IntegrationLease(models.Model):
    """One writer per integration: the run holding this row may write; a run whose heartbeat
    stops loses it to the next run once `HXSYNC_RUN_TIMEOUT_SECONDS` has passed."""

    integration = models.OneToOneField(
        "syncapp.Integration", on_delete=models.CASCADE, primary_key=True, related_name="lease"
    )
    run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acquired_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Lease of {self.integration_id}: run {self.run_id or '-'}"
