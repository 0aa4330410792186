"""Harvest expenses for the expenses flow: receipt files behind auth and a redirect, approval, seed."""

from __future__ import annotations

import zlib
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.sandbox.conftest import HARVEST


def _expenses(harvest) -> list[dict]:
    answer = harvest.get(f"{HARVEST}/expenses", params={"per_page": 2000})
    assert answer.status_code == 200
    return answer.json()["expenses"]


def _with_receipt(harvest, content_type: str) -> dict:
    return next(e for e in _expenses(harvest) if e["receipt"] and e["receipt"]["content_type"] == content_type)


@pytest.mark.parametrize("content_type", ["application/pdf", "image/png"])
def test_a_receipt_downloads_with_auth_through_a_redirect(harvest, seeded_state, content_type):
    expense = _with_receipt(harvest, content_type)
    receipt = expense["receipt"]
    first = harvest.get(receipt["url"])
    assert first.status_code == 302
    downloaded = harvest.get(receipt["url"], follow_redirects=True)
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"] == content_type
    assert downloaded.content == seeded_state.harvest.receipts[expense["id"]][2]
    assert len(downloaded.content) == receipt["file_size"]
    assert receipt["file_name"] in downloaded.headers["content-disposition"]
    if content_type == "image/png":
        data = downloaded.content
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        # Every chunk's CRC holds: a real PNG, not bytes that merely start like one.
        offset = 8
        while offset < len(data):
            length = int.from_bytes(data[offset : offset + 4], "big")
            kind_and_data = data[offset + 4 : offset + 8 + length]
            crc = int.from_bytes(data[offset + 8 + length : offset + 12 + length], "big")
            assert zlib.crc32(kind_and_data) == crc
            offset += 12 + length
        assert kind_and_data == b"IEND"
    else:
        assert downloaded.content.startswith(b"%PDF-") and downloaded.content.rstrip().endswith(b"%%EOF")


def test_the_receipt_url_needs_credentials_and_the_signed_url_expires(harvest, anonymous, clock):
    receipt = _with_receipt(harvest, "application/pdf")["receipt"]
    refused = anonymous.get(receipt["url"], headers={"User-Agent": "tests"})
    assert refused.status_code == 401
    signed = harvest.get(receipt["url"]).headers["location"]
    # The signed URL takes no credentials (as object storage does)...
    assert anonymous.get(signed).status_code == 200
    query = parse_qs(urlsplit(signed).query)
    tampered = signed.replace(query["signature"][0], "0" * 64)
    assert anonymous.get(tampered).status_code == 403
    # ...and stops working after ten minutes: a client must fetch it right after the redirect.
    clock.advance(601)
    expired = anonymous.get(signed)
    assert (expired.status_code, b"Request has expired" in expired.content) == (403, True)
    assert harvest.get(receipt["url"], follow_redirects=True).status_code == 200


def test_a_replaced_receipt_invalidates_the_old_signed_url(harvest, anonymous):
    expense = next(e for e in _expenses(harvest) if e["receipt"] and not e["is_billed"])
    old = harvest.get(expense["receipt"]["url"]).headers["location"]
    if expense["is_locked"]:
        harvest.post(f"/_sandbox/harvest/expenses/{expense['id']}/unapprove")
    patched = harvest.patch(
        f"{HARVEST}/expenses/{expense['id']}",
        files={"receipt": ("taxi.png", b"\x89PNG\r\n\x1a\nnew", "image/png")},
    )
    assert patched.status_code == 200
    assert patched.json()["receipt"]["file_name"] == "taxi.png"
    assert anonymous.get(old).status_code == 403
    assert harvest.get(patched.json()["receipt"]["url"], follow_redirects=True).content.endswith(b"new")


def test_approving_locks_the_expense_and_reopening_unlocks_it(harvest):
    expense = next(e for e in _expenses(harvest) if not e["is_closed"] and not e["is_billed"])
    url = f"{HARVEST}/expenses/{expense['id']}"
    approved = harvest.post(f"/_sandbox/harvest/expenses/{expense['id']}/approve")
    assert approved.status_code == 200
    shown = harvest.get(url).json()
    assert (shown["is_closed"], shown["is_locked"], shown["locked_reason"]) == (
        True, True, "Item Approved and Locked for this Time Period")
    assert shown["updated_at"] > expense["updated_at"]
    since = harvest.get(f"{HARVEST}/expenses", params={"updated_since": shown["updated_at"]}).json()
    assert expense["id"] in {e["id"] for e in since["expenses"]}
    refused = harvest.patch(url, json={"notes": "changed"})
    assert refused.status_code == 422
    reopened = harvest.post(f"/_sandbox/harvest/expenses/{expense['id']}/unapprove")
    assert reopened.json()["expense"]["is_closed"] is False
    assert harvest.patch(url, json={"notes": "changed"}).json()["notes"] == "changed"


