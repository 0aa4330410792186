from django.db import models


class BudgetAlert(models.Model):
    """One budget threshold a Harvest project crossed, in one budget period: recorded once (the
    unique constraint, whatever runs or workers meet it) and sent by e-mail once, by the run
    that recorded it."""

    integration = models.ForeignKey(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="budget_alerts"
    )
    harvest_project_id = models.CharField(max_length=20)
    project_name = models.CharField(max_length=255, blank=True)
    client_name = models.CharField(max_length=255, blank=True)
    budget_kind = models.CharField(max_length=60, blank=True)
    threshold = models.PositiveSmallIntegerField(help_text="Budget use crossed, in %.")
    period = models.DateField(
        null=True,
        blank=True,
        help_text="The month of a monthly budget (its first day); empty for a total budget.",
    )
    used = models.DecimalField(max_digits=14, decimal_places=2)
    budget = models.DecimalField(max_digits=14, decimal_places=2)
    percent = models.DecimalField(max_digits=8, decimal_places=1)
    unit = models.CharField(max_length=8, blank=True, help_text='"hours" or a currency code.')
    crossed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.TextField(blank=True, help_text="Addresses it was sent to, one a line.")
    note = models.TextField(blank=True, help_text="Why it was not sent, when it was not.")

    class Meta:
        ordering = ["-crossed_at", "project_name", "-threshold"]
        constraints = [
            # A total budget has no period: NULLs are distinct to SQL, so that case needs its
            # own constraint for "once per project and threshold" to hold.
            models.UniqueConstraint(
                fields=["integration", "harvest_project_id", "threshold", "period"],
                name="budgetalert_once_per_period",
            ),
            models.UniqueConstraint(
                fields=["integration", "harvest_project_id", "threshold"],
                condition=models.Q(period__isnull=True),
                name="budgetalert_once_for_total",
            ),
        ]
        indexes = [
            models.Index(fields=["integration", "-crossed_at"], name="budgetalert_recent_idx"),
        ]

    def __str__(self):
        when = f" {self.period:%Y-%m}" if self.period else ""
        return f"{self.project_name or self.harvest_project_id}{when}: {self.threshold} %"


class ProjectBudget(models.Model):
    """Each Harvest project's budget use as the last budgets run found it: what the
    profitability dashboard shows as budget burn (this month's use for a monthly budget)."""

    integration = models.ForeignKey(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="project_budgets"
    )
    harvest_project_id = models.CharField(max_length=20)
    project_name = models.CharField(max_length=255, blank=True)
    client_name = models.CharField(max_length=255, blank=True)
    budget_kind = models.CharField(max_length=60, blank=True)
    unit = models.CharField(max_length=8, blank=True, help_text='"hours" or a currency code.')
    budget = models.DecimalField(max_digits=14, decimal_places=2)
    used = models.DecimalField(max_digits=14, decimal_places=2)
    percent = models.DecimalField(max_digits=8, decimal_places=1)
    period = models.DateField(null=True, blank=True, help_text="The month, for a monthly budget.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-percent"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "harvest_project_id"], name="projectbudget_one_per_project"
            )
        ]

    def __str__(self):
        return f"{self.project_name}: {self.percent} % of {self.budget_kind}"
