from django.core.exceptions import ValidationError
from django.db import models

from mappings.models.validators import account_code_validator, harvest_id_validator

# Which Harvest keys each scope uses; the rest must stay empty.
SCOPE_KEYS = {
    "project_task": ("harvest_project_id", "harvest_task_id"),
    "task": ("harvest_task_id",),
    "item_category": ("harvest_item_category",),
    "project": ("harvest_project_id",),
    "client": ("harvest_client_id",),
}
ALL_KEYS = (
    "harvest_project_id",
    "harvest_task_id",
    "harvest_client_id",
    "harvest_item_category",
)


class AccountMapping(models.Model):
    """Which Xero account (and item) a Harvest invoice line posts to (expenses: see
    ExpenseCategoryMapping).

    Invoice lines use the most specific rule that applies, in this order: project + task, task,
    invoice item category, project, client, then the integration's default account.
    """

    class Scope(models.TextChoices):
        PROJECT_TASK = "project_task", "Project + task"
        TASK = "task", "Task"
        ITEM_CATEGORY = "item_category", "Invoice item category"
        PROJECT = "project", "Project"
        CLIENT = "client", "Client"

    integration = models.ForeignKey(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="account_mappings"
    )
    scope = models.CharField(max_length=20, choices=Scope.choices)
    harvest_project_id = models.CharField(
        max_length=20, blank=True, validators=[harvest_id_validator]
    )
    harvest_task_id = models.CharField(max_length=20, blank=True, validators=[harvest_id_validator])
    harvest_client_id = models.CharField(
        max_length=20, blank=True, validators=[harvest_id_validator]
    )
    harvest_item_category = models.CharField(
        max_length=100, blank=True, help_text="Harvest's invoice item category name (its kind)."
    )
    description = models.CharField(
        max_length=200, blank=True, help_text="A note for people, e.g. 'Design work for Acme'."
    )
    account_code = models.CharField(max_length=10, validators=[account_code_validator])
    item_code = models.CharField(max_length=30, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["integration__name", "scope", "harvest_project_id", "harvest_task_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "scope", *ALL_KEYS], name="accountmapping_natural_key"
            )
        ]
        indexes = [
            models.Index(fields=["integration", "scope"], name="accountmapping_scope_idx"),
        ]

    def __str__(self):
        keys = ", ".join(f"{getattr(self, key)}" for key in SCOPE_KEYS.get(self.scope, ()))
        return f"{self.get_scope_display()} {keys} → {self.account_code}"

    def clean(self):
        wanted = SCOPE_KEYS.get(self.scope, ())
        errors = {}
        for key in ALL_KEYS:
            value = getattr(self, key)
            if key in wanted and not value:
                errors[key] = f"Required for the scope '{self.get_scope_display()}'."
            elif key not in wanted and value:
                errors[key] = f"Leave empty for the scope '{self.get_scope_display()}'."
        if errors:
            raise ValidationError(errors)
