"""Account precedence, task inference, the plan's decisions and the preflight (pure)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from syncapp.flows.invoices.accounts import (
    AccountRule,
    EntryFact,
    account_rules_index,
    line_account_choose,
    line_task_infer,
)
from syncapp.flows.invoices.plan import (
    CREATE,
    FAIL,
    FLAG,
    HOLD,
    REPAIR,
    SKIP,
    UPDATE,
    VOID,
    PlanPolicy,
    invoice_plan,
    removed_plan,
)
from syncapp.flows.invoices.preflight import PendingInvoice, preflight_check
from syncapp.flows.xero_cache import XeroSettings
from syncapp.models import SyncLink
from syncapp.services.ledger import payload_hash

from .helpers import context, harvest_invoice

D = Decimal

RULES = account_rules_index(
    rules=[
        AccountRule("project_task", "201", project_id="5", task_id="9"),
        AccountRule("task", "202", task_id="9"),
        AccountRule("item_category", "203", item_category="Expense"),
        AccountRule("project", "204", project_id="5"),
        AccountRule("client", "205", client_id="7", item_code="CONSULT"),
    ],
    currency_accounts={"EUR": "206"},
    default_code="200",
)


@pytest.mark.parametrize(
    ("project", "task", "kind", "client", "currency", "code", "scope"),
    [
        ("5", "9", "Service", "7", "USD", "201", "project_task"),
        ("6", "9", "Service", "7", "USD", "202", "task"),
        ("6", "", "Expense", "7", "USD", "203", "item_category"),
        ("5", "", "Service", "7", "USD", "204", "project"),
        ("6", "", "Service", "7", "USD", "205", "client"),
        ("6", "", "Service", "8", "EUR", "206", "currency"),
        ("6", "", "Service", "8", "USD", "200", "default"),
    ],
)
def test_account_precedence_and_its_explanation(project, task, kind, client, currency, code, scope):
    choice = line_account_choose(
        rules=RULES,
        project_id=project,
        task_id=task,
        item_category=kind,
        client_id=client,
        currency=currency,
    )
    assert (choice.code, choice.scope) == (code, scope)
    assert choice.explanation.endswith(f"-> {code}")
    if scope == "client":
        assert choice.item_code == "CONSULT"


def test_task_inferred_only_when_the_line_covers_exactly_one_task():
    one = [EntryFact("5", "9", "Design", D("3")), EntryFact("5", "9", "Design", D("2"))]
    assert line_task_infer(project_id="5", description="x", quantity=D("5"), entries=one) == "9"
    two = [*one, EntryFact("5", "10", "Build", D("4"))]
    assert (
        line_task_infer(project_id="5", description="Web: Build", quantity=D("4"), entries=two)
        == "10"
    )
    assert line_task_infer(project_id="5", description="Web", quantity=D("4"), entries=two) == ""
    assert line_task_infer(project_id="6", description="x", quantity=D("1"), entries=one) == ""


def _link(state, *, xero_id="x1", payload="", kind="invoice", snapshot=None):
    return SyncLink(
        kind=kind,
        harvest_id="1",
        xero_id=xero_id,
        state=state,
        payload_hash=payload,
        snapshot=snapshot or {},
    )


POLICY = PlanPolicy(currency_codes=frozenset({"USD", "EUR", "GBP"}))


def _plan(invoice, link=None, contact=("c1", None), policy=POLICY, **ctx):
    return invoice_plan(
        invoice=invoice, link=link, contact=contact, ctx=context(**ctx), policy=policy
    )


def test_plan_decisions():
    invoice = harvest_invoice(lines=[(1, "10.00", False, False)])
    created = _plan(invoice)
    assert created.action == CREATE
    hashed = payload_hash(created.doc.payload)
    assert _plan(invoice, _link("synced", payload=hashed)).action == SKIP
    assert _plan(invoice, _link("synced", payload="old")).action == UPDATE
    assert _plan(invoice, _link("sending", xero_id=None)).action == REPAIR
    assert _plan(invoice, _link("sending", payload="old")).action == UPDATE
    refused = _link("conflict", payload="old", snapshot={"refused_hash": hashed})
    assert _plan(invoice, refused).action == SKIP
    failed = _link("failed", xero_id=None, snapshot={"failed_hash": hashed})
    assert _plan(invoice, failed).action == SKIP
    assert (
        _plan(invoice, _link("failed", xero_id=None, snapshot={"failed_hash": "x"})).action
        == CREATE
    )
    held = _plan(invoice, contact=(None, "The client is in review."))
    assert (held.action, held.reason) == (HOLD, "The client is in review.")


def test_plan_holds_for_currency_lock_date_and_fails_on_mapping_errors():
    euro = harvest_invoice(lines=[(1, "10.00", False, False)], currency="CHF")
    held = _plan(euro)
    assert held.action == HOLD and "Xero has no CHF enabled" in held.reason
    assert _plan(euro, policy=PlanPolicy(currency_policy="enable")).action == CREATE
    early = harvest_invoice(lines=[(1, "10.00", False, False)])
    locked = PlanPolicy(currency_codes=frozenset({"USD"}), lock_date=date(2026, 3, 31))
    assert _plan(early, policy=locked, xero_status="AUTHORISED").action == HOLD
    assert _plan(early, policy=locked, xero_status="DRAFT").action == CREATE
    unmapped = harvest_invoice(lines=[(1, "10.00", True, False)], tax="7.5")
    waiting = _plan(unmapped)
    assert waiting.action == HOLD and "No Xero tax rate for tax 7.5 %" in waiting.reason
    assert waiting.wait == {"taxes": [["tax", "7.5", "0"]]}


def test_plan_back_to_draft_and_deleted_follow_the_removed_policy():
    draft = harvest_invoice(lines=[(1, "10.00", False, False)], state="draft")
    assert _plan(draft).action == SKIP
    synced = _link("synced", payload="h")
    assert _plan(draft, synced).action == FLAG
    voiding = PlanPolicy(removed_policy="void", currency_codes=frozenset({"USD"}))
    assert _plan(draft, synced, policy=voiding).action == VOID
    gone = removed_plan(links=[_link("synced")], seen=set(), policy=voiding)
    assert [op.action for op in gone] == [VOID]
    assert removed_plan(links=[_link("synced")], seen={"1"}, policy=voiding) == []


def _settings(**org):
    return XeroSettings(
        organisation={"BaseCurrency": "USD", "OrganisationType": "COMPANY", **org},
        actions={"CreateDraftInvoice": "ALLOWED", "CreateApprovedInvoice": "NOT_ALLOWED"},
        accounts=[
            {"Code": "200", "Name": "Sales", "Type": "REVENUE", "Status": "ACTIVE"},
            {"Code": "250", "Name": "Legacy", "Type": "REVENUE", "Status": "ARCHIVED"},
            {"Code": "429", "Name": "General", "Type": "OVERHEADS", "Status": "ACTIVE"},
        ],
        tax_rates=[
            {
                "TaxType": "TAX001",
                "Name": "NY",
                "Status": "ACTIVE",
                "EffectiveRate": "8.875",
                "CanApplyToRevenue": True,
                "CanApplyToExpenses": False,
            },
        ],
        currencies=[{"Code": "EUR"}],
        tracking=[],
        fetched_at=None,
    )


def _integration(**fields):
    values = {
        "xero_invoice_status": "DRAFT",
        "default_account_code": "200",
        "rounding_policy": "flag",
        "rounding_account_code": "",
        "default_tax_type": "",
        "currency_policy": "fail",
        "invoice_number_prefix": "",
        **fields,
    }
    return SimpleNamespace(**values)


def test_preflight_names_each_problem_and_what_to_do():
    problems = preflight_check(
        integration=_integration(xero_invoice_status="AUTHORISED"),
        settings=_settings(PeriodLockDate="2026-03-31"),
        account_codes=[("250", "Project rule"), ("999", "Task rule"), ("429", "Client rule")],
        tax_types=[("TAX001", "Tax mapping"), ("NOPE", "Tax mapping 2")],
        tax_expectations=[("TAX001", D("9"), "Tax mapping")],
        pending=[
            PendingInvoice("1", "1001", "GBP", date(2026, 3, 1)),
            PendingInvoice("2", "1002", "USD", date(2026, 4, 2)),
        ],
        taken_numbers={"1002": "a draft invoice (USD 10.00)"},
    )
    codes = {p.code for p in problems}
    assert codes == {
        "org_cannot_invoice",
        "account_archived",
        "account_unknown",
        "account_not_revenue",
        "tax_unknown",
        "tax_not_allowed",
        "tax_rate_differs",
        "currency_not_enabled",
        "before_lock_date",
        "number_collision",
    }
    assert all(p.advice for p in problems)
    gbp = next(p for p in problems if p.code == "currency_not_enabled")
    assert gbp.harvest_ids == ("1",) and gbp.blocking


def test_preflight_clean_and_without_settings():
    assert preflight_check(integration=_integration(), settings=_settings()) == []
    missing = preflight_check(integration=_integration(), settings=None)
    assert [p.code for p in missing] == ["no_settings"]


def test_plan_fails_unknown_or_archived_accounts_before_any_write():
    invoice = harvest_invoice(lines=[(1, "10.00", False, False)])
    chart = {"200": "ACTIVE", "250": "ARCHIVED"}
    policy = PlanPolicy(currency_codes=frozenset({"USD"}), account_status=chart)
    assert _plan(invoice, policy=policy).action == CREATE
    archived = _plan(
        invoice,
        policy=policy,
        accounts=account_rules_index(rules=(), currency_accounts={}, default_code="250"),
    )
    assert archived.action == FAIL and "Account 250 is archived in Xero" in archived.reason
    unknown = _plan(
        invoice,
        policy=policy,
        accounts=account_rules_index(rules=(), currency_accounts={}, default_code="999"),
    )
    assert unknown.action == FAIL and "not in Xero's chart" in unknown.reason