def test_an_invoiced_expense_cannot_be_reopened(harvest):
    invoiced = next(e for e in _expenses(harvest) if e["is_billed"])
    answer = harvest.post(f"/_sandbox/harvest/expenses/{invoiced['id']}/unapprove")
    assert answer.status_code == 422
    assert harvest.get(f"{HARVEST}/expenses/{invoiced['id']}").json()["is_locked"] is True
    assert harvest.post("/_sandbox/harvest/expenses/1/approve").status_code == 404


def test_the_demo_page_approves_with_a_button(harvest, anonymous):
    expense = next(e for e in _expenses(harvest) if not e["is_closed"])
    page = anonymous.get("/_sandbox/").text
    action = f"/_sandbox/harvest/expenses/{expense['id']}/approve"
    assert action in page
    answer = anonymous.post(action, data={"from": "demo"})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/_sandbox/?message=Approved")
    assert harvest.get(f"{HARVEST}/expenses/{expense['id']}").json()["is_closed"] is True
    assert f"/_sandbox/harvest/expenses/{expense['id']}/unapprove" in anonymous.get("/_sandbox/").text


def test_the_seed_exercises_every_expense_case(harvest):
    expenses = _expenses(harvest)
    assert {e["is_closed"] for e in expenses} == {True, False}
    assert {e["billable"] for e in expenses} == {True, False}
    assert {e["is_billed"] for e in expenses} == {True, False}
    assert any(e["is_closed"] and not e["is_billed"] and e["billable"] for e in expenses)
    assert {e["receipt"]["content_type"] for e in expenses if e["receipt"]} == {"application/pdf", "image/png"}
    assert any(e["receipt"] is None for e in expenses)
    by_unit = [e for e in expenses if e["expense_category"]["unit_price"] is not None]
    assert by_unit and any(Decimal(str(e["units"])) % 1 for e in by_unit)
    for e in by_unit:
        price = Decimal(str(e["expense_category"]["unit_price"]))
        expected = (Decimal(str(e["units"])) * price).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert Decimal(str(e["total_cost"])) == expected


def test_the_seed_has_a_busy_month_a_half_unit_claim_and_a_scan_too_large_for_xero(harvest, seeded_state):
    from syncapp.sandbox.xero.attachments import ATTACHMENT_MAX_BYTES, ATTACHMENTS_PER_RECORD

    cases = seeded_state.harvest.seed_info["expense_cases"]
    expenses = _expenses(harvest)
    person = [e for e in expenses if e["user"]["id"] == cases["harvest_user_id"]]
    busy = [
        e for e in person
        if e["spent_date"].startswith(cases["busy_month"]) and e["is_closed"] and e["receipt"]
        and not e["billable"]
    ]
    assert len(busy) > ATTACHMENTS_PER_RECORD
    half = [e for e in busy if e["units"] is not None and Decimal(str(e["units"])) == Decimal("12.5")]
    assert half and Decimal(str(half[0]["total_cost"])) == (
        Decimal("12.5") * Decimal(str(half[0]["expense_category"]["unit_price"]))
    ).quantize(Decimal("0.01"), ROUND_HALF_UP)
    large = harvest.get(f"{HARVEST}/expenses/{cases['large_receipt_expense_id']}").json()
    assert large["is_closed"] and large["receipt"]["file_size"] > ATTACHMENT_MAX_BYTES
    scan = harvest.get(large["receipt"]["url"], follow_redirects=True)
    assert scan.status_code == 200 and len(scan.content) == large["receipt"]["file_size"]
    assert scan.content.startswith(b"%PDF-") and scan.content.endswith(b"%%EOF\n")
    # Many people spend, approved and waiting, with and without receipts.
    assert len({e["user"]["id"] for e in expenses}) >= 3
    assert sum(1 for e in expenses if e["receipt"] is None) >= 2
