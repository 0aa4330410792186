from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from mappings.models.validators import tax_type_validator

_percent = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class TaxMapping(models.Model):
    """Harvest's invoice tax percentages, as applied to a line, -> one Xero tax rate.

    A Harvest line can carry the first tax, the second, both, or none (its taxed/taxed2 flags);
    a line with both needs a compound rate in Xero.
    """

    class Applies(models.TextChoices):
        NONE = "none", "No tax"
        TAX = "tax", "First tax only"
        TAX2 = "tax2", "Second tax only"
        BOTH = "both", "Both taxes (compound rate)"

    integration = models.ForeignKey(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="tax_mappings"
    )
    applies = models.CharField(max_length=8, choices=Applies.choices)
    tax_percent = models.DecimalField(
        max_digits=7, decimal_places=4, default=Decimal("0"), validators=_percent
    )
    tax2_percent = models.DecimalField(
        max_digits=7, decimal_places=4, default=Decimal("0"), validators=_percent
    )
    xero_tax_type = models.CharField(max_length=40, validators=[tax_type_validator])
    description = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["integration__name", "applies", "tax_percent", "tax2_percent"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "applies", "tax_percent", "tax2_percent"],
                name="taxmapping_natural_key",
            )
        ]

    def __str__(self):
        return f"{self.get_applies_display()} {self.tax_percent}%/{self.tax2_percent}% → {self.xero_tax_type}"
