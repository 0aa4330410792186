from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class FieldOwner(models.TextChoices):
    HARVEST = "harvest", "Harvest wins"
    XERO = "xero", "Xero wins"
    REVIEW = "review", "Ask finance"


class ContactMatchRule(models.Model):
    """How Harvest clients are matched to Xero contacts, and who owns each field afterwards."""

    integration = models.OneToOneField(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="contact_match_rule"
    )
    match_on_reference = models.BooleanField(
        default=True, help_text="Match Xero ContactNumber / AccountNumber to the Harvest client."
    )
    match_on_email = models.BooleanField(default=True)
    match_on_name = models.BooleanField(default=True)
    auto_link = models.BooleanField(
        default=True, help_text="Link a single strong match without review."
    )
    name_similarity_threshold = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.85"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("1"))],
        help_text="Names at least this similar (0.5-1.0) are offered as weak candidates.",
    )
    owner_name = models.CharField(
        max_length=8, choices=FieldOwner.choices, default=FieldOwner.REVIEW
    )
    owner_email = models.CharField(
        max_length=8, choices=FieldOwner.choices, default=FieldOwner.HARVEST
    )
    owner_address = models.CharField(
        max_length=8, choices=FieldOwner.choices, default=FieldOwner.XERO
    )
    owner_currency = models.CharField(
        max_length=8, choices=FieldOwner.choices, default=FieldOwner.HARVEST
    )
    owner_contact_person = models.CharField(
        max_length=8, choices=FieldOwner.choices, default=FieldOwner.HARVEST
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Contact matching for {self.integration}"
