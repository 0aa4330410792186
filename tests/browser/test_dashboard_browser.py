"""Finance opens the profitability dashboard in a real headless Chromium: the charts plotly drew
carry the numbers the database holds, and the table's totals match them."""

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum

from syncapp.models import ProjectMonth
from tests.factories import IntegrationFactory, ProjectMonthFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("HXSYNC_SCREENSHOTS", "/tmp/hx/shots"))  # noqa: S108

# project, client, month, revenue, time cost, expenses, hours. Mobile App loses money in
# August; Brand Refresh has cost and no revenue yet.
PLANTED = [
    ("Website Redesign", "Acme Corporation", date(2026, 7, 1), "12000", "6500", "300", "80"),
    ("Website Redesign", "Acme Corporation", date(2026, 8, 1), "9500", "5200", "0", "64"),
    ("Mobile App", "Orchid Health", date(2026, 7, 1), "8000", "5000", "250", "60"),
    ("Mobile App", "Orchid Health", date(2026, 8, 1), "4000", "7400", "600", "90"),
    ("Data Platform", "Harbor View Hotels", date(2026, 8, 1), "15000", "7000", "1200", "85"),
    ("Brand Refresh", "Harbor View Hotels", date(2026, 9, 1), "0", "2100", "0", "24"),
]


def _plant():
    integration = IntegrationFactory(name="Northwind Studio")
    ids = {}
    for project, client, month, revenue, time_cost, expenses, hours in PLANTED:
        ProjectMonthFactory(
            integration=integration,
            harvest_project_id=ids.setdefault(project, str(14308000 + len(ids))),
            project_name=project,
            harvest_client_id=str(hash(client) % 100000),
            client_name=client,
            month=month,
            currency="USD",
            revenue=Decimal(revenue),
            time_cost=Decimal(time_cost),
            expense_cost=Decimal(expenses),
            hours=Decimal(hours),
        )
    return integration


def _login(page, url):
    page.goto(f"{url}/admin/")
    page.fill("#id_username", "fiona")
    page.fill("#id_password", "a-long-test-password-1")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Keep Harvest and Xero in step")


def _plotted(page, element_id):
    """The traces plotly drew, read back from the chart's own element."""
    return page.evaluate(
        f"""() => document.getElementById("{element_id}").data.map(
            t => ({{name: t.name, x: Array.from(t.x), y: Array.from(t.y)}}))"""
    )


def test_finance_reads_the_charts_and_totals_the_database_holds(live_server, browser_page):
    page = browser_page
    _plant()
    UserFactory(username="fiona", finance=True)
    _login(page, live_server.url)
    page.click("text=Project months")
    page.wait_for_selector("#chart-month .main-svg")
    page.wait_for_selector("#chart-projects .main-svg")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard-01-all.png"), full_page=True)

    by_month = {
        f"{row['month']:%Y-%m}": row
        for row in ProjectMonth.objects.values("month").annotate(
            revenue=Sum("revenue"), time_cost=Sum("time_cost"), expense_cost=Sum("expense_cost")
        )
    }
    traces = {t["name"]: t for t in _plotted(page, "chart-month")}
    assert traces["Revenue"]["x"] == sorted(by_month)
    for name, column in (("Revenue", "revenue"), ("Time cost", "time_cost")):
        assert traces[name]["y"] == [float(by_month[m][column]) for m in sorted(by_month)]
    assert traces["Margin"]["y"] == [
        float(r["revenue"] - r["time_cost"] - r["expense_cost"])
        for r in (by_month[m] for m in sorted(by_month))
    ]  # 2026-08: 28500 - 19600 - 1800 = 7100; 2026-09: a month of cost only, -2100

    (bars,) = _plotted(page, "chart-projects")
    margins = dict(zip((label.split(" · ")[0] for label in bars["y"]), bars["x"], strict=True))
    # Mobile App: 12000 revenue, 13250 cost -> -10.4 %; Brand Refresh has no revenue, no %.
    assert margins == {"Mobile App": -10.4, "Website Redesign": 44.2, "Data Platform": 45.3}
    colours = page.evaluate('() => document.getElementById("chart-projects").data[0].marker.color')
    assert colours[0] == "#ba2121"  # the loss, lowest first, in red

    total = page.locator("#dashboard-table tfoot tr").inner_text()
    assert "48,500.00" in total and "35,550.00" in total and "12,950.00" in total
    assert "26.7 %" in total
    assert page.locator("#dashboard-table tbody tr.loss").count() == 2  # Aug Mobile App, Brand

    page.select_option("#f-client", label="Orchid Health")
    page.fill("#f-from", "2026-08")
    page.click("#dashboard-apply")
    page.wait_for_selector("#chart-month .main-svg")
    traces = {t["name"]: t for t in _plotted(page, "chart-month")}
    assert (traces["Revenue"]["x"], traces["Revenue"]["y"]) == (["2026-08"], [4000.0])
    total = page.locator("#dashboard-table tfoot tr").inner_text()
    assert "4,000.00" in total and "-4,000.00" in total and "-100.0 %" in total
    page.screenshot(path=str(SHOTS / "dashboard-02-orchid-from-august.png"), full_page=True)


