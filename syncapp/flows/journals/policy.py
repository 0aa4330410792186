"""The integration's journal settings and tracking mappings as plain data for the pure plan."""

from __future__ import annotations

from collections import defaultdict

from mappings.models import TrackingMapping
from syncapp.flows.journals.plan import JournalPolicy
from syncapp.flows.xero_cache import XeroSettings
from syncapp.models import Integration


def journal_policy(*, integration: Integration, settings: XeroSettings | None) -> JournalPolicy:
    tracking: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for m in TrackingMapping.objects.filter(integration=integration):
        tracking[(m.scope, m.harvest_id)].append((m.tracking_category, m.tracking_option))
    return JournalPolicy(
        debit=integration.journal_debit,
        cost_account=integration.journal_cost_account_code,
        wip_account=integration.journal_wip_account_code,
        credit_account=integration.journal_credit_account_code,
        status=integration.journal_status,
        lock_date=settings.lock_date if settings else None,
        tracking={key: tuple(value) for key, value in tracking.items()},
        account_status=(
            {a.get("Code"): a.get("Status", "") for a in settings.accounts if a.get("Code")}
            if settings
            else {}
        ),
    )
