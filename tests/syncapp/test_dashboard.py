"""Profitability: revenue folded from the invoices ledger, and the dashboard, its filters and CSV."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from syncapp.models import ProjectMonth, SyncKind, SyncLink
from syncapp.services.profitability import (
    document_revenue,
    profitability_refresh,
    profitability_stale,
)
from tests.factories import IntegrationFactory, ProjectMonthFactory, SyncLinkFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "admin:syncapp_projectmonth_dashboard"


def harvest_invoice(*, issue_date="2026-07-04", lines=(), discount=None, client="Acme Corp"):
    return {
        "id": 1,
        "issue_date": issue_date,
        "currency": "USD",
        "discount": discount,
        "client": {"id": 501, "name": client},
        "line_items": [
            {"amount": amount, "project": {"id": pid, "name": name} if pid else None}
            for pid, name, amount in lines
        ],
    }


def synced(integration, *, kind=SyncKind.INVOICE, harvest, explain=None, state="synced"):
    snapshot = {"harvest": harvest}
    if explain is not None:
        snapshot["explain"] = [{"amount": a, "project_id": "x"} for a in explain]
    return SyncLinkFactory(integration=integration, kind=kind, state=state, snapshot=snapshot)


def test_a_document_is_read_ex_tax_net_of_discount_credit_notes_negative():
    invoice = harvest_invoice(lines=[(7, "Web", "100.00"), (8, "App", "50.00"), (None, "", "9")])
    lines = document_revenue(
        kind=SyncKind.INVOICE,
        snapshot={"harvest": invoice, "explain": [{"amount": "95.00"}, {"amount": "47.50"}, {}]},
    )
    assert [(x.project_id, x.project_name, x.amount) for x in lines] == [
        ("7", "Web", Decimal("95.00")),
        ("8", "App", Decimal("47.50")),
    ]
    assert lines[0].month == date(2026, 7, 1) and lines[0].client_name == "Acme Corp"
    credit = harvest_invoice(lines=[(7, "Web", "-40.00")])
    (line,) = document_revenue(
        kind=SyncKind.CREDIT_NOTE, snapshot={"harvest": credit, "explain": [{"amount": "40.00"}]}
    )
    assert line.amount == Decimal("-40.00")
    # No Xero lines recorded: Harvest's own lines, less the invoice's discount.
    (line,) = document_revenue(
        kind=SyncKind.INVOICE,
        snapshot={"harvest": harvest_invoice(lines=[(7, "Web", "200")], discount="10")},
    )
    assert line.amount == Decimal("180")
    assert document_revenue(kind=SyncKind.INVOICE, snapshot={"status": "DRAFT"}) is None


def test_refresh_writes_revenue_only_and_follows_the_ledger():
    integration = IntegrationFactory()
    costed = ProjectMonthFactory(
        integration=integration,
        harvest_project_id="7",
        project_name="Website (journals' name)",
        month=date(2026, 7, 1),
        time_cost=Decimal("300.00"),
        expense_cost=Decimal("20.00"),
        hours=Decimal("4.00"),
        revenue=Decimal("999.00"),
    )
    invoice = synced(
        integration,
        harvest=harvest_invoice(lines=[(7, "Web", "100"), (8, "App", "60")]),
        explain=["100.00", "60.00"],
    )
    synced(
        integration,
        kind=SyncKind.CREDIT_NOTE,
        harvest=harvest_invoice(lines=[(7, "Web", "-30")]),
        explain=["30.00"],
    )
    synced(integration, harvest=harvest_invoice(lines=[(7, "Web", "500")]), state="held")
    synced(integration, harvest=harvest_invoice(lines=[(9, "Old", "70")]), state="voided")
    assert profitability_stale(integration=integration)

    outcome = profitability_refresh(integration=integration)

    assert (outcome.documents, outcome.rows, outcome.without_copy) == (2, 2, 0)
    costed.refresh_from_db()
    assert costed.revenue == Decimal("70.00")
    assert (costed.time_cost, costed.expense_cost, costed.hours) == (
        Decimal("300.00"),
        Decimal("20.00"),
        Decimal("4.00"),
    )
    assert costed.project_name == "Website (journals' name)"  # an existing row keeps its names
    new = ProjectMonth.objects.get(integration=integration, harvest_project_id="8")
    assert (new.project_name, new.client_name, new.currency) == ("App", "Acme Corp", "USD")
    assert (new.revenue, new.time_cost) == (Decimal("60.00"), Decimal(0))
    assert not profitability_stale(integration=integration)

    # The invoice is voided in Xero: its months lose its revenue on the next fold.
    # (the ledger service stamps updated_at on every settle, as here)
    SyncLink.objects.filter(pk=invoice.pk).update(
        state=SyncLink.State.VOIDED, updated_at=timezone.now()
    )
    assert profitability_stale(integration=integration)
    profitability_refresh(integration=integration)
    assert ProjectMonth.objects.get(pk=costed.pk).revenue == Decimal("-30.00")
    assert ProjectMonth.objects.get(pk=new.pk).revenue == Decimal(0)


def _plant(integration):
    """Two clients, three projects, two months; Mobile App runs at a loss in August."""
    rows = [
        ("7", "Website", "501", "Acme Corp", date(2026, 7, 1), "1000", "400", "100", "10"),
        ("7", "Website", "501", "Acme Corp", date(2026, 8, 1), "1200", "500", "0", "12"),
        ("8", "Mobile App", "502", "Orchid Health", date(2026, 8, 1), "300", "650", "50", "9"),
        ("9", "Audit", "502", "Orchid Health", date(2026, 7, 1), "0", "80", "0", "1"),
    ]
    for pid, name, cid, cname, month, revenue, time_cost, expenses, hours in rows:
        ProjectMonthFactory(
            integration=integration,
            harvest_project_id=pid,
            project_name=name,
            harvest_client_id=cid,
            client_name=cname,
            month=month,
            revenue=Decimal(revenue),
            time_cost=Decimal(time_cost),
            expense_cost=Decimal(expenses),
            hours=Decimal(hours),
        )


@pytest.fixture
def finance(client):
    client.force_login(UserFactory(username="fiona", finance=True))
    return client


def test_finance_sees_totals_names_and_charts(finance):
    integration = IntegrationFactory(name="Northwind Studio")
    _plant(integration)
    page = finance.get(reverse(DASHBOARD))
    assert page.status_code == 200
    body = page.content.decode()
    for name in ("Website", "Mobile App", "Orchid Health", "Acme Corp"):
        assert name in body
    total = page.context["totals"][0]
    assert (total.revenue, total.cost, total.margin) == (
        Decimal("2500"),
        Decimal("1780"),
        Decimal("720"),
    )
    assert total.margin_percent == Decimal("28.8")
    assert 'id="chart-month-figure"' in body and 'id="chart-projects-figure"' in body
    assert "plotly-" in page.context["plotly_url"]
    loss = [r for r in page.context["rows"] if r["project_name"] == "Mobile App"][0]
    assert loss["figures"].margin == Decimal("-400") and loss["figures"].margin_percent == Decimal(
        "-133.3"
    )


def test_filters_narrow_the_table_the_totals_and_the_csv(finance):
    integration = IntegrationFactory()
    _plant(integration)
    other = IntegrationFactory(name="Other agency")
    ProjectMonthFactory(integration=other, revenue=Decimal("5000"))
    query = {"integration": integration.pk, "client": "502", "from": "2026-08", "to": "2026-08"}
    page = finance.get(reverse(DASHBOARD), query)
    assert [r["project_name"] for r in page.context["rows"]] == ["Mobile App"]
    assert page.context["totals"][0].revenue == Decimal("300")

    export = finance.get(reverse("admin:syncapp_projectmonth_export"), query)
    assert export["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert lines[0][:4] == ["Integration", "Client", "Project", "Month"]
    assert lines[1:] == [
        [
            integration.name,
            "Orchid Health",
            "Mobile App",
            "2026-08",
            "USD",
            "9.00",
            "650.00",
            "50.00",
            "700.00",
            "300.00",
            "-400.00",
            "-133.3",
        ]
    ]

    by_client = finance.get(reverse(DASHBOARD), {"integration": integration.pk, "group": "client"})
    assert {r["client_name"]: r["revenue"] for r in by_client.context["rows"]} == {
        "Acme Corp": Decimal("2200"),
        "Orchid Health": Decimal("300"),
    }


def test_a_month_finance_cannot_write_is_said_plainly(finance):
    _plant(IntegrationFactory())
    page = finance.get(reverse(DASHBOARD), {"from": "July"}, follow=True)
    assert "“July” is not a month; write it as 2026-07" in page.content.decode()
    assert page.context["totals"][0].revenue == Decimal("2500")


def test_empty_dashboard_says_what_fills_it(finance):
    IntegrationFactory()
    body = finance.get(reverse(DASHBOARD)).content.decode()
    assert (
        "The journals run fills this page" in body and "the invoices run adds the revenue" in body
    )


def test_the_page_folds_new_invoices_on_its_way_in(finance):
    integration = IntegrationFactory()
    synced(integration, harvest=harvest_invoice(lines=[(7, "Web", "120")]), explain=["120.00"])
    page = finance.get(reverse(DASHBOARD))
    assert page.context["totals"][0].revenue == Decimal("120.00")


def test_refresh_revenue_button_and_documents_without_a_harvest_copy(finance):
    integration = IntegrationFactory()
    synced(integration, harvest=harvest_invoice(lines=[(7, "Web", "80")]), explain=["80.00"])
    SyncLinkFactory(integration=integration, snapshot={"status": "DRAFT", "explain": []})
    response = finance.post(
        reverse("admin:syncapp_projectmonth_refresh"),
        {"integration": integration.pk, "query": f"integration={integration.pk}"},
        follow=True,
    )
    body = response.content.decode()
    assert "Revenue refreshed from 1 invoices and credit notes" in body
    assert "1 invoices or credit notes were synced to Xero before hxsync kept" in body
    assert response.context["totals"][0].revenue == Decimal("80.00")


def test_without_view_permission_the_dashboard_is_refused(client):
    client.force_login(UserFactory(username="nobody"))
    assert client.get(reverse(DASHBOARD)).status_code == 403
    assert client.get(reverse("admin:syncapp_projectmonth_export")).status_code == 403


def test_plotly_js_is_served_from_the_installed_package(finance):
    response = finance.get(reverse("admin:syncapp_projectmonth_plotly"))
    assert response.status_code == 200
    head = b"".join(response.streaming_content)[:2000]
    assert b"plotly.js" in head
    assert "max-age" in response["Cache-Control"]


def test_queries_do_not_grow_with_rows(finance):
    integration = IntegrationFactory()
    _plant(integration)
    with CaptureQueriesContext(connection) as few:
        finance.get(reverse(DASHBOARD))
    for n in range(60):
        ProjectMonthFactory(integration=integration, month=date(2025, 1 + n % 12, 1))
    with CaptureQueriesContext(connection) as many:
        finance.get(reverse(DASHBOARD))
    assert len(many.captured_queries) == len(few.captured_queries)
