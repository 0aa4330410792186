"""The expense pages finance uses: the ledger rows with their receipt (opened from Harvest), where
each expense is in Xero, the bills' expenses, the expenses preflight and resync.

The expenses flow runs in-process; the receipt view, like any admin request, builds its own
Harvest client from the integration's connection, so the sandbox is also served on a port."""

from __future__ import annotations

import html

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mappings.models import ExpenseCategoryMapping
from syncapp.demo.bench.invoices import SharedClock
from syncapp.models import Connection, SyncKind, SyncLink, SyncRun
from syncapp.services.runs import sync_run_execute
from tests.factories import UserFactory
from tests.flows.conftest import sandbox_build, sandbox_integration_create, sandbox_served
from tests.flows.expenses.helpers import categories_map, expenses_run

pytestmark = pytest.mark.django_db

LIST = "admin:syncapp_synclink_changelist"


@pytest.fixture
def served():
    sandbox = sandbox_build()
    with sandbox_served(sandbox) as url:
        integration = sandbox_integration_create(sandbox, base_url=url)
        integration.expense_card_account_code = "095"
        integration.save()
        yield sandbox, integration


@pytest.fixture
def synced(served):
    sandbox, integration = served
    expenses_run(integration, sandbox)  # meets the categories: every expense held
    categories_map(integration, modes={"Software": "spend_money"})
    run = expenses_run(integration, sandbox)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    return sandbox, integration


def _expense_row(integration, *, receipt_type: str, category: str = "") -> SyncLink:
    rows = SyncLink.objects.filter(
        integration=integration,
        kind=SyncKind.EXPENSE,
        state=SyncLink.State.SYNCED,
        snapshot__receipt__state="sent",
    ).order_by("pk")
    for row in rows:
        receipt = row.snapshot["harvest"]["receipt"]
        named = row.snapshot["harvest"]["expense_category"]["name"]
        if receipt["content_type"] == receipt_type and (not category or named == category):
            return row
    raise AssertionError(f"no synced expense with a {receipt_type} receipt")


def _receipt_url(row: SyncLink) -> str:
    return reverse("admin:syncapp_synclink_receipt", args=[row.pk])


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("receipt_type", ["application/pdf", "image/png"])
def test_the_receipt_opens_from_harvest_inline_with_its_type(admin_client, synced, receipt_type):
    sandbox, integration = synced
    row = _expense_row(integration, receipt_type=receipt_type)
    name, _, data = sandbox.state.harvest.receipts[int(row.harvest_id)]

    response = admin_client.get(_receipt_url(row))

    assert response.status_code == 200
    assert response["Content-Type"] == receipt_type
    assert response.content == data
    assert response["Content-Disposition"] == f'inline; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_receipt_that_is_a_web_page_is_downloaded_not_shown(admin_client, synced):
    sandbox, integration = synced
    row = _expense_row(integration, receipt_type="image/png")
    sandbox.state.harvest.receipts[int(row.harvest_id)] = (
        'pay "me" now.html',
        "text/html",
        b"<script>alert(1)</script>",
    )

    response = admin_client.get(_receipt_url(row))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="pay \\"me\\" now.html"'
    assert response.content == b"<script>alert(1)</script>"


def test_a_receipt_removed_in_harvest_gives_a_message_and_the_row_again(admin_client, synced):
    sandbox, integration = synced
    row = _expense_row(integration, receipt_type="application/pdf")
    del sandbox.state.harvest.receipts[int(row.harvest_id)]

    response = admin_client.get(_receipt_url(row))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:syncapp_synclink_change", args=[row.pk])
    (message,) = _messages(response)
    assert f"Harvest holds no receipt for expense #{row.harvest_id} any more" in message
    assert "attach the receipt in Harvest" in message


def test_harvest_refusing_the_download_says_to_reconnect(admin_client, synced):
    _, integration = synced
    row = _expense_row(integration, receipt_type="image/png")
    Connection.objects.filter(integration=integration, provider="harvest").update(
        access_token="revoked-token"
    )

    response = admin_client.get(_receipt_url(row), follow=True)

    assert response.status_code == 200
    text = response.content.decode()
    assert "Harvest refused our access to expense" in text
    assert "Reconnect Harvest under Sync › Connections" in text
    assert "Traceback" not in text


