from mappings.models.accounts import AccountMapping
from mappings.models.contacts import ContactMatchRule
from mappings.models.currency import CurrencyMapping
from mappings.models.expenses import ExpenseCategoryMapping
from mappings.models.tax import TaxMapping
from mappings.models.tracking import TrackingMapping

__all__ = [
    "AccountMapping",
    "ContactMatchRule",
    "CurrencyMapping",
    "ExpenseCategoryMapping",
    "TaxMapping",
    "TrackingMapping",
]
