"""Mappings travel as CSV and XLSX through the admin's preview-and-confirm import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mappings.models import AccountMapping, TaxMapping
from tests.factories import (
    AccountMappingFactory,
    IntegrationFactory,
    TaxMappingFactory,
    TrackingMappingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CSV_FORMAT, XLSX_FORMAT = "0", "1"
HEADER = (
    "integration,scope,harvest_project_id,harvest_task_id,harvest_client_id,"
    "harvest_item_category,account_code,item_code,description\n"
)


@pytest.fixture
def finance_client(client):
    client.force_login(UserFactory(username="fiona", finance=True))
    return client


def upload(client, model_name, content: bytes, name="mappings.csv", fmt=CSV_FORMAT):
    return client.post(
        reverse(f"admin:mappings_{model_name}_import"),
        {
            "import_file": SimpleUploadedFile(name, content),
            "format": fmt,
            "resource": "0",
        },
    )


def confirm(client, model_name, preview):
    form = preview.context["confirm_form"]
    return client.post(
        reverse(f"admin:mappings_{model_name}_process_import"),
        {**form.initial, "resource": form.initial.get("resource", "0")},
        follow=True,
    )


def test_a_bad_row_is_reported_by_number_and_nothing_is_written(finance_client):
    IntegrationFactory(name="Northwind")
    csv = (
        HEADER
        + "Northwind,task,,101,,,200,,Design\n"
        + "Northwind,task,,102,,,not-a-code!,,Strategy\n"
        + "Northwind,project,55,,,,210,,Retainer\n"
    ).encode()
    response = upload(finance_client, "accountmapping", csv)
    assert response.status_code == 200
    result = response.context["result"]
    # Spreadsheet numbering: the header is row 1, so the second data row is row 3.
    assert [row.number for row in result.invalid_rows] == [3]
    assert "account code is 1 to 10 letters or digits" in response.content.decode()
    assert response.context.get("confirm_form") is None  # nothing to confirm
    assert AccountMapping.objects.count() == 0


def test_unknown_integration_names_the_row(finance_client):
    IntegrationFactory(name="Northwind")
    csv = (HEADER + "Northwind,task,,101,,,200,,\nSouthwind,task,,102,,,200,,\n").encode()
    body = upload(finance_client, "accountmapping", csv).content.decode()
    assert "Row 3" in body
    assert "No integration named" in body and "Southwind" in body
    assert AccountMapping.objects.count() == 0


def test_scope_rules_apply_to_imported_rows(finance_client):
    IntegrationFactory(name="Northwind")
    csv = (HEADER + "Northwind,project_task,,101,,,200,,\n").encode()
    response = upload(finance_client, "accountmapping", csv)
    assert [row.number for row in response.context["result"].invalid_rows] == [2]
    assert "Required for the scope" in response.content.decode()
    assert AccountMapping.objects.count() == 0


def test_preview_then_confirm_writes_the_rows(finance_client):
    IntegrationFactory(name="Northwind")
    csv = (HEADER + "Northwind,task,,101,,,200,,Design\nNorthwind,project,55,,,,210,,\n").encode()
    preview = upload(finance_client, "accountmapping", csv)
    assert preview.status_code == 200
    assert AccountMapping.objects.count() == 0  # the preview writes nothing
    done = confirm(finance_client, "accountmapping", preview)
    assert done.status_code == 200
    assert sorted(AccountMapping.objects.values_list("scope", "account_code")) == [
        ("project", "210"),
        ("task", "200"),
    ]


def test_import_updates_by_natural_key_not_by_id(finance_client):
    integration = IntegrationFactory(name="Northwind")
    existing = AccountMappingFactory(
        integration=integration, harvest_task_id="101", account_code="200"
    )
    csv = (HEADER + "Northwind,task,,101,,,4000,,Moved to new account\n").encode()
    confirm(finance_client, "accountmapping", upload(finance_client, "accountmapping", csv))
    existing.refresh_from_db()
    assert AccountMapping.objects.count() == 1
    assert existing.account_code == "4000"


@pytest.mark.parametrize(("fmt", "extension"), [(CSV_FORMAT, "csv"), (XLSX_FORMAT, "xlsx")])
def test_export_reimports_unchanged(finance_client, fmt, extension):
    integration = IntegrationFactory(name="Northwind")
    AccountMappingFactory(integration=integration, harvest_task_id="101", account_code="200")
    AccountMappingFactory(
        integration=integration,
        scope="project_task",
        harvest_project_id="7",
        harvest_task_id="101",
        account_code="210",
        description="Café design, Zürich",
    )
    before = list(AccountMapping.objects.order_by("pk").values())
    export = finance_client.post(
        reverse("admin:mappings_accountmapping_export"),
        {
            "format": fmt,
            "resource": "0",
            **{
                f"accountmappingresource_{f}": "on"
                for f in (
                    "integration",
                    "scope",
                    "harvest_project_id",
                    "harvest_task_id",
                    "harvest_client_id",
                    "harvest_item_category",
                    "account_code",
                    "item_code",
                    "description",
                )
            },
        },
    )
    assert export.status_code == 200, export.content[:500]
    assert f".{extension}" in export["Content-Disposition"]
    preview = upload(
        finance_client, "accountmapping", export.content, name=f"x.{extension}", fmt=fmt
    )
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == 2 and result.totals["new"] == 0 and result.totals["update"] == 0
    confirm(finance_client, "accountmapping", preview)
    assert list(AccountMapping.objects.order_by("pk").values()) == before


def test_tax_mappings_match_percentages_numerically(finance_client):
    integration = IntegrationFactory(name="Northwind")
    TaxMappingFactory(
        integration=integration, applies="tax", tax_percent="20", xero_tax_type="OUTPUT2"
    )
    csv = b"integration,applies,tax_percent,tax2_percent,xero_tax_type,description\nNorthwind,tax,20.0,0,OUTPUT2,\n"
    result = upload(finance_client, "taxmapping", csv).context["result"]
    assert result.totals["skip"] == 1
    assert TaxMapping.objects.count() == 1


def test_finance_can_export_tracking_mappings(finance_client):
    TrackingMappingFactory()
    page = finance_client.get(reverse("admin:mappings_trackingmapping_export"))
    assert page.status_code == 200


def test_expense_categories_are_no_longer_account_rules(finance_client):
    IntegrationFactory(name="Northwind")
    old_file = (
        b"integration,scope,harvest_expense_category_id,account_code\n"
        b"Northwind,expense_category,7,420\n"
    )
    body = upload(finance_client, "accountmapping", old_file).content.decode()
    assert "Unknown column(s): harvest_expense_category_id" in body
    scope_only = b"integration,scope,account_code\nNorthwind,Expense category,420\n"
    response = upload(finance_client, "accountmapping", scope_only)
    assert [row.number for row in response.context["result"].invalid_rows] == [2]
    assert "is not a scope" in response.content.decode()
    assert AccountMapping.objects.count() == 0
