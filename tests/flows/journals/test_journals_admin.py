"""Finance sets cost journals up on the integration page and sees what holds them on the
preflight page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from syncapp.models import XeroOrgCache
from tests.factories import IntegrationFactory
from tests.flows.journals.helpers import journal_setup

pytestmark = pytest.mark.django_db


def _preflight(admin_client, integration) -> str:
    page = admin_client.get(reverse("admin:syncapp_synclink_preflight", args=[integration.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    return text[text.index('id="preflight-journals"') :]


def test_the_integration_page_offers_the_cost_journal_settings(admin_client):
    integration = IntegrationFactory()

    page = admin_client.get(reverse("admin:syncapp_integration_change", args=[integration.pk]))

    text = page.content.decode()
    assert "Cost journals" in text
    for field in ("journal_debit", "journal_credit_account_code", "journal_status"):
        assert f'name="{field}"' in text


def test_preflight_says_journals_are_off_until_a_credit_account_is_chosen(admin_client):
    integration = IntegrationFactory()

    section = _preflight(admin_client, integration)

    assert 'id="preflight-journals-off"' in section
    assert "Cost journals settings" in section


def test_preflight_names_an_archived_journal_account_and_the_lock_date(admin_client):
    integration = IntegrationFactory()
    journal_setup(integration)
    XeroOrgCache.objects.create(
        integration=integration,
        organisation={"Name": "Northwind", "PeriodLockDate": "/Date(1790726400000+0000)/"},
        accounts=[
            {"Code": "310", "Status": "ACTIVE", "Type": "DIRECTCOSTS"},
            {"Code": "814", "Status": "ARCHIVED", "Type": "CURRLIAB"},
        ],
        fetched_at="2026-12-01T00:00:00Z",
    )

    section = _preflight(admin_client, integration)

    assert "credit account 814 is not active in Xero" in section
    assert "Holds the journal" in section
    assert "Xero is locked up to" in section
