from django.db import models
from django.db.models import Q


class SyncKind(models.TextChoices):
    CLIENT = "client", "Client / contact"
    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"
    PAYMENT = "payment", "Payment"
    EXPENSE = "expense", "Expense"
    EXPENSE_DOC = "expense_doc", "Expense bill / spend money"
    PERSON = "person", "Person (supplier contact)"
    BUDGET = "budget", "Budget alert"
    JOURNAL = "journal", "Cost journal"


class SyncLink(models.Model):
    """The ledger: one row per mirrored object, written before and after every remote write."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending (write in flight)"
        SYNCED = "synced", "Synced"
        FAILED = "failed", "Failed"
        HELD = "held", "Held (waiting)"
        CONFLICT = "conflict", "In review"
        VOIDED = "voided", "Voided / deleted"

    integration = models.ForeignKey(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="links"
    )
    kind = models.CharField(max_length=16, choices=SyncKind.choices)
    # NULL, not "", so the unique constraints ignore the side not yet known.
    harvest_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    xero_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    label = models.CharField(
        max_length=255, blank=True, help_text="What finance calls it: invoice number, client name."
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    payload_hash = models.CharField(max_length=64, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=128, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "ledger entry"
        verbose_name_plural = "ledger"
        ordering = ["-updated_at"]
        constraints = [
            # Unconditional on purpose: NULLs are distinct in both PostgreSQL and SQLite, and a
            # plain constraint is what INSERT ... ON CONFLICT (bulk upserts) can target.
            models.UniqueConstraint(
                fields=["integration", "kind", "harvest_id"], name="synclink_unique_harvest_object"
            ),
            models.UniqueConstraint(
                fields=["integration", "kind", "xero_id"], name="synclink_unique_xero_object"
            ),
            models.CheckConstraint(
                condition=Q(harvest_id__isnull=False) | Q(xero_id__isnull=False),
                name="synclink_has_an_id",
            ),
        ]
        indexes = [
            models.Index(fields=["integration", "kind", "state"], name="synclink_state_idx"),
            models.Index(fields=["updated_at"], name="synclink_updated_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.label or self.harvest_id or self.xero_id}"


class Cursor(models.Model):
    """Per integration and stream: the watermark for the next incremental read."""

    integration = models.ForeignKey(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="cursors"
    )
    stream = models.CharField(max_length=64, help_text="e.g. harvest.invoices, xero.payments")
    value = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["integration__name", "stream"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "stream"], name="cursor_one_per_stream")
        ]

    def __str__(self):
        return f"{self.stream} @ {self.value or 'start'}"
