from django.db import models

from mappings.models.validators import account_code_validator, currency_validator


class CurrencyMapping(models.Model):
    """A Harvest currency and how it is booked in Xero."""

    integration = models.ForeignKey(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="currency_mappings"
    )
    harvest_currency = models.CharField(max_length=3, validators=[currency_validator])
    xero_currency = models.CharField(max_length=3, validators=[currency_validator])
    sales_account_code = models.CharField(
        max_length=10,
        blank=True,
        validators=[account_code_validator],
        help_text="Optional: sales account for this currency when no other rule applies.",
    )
    clearing_account_code = models.CharField(
        max_length=10,
        blank=True,
        validators=[account_code_validator],
        help_text="Optional: account Harvest card payments are cleared through.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["integration__name", "harvest_currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "harvest_currency"], name="currencymapping_natural_key"
            )
        ]

    def __str__(self):
        return f"{self.harvest_currency} → {self.xero_currency}"
