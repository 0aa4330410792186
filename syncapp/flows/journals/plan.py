"""What a month's project costs become in Xero: pure (no Django, no I/O), where most tests live.

One balanced ManualJournal per integration and month: a debit line per project with a cost (cost
of sales, or work in progress, by the integration's policy) carrying the project's tracking
options, and one credit line to the accrual or payroll-clearing account for the total. Manual
journal lines carry signed amounts, debits positive and credits negative, that must net to zero
(https://developer.xero.com/documentation/api/accounting/manualjournals).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from syncapp.flows.xero_text import LINE_DESCRIPTION, xero_clip

CENT = Decimal("0.01")
MAX_TRACKING = 2  # Xero accepts at most two tracking categories per line
COST_OF_SALES = "cost_of_sales"
WIP = "wip"

# What a run does with a month's journal.
NOTHING = "nothing"  # sent and unchanged, or an empty month never sent
CREATE = "create"
UPDATE = "update"  # a DRAFT replaced in place
REVERSE = "reverse"  # a POSTED journal reversed, then the new one created (if any)
DELETE = "delete"  # a DRAFT whose month has no costs left
REFUSE = "refuse"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def entry_cost(*, hours: Decimal | None, cost_rate: Decimal | None) -> Decimal:
    """One time entry at the cost rate Harvest recorded on it (rate history kept), to the cent."""
    if not hours or not cost_rate:
        return Decimal("0.00")
    return cents(hours * cost_rate)


def month_parse(text: str) -> date:
    """'2026-11' -> 2026-11-01; a ValueError that says what is expected otherwise."""
    try:
        year, month = (int(part) for part in str(text).split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        raise ValueError(f"'{text}' is not a month: write it as YYYY-MM, e.g. 2026-11.") from None


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def month_name(month: date) -> str:
    return f"{calendar.month_name[month.month]} {month.year}"


def last_closed_month(today: date) -> date:
    first = today.replace(day=1)
    return (
        first.replace(year=first.year - 1, month=12)
        if first.month == 1
        else first.replace(month=first.month - 1)
    )


def narration(month: date, *, revision: int = 1) -> str:
    """Each revision has its own narration, so a lost answer is found by it alone."""
    suffix = "hxsync" if revision <= 1 else f"hxsync, revision {revision}"
    return f"Project costs for {month_name(month)} ({suffix})"


def reversal_narration(original: str) -> str:
    return f"Reversal of {original}"


@dataclass(frozen=True)
class ProjectCost:
    project_id: str
    project_name: str
    client_id: str
    client_name: str
    hours: Decimal
    cost: Decimal


@dataclass(frozen=True)
class JournalPolicy:
    debit: str = COST_OF_SALES
    cost_account: str = ""
    wip_account: str = ""
    credit_account: str = ""
    status: str = "DRAFT"
    lock_date: date | None = None
    # (scope, harvest id) -> ((tracking category, option), ...), scope "project" or "client".
    tracking: Mapping[tuple[str, str], tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # Xero account code -> status; empty when the chart was never read.
    account_status: Mapping[str, str] = field(default_factory=dict)

    @property
    def debit_account(self) -> str:
        return self.wip_account if self.debit == WIP else self.cost_account


@dataclass(frozen=True)
class JournalLine:
    account: str
    amount: Decimal  # debits positive, credits negative
    description: str
    tracking: tuple[tuple[str, str], ...] = ()

    def as_xero(self) -> dict:
        line = {
            "LineAmount": str(self.amount),
            "AccountCode": self.account,
            "Description": self.description,
        }
        if self.tracking:
            line["Tracking"] = [{"Name": name, "Option": option} for name, option in self.tracking]
        return line


@dataclass(frozen=True)
class JournalPlan:
    month: date
    lines: tuple[JournalLine, ...]
    total: Decimal
    projects: int
    status: str
    problems: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.projects == 0

    @property
    def label(self) -> str:
        return f"Cost journal {month_name(self.month)} — {self.projects} projects, {self.total:,}"

    def payload(self, *, revision: int = 1) -> dict:
        return {
            "Narration": narration(self.month, revision=revision),
            "Date": month_end(self.month).isoformat(),
            "Status": self.status,
            "LineAmountTypes": "NoTax",
            "JournalLines": [line.as_xero() for line in self.lines],
        }

    def content(self) -> dict:
        """What decides whether the journal changed: the lines, date and status, not the
        narration (a revision number is not a change)."""
        payload = self.payload()
        payload.pop("Narration")
        return payload


def _tracking(policy: JournalPolicy, cost: ProjectCost) -> tuple[tuple[str, str], ...]:
    """Project mappings win over client mappings for the same tracking category."""
    chosen: dict[str, str] = {}
    for scope, key in (("client", cost.client_id), ("project", cost.project_id)):
        for category, option in policy.tracking.get((scope, key), ()) if key else ():
            chosen[category] = option
    return tuple(sorted(chosen.items()))


def _setup_problems(policy: JournalPolicy) -> list[str]:
    problems = []
    what = "work-in-progress" if policy.debit == WIP else "cost of sales"
    for code, name, setting in (
        (policy.debit_account, what, "WIP" if policy.debit == WIP else "Cost"),
        (policy.credit_account, "accrual or payroll-clearing", "Credit"),
    ):
        if not code:
            problems.append(
                f"No {what if name == what else name} account is set for the cost journal: "
                f"set 'Journal {setting.lower()} account code' on the integration."
            )
        elif policy.account_status and policy.account_status.get(code) != "ACTIVE":
            state = policy.account_status.get(code)
            problems.append(
                f"Account {code} ({name}) is {'archived' if state else 'not in'} Xero's chart: "
                "choose an active account on the integration, or restore it in Xero."
            )
    return problems


def journal_plan(
    *, month: date, costs: Iterable[ProjectCost], policy: JournalPolicy
) -> JournalPlan:
    """The month's journal; zero-cost projects are left out, an empty month has no lines."""
    chosen = sorted(
        (c for c in costs if cents(c.cost) != 0),
        key=lambda c: (c.client_name.lower(), c.project_name.lower(), c.project_id),
    )
    problems = _setup_problems(policy) if chosen else []
    lines = []
    for cost in chosen:
        tracking = _tracking(policy, cost)
        if len(tracking) > MAX_TRACKING:
            problems.append(
                f"{cost.project_name}: {len(tracking)} tracking categories map to it; Xero takes "
                f"at most {MAX_TRACKING} per line. Remove one in Mappings › Tracking."
            )
        description = f"{cost.project_name} ({cost.client_name}): {cost.hours} h"
        lines.append(
            JournalLine(
                account=policy.debit_account,
                amount=cents(cost.cost),
                description=xero_clip(description, LINE_DESCRIPTION),
                tracking=tracking,
            )
        )
    total = sum((line.amount for line in lines), Decimal("0.00"))
    if lines:
        lines.append(
            JournalLine(
                account=policy.credit_account,
                amount=-total,
                description=f"Project costs for {month_name(month)}",
            )
        )
    if policy.lock_date and month_end(month) <= policy.lock_date:
        problems.append(
            f"{month_name(month)} is locked in Xero (lock date {policy.lock_date:%d %b %Y}): "
            "a journal dated in it is refused. Ask your adviser to move the lock date, or "
            "post the costs in an open month by hand."
        )
    return JournalPlan(
        month=month,
        lines=tuple(lines),
        total=total,
        projects=len(chosen),
        status=policy.status,
        problems=tuple(problems),
    )


