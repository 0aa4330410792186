from django.db import models

from syncapp.models.ledger import SyncKind, SyncLink


class PaymentLedgerManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=SyncKind.PAYMENT)


class PaymentLedgerEntry(SyncLink):
    """The payment rows of the ledger, for the admin's payment ledger page."""

    objects = PaymentLedgerManager()

    class Meta:
        proxy = True
        verbose_name = "payment"
        verbose_name_plural = "payment ledger"
        ordering = ["-updated_at"]