def test_a_connection_marked_for_reconnecting_is_not_tried(admin_client, synced):
    _, integration = synced
    row = _expense_row(integration, receipt_type="image/png")
    Connection.objects.filter(integration=integration, provider="harvest").update(
        status=Connection.Status.NEEDS_REAUTH
    )

    response = admin_client.get(_receipt_url(row))

    assert response.status_code == 302
    assert "The Harvest connection needs reconnecting" in _messages(response)[0]


def test_opening_a_receipt_needs_the_ledger_view_permission(client, synced):
    _, integration = synced
    row = _expense_row(integration, receipt_type="image/png")
    UserFactory(username="nosy")  # staff, no permissions
    client.login(username="nosy", password="a-long-test-password-1")

    assert client.get(_receipt_url(row)).status_code == 403


def test_the_expense_row_shows_its_receipt_and_where_it_is_in_xero(admin_client, synced):
    _, integration = synced
    row = _expense_row(integration, receipt_type="application/pdf", category="Travel")
    receipt = row.snapshot["harvest"]["receipt"]
    document = SyncLink.objects.get(
        integration=integration, kind=SyncKind.EXPENSE_DOC, harvest_id=row.snapshot["document"]
    )

    page = admin_client.get(reverse("admin:syncapp_synclink_change", args=[row.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert receipt["file_name"] in text
    assert f'href="{_receipt_url(row)}"' in text and "Open the receipt" in text
    assert f"Bill <strong>{row.snapshot['xero']['reference']}</strong>" in text
    assert reverse("admin:syncapp_synclink_change", args=[document.pk]) in text
    assert f"Receipt: Attached in Xero as {row.snapshot['receipt']['name']}." in text
    assert "Resync this expense" in text


def test_a_receipt_too_large_for_xero_says_why_on_its_row_and_in_the_list(admin_client, synced):
    _, integration = synced
    row = next(
        r
        for r in SyncLink.objects.filter(integration=integration, kind=SyncKind.EXPENSE)
        if (r.snapshot["harvest"].get("receipt") or {}).get("file_size", 0) > 10 * 1024 * 1024
    )
    assert row.state == SyncLink.State.SYNCED

    page = admin_client.get(reverse("admin:syncapp_synclink_change", args=[row.pk]))
    listed = admin_client.get(reverse(LIST), {"kind__exact": "expense", "q": row.harvest_id})

    assert "Receipt: Receipt not attached: 10.2 MB, and Xero takes at most 10 MB" in (
        page.content.decode()
    )
    assert 'alt=""> not attached</span></td>' in listed.content.decode()


def test_the_bill_row_lists_its_expenses_and_their_receipts(admin_client, synced):
    _, integration = synced
    document = max(
        SyncLink.objects.filter(integration=integration, kind=SyncKind.EXPENSE_DOC),
        key=lambda d: len(d.snapshot["members"]),
    )
    members = SyncLink.objects.filter(
        integration=integration, kind=SyncKind.EXPENSE, harvest_id__in=document.snapshot["members"]
    )

    page = admin_client.get(reverse("admin:syncapp_synclink_change", args=[document.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert len(members) == len(document.snapshot["members"]) > 1
    for member in members:
        assert reverse("admin:syncapp_synclink_change", args=[member.pk]) in text
    assert text.count('alt=""> attached</span>') == sum(
        1 for r in document.snapshot["receipts"].values() if r.get("state") == "sent"
    )
    assert "Resync the expenses on it" in text


def test_the_ledger_list_marks_receipts_without_a_query_per_row(admin_client, synced):
    _, integration = synced
    one = _expense_row(integration, receipt_type="image/png")
    expenses = SyncLink.objects.filter(integration=integration, kind=SyncKind.EXPENSE).count()

    with CaptureQueriesContext(connection) as single:
        admin_client.get(reverse(LIST), {"kind__exact": "expense", "q": one.harvest_id})
    with CaptureQueriesContext(connection) as page:
        listed = admin_client.get(
            reverse(LIST), {"kind__exact": "expense", "state__exact": "synced"}
        )

    assert expenses > 100
    assert len(page) == len(single)
    assert listed.content.decode().count('alt=""> attached</span></td>') > 50
    invoices = admin_client.get(reverse(LIST), {"kind__exact": "invoice"}).content.decode()
    assert "field-receipt_column" not in invoices


def test_preflight_lists_the_unmapped_category_with_a_link_to_map_it(admin_client, served):
    sandbox, integration = served
    expenses_run(integration, sandbox)
    travel = ExpenseCategoryMapping.objects.get(integration=integration, name="Travel")
    waiting = SyncLink.objects.filter(
        integration=integration,
        kind=SyncKind.EXPENSE,
        state=SyncLink.State.HELD,
        snapshot__harvest__expense_category__name="Travel",
    ).count()

    page = admin_client.get(reverse("admin:syncapp_synclink_preflight", args=[integration.pk]))

    text = html.unescape(page.content.decode())
    assert page.status_code == 200
    section = text[text.index('id="preflight-expenses"') :]
    assert f"Expense category 'Travel' has no Xero account. {waiting} expense(s) wait" in section
    change = reverse("admin:mappings_expensecategorymapping_change", args=[travel.pk])
    assert f'<a href="{change}" class="button preflight-fix-link">Map it</a>' in section
    assert f"<td>{waiting}</td>" in section


def test_preflight_sends_a_missing_card_account_to_the_integration(admin_client, synced):
    _, integration = synced
    integration.expense_card_account_code = ""
    integration.save()

    page = admin_client.get(reverse("admin:syncapp_synclink_preflight", args=[integration.pk]))

    section = page.content.decode().split('id="preflight-expenses"', 1)[1]
    assert "no card bank account is chosen" in section
    change = reverse("admin:syncapp_integration_change", args=[integration.pk])
    assert f'<a href="{change}" class="button preflight-fix-link">Set it</a>' in section


def test_resync_sends_the_chosen_expenses_and_a_bills_expenses_back_to_the_flow(
    admin_client, synced
):
    sandbox, integration = synced
    expense = _expense_row(integration, receipt_type="image/png")
    document = SyncLink.objects.filter(
        integration=integration, kind=SyncKind.EXPENSE_DOC, harvest_id__startswith="bill:"
    ).first()
    person = SyncLink.objects.filter(integration=integration, kind=SyncKind.PERSON).first()

    response = admin_client.post(
        reverse(LIST),
        {
            "action": "resync_invoices",
            "_selected_action": [expense.pk, document.pk, person.pk],
        },
    )

    run = SyncRun.objects.get(trigger=SyncRun.Trigger.RESYNC)
    wanted = {expense.harvest_id, *document.snapshot["members"]}
    assert run.flow == "expenses"
    assert sorted(run.scope["harvest_expense_ids"], key=int) == sorted(wanted, key=int)
    said = _messages(response)
    assert any("Resync of" in m and "expenses record(s)" in m for m in said)
    assert any("1 selected row(s) cannot be resynced" in m for m in said)
    sync_run_execute(run_id=run.pk, transport=sandbox.transport, clock=SharedClock(sandbox.clock))
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.counters["expenses"]["skipped"] == len(wanted), "unchanged: nothing written"
    assert run.counters["expenses"]["attachments_uploaded"] == 0


def test_the_resync_button_on_an_expense_queues_that_expense(admin_client, synced):
    _, integration = synced
    expense = _expense_row(integration, receipt_type="application/pdf")

    response = admin_client.post(reverse("admin:syncapp_synclink_resync", args=[expense.pk]))

    run = SyncRun.objects.get(trigger=SyncRun.Trigger.RESYNC)
    assert response["Location"] == reverse("admin:syncapp_syncrun_change", args=[run.pk])
    assert run.scope == {"harvest_expense_ids": [expense.harvest_id]}
