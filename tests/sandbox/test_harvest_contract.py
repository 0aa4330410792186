"""Walk every Harvest endpoint the sandbox serves; the composite validates each request and each
response against ../shared/specs/harvest/harvest-openapi.yaml (a violation raises). Routes never
exercised fail the test, so a new route cannot escape the contract."""

from urllib.parse import urlsplit

import pytest

from .conftest import HARVEST


@pytest.fixture
def walk(app, harvest):
    hit: set[str] = set()
    router = app.harvest.router

    def call(method: str, path: str, *, status: int, **kwargs):
        response = harvest.request(method, path, **kwargs)
        assert response.status_code == status, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        endpoint = router.endpoint_for(method=method, path=urlsplit(path).path)
        if endpoint:
            hit.add(endpoint)
        return (
            response.json()
            if response.content and "json" in response.headers.get("content-type", "")
            else None
        )

    return call, hit


def test_every_harvest_endpoint_honours_the_contract(app, walk, seeded_state):
    call, hit = walk
    admin_id = seeded_state.harvest.identity_user_id

    call("GET", f"{HARVEST}/company", status=200)
    call("PATCH", f"{HARVEST}/company", status=200, json={"wants_timestamp_timers": False})

    call("GET", f"{HARVEST}/users", status=200)
    call("GET", f"{HARVEST}/users/me", status=200)
    user = call(
        "POST",
        f"{HARVEST}/users",
        status=201,
        json={
            "first_name": "Casey",
            "last_name": "Lee",
            "email": "casey@example.com",
            "cost_rate": 55.5,
        },
    )
    call("GET", f"{HARVEST}/users/{user['id']}", status=200)
    call("PATCH", f"{HARVEST}/users/{user['id']}", status=200, json={"telephone": "555-0100"})
    call("DELETE", f"{HARVEST}/users/{user['id']}", status=200)

    call("GET", f"{HARVEST}/clients?is_active=true&per_page=10", status=200)
    client = call(
        "POST",
        f"{HARVEST}/clients",
        status=201,
        json={"name": "Contract Walk Ltd", "currency": "GBP"},
    )
    call("GET", f"{HARVEST}/clients/{client['id']}", status=200)
    call(
        "PATCH", f"{HARVEST}/clients/{client['id']}", status=200, json={"address": "1 Spec Street"}
    )

    call("GET", f"{HARVEST}/contacts?client_id={client['id']}", status=200)
    contact = call(
        "POST",
        f"{HARVEST}/contacts",
        status=201,
        json={"client_id": client["id"], "first_name": "Pat", "email": "pat@example.com"},
    )
    call("GET", f"{HARVEST}/contacts/{contact['id']}", status=200)
    call("PATCH", f"{HARVEST}/contacts/{contact['id']}", status=200, json={"title": "CFO"})
    call("DELETE", f"{HARVEST}/contacts/{contact['id']}", status=200)

    call("GET", f"{HARVEST}/tasks", status=200)
    task = call(
        "POST",
        f"{HARVEST}/tasks",
        status=201,
        json={"name": "Contract Testing", "default_hourly_rate": 120},
    )
    call("GET", f"{HARVEST}/tasks/{task['id']}", status=200)
    call("PATCH", f"{HARVEST}/tasks/{task['id']}", status=200, json={"billable_by_default": True})

    call("GET", f"{HARVEST}/projects?client_id={client['id']}", status=200)
    project = call(
        "POST",
        f"{HARVEST}/projects",
        status=201,
        json={
            "client_id": client["id"],
            "name": "Spec Project",
            "is_billable": True,
            "bill_by": "Project",
            "hourly_rate": 150,
            "budget_by": "project",
            "budget": 100,
        },
    )
    call("GET", f"{HARVEST}/projects/{project['id']}", status=200)
    call("PATCH", f"{HARVEST}/projects/{project['id']}", status=200, json={"code": "SPEC-1"})

    base = f"{HARVEST}/projects/{project['id']}"
    call("GET", f"{base}/task_assignments", status=200)
    ta = call(
        "POST",
        f"{base}/task_assignments",
        status=201,
        json={"task_id": task["id"], "hourly_rate": 130},
    )
    call("GET", f"{base}/task_assignments/{ta['id']}", status=200)
    call("PATCH", f"{base}/task_assignments/{ta['id']}", status=200, json={"budget": 50})
    call("GET", f"{base}/user_assignments", status=200)
    ua = call("POST", f"{base}/user_assignments", status=201, json={"user_id": admin_id})
    call("GET", f"{base}/user_assignments/{ua['id']}", status=200)
    call(
        "PATCH",
        f"{base}/user_assignments/{ua['id']}",
        status=200,
        json={"is_project_manager": True},
    )
    call("GET", f"{HARVEST}/task_assignments?per_page=100", status=200)
    call("GET", f"{HARVEST}/user_assignments?per_page=100", status=200)

    call("GET", f"{HARVEST}/time_entries?project_id={project['id']}", status=200)
    entry = call(
        "POST",
        f"{HARVEST}/time_entries",
        status=201,
        json={
            "project_id": project["id"],
            "task_id": task["id"],
            "spent_date": "2026-01-14",
            "hours": 1.5,
            "notes": "Walk",
        },
    )
    call("GET", f"{HARVEST}/time_entries/{entry['id']}", status=200)
    call("PATCH", f"{HARVEST}/time_entries/{entry['id']}", status=200, json={"hours": 2})
    call("DELETE", f"{HARVEST}/time_entries/{entry['id']}", status=200)

    call("GET", f"{HARVEST}/expense_categories", status=200)
    category = call(
        "POST",
        f"{HARVEST}/expense_categories",
        status=201,
        json={"name": "Parking", "unit_name": "day", "unit_price": 12.5},
    )
    call("GET", f"{HARVEST}/expense_categories/{category['id']}", status=200)
    call(
        "PATCH",
        f"{HARVEST}/expense_categories/{category['id']}",
        status=200,
        json={"unit_price": 15},
    )

    call("GET", f"{HARVEST}/expenses?per_page=50", status=200)
    expense = call(
        "POST",
        f"{HARVEST}/expenses",
        status=201,
        json={
            "project_id": project["id"],
            "expense_category_id": category["id"],
            "spent_date": "2026-01-13",
            "units": 2,
        },
    )
    assert expense["total_cost"] == 30
    call("GET", f"{HARVEST}/expenses/{expense['id']}", status=200)
    call("PATCH", f"{HARVEST}/expenses/{expense['id']}", status=200, json={"notes": "Two days"})
    call("DELETE", f"{HARVEST}/expenses/{expense['id']}", status=200)
    receipt_owner = next(iter(seeded_state.harvest.receipts))
    receipt = call("GET", f"{HARVEST}/expenses/{receipt_owner}", status=200)["receipt"]
    # The receipt URL redirects (authenticated) to a short-lived signed file URL.
    call("GET", urlsplit(receipt["url"]).path, status=302)

    call("GET", f"{HARVEST}/invoice_item_categories", status=200)
    item_category = call(
        "POST", f"{HARVEST}/invoice_item_categories", status=201, json={"name": "Hosting"}
    )
    call("GET", f"{HARVEST}/invoice_item_categories/{item_category['id']}", status=200)
    call(
        "PATCH",
        f"{HARVEST}/invoice_item_categories/{item_category['id']}",
        status=200,
        json={"name": "Hosting fees"},
    )

    call("GET", f"{HARVEST}/invoices?state=open&per_page=20", status=200)
    invoice = call(
        "POST",
        f"{HARVEST}/invoices",
        status=201,
        json={
            "client_id": client["id"],
            "subject": "Spec",
            "tax": 20,
            "payment_term": "net 30",
            "line_items": [
                {
                    "project_id": project["id"],
                    "kind": "Hosting fees",
                    "description": "Hosting",
                    "quantity": 1,
                    "unit_price": 250,
                    "taxed": True,
                }
            ],
        },
    )
    inv = f"{HARVEST}/invoices/{invoice['id']}"
    call("GET", inv, status=200)
    call(
        "PATCH",
        inv,
        status=200,
        json={
            "purchase_order": "PO-1",
            "line_items": [{"id": invoice["line_items"][0]["id"], "quantity": 2}],
        },
    )
    call("GET", f"{inv}/messages/new", status=200)
    message = call(
        "POST",
        f"{inv}/messages",
        status=201,
        json={
            "recipients": [{"name": "Pat", "email": "pat@example.com"}],
            "subject": "Your invoice",
            "body": "Attached",
            "attach_pdf": True,
        },
    )
    call("GET", f"{inv}/messages", status=200)
    call("DELETE", f"{inv}/messages/{message['id']}", status=200)
    payment = call(
        "POST",
        f"{inv}/payments",
        status=201,
        json={"amount": 100, "paid_date": "2026-01-14", "notes": "Part"},
    )
    call("GET", f"{inv}/payments", status=200)
    call("DELETE", f"{inv}/payments/{payment['id']}", status=200)
    call("DELETE", inv, status=200)

    call("DELETE", f"{HARVEST}/invoice_item_categories/{item_category['id']}", status=200)
    call("DELETE", f"{HARVEST}/expense_categories/{category['id']}", status=200)
    call("DELETE", f"{base}/task_assignments/{ta['id']}", status=200)
    call("DELETE", f"{base}/user_assignments/{ua['id']}", status=200)
    call("DELETE", f"{HARVEST}/projects/{project['id']}", status=200)
    call("DELETE", f"{HARVEST}/tasks/{task['id']}", status=200)
    call("DELETE", f"{HARVEST}/clients/{client['id']}", status=200)

    # Error answers validate too (Harvest's 404 and 422 bodies).
    call("GET", f"{HARVEST}/clients/1", status=404)
    taken = call("POST", f"{HARVEST}/clients", status=422, json={"name": "Acme Corporation"})
    assert taken == {"message": "Name has already been taken"}

    declared = app.harvest.router.declared
    never = sorted(f"{'/'.join(m)} {p}" for e, (m, p) in declared.items() if e not in hit)
    assert never == []
    assert app.validator.violations == []
    assert len(app.validator.checked) >= len(declared)
