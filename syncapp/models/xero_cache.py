from django.db import models


class XeroOrgCache(models.Model):
    """What the invoice flow needs to know about one Xero organisation, read once and reused:
    chart of accounts, tax rates, currencies, organisation settings and allowed actions.

    Refreshed when older than its time to live or on demand from the preflight page; flows read
    it instead of asking Xero on every run (6 calls saved per run, and a preflight without I/O).
    """

    integration = models.OneToOneField(
        "syncapp.Integration", on_delete=models.CASCADE, related_name="xero_cache"
    )
    organisation = models.JSONField(default=dict, blank=True)
    actions = models.JSONField(default=dict, blank=True)
    accounts = models.JSONField(default=list, blank=True)
    tax_rates = models.JSONField(default=list, blank=True)
    currencies = models.JSONField(default=list, blank=True)
    tracking = models.JSONField(default=list, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Xero organisation cache"

    def __str__(self):
        return f"Xero settings for {self.integration}"
