from decimal import Decimal

import pytest

from .conftest import HARVEST


@pytest.fixture
def setup(harvest, seeded_state):
    client = harvest.post(
        f"{HARVEST}/clients", json={"name": "Rates Inc", "currency": "USD"}
    ).json()
    user_id = seeded_state.harvest.identity_user_id
    return client, user_id


def _project(harvest, client, **fields):
    body = {
        "client_id": client["id"],
        "name": "Rates",
        "is_billable": True,
        "bill_by": "Project",
        "budget_by": "none",
        **fields,
    }
    response = harvest.post(f"{HARVEST}/projects", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_new_projects_get_the_default_tasks(harvest, setup, seeded_state):
    client, _ = setup
    project = _project(harvest, client)
    assigned = harvest.get(f"{HARVEST}/projects/{project['id']}/task_assignments").json()[
        "task_assignments"
    ]
    defaults = {t["name"] for t in seeded_state.harvest.tasks.values() if t["is_default"]}
    assert {a["task"]["name"] for a in assigned} == defaults


@pytest.mark.parametrize(
    "bill_by,expected",
    [("Project", 150), ("Tasks", 175), ("People", 220), ("none", None)],
)
def test_time_entry_rate_follows_bill_by(harvest, setup, bill_by, expected):
    client, user_id = setup
    project = _project(harvest, client, bill_by=bill_by, hourly_rate=150)
    task = harvest.post(f"{HARVEST}/tasks", json={"name": f"Rate task {bill_by}"}).json()
    harvest.post(
        f"{HARVEST}/projects/{project['id']}/task_assignments",
        json={"task_id": task["id"], "hourly_rate": 175},
    )
    harvest.post(f"{HARVEST}/projects/{project['id']}/user_assignments", json={"user_id": user_id})
    entry = harvest.post(
        f"{HARVEST}/time_entries",
        json={
            "project_id": project["id"],
            "task_id": task["id"],
            "spent_date": "2026-01-14",
            "hours": 1.25,
        },
    ).json()
    assert entry["billable_rate"] == expected
    assert entry["cost_rate"] == 95  # the administrator's cost rate
    assert entry["hours"] == 1.25 and entry["is_running"] is False


def test_time_entry_needs_assignments(harvest, setup):
    client, user_id = setup
    project = _project(harvest, client)
    task = harvest.post(f"{HARVEST}/tasks", json={"name": "Unassigned task"}).json()
    refused = harvest.post(
        f"{HARVEST}/time_entries",
        json={
            "project_id": project["id"],
            "task_id": task["id"],
            "spent_date": "2026-01-14",
            "hours": 1,
        },
    )
    assert refused.status_code == 422 and "assigned" in refused.json()["message"]


def test_a_timer_starts_when_no_hours_are_given(harvest, setup):
    client, user_id = setup
    project = _project(harvest, client)
    task_id = harvest.get(f"{HARVEST}/projects/{project['id']}/task_assignments").json()[
        "task_assignments"
    ][0]["task"]["id"]
    harvest.post(f"{HARVEST}/projects/{project['id']}/user_assignments", json={"user_id": user_id})
    entry = harvest.post(
        f"{HARVEST}/time_entries",
        json={"project_id": project["id"], "task_id": task_id, "spent_date": "2026-01-15"},
    ).json()
    assert entry["is_running"] is True and entry["timer_started_at"] == "2026-01-15T12:00:00Z"
    running = harvest.get(f"{HARVEST}/time_entries", params={"is_running": "true"}).json()[
        "time_entries"
    ]
    assert [e["id"] for e in running] == [entry["id"]]


def test_deletes_refused_while_records_depend_on_them(harvest, seeded_state):
    hs = seeded_state.harvest
    busy_client = next(iter(hs.clients))
    refused = harvest.delete(f"{HARVEST}/clients/{busy_client}")
    assert refused.status_code == 422 and "not removable" in refused.json()["message"]
    busy_project = next(e["_project_id"] for e in hs.time_entries.values())
    assert harvest.delete(f"{HARVEST}/projects/{busy_project}").status_code == 422
    service = next(c for c in hs.invoice_item_categories.values() if c["use_as_service"])
    assert harvest.delete(f"{HARVEST}/invoice_item_categories/{service['id']}").status_code == 422


def test_renamed_client_shows_everywhere(harvest, seeded_state):
    hs = seeded_state.harvest
    invoice = next(iter(hs.invoices.values()))
    harvest.patch(f"{HARVEST}/clients/{invoice['_client_id']}", json={"name": "Renamed Holdings"})
    assert (
        harvest.get(f"{HARVEST}/invoices/{invoice['id']}").json()["client"]["name"]
        == "Renamed Holdings"
    )
    assert all(isinstance(i["amount"], Decimal) for i in hs.invoices.values())
