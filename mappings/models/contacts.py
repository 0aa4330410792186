from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class FieldOwner(models.TextChoices):
    HARVEST = "harvest", "Harvest wins"
    XERO = "xero", "Xero wins"
    REVIEW = "review", "Ask finance when both changed"


def _owner_field(label: str, *, what: str = "") -> models.CharField:
    return models.CharField(
        f"{label} owner",
        max_length=8,
        choices=FieldOwner.choices,
        default=FieldOwner.REVIEW,
        help_text=(
            f"Who wins when the {what or label} changed differently in Harvest and in Xero since "
            "the last sync (or differs when a client is first linked). A change on one side only "
            "always reaches the other."
        ),
    )


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
    # Every field defaults to "Ask finance when both changed": a field edited differently on
    # both sides since the last sync waits for finance. Harvest or Xero wins only where finance
    # chose it (the value that gives way is still named in the run's events).
    owner_name = _owner_field("name")
    owner_email = _owner_field("e-mail")
    owner_address = _owner_field("address")
    owner_currency = _owner_field("currency")
    owner_contact_person = _owner_field("contact person", what="first and last name")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Contact matching for {self.integration}"