def journal_reversal(payload: Mapping) -> dict:
    """The same lines with debits and credits swapped, same date, posted."""
    reversed_lines = []
    for line in payload["JournalLines"]:
        swapped = dict(line)
        swapped["LineAmount"] = str(-Decimal(str(line["LineAmount"])))
        reversed_lines.append(swapped)
    return {
        "Narration": reversal_narration(payload["Narration"]),
        "Date": payload["Date"],
        "Status": "POSTED",
        "LineAmountTypes": payload.get("LineAmountTypes", "NoTax"),
        "JournalLines": reversed_lines,
    }


@dataclass(frozen=True)
class JournalDecision:
    action: str
    reason: str = ""


def journal_decide(
    *, plan: JournalPlan, sent_hash: str, new_hash: str, xero_status: str
) -> JournalDecision:
    """What to do given what was last sent (its content hash, "" when nothing was) and the
    journal's status in Xero now ("" when there is none, or it was voided or deleted there)."""
    live = xero_status in ("DRAFT", "POSTED")
    if live and sent_hash == new_hash:
        return JournalDecision(NOTHING, "Sent and unchanged.")
    if plan.empty and not live:
        return JournalDecision(
            NOTHING, f"No project costs in {month_name(plan.month)}: no journal."
        )
    if plan.problems:
        return JournalDecision(REFUSE, " ".join(plan.problems))
    if not live:
        return JournalDecision(CREATE)
    if xero_status == "DRAFT":
        return JournalDecision(DELETE if plan.empty else UPDATE)
    return JournalDecision(REVERSE)
