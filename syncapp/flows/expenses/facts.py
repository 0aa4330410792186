"""From Harvest's records and our mappings to the plain facts the plan reads (a few queries
per run, never per expense)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from mappings.models import CurrencyMapping, ExpenseCategoryMapping, TrackingMapping
from syncapp.flows.expenses.people import Person
from syncapp.flows.expenses.plan import CategoryRule, Expense, ExpensePolicy
from syncapp.flows.xero_cache import XeroSettings
from syncapp.models import Integration
from syncapp.providers.harvest.timesheet_types import HarvestExpense


def categories_refresh(*, integration: Integration, categories) -> dict[str, CategoryRule]:
    """Keep one mapping row per Harvest category (name, unit, active) so finance maps them by
    name; finance's own columns (account, tax, mode) are never touched here."""
    existing = {
        m.harvest_expense_category_id: m
        for m in ExpenseCategoryMapping.objects.filter(integration=integration)
    }
    new, changed = [], []
    for category in categories:
        cid = str(category.id)
        values = {
            "name": category.name[:255] or f"Harvest category {cid}",
            "unit_name": (category.unit_name or "")[:100],
            "unit_price": category.unit_price,
            "is_active": category.is_active,
        }
        row = existing.get(cid)
        if row is None:
            row = ExpenseCategoryMapping(
                integration=integration, harvest_expense_category_id=cid, **values
            )
            new.append(row)
            existing[cid] = row
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            changed.append(row)
    if new:
        ExpenseCategoryMapping.objects.bulk_create(new, ignore_conflicts=True)
    if changed:
        ExpenseCategoryMapping.objects.bulk_update(
            changed, ["name", "unit_name", "unit_price", "is_active"]
        )
    return _rules(existing.values())


def category_rules(*, integration: Integration) -> dict[str, CategoryRule]:
    """The mappings as they are, without asking Harvest (a run with nothing new read)."""
    return _rules(ExpenseCategoryMapping.objects.filter(integration=integration))


def _rules(rows) -> dict[str, CategoryRule]:
    return {
        row.harvest_expense_category_id: CategoryRule(
            category_id=row.harvest_expense_category_id,
            name=row.name,
            account_code=row.account_code,
            tax_type=row.tax_type,
            mode=row.mode,
            unit_price=row.unit_price,
        )
        for row in rows
    }


def policy_load(
    *, integration: Integration, settings: XeroSettings | None, today: date
) -> ExpensePolicy:
    tracking: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for m in TrackingMapping.objects.filter(integration=integration):
        tracking[(m.scope, m.harvest_id)].append((m.tracking_category, m.tracking_option))
    accounts = settings.accounts_by_code if settings else {}
    card = accounts.get(integration.expense_card_account_code) or {}
    return ExpensePolicy(
        mode=integration.expense_mode,
        approval=integration.expense_approval,
        grouping=integration.expense_grouping,
        card_account=integration.expense_card_account_code,
        start=integration.expenses_from,
        uninvoiced_days=integration.expense_uninvoiced_days,
        today=today,
        lock_date=settings.lock_date if settings else None,
        account_status={code: a.get("Status", "ACTIVE") for code, a in accounts.items()},
        bank_accounts=frozenset(code for code, a in accounts.items() if a.get("Type") == "BANK"),
        tracking={key: tuple(value) for key, value in tracking.items()},
        base_currency=settings.base_currency if settings else "",
        currencies=frozenset(settings.currency_codes) if settings else frozenset(),
        currency_map={
            m.harvest_currency: m.xero_currency
            for m in CurrencyMapping.objects.filter(integration=integration)
        },
        card_currency=card.get("CurrencyCode", "") or "",
    )


def _name(ref) -> str:
    return (ref.name or "") if ref is not None else ""


def expense_facts(expense: HarvestExpense, *, people: dict[str, Person]) -> Expense:
    user_id = str(expense.user.id) if expense.user else ""
    person = people.get(user_id)
    receipt = expense.receipt
    return Expense(
        expense_id=str(expense.id),
        user_id=user_id,
        user_name=(person.name if person else "") or _name(expense.user),
        category_id=str(expense.expense_category.id) if expense.expense_category else "",
        category_name=_name(expense.expense_category),
        spent_date=expense.spent_date,
        total=expense.total_cost,
        units=expense.units,
        notes=expense.notes or "",
        project_id=str(expense.project.id) if expense.project else "",
        project_name=_name(expense.project),
        client_id=str(expense.client.id) if expense.client else "",
        client_name=_name(expense.client),
        billable=expense.billable,
        is_billed=expense.is_billed,
        invoice_number=_name(expense.invoice),
        approved=expense.is_closed,
        receipt_name=receipt.file_name if receipt else "",
        receipt_size=receipt.file_size if receipt else None,
        currency=str((expense.client.extra.get("currency") if expense.client else "") or ""),
    )


def people_from_users(users) -> dict[str, Person]:
    return {
        str(u.id): Person(
            user_id=str(u.id),
            name=u.full_name,
            email=u.email or "",
            first_name=u.first_name,
            last_name=u.last_name,
        )
        for u in users
    }
