"""Who wins a field changed on both sides: finance unless finance chose a side; the words finance
reads in the admin and in files; existing rules moved off the old defaults only where finance
never chose."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from mappings.models import ContactMatchRule
from mappings.resources import OWNER_FIELDS, ContactMatchRuleResource
from tests.factories import IntegrationFactory
from tests.mappings.test_import_export import confirm, finance_client, upload

pytestmark = pytest.mark.django_db
__all__ = ["finance_client"]

OLD_DEFAULTS = {
    "owner_name": "review",
    "owner_email": "harvest",
    "owner_address": "xero",
    "owner_currency": "harvest",
    "owner_contact_person": "harvest",
}


def test_every_field_asks_finance_by_default():
    rule = ContactMatchRule()
    assert {name: getattr(rule, name) for name in OWNER_FIELDS} == dict.fromkeys(
        OWNER_FIELDS, "review"
    )
    assert rule.get_owner_email_display() == "Ask finance when both changed"


def test_migration_moves_only_rules_finance_never_changed():
    untouched = ContactMatchRule.objects.create(
        integration=IntegrationFactory(name="Untouched"), **OLD_DEFAULTS
    )
    chosen = ContactMatchRule.objects.create(
        integration=IntegrationFactory(name="Chosen"),
        **{**OLD_DEFAULTS, "owner_address": "harvest"},
    )
    migration = importlib.import_module("mappings.migrations.0002_field_owners_ask_finance")
    migration.owners_ask_finance(apps, None)

    untouched.refresh_from_db()
    chosen.refresh_from_db()
    assert {name: getattr(untouched, name) for name in OWNER_FIELDS} == dict.fromkeys(
        OWNER_FIELDS, "review"
    )
    assert {name: getattr(chosen, name) for name in OWNER_FIELDS} == {
        **OLD_DEFAULTS,
        "owner_address": "harvest",
    }


def test_export_says_who_wins_in_words_and_reimports_unchanged(finance_client):
    integration = IntegrationFactory(name="Northwind")
    ContactMatchRule.objects.create(integration=integration, owner_email="harvest")
    dataset = ContactMatchRuleResource().export()
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert (row["owner_email"], row["owner_address"]) == (
        "Harvest wins",
        "Ask finance when both changed",
    )
    preview = upload(finance_client, "contactmatchrule", dataset.csv.encode())
    assert preview.context["result"].totals["skip"] == 1
    confirm(finance_client, "contactmatchrule", preview)
    assert ContactMatchRule.objects.get().owner_email == "harvest"


def test_an_unknown_owner_lists_the_choices_as_finance_reads_them(finance_client):
    IntegrationFactory(name="Northwind")
    csv = b"integration,owner_email\nNorthwind,Harvest always\n"
    preview = upload(finance_client, "contactmatchrule", csv)
    problems = " ".join(
        " ".join(row["problems"]) for row in preview.context["hx_preview"]["invalid"]
    )
    assert "'Harvest always' is not a field owner" in problems
    assert "'Ask finance when both changed'" in problems and "'Xero wins'" in problems
    assert not ContactMatchRule.objects.exists()


def test_the_admin_form_reads_as_finance_decides(finance_client):
    page = finance_client.get(reverse("admin:mappings_contactmatchrule_add"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "When a field changed on both sides" in text
    assert "Ask finance when both changed" in text and "Harvest wins" in text
    assert "E-mail owner" in text
