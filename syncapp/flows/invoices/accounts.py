"""Which Xero account (and item) a Harvest invoice line posts to, and why (no I/O).

Precedence, most specific first (documented for finance in the admin's "why this account"):
1. project + task   2. task   3. invoice item category (the line's `kind`)   4. project
5. client   6. the currency's sales account (CurrencyMapping)   7. the integration's default.
A line's task is known only when the invoice's time entries for that line's project cover
exactly one task (Harvest line items do not carry a task; see `line_task_infer`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

PRECEDENCE = (
    ("project_task", "Project + task"),
    ("task", "Task"),
    ("item_category", "Invoice item category"),
    ("project", "Project"),
    ("client", "Client"),
    ("currency", "Currency's sales account"),
    ("default", "Integration default"),
)


@dataclass(frozen=True)
class AccountRule:
    scope: str
    account_code: str
    item_code: str = ""
    project_id: str = ""
    task_id: str = ""
    client_id: str = ""
    item_category: str = ""
    rule_id: int | None = None


@dataclass(frozen=True)
class AccountRules:
    """Rules indexed by their natural key; build with `account_rules_index`."""

    by_key: Mapping[tuple, AccountRule]
    currency_accounts: Mapping[str, str]
    default_code: str

    @property
    def uses_tasks(self) -> bool:
        return any(key[0] in ("project_task", "task") for key in self.by_key)


def account_rules_index(
    *, rules: Iterable[AccountRule], currency_accounts: Mapping[str, str], default_code: str
) -> AccountRules:
    by_key: dict[tuple, AccountRule] = {}
    for rule in rules:
        key = {
            "project_task": ("project_task", rule.project_id, rule.task_id),
            "task": ("task", rule.task_id),
            "item_category": ("item_category", rule.item_category.strip().lower()),
            "project": ("project", rule.project_id),
            "client": ("client", rule.client_id),
        }.get(rule.scope)
        if key is not None:
            by_key[key] = rule
    return AccountRules(
        by_key=by_key, currency_accounts=dict(currency_accounts), default_code=default_code
    )


@dataclass(frozen=True)
class AccountChoice:
    code: str
    item_code: str
    scope: str  # one of PRECEDENCE's keys, or "" when nothing applied
    explanation: str
    rule_id: int | None = None


def line_account_choose(
    *,
    rules: AccountRules,
    project_id: str,
    task_id: str,
    item_category: str,
    client_id: str,
    currency: str,
) -> AccountChoice:
    candidates = (
        ("project_task", ("project_task", project_id, task_id) if project_id and task_id else None),
        ("task", ("task", task_id) if task_id else None),
        (
            "item_category",
            ("item_category", item_category.strip().lower()) if item_category else None,
        ),
        ("project", ("project", project_id) if project_id else None),
        ("client", ("client", client_id) if client_id else None),
    )
    labels = dict(PRECEDENCE)
    for scope, key in candidates:
        rule = rules.by_key.get(key) if key else None
        if rule is not None:
            detail = {
                "project_task": f"project {project_id} + task {task_id}",
                "task": f"task {task_id}",
                "item_category": f"item category '{item_category}'",
                "project": f"project {project_id}",
                "client": f"client {client_id}",
            }[scope]
            return AccountChoice(
                rule.account_code,
                rule.item_code,
                scope,
                f"{labels[scope]} rule ({detail}) -> {rule.account_code}",
                rule.rule_id,
            )
    code = rules.currency_accounts.get(currency, "")
    if code:
        return AccountChoice(code, "", "currency", f"{currency} sales account -> {code}")
    if rules.default_code:
        return AccountChoice(
            rules.default_code,
            "",
            "default",
            f"no rule for this line; integration default -> {rules.default_code}",
        )
    return AccountChoice("", "", "", "no rule applies and the integration has no default account")


@dataclass(frozen=True)
class EntryFact:
    """What a billed time entry tells about an invoice: its project, task and hours."""

    project_id: str
    task_id: str
    task_name: str
    hours: Decimal


def line_task_infer(
    *,
    project_id: str,
    description: str,
    quantity: Decimal,
    entries: Iterable[EntryFact],
) -> str:
    """The task a line covers, from the invoice's time entries for the line's project.

    One task among those entries: that task. Several: the one whose hours equal the line's
    quantity and whose name appears in the description (Harvest's "Project: Task" wording when
    time is imported by task), if exactly one does. Otherwise unknown ("").
    """
    by_task: dict[str, tuple[str, Decimal]] = {}
    for entry in entries:
        if entry.project_id != project_id or not entry.task_id:
            continue
        name, hours = by_task.get(entry.task_id, (entry.task_name, Decimal(0)))
        by_task[entry.task_id] = (name, hours + (entry.hours or Decimal(0)))
    if len(by_task) == 1:
        return next(iter(by_task))
    text = description.lower()
    fits = [
        task_id
        for task_id, (name, hours) in by_task.items()
        if hours == quantity and name and name.lower() in text
    ]
    return fits[0] if len(fits) == 1 else ""
