"""The cost journals' preflight: what stops a month's journal, each with what finance should do
(kept in every run's summary, for the preflight page). Reads our tables and Xero's cached
settings only."""

from __future__ import annotations

from syncapp.flows.invoices.preflight import Problem
from syncapp.flows.journals.plan import month_name, month_parse
from syncapp.flows.journals.policy import journal_policy
from syncapp.flows.xero_cache import XeroSettings, xero_settings_get
from syncapp.models import Integration, SyncLink

KIND = "journal"


def journals_preflight_check(
    *, integration: Integration, settings: XeroSettings | None
) -> list[Problem]:
    if not integration.journal_credit_account_code:
        return []  # no cost journals wanted
    policy = journal_policy(integration=integration, settings=settings)
    problems = []
    for code, what in ((policy.debit_account, "debit"), (policy.credit_account, "credit")):
        state = policy.account_status.get(code) if policy.account_status else "ACTIVE"
        if not code or state != "ACTIVE":
            problems.append(
                Problem(
                    code="journal_account",
                    subject=f"Journal {what} account",
                    message=f"The cost journal's {what} account "
                    f"{code or '(none)'} is {'not set' if not code else 'not active in Xero'}.",
                    advice="Choose an active account in the integration's Cost journals settings.",
                    blocking=True,
                )
            )
    if policy.lock_date:
        problems.append(
            Problem(
                code="journal_lock_date",
                subject="Lock date",
                message=f"Xero is locked up to {policy.lock_date:%d %b %Y}: no cost journal "
                "can be dated on or before it.",
                advice="Months after the lock date are journaled as usual; ask your adviser "
                "to move the lock date for an earlier one.",
            )
        )
    held = SyncLink.objects.filter(
        integration=integration, kind=KIND, state__in=(SyncLink.State.HELD, SyncLink.State.FAILED)
    ).values_list("harvest_id", "last_error")
    for month, reason in sorted(held):
        problems.append(
            Problem(
                code="journal_refused",
                subject=f"Cost journal {month_name(month_parse(month))}",
                message=reason,
                advice=f"Fix what it says, then run 'sync journals --month {month}'.",
                blocking=True,
                harvest_ids=(month,),
            )
        )
    return problems


def journals_preflight(*, integration: Integration, settings=None) -> list[dict]:
    """The run summary's list (JSON-safe)."""
    settings = settings or xero_settings_get(integration=integration)
    return [
        p.as_dict() for p in journals_preflight_check(integration=integration, settings=settings)
    ]
