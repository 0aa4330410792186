"""The demo page's Harvest expenses: approve or reopen one as a manager would in Harvest's web app.

The buttons post to the same control tests use (/_sandbox/harvest/expenses/<id>/approve and
.../unapprove), which answers a form post with a redirect back to the page.
"""

from __future__ import annotations

import html
from typing import Any

EXPENSES_SHOWN = 50


def expenses_section(app: Any) -> str:
    """Call with `app.lock` held."""
    hs = app.state.harvest
    rows = sorted(hs.expenses.values(), key=lambda e: (e["spent_date"], e["id"]))
    pending = [e for e in rows if not e.get("is_closed")]
    shown = (pending[-EXPENSES_SHOWN:][::-1] + [e for e in rows if e.get("is_closed")][::-1])[
        :EXPENSES_SHOWN
    ]
    body = "".join(_row(hs, e) for e in shown)
    return (
        "<h2>Expenses in Harvest</h2>"
        f"<p>{len(pending)} waiting for approval of {len(rows)}. A manager approves them in Harvest; "
        "hxsync sends approved ones to Xero.</p>"
        "<table><tr><th>Spent</th><th>Person</th><th>Project</th><th>Category</th>"
        "<th class='num'>Total</th><th>Billable</th><th>Receipt</th><th>Status</th><th></th></tr>"
        f"{body}</table>"
    )


def _row(hs: Any, expense: dict) -> str:
    esc = html.escape
    user = hs.users.get(expense["_user_id"]) or {}
    project = hs.projects.get(expense["_project_id"]) or {}
    category = hs.expense_categories.get(expense["_expense_category_id"]) or {}
    receipt = hs.receipts.get(expense["id"])
    approved = bool(expense.get("is_closed"))
    action = "unapprove" if approved else "approve"
    button = (
        ""
        if approved and expense.get("is_billed")
        else f"<form method='post' action='/_sandbox/harvest/expenses/{expense['id']}/{action}'>"
        f"<button>{'Reopen' if approved else 'Approve'}</button></form>"
    )
    status = "approved" if approved else "not approved"
    if expense.get("is_billed"):
        status += ", invoiced"
    person = " ".join(filter(None, (user.get("first_name"), user.get("last_name"))))
    units = (
        f" ({expense['units']} {esc(str(category.get('unit_name') or ''))})"
        if expense.get("units")
        else ""
    )
    return (
        f"<tr><td>{esc(expense['spent_date'])}</td>"
        f"<td>{esc(person)}</td>"
        f"<td>{esc(project.get('name', ''))}</td><td>{esc(category.get('name', ''))}{units}</td>"
        f"<td class='num'>{expense['total_cost']}</td><td>{'yes' if expense['billable'] else 'no'}</td>"
        f"<td>{esc(receipt[0]) if receipt else '—'}</td><td>{status}</td><td>{button}</td></tr>"
    )
