from django.contrib import admin

from syncapp.admin import (
    budgets,
    conflicts,
    connections,
    dashboard,
    integrations,
    ledger,
    runs,
    webhooks,
)

admin.site.site_header = "hxsync — Harvest ↔ Xero"
admin.site.site_title = "hxsync"
admin.site.index_title = "Keep Harvest and Xero in step"

__all__ = [
    "budgets",
    "conflicts",
    "connections",
    "dashboard",
    "integrations",
    "ledger",
    "runs",
    "webhooks",
]
