"""Contacts: Xero's uniqueness rules, archive/restore, listing filters and paging."""

from __future__ import annotations

from tests.sandbox.test_xero_support import *  # noqa: F403 - shared fixtures
from tests.sandbox.test_xero_support import API

DUPLICATE = ("The contact name {} is already assigned to another contact. The contact name must be unique "
             "across all active contacts.")


def errors_of(element) -> list[str]:
    return [e["Message"] for e in element.get("ValidationErrors", [])]


def test_duplicate_name_is_refused_case_insensitively(xero, xstate):
    existing = xstate.xero.contacts[xstate.xero.seed_info["near_duplicates"][0]["contact_id"]]["Name"]
    response = xero.post(f"{API}/Contacts", params={"summarizeErrors": "false"},
                         json={"Contacts": [{"Name": existing.upper()}, {"Name": "Fresh Start Ltd"},
                                            {"Name": "fresh start ltd "}]})
    dup, fresh, dup_in_batch = response.json()["Contacts"]
    assert errors_of(dup) == [DUPLICATE.format(existing.upper())]
    assert dup["HasValidationErrors"] is True and dup["StatusAttributeString"] == "ERROR"
    assert fresh["StatusAttributeString"] == "OK"
    assert errors_of(dup_in_batch) == [DUPLICATE.format("fresh start ltd")]


def test_summarized_duplicate_is_a_400(xero, xstate):
    existing = xstate.xero.contacts[xstate.xero.seed_info["near_duplicates"][0]["contact_id"]]["Name"]
    response = xero.put(f"{API}/Contacts", json={"Contacts": [{"Name": existing}]})
    assert response.status_code == 400
    assert errors_of(response.json()["Elements"][0]) == [DUPLICATE.format(existing)]


def test_archived_name_is_free_until_restored(xero, xstate):
    twin = xstate.xero.seed_info["archived_twin"]
    created = xero.put(f"{API}/Contacts", json={"Contacts": [{"Name": twin["name"]}]})
    assert created.status_code == 200
    restore = xero.post(f"{API}/Contacts/{twin['contact_id']}", json={"Contacts": [{"ContactStatus": "ACTIVE"}]})
    assert restore.status_code == 400
    assert errors_of(restore.json()["Elements"][0]) == [DUPLICATE.format(twin["name"])]


def test_contact_number_and_account_number_are_unique(xero):
    first = xero.put(f"{API}/Contacts", json={"Contacts": [{"Name": "One", "ContactNumber": "HV-1",
                                                             "AccountNumber": "A-1"}]})
    assert first.status_code == 200
    second = xero.put(f"{API}/Contacts", params={"summarizeErrors": "false"},
                      json={"Contacts": [{"Name": "Two", "ContactNumber": "hv-1", "AccountNumber": "a-1"}]})
    assert errors_of(second.json()["Contacts"][0]) == [
        "Another contact has this contact number. Please enter a different contact number.",
        "The Account Number already exists. Please enter a different Account Number.",
    ]


def test_post_updates_by_contact_number_and_by_id(xero):
    created = xero.put(f"{API}/Contacts", json={"Contacts": [{"Name": "Updatable", "ContactNumber": "HV-9"}]})
    contact_id = created.json()["Contacts"][0]["ContactID"]
    by_number = xero.post(f"{API}/Contacts", json={"Contacts": [{"ContactNumber": "HV-9",
                                                                  "EmailAddress": "ap@updatable.example.com"}]})
    assert by_number.json()["Contacts"][0]["ContactID"] == contact_id
    by_id = xero.post(f"{API}/Contacts/{contact_id}", json={"Contacts": [{"FirstName": "Ada"}]}).json()["Contacts"][0]
    assert (by_id["Name"], by_id["EmailAddress"], by_id["FirstName"]) == (
        "Updatable", "ap@updatable.example.com", "Ada")


def test_is_customer_cannot_be_set_and_bad_email_refused(xero):
    response = xero.put(f"{API}/Contacts", params={"summarizeErrors": "false"},
                        json={"Contacts": [{"Name": "Flag Setter", "IsCustomer": True},
                                           {"Name": "Bad Mail", "EmailAddress": "not an email"}]})
    ok, bad = response.json()["Contacts"]
    assert ok["IsCustomer"] is False
    assert errors_of(bad) == ["Email address must be valid."]


def test_listing_hides_archived_unless_asked(xero, xstate):
    twin = xstate.xero.seed_info["archived_twin"]["contact_id"]
    ids = {c["ContactID"] for c in xero.get(f"{API}/Contacts").json()["Contacts"]}
    assert twin not in ids
    ids = {c["ContactID"] for c in xero.get(f"{API}/Contacts", params={"includeArchived": "true"}).json()["Contacts"]}
    assert twin in ids
    by_ids = xero.get(f"{API}/Contacts", params={"IDs": twin}).json()["Contacts"]
    assert [c["ContactStatus"] for c in by_ids] == ["ARCHIVED"]


def test_paging_search_and_modified_since(xero, xclock):
    xero.put(f"{API}/Contacts", json={"Contacts": [{"Name": f"Paged {i:02d}"} for i in range(30)]})
    page = xero.get(f"{API}/Contacts", params={"page": 3, "pageSize": 10, "order": "Name"}).json()
    assert page["pagination"]["itemCount"] >= 30
    assert len(page["Contacts"]) == 10
    found = xero.get(f"{API}/Contacts", params={"searchTerm": "paged 1"}).json()["Contacts"]
    assert sorted(c["Name"] for c in found) == [f"Paged {i}" for i in range(10, 20)]
    xclock.advance(120)
    mark = xclock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    xclock.advance(1)
    xero.post(f"{API}/Contacts", json={"Contacts": [{"ContactID": found[0]["ContactID"], "LastName": "Changed"}]})
    changed = xero.get(f"{API}/Contacts", headers={"If-Modified-Since": mark}).json()["Contacts"]
    assert [c["ContactID"] for c in changed] == [found[0]["ContactID"]]
