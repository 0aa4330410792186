"""Files as finance has them, through the real admin import views: encodings, delimiters,
labels, duplicates, broken files. Every problem is a sentence on the page, never a traceback."""

import io

import openpyxl
import pytest
from django.urls import reverse

from mappings.files import MAX_IMPORT_BYTES
from mappings.models import AccountMapping, ContactMatchRule
from tests.factories import IntegrationFactory
from tests.mappings.test_import_export import XLSX_FORMAT, confirm, finance_client, upload

pytestmark = pytest.mark.django_db
__all__ = ["finance_client"]

ROWS = [
    ["integration", "scope", "harvest_task_id", "account_code", "description"],
    ["Northwind", "task", "101", "200", "Café design"],
    ["Northwind", "project_task", "", "210", ""],  # invalid: needs a project and a task
]


def _csv(rows, delimiter=","):
    return "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"


def _problems(response):
    return {
        row["number"]: " ".join(row["problems"])
        for row in response.context["hx_preview"]["invalid"]
    }


@pytest.fixture
def northwind():
    return IntegrationFactory(name="Northwind")


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ","),
        ("cp1252", ";"),
        ("utf-8-sig", "\t"),
        ("utf-16", "\t"),
    ],
)
def test_encodings_and_delimiters_from_excel(finance_client, northwind, encoding, delimiter):
    valid = ROWS[:2]
    response = upload(finance_client, "accountmapping", _csv(valid, delimiter).encode(encoding))
    assert response.status_code == 200
    assert response.context["hx_preview"]["totals"]["new"] == 1, response.content[:2000]
    confirm(finance_client, "accountmapping", response)
    assert AccountMapping.objects.get().description == "Café design"


def test_semicolon_file_with_a_bad_row_names_the_spreadsheet_row(finance_client, northwind):
    response = upload(finance_client, "accountmapping", _csv(ROWS, ";").encode("cp1252"))
    body = response.content.decode()
    assert "Traceback" not in body
    assert _problems(response).keys() == {3}  # header = row 1, so the second data row is 3
    assert "Row 3" in body and "Required for the scope" in body
    assert response.context.get("confirm_form") is None
    assert AccountMapping.objects.count() == 0


def test_blank_lines_keep_the_numbers_the_spreadsheet_shows(finance_client, northwind):
    rows = [ROWS[0], ROWS[1], ["", "", "", "", ""], ["Northwind", "task", "102", "bad code!", ""]]
    response = upload(finance_client, "accountmapping", _csv(rows).encode())
    assert _problems(response).keys() == {4}


def test_two_rows_with_the_same_key_are_refused_and_both_named(finance_client, northwind):
    rows = [
        ROWS[0],
        ROWS[1],
        ["Northwind", "task", "102", "200", ""],
        ["Northwind", "Task", "101", "210", ""],
    ]
    response = upload(finance_client, "accountmapping", _csv(rows).encode())
    problems = _problems(response)
    assert problems.keys() == {2, 4}
    assert "also on row 4" in problems[2] and "also on row 2" in problems[4]
    assert AccountMapping.objects.count() == 0


def test_labels_are_accepted_where_codes_are_in_any_case(finance_client, northwind):
    rows = [
        ROWS[0],
        ["Northwind", "Task", "101", "200", ""],
        ["Northwind", "INVOICE ITEM CATEGORY", "", "210", ""],
    ]
    rows[0] = [*ROWS[0], "harvest_item_category"]
    rows[1].append("")
    rows[2].append("Service")
    confirm(
        finance_client,
        "accountmapping",
        upload(finance_client, "accountmapping", _csv(rows).encode()),
    )
    assert sorted(AccountMapping.objects.values_list("scope", flat=True)) == [
        "item_category",
        "task",
    ]


def test_an_unknown_choice_lists_the_allowed_ones(finance_client, northwind):
    rows = [ROWS[0], ["Northwind", "tsak", "101", "200", ""]]
    problems = _problems(upload(finance_client, "accountmapping", _csv(rows).encode()))
    assert "'tsak' is not a scope" in problems[2] and "project_task" in problems[2]


def test_contact_rules_take_yes_no_and_owner_labels(finance_client, northwind):
    csv = b"integration;match_on_email;owner_name\nNorthwind;No;Xero wins\n"
    confirm(finance_client, "contactmatchrule", upload(finance_client, "contactmatchrule", csv))
    rule = ContactMatchRule.objects.get()
    assert rule.match_on_email is False and rule.owner_name == "xero"


def test_xlsx_with_numbers_typed_as_numbers(finance_client, northwind):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(ROWS[0])
    sheet.append(["Northwind", "Task", 101, 200, "Design"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(
        finance_client, "accountmapping", buffer.getvalue(), name="m.xlsx", fmt=XLSX_FORMAT
    )
    confirm(finance_client, "accountmapping", response)
    assert AccountMapping.objects.get().account_code == "200"


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        (b"", "0", "The submitted file is empty"),
        (b"  \n\n", "0", "The file is empty"),
        (b"\x00\x01\x02\xff\xfe\x00junk" * 50, "0", "not a CSV file"),
        (b"PK\x03\x04 not really a workbook", XLSX_FORMAT, "not an Excel workbook"),
        (b"integration,scope,harvest_task_id,account_code\n", "0", "no rows below"),
        (b"name,code\nNorthwind,200\n", "0", "Unknown column(s): name, code"),
        (
            b"integration,harvest_task_id\nNorthwind,101\n",
            "0",
            "Missing column(s): scope, account_code",
        ),
        (
            b"integration,scope,account_code\nNorthwind,task,200,extra,cells\n",
            "0",
            "more cells than the header",
        ),
    ],
)
def test_broken_files_get_a_sentence_not_a_traceback(
    finance_client, northwind, content, fmt, message
):
    response = upload(finance_client, "accountmapping", content, fmt=fmt)
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body.replace("&#x27;", "'"), body[-3000:]
    assert "Traceback" not in body and "Error" not in body.split("<title>")[1].split("</title>")[0]
    assert response.context.get("confirm_form") is None
    assert AccountMapping.objects.count() == 0


def test_a_huge_file_is_refused_by_size(finance_client, northwind):
    huge = b"integration,scope,harvest_task_id,account_code\n" + b"Northwind,task,1,200\n" * (
        MAX_IMPORT_BYTES // 20
    )
    response = upload(finance_client, "accountmapping", huge)
    assert "the limit is 10 MB" in response.content.decode()
    assert AccountMapping.objects.count() == 0


def test_the_preview_of_many_rows_is_capped_with_a_note(finance_client, northwind):
    lines = ["integration,scope,harvest_task_id,account_code"] + [
        f"Northwind,task,{n},200" for n in range(1, 451)
    ]
    response = upload(finance_client, "accountmapping", ("\n".join(lines)).encode())
    preview = response.context["hx_preview"]
    assert preview["totals"]["new"] == 450 and len(preview["changed"]) == 200
    assert "250 more new or changed rows" in response.content.decode()


def test_a_confirm_for_a_vanished_file_says_so(finance_client, northwind):
    response = finance_client.post(
        reverse("admin:mappings_accountmapping_process_import"),
        {
            "import_file_name": "gone-123",
            "original_file_name": "m.csv",
            "format": "0",
            "resource": "0",
        },
        follow=True,
    )
    assert "upload it again" in response.content.decode()
