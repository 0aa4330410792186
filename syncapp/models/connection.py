import logging

from django.db import models, transaction
from django.utils import timezone

from syncapp.fields import EncryptedTextField

logger = logging.getLogger(__name__)


class Connection(models.Model):
    """Credentials for one side of an Integration. Secrets are encrypted at rest."""

    class Provider(models.TextChoices):
        HARVEST = "harvest", "Harvest"
        XERO = "xero", "Xero"

    class AuthMethod(models.TextChoices):
        TOKEN = "token", "Personal access token"
        OAUTH = "oauth", "OAuth2"

    class XeroTier(models.TextChoices):
        """Xero's plan for the app: the day allowance per organisation the governor starts from
        (https://developer.xero.com/documentation/guides/oauth2/limits/); Xero's own
        X-DayLimit-Remaining corrects it from the first answer."""

        STARTER = "starter", "Starter (free, an app a firm registers itself): 1,000 calls a day"
        PAID = "paid", "Paid tier: 5,000 calls a day"

    XERO_TIER_ALLOWANCE = {XeroTier.STARTER: 1000, XeroTier.PAID: 5000}

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        NEEDS_REAUTH = "needs_reauth", "Needs reconnecting"
        DISABLED = "disabled", "Disconnected"

    integration = models.ForeignKey(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="connections"
    )
    provider = models.CharField(max_length=16, choices=Provider.choices)
    auth_method = models.CharField(
        max_length=16, choices=AuthMethod.choices, default=AuthMethod.OAUTH
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    account_id = models.CharField(
        max_length=64, blank=True, help_text="Harvest account id, or Xero tenant id."
    )
    account_name = models.CharField(max_length=255, blank=True)
    xero_connection_id = models.CharField(max_length=64, blank=True)
    base_url = models.URLField(
        blank=True, help_text="Leave empty for the real service; set to use the sandbox."
    )
    client_id = models.CharField(max_length=128, blank=True)
    client_secret = EncryptedTextField(blank=True, default="")
    access_token = EncryptedTextField(blank=True, default="")
    refresh_token = EncryptedTextField(blank=True, default="")
    token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
    xero_tier = models.CharField(
        "Xero tier",
        max_length=16,
        choices=XeroTier.choices,
        default=XeroTier.STARTER,
        help_text="Xero only: how many calls a day Xero allows this organisation. hxsync plans "
        "its day from it until Xero's own answers say otherwise.",
    )
    connected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["integration__name", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "provider"], name="connection_one_per_provider"
            ),
        ]
        indexes = [models.Index(fields=["status"], name="connection_status_idx")]

    def __str__(self):
        label = self.account_name or self.account_id or "not connected"
        return f"{self.get_provider_display()} — {label}"

    def mark_needs_reauth(self, *, reason: str) -> None:
        """Access was refused for good: say so on the row and stop the integration's runs.

        On the model (not in services) because the provider layer's token lock must call it
        when a refresh is refused, and providers never import services. Queued runs stop now (blocked)
        with the reason; a running run stops at its next call, because the token source refuses
        to hand out a token for a connection that is not active.
        """
        from syncapp.models.runs import SyncRun  # runs.py sits above this module

        now = timezone.now()
        label = self.get_provider_display()
        with transaction.atomic():
            Connection.objects.filter(pk=self.pk).update(
                status=Connection.Status.NEEDS_REAUTH, last_error=reason, updated_at=now
            )
            SyncRun.objects.filter(
                integration_id=self.integration_id, status=SyncRun.Status.QUEUED
            ).update(
                status=SyncRun.Status.BLOCKED,
                error=f"Stopped: the {label} connection needs reconnecting. {reason}",
                finished_at=now,
            )
        self.status = Connection.Status.NEEDS_REAUTH
        self.last_error = reason
        logger.warning("connection %s (%s) needs reconnecting: %s", self.pk, self.provider, reason)
