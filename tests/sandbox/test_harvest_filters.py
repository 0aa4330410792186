from .conftest import HARVEST


def test_updated_since_returns_only_later_changes(harvest, clock):
    everything = harvest.get(f"{HARVEST}/clients").json()["clients"]
    clock.advance(60)
    mark = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    clock.advance(60)
    target = everything[5]
    harvest.patch(f"{HARVEST}/clients/{target['id']}", json={"address": "1 New Road"})
    changed = harvest.get(f"{HARVEST}/clients", params={"updated_since": mark}).json()
    assert [c["id"] for c in changed["clients"]] == [target["id"]]
    assert changed["clients"][0]["updated_at"] > mark


def test_updated_since_accepts_offsets(harvest, clock):
    clock.advance(5)
    harvest.post(f"{HARVEST}/tasks", json={"name": "Offset Task"})
    later = harvest.get(
        f"{HARVEST}/tasks", params={"updated_since": "2026-01-15T07:00:00-05:00"}
    ).json()
    assert [t["name"] for t in later["tasks"]] == ["Offset Task"]
    bad = harvest.get(f"{HARVEST}/tasks", params={"updated_since": "yesterday"})
    assert bad.status_code == 422


def test_is_active_and_client_filters(harvest, seeded_state):
    active = harvest.get(f"{HARVEST}/clients", params={"is_active": "true"}).json()
    assert active["total_entries"] == 37
    inactive = harvest.get(f"{HARVEST}/clients", params={"is_active": "false"}).json()
    assert {c["is_active"] for c in inactive["clients"]} == {False}
    client_id = next(iter(seeded_state.harvest.clients))
    projects = harvest.get(f"{HARVEST}/projects", params={"client_id": client_id}).json()[
        "projects"
    ]
    assert projects and {p["client"]["id"] for p in projects} == {client_id}
    contacts = harvest.get(f"{HARVEST}/contacts", params={"client_id": client_id}).json()[
        "contacts"
    ]
    assert contacts and {c["client"]["id"] for c in contacts} == {client_id}


def test_invoice_filters(harvest, seeded_state):
    states = harvest.get(f"{HARVEST}/invoices", params={"state": "open"}).json()["invoices"]
    assert states and {i["state"] for i in states} == {"open"}
    ranged = harvest.get(
        f"{HARVEST}/invoices", params={"from": "2025-12-01", "to": "2025-12-31"}
    ).json()
    assert ranged["invoices"]
    assert all("2025-12-01" <= i["issue_date"] <= "2025-12-31" for i in ranged["invoices"])
    project_id = next(iter(seeded_state.harvest.projects))
    by_project = harvest.get(f"{HARVEST}/invoices", params={"project_id": project_id}).json()[
        "invoices"
    ]
    assert by_project
    assert all(
        any((li["project"] or {}).get("id") == project_id for li in i["line_items"])
        for i in by_project
    )


def test_time_and_expense_filters(harvest, seeded_state):
    user_id = list(seeded_state.harvest.users)[4]
    entries = harvest.get(
        f"{HARVEST}/time_entries",
        params={"user_id": user_id, "from": "2026-01-05", "to": "2026-01-09"},
    ).json()["time_entries"]
    assert entries
    assert {e["user"]["id"] for e in entries} == {user_id}
    assert all("2026-01-05" <= e["spent_date"] <= "2026-01-09" for e in entries)
    billed = harvest.get(
        f"{HARVEST}/time_entries", params={"is_billed": "true", "per_page": 50}
    ).json()
    assert billed["time_entries"] and all(
        e["is_billed"] and e["is_locked"] for e in billed["time_entries"]
    )
    expenses = harvest.get(f"{HARVEST}/expenses", params={"is_billed": "false"}).json()["expenses"]
    assert expenses and not any(e["is_billed"] for e in expenses)
