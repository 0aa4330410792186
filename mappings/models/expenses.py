from django.db import models

from mappings.models.validators import account_code_validator, tax_type_validator
from syncapp.models.integration import Integration


class ExpenseCategoryMapping(models.Model):
    """A Harvest expense category -> the Xero account, tax rate and mode its expenses take.

    The expenses flow adds a row for every category it meets in Harvest (name, unit) and keeps
    the name current, so finance maps categories by name; a row without an account code holds
    that category's expenses with the reason until finance fills it in.
    """

    integration = models.ForeignKey(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="expense_category_mappings"
    )
    harvest_expense_category_id = models.CharField(max_length=20)
    name = models.CharField(max_length=255, help_text="The category's name in Harvest.")
    unit_name = models.CharField(max_length=100, blank=True)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    is_active = models.BooleanField(default=True, help_text="Active in Harvest.")
    account_code = models.CharField(max_length=10, blank=True, validators=[account_code_validator])
    tax_type = models.CharField(
        max_length=40,
        blank=True,
        validators=[tax_type_validator],
        help_text="Empty: the account's default tax rate in Xero.",
    )
    mode = models.CharField(
        max_length=16,
        blank=True,
        choices=Integration.ExpenseMode.choices,
        help_text="Empty: the integration's expense mode.",
    )
    description = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["integration__name", "name"]
        verbose_name = "expense category"
        verbose_name_plural = "expense categories"
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "harvest_expense_category_id"],
                name="expensecategory_natural_key",
            )
        ]

    def __str__(self):
        return f"{self.name} → {self.account_code or 'not mapped'}"

    @property
    def mapped(self) -> bool:
        return bool(self.account_code)