def test_the_demo_agencys_dashboard_shows_what_its_runs_computed(live_server, browser_page):
    """The demo agency after one Everything run (costs from its time entries, revenue from the
    invoices sent, budgets measured): the charts carry the database's numbers, with the project
    over budget in red."""
    from syncapp.demo.bench.invoices import SharedClock
    from syncapp.demo.sandbox_connect import sandbox_connect
    from syncapp.demo.sandbox_rig import SANDBOX_URL
    from syncapp.models import ProjectBudget, SyncRun
    from syncapp.services.runs import sync_run_execute
    from tests.flows.conftest import sandbox_build

    sandbox = sandbox_build(validate=False)
    integration = sandbox_connect(url=SANDBOX_URL, transport=sandbox.transport)
    run = SyncRun.objects.create(integration=integration, flow="all")
    run = sync_run_execute(
        run_id=run.pk, transport=sandbox.transport, clock=SharedClock(sandbox.clock)
    )
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    UserFactory(username="fiona", finance=True)

    page = browser_page
    _login(page, live_server.url)
    page.click("text=Project months")
    for chart in ("month", "projects", "budgets"):
        page.wait_for_selector(f"#chart-{chart} .main-svg")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard-03-demo.png"), full_page=True)

    assert "revenue is left out" not in page.content(), "every synced invoice is counted"
    charted = page.evaluate('() => document.getElementById("chart-month").layout.title.text')
    currency = charted.rsplit("(", 1)[1].rstrip(")")
    rows = ProjectMonth.objects.filter(integration=integration, currency=currency)
    by_month = {
        f"{row['month']:%Y-%m}": row
        for row in rows.values("month").annotate(revenue=Sum("revenue"), time=Sum("time_cost"))
    }
    traces = {t["name"]: t for t in _plotted(page, "chart-month")}
    assert traces["Revenue"]["x"] == sorted(by_month)
    assert traces["Revenue"]["y"] == [float(by_month[m]["revenue"]) for m in sorted(by_month)]
    assert traces["Time cost"]["y"] == [float(by_month[m]["time"]) for m in sorted(by_month)]
    assert sum(traces["Revenue"]["y"]) > 0 and sum(traces["Time cost"]["y"]) > 0

    (burn,) = _plotted(page, "chart-budgets")
    most = ProjectBudget.objects.filter(integration=integration).order_by("-percent").first()
    assert burn["x"][-1] == float(most.percent) > 100
    assert burn["y"][-1].startswith(most.project_name)
    colours = page.evaluate('() => document.getElementById("chart-budgets").data[0].marker.color')
    assert colours[-1] == "#ba2121"
