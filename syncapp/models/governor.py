from django.db import models


class RateGovernorState(models.Model):
    """Shared rate-limit state for one vendor account (a Harvest account or a Xero organisation).

    One row per key, locked for each decision (select_for_update on PostgreSQL, the IMMEDIATE
    transaction on SQLite), so every worker process and machine sees the same window. The state
    is small JSON owned by `syncapp.providers.governor` (recent request times, a day histogram,
    in-flight slots, learned limits).
    """

    key = models.CharField(max_length=128, unique=True, help_text="e.g. xero:<tenant id>")
    state = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "rate governor"
        ordering = ["key"]

    def __str__(self):
        return self.key
