from decimal import Decimal

from django.db import models


class ProjectMonth(models.Model):
    """One Harvest project in one month, for one integration: hours, what they cost (each time
    entry's own cost rate), the project's expenses, and the revenue of the Xero invoices hxsync
    created for it. Written by the runs that read those records; the cost journals, the budget
    alerts and the profitability dashboard read it (never Harvest's rate-limited reports)."""

    integration = models.ForeignKey(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="project_months"
    )
    harvest_project_id = models.CharField(max_length=20)
    project_name = models.CharField(max_length=255, blank=True)
    harvest_client_id = models.CharField(max_length=20, blank=True)
    client_name = models.CharField(max_length=255, blank=True)
    month = models.DateField(help_text="The first day of the month.")
    currency = models.CharField(max_length=3, blank=True)
    hours = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    time_cost = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    expense_cost = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["integration", "month", "project_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "harvest_project_id", "month"],
                name="projectmonth_one_per_month",
            )
        ]
        indexes = [
            models.Index(fields=["integration", "month"], name="projectmonth_month_idx"),
            models.Index(
                fields=["integration", "harvest_client_id", "month"],
                name="projectmonth_client_idx",
            ),
        ]

    def __str__(self):
        return f"{self.project_name or self.harvest_project_id} {self.month:%Y-%m}"

    @property
    def cost(self) -> Decimal:
        return self.time_cost + self.expense_cost

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost
