"""Mappings › Expense categories: the admin finance maps categories in, the CSV/XLSX import by
Harvest id or by name, and the move of the old expense-category account rules."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mappings.files import dataset_from_csv
from mappings.models import AccountMapping, ExpenseCategoryMapping
from mappings.resources import ExpenseCategoryMappingResource
from syncapp.models import Integration, XeroOrgCache
from tests.factories import AccountMappingFactory, IntegrationFactory, UserFactory
from tests.mappings.test_import_export import CSV_FORMAT, XLSX_FORMAT, confirm, upload

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:mappings_expensecategorymapping_changelist"
ADD = "admin:mappings_expensecategorymapping_add"
CARD = "Company card: spend money from the card's bank account"


@pytest.fixture
def finance_client(client):
    user = UserFactory(username="fiona", finance=True)
    # The Finance role's own grant for this model is the lead's (syncapp/roles.py).
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="mappings", codename__endswith="_expensecategorymapping"
        )
    )
    client.force_login(user)
    return client


@pytest.fixture
def northwind():
    integration = IntegrationFactory(name="Northwind")
    XeroOrgCache.objects.create(
        integration=integration,
        organisation={"Name": "Northwind"},
        accounts=[
            {"Code": "200", "Name": "Sales", "Type": "REVENUE", "Status": "ACTIVE"},
            {"Code": "420", "Name": "Travel", "Type": "EXPENSE", "Status": "ACTIVE"},
            {"Code": "310", "Name": "Cost of Goods Sold", "Type": "DIRECTCOSTS"},
            {"Code": "260", "Name": "Old Travel", "Type": "EXPENSE", "Status": "ARCHIVED"},
            {"Code": "090", "Name": "Company Card", "Type": "BANK", "Status": "ACTIVE"},
        ],
        tax_rates=[
            {"TaxType": "OUTPUT2", "Name": "20% (VAT on Income)", "CanApplyToExpenses": False},
            {"TaxType": "INPUT2", "Name": "20% (VAT on Expenses)", "CanApplyToExpenses": True},
            {"TaxType": "ZERO", "Name": "Zero Rated", "Status": "ARCHIVED"},
        ],
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return integration


def category(integration, harvest_id, name, **fields):
    return ExpenseCategoryMapping.objects.create(
        integration=integration, harvest_expense_category_id=harvest_id, name=name, **fields
    )


def change_url(row):
    return reverse("admin:mappings_expensecategorymapping_change", args=[row.pk])


def form_errors(response) -> dict:
    return {
        name: " ".join(errors) for name, errors in response.context["adminform"].form.errors.items()
    }


# --- the list ---------------------------------------------------------------------------------


def test_list_shows_accounts_and_tax_rates_by_name_and_the_default_mode(finance_client, northwind):
    category(northwind, "11", "Travel", account_code="420", tax_type="INPUT2", mode="spend_money")
    category(northwind, "12", "Mileage", unit_name="mile", unit_price=Decimal("0.4500"))
    category(northwind, "13", "Hotel", account_code="260")
    body = finance_client.get(reverse(CHANGELIST)).content.decode().replace("&#x27;", "'")
    assert "420 — Travel" in body
    assert "INPUT2 — 20% (VAT on Expenses)" in body
    assert CARD in body
    assert "0.45 per mile" in body
    assert "Not mapped" in body
    assert "Integration default (Reimbursable: a bill to the person who spent it)" in body
    assert "account 260 is archived in Northwind's chart of accounts" in body


def test_not_mapped_filter_lists_only_the_categories_still_waiting(finance_client, northwind):
    category(northwind, "11", "Travel", account_code="420")
    category(northwind, "12", "Mileage")
    response = finance_client.get(reverse(CHANGELIST), {"mapped": "no"})
    assert [row.name for row in response.context["cl"].result_list] == ["Mileage"]


def test_list_reads_the_chart_once_per_integration_not_per_row(finance_client, northwind):
    southwind = IntegrationFactory(name="Southwind")  # no cached chart: codes shown bare
    category(southwind, "1", "Taxi", account_code="499")
    category(northwind, "11", "Travel", account_code="420")
    url = reverse(CHANGELIST)
    with CaptureQueriesContext(connection) as few:
        assert finance_client.get(url).status_code == 200
    for n in range(20):
        category(northwind, str(100 + n), f"Category {n}", account_code="420")
    with CaptureQueriesContext(connection) as many:
        body = finance_client.get(url).content.decode()
    assert len(many) == len(few)
    assert "499" in body and "420 — Travel" in body


# --- the change form ----------------------------------------------------------------------------


def test_change_form_offers_active_accounts_by_name_expense_accounts_first(
    finance_client, northwind
):
    row = category(northwind, "11", "Travel")
    form = finance_client.get(change_url(row)).context["adminform"].form
    accounts = list(form.fields["account_code"].widget.choices)
    assert accounts == [
        ("", "— Not mapped yet: its expenses wait —"),
        ("310", "310 — Cost of Goods Sold"),
        ("420", "420 — Travel"),
        ("090", "090 — Company Card"),
        ("200", "200 — Sales"),
    ]
    taxes = list(form.fields["tax_type"].widget.choices)
    assert taxes == [
        ("", "The account's default tax rate"),
        ("INPUT2", "INPUT2 — 20% (VAT on Expenses)"),
        ("OUTPUT2", "OUTPUT2 — 20% (VAT on Income)"),
    ]
    modes = list(form.fields["mode"].choices)
    assert modes[0] == ("", "Integration default (Reimbursable: a bill to the person who spent it)")
    # Harvest's fields are not editable here.
    assert not {"name", "harvest_expense_category_id", "integration"} & set(form.fields)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("account_code", "999", "Account 999 is not in Northwind's chart of accounts."),
        ("account_code", "260", "Account 260 is archived in Northwind's chart of accounts."),
        ("tax_type", "ZERO", "Tax rate ZERO is archived in Northwind's tax rates."),
    ],
)
def test_change_form_refuses_codes_the_organisation_cannot_use(
    finance_client, northwind, field, value, message
):
    row = category(northwind, "11", "Travel", account_code="420")
    data = {"account_code": "420", "tax_type": "", "mode": "", "description": "", field: value}
    response = finance_client.post(change_url(row), data)
    assert response.status_code == 200
    error = form_errors(response)[field]
    assert message in error and "Choose one of its active" in error
    row.refresh_from_db()
    assert (row.account_code, row.tax_type) == ("420", "")


def test_change_form_saves_a_mapping_and_ignores_harvest_fields(finance_client, northwind):
    row = category(northwind, "11", "Travel")
    response = finance_client.post(
        change_url(row),
        {
            "account_code": "420",
            "tax_type": "INPUT2",
            "mode": "spend_money",
            "description": "Card travel",
            "name": "Renamed by hand",
            "harvest_expense_category_id": "99",
        },
    )
    assert response.status_code == 302, form_errors(response)
    row.refresh_from_db()
    assert (row.account_code, row.tax_type, row.mode) == ("420", "INPUT2", "spend_money")
    assert (row.name, row.harvest_expense_category_id) == ("Travel", "11")


def test_an_archived_code_already_saved_is_shown_not_swapped(finance_client, northwind):
    row = category(northwind, "11", "Travel", account_code="260")
    form = finance_client.get(change_url(row)).context["adminform"].form
    choices = dict(form.fields["account_code"].widget.choices)
    assert choices["260"] == "260 — Old Travel (not active in Xero: choose another)"


def test_without_a_cached_chart_the_account_is_typed_and_saved_with_a_warning(finance_client):
    southwind = IntegrationFactory(name="Southwind")
    row = category(southwind, "5", "Taxi")
    form = finance_client.get(change_url(row)).context["adminform"].form
    assert form.fields["account_code"].widget.input_type == "text"
    assert "have not been read yet" in form.fields["account_code"].help_text
    response = finance_client.post(
        change_url(row),
        {"account_code": "999", "tax_type": "", "mode": "", "description": ""},
        follow=True,
    )
    assert "have not been read yet" in response.content.decode().replace("&#x27;", "'")
    row.refresh_from_db()
    assert row.account_code == "999"


# --- adding by hand ------------------------------------------------------------------------------


def test_add_by_hand_needs_the_harvest_id_and_name(finance_client, northwind):
    response = finance_client.post(
        reverse(ADD),
        {"integration": northwind.pk, "harvest_expense_category_id": "abc", "name": ""},
    )
    errors = form_errors(response)
    assert "A Harvest id is a number" in errors["harvest_expense_category_id"]
    assert "required" in errors["name"]
    response = finance_client.post(
        reverse(ADD),
        {
            "integration": northwind.pk,
            "harvest_expense_category_id": "77",
            "name": "Parking",
            "account_code": "420",
            "tax_type": "",
            "mode": "",
        },
    )
    assert response.status_code == 302, form_errors(response)
    row = ExpenseCategoryMapping.objects.get()
    assert (row.name, row.account_code, row.is_active) == ("Parking", "420", True)


def test_adding_a_category_twice_points_at_the_existing_row(finance_client, northwind):
    category(northwind, "77", "Parking")
    response = finance_client.post(
        reverse(ADD),
        {"integration": northwind.pk, "harvest_expense_category_id": "77", "name": "Parking"},
    )
    assert (
        "Northwind already has the Harvest category 77 (Parking)"
        in (form_errors(response)["harvest_expense_category_id"])
    )
    assert ExpenseCategoryMapping.objects.count() == 1


def test_add_form_is_prefilled_from_a_held_expense_link(finance_client, northwind):
    IntegrationFactory(name="Southwind")  # two integrations: the link's one is used
    response = finance_client.get(
        reverse(ADD),
        {"integration": northwind.pk, "harvest_expense_category_id": "77", "name": "Parking"},
    )
    form = response.context["adminform"].form
    assert str(form.initial["integration"]) == str(northwind.pk)
    assert form.initial["harvest_expense_category_id"] == "77"
    assert form.initial["name"] == "Parking"
    assert ("420", "420 — Travel") in list(form.fields["account_code"].widget.choices)


def test_a_link_to_a_category_that_exists_by_now_opens_its_row(finance_client, northwind):
    row = category(northwind, "77", "Parking")
    response = finance_client.get(
        reverse(ADD), {"integration": northwind.pk, "harvest_expense_category_id": "77"}
    )
    assert response.status_code == 302
    assert response["Location"] == change_url(row)


# --- import and export ---------------------------------------------------------------------------


def _import(text: str, *, dry_run=False):
    return ExpenseCategoryMappingResource().import_data(
        dataset_from_csv(text.encode()), dry_run=dry_run
    )


def _problems(result) -> dict:
    return {
        row.number: " ".join(str(m) for errors in row.error_dict.values() for m in errors)
        for row in result.invalid_rows
    }


def test_import_by_harvest_id_and_by_name_in_any_case(finance_client, northwind):
    travel = category(northwind, "11", "Travel")
    mileage = category(northwind, "12", "Mileage")
    csv = (
        "integration,harvest_expense_category_id,name,account_code,tax_type,mode\n"
        "Northwind,11,,420,INPUT2,Company card\n"
        "Northwind,,  mILEage ,310,,spend_money\n"
    )
    preview = upload(finance_client, "expensecategorymapping", csv.encode())
    assert preview.context["result"].totals["update"] == 2
    confirm(finance_client, "expensecategorymapping", preview)
    travel.refresh_from_db()
    mileage.refresh_from_db()
    assert (travel.account_code, travel.tax_type, travel.mode) == ("420", "INPUT2", "spend_money")
    assert (mileage.account_code, mileage.mode, mileage.name) == ("310", "spend_money", "Mileage")
    assert ExpenseCategoryMapping.objects.count() == 2


def test_an_unknown_name_says_which_categories_the_integration_has(northwind):
    for harvest_id, name in (("11", "Travel"), ("12", "Mileage"), ("13", "Hotel")):
        category(northwind, harvest_id, name)
    result = _import("integration,name,account_code\nNorthwind,Taxi,420\nNorthwind,travel,420\n")
    problems = _problems(result)
    assert list(problems) == [2]
    assert "Northwind has no expense category named 'Taxi'" in problems[2]
    assert "Its categories: Hotel, Mileage, Travel." in problems[2]
    assert ExpenseCategoryMapping.objects.filter(account_code="420").count() == 0


def test_a_long_list_of_known_categories_is_cut_short(northwind):
    for n in range(12):
        category(northwind, str(n + 1), f"Category {n:02}")
    problems = _problems(_import("integration,name,account_code\nNorthwind,Taxi,420\n"))
    assert "Category 07 (and 4 more)" in problems[2]


def test_a_new_category_by_id_needs_its_name_and_keeps_harvest_fields_from_the_file_out(
    northwind,
):
    category(northwind, "11", "Travel", unit_name="trip")
    csv = (
        "integration,harvest_expense_category_id,name,unit_name,account_code\n"
        "Northwind,11,Renamed in the file,km,420\n"
        "Northwind,12,,,420\n"
        "Northwind,13,Parking,,420\n"
    )
    problems = _problems(_import(csv))
    assert list(problems) == [3]
    assert "A new category needs its name as in Harvest" in problems[3]
    _import(csv.replace("Northwind,12,,,420\n", ""))
    rows = {r.harvest_expense_category_id: r for r in ExpenseCategoryMapping.objects.all()}
    assert (rows["11"].name, rows["11"].unit_name, rows["11"].account_code) == (
        "Travel",
        "trip",
        "420",
    )
    assert (rows["13"].name, rows["13"].account_code) == ("Parking", "420")


def test_a_row_naming_the_same_category_twice_is_refused(northwind):
    category(northwind, "11", "Travel")
    csv = (
        "integration,harvest_expense_category_id,name,account_code\n"
        "Northwind,11,,420\nNorthwind,,Travel,310\n"
    )
    problems = _problems(_import(csv, dry_run=True))
    assert "also on row 3" in problems[2] and "also on row 2" in problems[3]


def test_an_unknown_mode_lists_the_modes(northwind):
    category(northwind, "11", "Travel")
    csv = "integration,harvest_expense_category_id,mode\nNorthwind,11,Petty cash\n"
    problem = _problems(_import(csv))[2]
    assert "'Petty cash' is not an expense mode" in problem
    assert "'Company card'" in problem and "leave it empty" in problem


@pytest.mark.parametrize(("fmt", "extension"), [(CSV_FORMAT, "csv"), (XLSX_FORMAT, "xlsx")])
def test_export_reimports_unchanged(finance_client, northwind, fmt, extension):
    category(
        northwind,
        "11",
        "Travel, trains & taxis",
        account_code="420",
        tax_type="INPUT2",
        mode="spend_money",
        description="Card, mostly",
    )
    category(northwind, "12", "Mileage", unit_name="mile", unit_price=Decimal("0.45"))
    before = list(ExpenseCategoryMapping.objects.order_by("pk").values())
    columns = ExpenseCategoryMappingResource._meta.fields
    export = finance_client.post(
        reverse("admin:mappings_expensecategorymapping_export"),
        {
            "format": fmt,
            "resource": "0",
            **{f"expensecategorymappingresource_{name}": "on" for name in columns},
        },
    )
    assert export.status_code == 200, export.content[:500]
    if fmt == CSV_FORMAT:
        text = export.content.decode("utf-8-sig")
        assert text.splitlines()[0].split(",") == list(columns)
        assert CARD in text and "mile" in text
    preview = upload(
        finance_client,
        "expensecategorymapping",
        export.content,
        name=f"x.{extension}",
        fmt=fmt,
    )
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == 2
    confirm(finance_client, "expensecategorymapping", preview)
    assert list(ExpenseCategoryMapping.objects.order_by("pk").values()) == before


# --- the move from the old account rules ---------------------------------------------------------

BEFORE = [("mappings", "0003_expense_categories")]
AFTER = [("mappings", "0004_account_mappings_without_expense_categories")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_migration_moves_old_expense_category_rules():
    integration = IntegrationFactory(name="Northwind")
    task_rule = AccountMappingFactory(integration=integration, harvest_task_id="5")
    old = _migrate(BEFORE)
    try:
        OldAccountMapping = old.get_model("mappings", "AccountMapping")
        OldCategory = old.get_model("mappings", "ExpenseCategoryMapping")
        for harvest_id, code in (("7", "420"), ("8", "310")):
            OldAccountMapping.objects.create(
                integration_id=integration.pk,
                scope="expense_category",
                harvest_expense_category_id=harvest_id,
                account_code=code,
                description=f"Old rule {harvest_id}",
            )
        # The expenses run met category 8 already; finance had not mapped it yet.
        OldCategory.objects.create(
            integration_id=integration.pk, harvest_expense_category_id="8", name="Mileage"
        )
    finally:
        # Back to the latest state, not just 0004: going back to 0003 also unapplied the
        # syncapp migrations that depend on 0004, and the tests after this one need them.
        _migrate(AFTER)
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    rows = ExpenseCategoryMapping.objects.order_by("harvest_expense_category_id")
    assert [(r.harvest_expense_category_id, r.name, r.account_code) for r in rows] == [
        ("7", "Harvest category 7", "420"),
        ("8", "Mileage", "310"),
    ]
    assert rows[0].description == "Old rule 7"
    assert list(AccountMapping.objects.values_list("pk", flat=True)) == [task_rule.pk]
    assert "harvest_expense_category_id" not in {
        c.name
        for c in connection.introspection.get_table_description(
            connection.cursor(), AccountMapping._meta.db_table
        )
    }
    assert Integration.objects.count() == 1


def test_integration_page_groups_the_expense_policies(admin_client):
    integration = IntegrationFactory(name="Northwind")
    page = admin_client.get(reverse("admin:syncapp_integration_change", args=[integration.pk]))
    fieldset = next(f for f in page.context["adminform"] if f.name == "Expenses")
    assert [line.fields[0] for line in fieldset] == [
        "expense_mode",
        "expense_approval",
        "expenses_from",
        "expense_grouping",
        "expense_bill_status",
        "expense_card_account_code",
        "expense_uninvoiced_days",
    ]
    assert "Mappings › Expense categories" in fieldset.description
