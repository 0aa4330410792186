"""Xero codes checked against the organisation's cached chart and tax rates, formula-safe
exports, and a preview that neither writes nor opens a transaction."""

import io
from datetime import UTC, datetime

import openpyxl
import pytest
import tablib
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mappings.files import MappingCSV, MappingXLSX, dataset_from_csv
from mappings.models import AccountMapping, TaxMapping
from mappings.resources import AccountMappingResource, TaxMappingResource
from syncapp.models import XeroOrgCache
from tests.factories import AccountMappingFactory, IntegrationFactory
from tests.mappings.test_import_export import confirm, finance_client, upload

pytestmark = pytest.mark.django_db
__all__ = ["finance_client"]

HEADER = "integration,scope,harvest_task_id,account_code,description\n"


@pytest.fixture
def northwind():
    integration = IntegrationFactory(name="Northwind")
    XeroOrgCache.objects.create(
        integration=integration,
        organisation={"Name": "Northwind"},
        accounts=[
            {"Code": "200", "Status": "ACTIVE"},
            {"Code": "210", "Status": "ACTIVE"},
            {"Code": "260", "Status": "ARCHIVED"},
        ],
        tax_rates=[{"TaxType": "OUTPUT2", "Status": "ACTIVE"}],
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return integration


def _import(resource, text: str, *, dry_run=True):
    return resource.import_data(dataset_from_csv(text.encode()), dry_run=dry_run)


def _messages(result):
    return {
        row.number: " ".join(str(m) for errors in row.error_dict.values() for m in errors)
        for row in result.invalid_rows
    }


def test_import_refuses_accounts_not_in_the_chart_by_name(northwind):
    result = _import(
        AccountMappingResource(),
        HEADER + "Northwind,task,101,215,\nNorthwind,task,102,260,\nNorthwind,task,103,200,\n",
    )
    messages = _messages(result)
    assert "account 215 is not in Northwind's chart of accounts" in messages[2]
    assert "account 260 is archived in Northwind's chart of accounts" in messages[3]
    assert 4 not in messages


def test_import_refuses_tax_types_not_in_the_tax_rates(northwind):
    csv = "integration,applies,tax_percent,xero_tax_type\nNorthwind,First tax only,20,OUTPUT9\n"
    messages = _messages(_import(TaxMappingResource(), csv))
    assert "tax rate OUTPUT9 is not in Northwind's tax rates" in messages[2]


def test_without_a_cached_chart_codes_pass_with_a_warning(finance_client):
    IntegrationFactory(name="Southwind")
    response = upload(
        finance_client, "accountmapping", (HEADER + "Southwind,task,1,999,\n").encode()
    )
    body = response.content.decode().replace("&#x27;", "'")
    assert "Southwind's Xero chart of accounts and tax rates have not been read yet" in body
    confirm(finance_client, "accountmapping", response)
    assert AccountMapping.objects.get().account_code == "999"


def test_admin_form_refuses_an_unknown_account_at_save(finance_client, northwind):
    response = finance_client.post(
        reverse("admin:mappings_accountmapping_add"),
        {
            "integration": northwind.pk,
            "scope": "task",
            "harvest_task_id": "101",
            "account_code": "215",
        },
    )
    assert response.status_code == 200
    assert "Account 215 is not in Northwind&#x27;s chart of accounts." in response.content.decode()
    assert AccountMapping.objects.count() == 0
    finance_client.post(
        reverse("admin:mappings_accountmapping_add"),
        {
            "integration": northwind.pk,
            "scope": "task",
            "harvest_task_id": "101",
            "account_code": "210",
        },
    )
    assert AccountMapping.objects.get().account_code == "210"


def test_admin_form_without_cache_saves_and_warns(finance_client):
    southwind = IntegrationFactory(name="Southwind")
    response = finance_client.post(
        reverse("admin:mappings_taxmapping_add"),
        {
            "integration": southwind.pk,
            "applies": "tax",
            "tax_percent": "20",
            "tax2_percent": "0",
            "xero_tax_type": "OUTPUT2",
        },
        follow=True,
    )
    assert TaxMapping.objects.count() == 1
    assert "have not been read yet" in response.content.decode().replace("&#x27;", "'")


def test_the_preview_writes_nothing_and_opens_no_transaction(northwind):
    AccountMappingFactory(integration=northwind, harvest_task_id="101", account_code="200")
    text = HEADER + "Northwind,task,101,210,\nNorthwind,task,102,200,\n"
    with CaptureQueriesContext(connection) as queries:
        result = _import(AccountMappingResource(), text, dry_run=True)
    assert result.totals["new"] == 1 and result.totals["update"] == 1
    sql = " ".join(q["sql"].upper() for q in queries)
    assert "SAVEPOINT" not in sql and "BEGIN" not in sql
    assert "INSERT" not in sql and "UPDATE " not in sql
    assert len(queries) <= 5  # not one per row
    assert AccountMapping.objects.get().account_code == "200"


def test_confirm_writes_all_rows_and_reports_changes(northwind):
    AccountMappingFactory(integration=northwind, harvest_task_id="101", account_code="200")
    text = HEADER + "Northwind,task,101,210,New\nNorthwind,task,102,200,\n"
    result = _import(AccountMappingResource(), text, dry_run=False)
    changed = [r for r in result.rows if r.import_type == "update"][0]
    assert ("account_code", "200", "210") in changed.hx_changes
    assert dict(AccountMapping.objects.values_list("harvest_task_id", "account_code")) == {
        "101": "210",
        "102": "200",
    }


def test_one_invalid_row_writes_nothing(northwind):
    text = HEADER + "Northwind,task,101,210,\nNorthwind,task,102,215,\n"
    result = _import(AccountMappingResource(), text, dry_run=False)
    assert result.has_validation_errors()
    assert AccountMapping.objects.count() == 0


FORMULAE = ['=HYPERLINK("http://evil","x")', "+1", "-2", "@SUM(A1)", "\tTab"]


def test_exports_escape_formulae_in_both_formats():
    dataset = tablib.Dataset(*[(value,) for value in FORMULAE], ("plain",), headers=["description"])
    csv_rows = MappingCSV().export_data(dataset).lstrip("\ufeff").splitlines()[1:]
    assert [row.strip('"') for row in csv_rows][:4] == [
        '\'=HYPERLINK(""http://evil"",""x"")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
    ]
    book = openpyxl.load_workbook(io.BytesIO(MappingXLSX().export_data(dataset)))
    cells = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert cells == ["'" + v for v in FORMULAE] + ["plain"]
    assert all(cell.data_type == "s" for cell in book.active["A"][1:])


@pytest.mark.parametrize(("fmt", "extension"), [("0", "csv"), ("1", "xlsx")])
def test_an_escaped_export_reimports_unchanged(finance_client, fmt, extension):
    integration = IntegrationFactory(name="Northwind")
    AccountMappingFactory(
        integration=integration,
        harvest_task_id="101",
        account_code="200",
        description='=HYPERLINK("http://evil","x")',
    )
    export = finance_client.post(
        reverse("admin:mappings_accountmapping_export"),
        {
            "format": fmt,
            "resource": "0",
            **{
                f"accountmappingresource_{f}": "on"
                for f in ("integration", "scope", "harvest_task_id", "account_code", "description")
            },
        },
    )
    assert b"HYPERLINK" in export.content or extension == "xlsx"
    preview = upload(
        finance_client, "accountmapping", export.content, name=f"x.{extension}", fmt=fmt
    )
    assert preview.context["result"].totals["skip"] == 1, preview.content[-2000:]
