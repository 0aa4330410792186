from django.db import models

from mappings.models.validators import harvest_id_validator


class TrackingMapping(models.Model):
    """A Harvest project or client -> a Xero tracking category option on every line."""

    class Scope(models.TextChoices):
        PROJECT = "project", "Project"
        CLIENT = "client", "Client"

    integration = models.ForeignKey(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="tracking_mappings"
    )
    scope = models.CharField(max_length=10, choices=Scope.choices)
    harvest_id = models.CharField(max_length=20, validators=[harvest_id_validator])
    tracking_category = models.CharField(max_length=100, help_text="e.g. Department")
    tracking_option = models.CharField(max_length=100, help_text="e.g. Design")
    description = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["integration__name", "scope", "harvest_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "scope", "harvest_id", "tracking_category"],
                name="trackingmapping_natural_key",
            )
        ]

    def __str__(self):
        return f"{self.get_scope_display()} {self.harvest_id} → {self.tracking_category}: {self.tracking_option}"
