"""The expenses preflight: what holds expenses back, each with what finance should do (shown on
the preflight page and kept in every run's summary). Reads our tables and Xero's cached
settings only."""

from __future__ import annotations

from collections import defaultdict

from django.urls import reverse

from mappings.models import ExpenseCategoryMapping
from syncapp.flows.invoices.preflight import Problem
from syncapp.flows.xero_cache import XeroSettings, xero_settings_get
from syncapp.models import Integration, SyncKind, SyncLink

SPEND = "spend_money"


def _category_url(row: ExpenseCategoryMapping) -> str:
    return reverse("admin:mappings_expensecategorymapping_change", args=[row.pk])


def _held_by_category(integration: Integration) -> tuple[dict[str, list[str]], dict[str, list]]:
    by_category: dict[str, list[str]] = defaultdict(list)
    by_reason: dict[str, list[str]] = defaultdict(list)
    for harvest_id, snapshot, reason in SyncLink.objects.filter(
        integration=integration, kind=SyncKind.EXPENSE, state=SyncLink.State.HELD
    ).values_list("harvest_id", "snapshot", "last_error"):
        if reason.startswith("Billable to the client"):
            continue  # left for the client's invoice on purpose
        category = ((snapshot or {}).get("harvest") or {}).get("expense_category") or {}
        if reason.startswith("Expense category"):
            by_category[str(category.get("id", ""))].append(harvest_id)
        else:
            by_reason[reason].append(harvest_id)
    return by_category, by_reason


def _account_problems(row, settings: XeroSettings | None) -> str:
    if settings is None or not row.account_code:
        return ""
    account = settings.accounts_by_code.get(row.account_code)
    if account is None:
        return f"account {row.account_code} is not in Xero's chart of accounts"
    if account.get("Status", "ACTIVE") != "ACTIVE":
        return f"account {row.account_code} is {account['Status'].lower()} in Xero"
    if row.tax_type and row.tax_type not in settings.tax_rates_by_type:
        return f"tax rate {row.tax_type} is not in Xero"
    return ""


def expenses_preflight_check(
    *, integration: Integration, settings: XeroSettings | None
) -> list[Problem]:
    problems: list[Problem] = []
    by_category, by_reason = _held_by_category(integration)
    rows = list(ExpenseCategoryMapping.objects.filter(integration=integration))
    for row in rows:
        held = tuple(by_category.get(row.harvest_expense_category_id, ()))
        waiting = f" {len(held)} expense(s) wait for it." if held else ""
        if not row.account_code and (held or row.is_active):
            problems.append(
                Problem(
                    code="expense_category_unmapped",
                    subject=row.name,
                    message=f"Expense category '{row.name}' has no Xero account.{waiting}",
                    advice="Map it in Mappings › Expense categories; its expenses follow at "
                    "the next run.",
                    blocking=bool(held),
                    harvest_ids=held,
                    fix={"url": _category_url(row)},
                )
            )
            continue
        wrong = _account_problems(row, settings)
        if wrong:
            problems.append(
                Problem(
                    code="expense_category_account",
                    subject=row.name,
                    message=f"Expense category '{row.name}': {wrong}.{waiting}",
                    advice="Choose an active account and tax rate in Mappings › Expense "
                    "categories.",
                    blocking=True,
                    harvest_ids=held,
                    fix={"url": _category_url(row)},
                )
            )
    problems += _card_problems(integration, settings, rows)
    for reason, ids in sorted(by_reason.items(), key=lambda item: -len(item[1])):
        problems.append(
            Problem(
                code="expense_held",
                subject=f"{len(ids)} expense(s)",
                message=reason,
                advice="The expenses follow at the next run once this is fixed.",
                harvest_ids=tuple(ids),
            )
        )
    return problems


def _card_problems(integration, settings, rows) -> list[Problem]:
    uses_card = integration.expense_mode == SPEND or any(r.mode == SPEND for r in rows)
    if not uses_card:
        return []
    code = integration.expense_card_account_code
    if not code:
        message = "Company-card expenses are set up but no card bank account is chosen."
    elif settings is not None and (settings.accounts_by_code.get(code) or {}).get("Type") != "BANK":
        message = f"The card account {code} is not a bank account in Xero."
    else:
        return []
    return [
        Problem(
            code="expense_card_account",
            subject="Card account",
            message=message,
            advice="Set the card's Xero bank account on the integration (Expenses section).",
            blocking=True,
            fix={"url": reverse("admin:syncapp_integration_change", args=[integration.pk])},
        )
    ]


def expenses_preflight(*, integration: Integration, settings=None) -> list[dict]:
    """The run summary's list (JSON-safe)."""
    settings = settings or xero_settings_get(integration=integration)
    return [
        p.as_dict() for p in expenses_preflight_check(integration=integration, settings=settings)
    ]
