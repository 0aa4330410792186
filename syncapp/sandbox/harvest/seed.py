"""Deterministic Harvest side of the demo agency.

Same `seed` and `today` -> the same records, ids and amounts. Records are built directly (not
through HTTP) so that `--invoices 10000` takes seconds.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from syncapp.sandbox.core.http import iso_z
from syncapp.sandbox.core.store import SandboxState
from syncapp.sandbox.harvest import seed_data as data
from syncapp.sandbox.harvest.common import new_id
from syncapp.sandbox.harvest.money import money
from syncapp.sandbox.harvest.state import HarvestState

MONTHS = 5
SANDBOX_OAUTH_CLIENT_ID = "hxsync-sandbox-harvest"


def _digest(*parts: Any) -> str:
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=20).hexdigest()


def _at(day: date, hour: int = 9, minute: int = 0) -> str:
    return iso_z(datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC))


class _Seeder:
    def __init__(self, state: SandboxState, *, seed: int, today: date) -> None:
        self.state = state
        self.hs: HarvestState = state.harvest
        self.rng = random.Random(seed)
        self.seed = seed
        self.today = today
        self.start = (today.replace(day=1) - timedelta(days=31 * (MONTHS - 1))).replace(day=1)

    def id(self, kind: str) -> int:
        return new_id(self.state, kind)

    # -- account, people, vocabularies -----------------------------------------------------

    def account(self) -> None:
        hs = self.hs
        hs.account_id = data.ACCOUNT_ID
        hs.account_name = data.ACCOUNT_NAME
        hs.company = {
            "base_uri": f"https://{data.SUBDOMAIN}.harvestapp.com",
            "full_domain": f"{data.SUBDOMAIN}.harvestapp.com",
            "name": data.ACCOUNT_NAME,
            "is_active": True,
            "week_start_day": "Monday",
            "wants_timestamp_timers": False,
            "time_format": "decimal",
            "date_format": "%Y-%m-%d",
            "plan_type": "business",
            "clock": "24h",
            "currency_code_display": "iso_code_with_symbol",
            "currency_symbol_display": "symbol_before_amount",
            "decimal_symbol": ".",
            "thousands_separator": ",",
            "color_scheme": "orange",
            "weekly_capacity": 144000,
            "expense_feature": True,
            "invoice_feature": True,
            "estimate_feature": True,
            "approval_feature": True,
            "team_feature": True,
        }
        created = _at(self.start - timedelta(days=400))
        for first, last, roles, access, cost, rate, contractor in data.PEOPLE:
            user_id = self.id("users")
            hs.users[user_id] = {
                "id": user_id,
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}@northwind.example.com",
                "telephone": "",
                "timezone": "Eastern Time (US & Canada)",
                "weekly_capacity": 144000,
                "has_access_to_all_future_projects": access == "administrator",
                "is_contractor": contractor,
                "is_active": True,
                "calendar_integration_enabled": False,
                "calendar_integration_source": None,
                "can_create_projects": access != "member",
                "default_hourly_rate": Decimal(rate),
                "cost_rate": Decimal(cost),
                "roles": roles,
                "access_roles": [access],
                "permissions_claims": [],
                "avatar_url": "https://d3s3969qhosaug.cloudfront.net/v2/user.png",
                "created_at": created,
                "updated_at": created,
            }
        hs.identity_user_id = next(iter(hs.users))
        for name, billable, rate, is_default in data.TASKS:
            task_id = self.id("tasks")
            hs.tasks[task_id] = {
                "id": task_id,
                "name": name,
                "billable_by_default": billable,
                "default_hourly_rate": Decimal(rate) if rate else None,
                "is_default": is_default,
                "is_active": True,
                "created_at": created,
                "updated_at": created,
            }
        for name, unit_name, unit_price in data.EXPENSE_CATEGORIES:
            cat_id = self.id("expense_categories")
            hs.expense_categories[cat_id] = {
                "id": cat_id,
                "name": name,
                "unit_name": unit_name,
                "unit_price": Decimal(unit_price) if unit_price else None,
                "is_active": True,
                "created_at": created,
                "updated_at": created,
            }
        for name, service, expense in data.ITEM_CATEGORIES:
            cat_id = self.id("invoice_item_categories")
            hs.invoice_item_categories[cat_id] = {
                "id": cat_id,
                "name": name,
                "use_as_service": service,
                "use_as_expense": expense,
                "created_at": created,
                "updated_at": created,
            }

    def credentials(self) -> None:
        hs = self.hs
        admin = hs.identity_user_id
        pat = f"{hs.account_id}.pt.{_digest('pat', self.seed)}"
        hs.tokens[pat] = {
            "user_id": admin,
            "kind": "personal",
            "client_id": None,
            "expires_at": None,
        }
        hs.oauth_clients[SANDBOX_OAUTH_CLIENT_ID] = {
            "name": "hxsync (sandbox)",
            "secret": _digest("harvest-oauth-secret", self.seed),
            "redirect_uri": "http://127.0.0.1:8000/oauth/harvest/callback",
        }

    # -- clients, contacts, projects ---------------------------------------------------------

    def clients(self) -> None:
        hs = self.hs
        near: list[dict[str, Any]] = []
        for index, (name, currency, domain, xero_name, xero_email) in enumerate(data.CLIENTS):
            client_id = self.id("clients")
            created = _at(self.start - timedelta(days=200 - index * 3))
            hs.clients[client_id] = {
                "id": client_id,
                "name": name,
                "is_active": index < 37,
                "address": f"{100 + index} Market Street\nSuite {index + 1}",
                "statement_key": _digest("statement", client_id),
                "currency": currency,
                "created_at": created,
                "updated_at": created,
            }
            contacts = 1 + (index % 3 == 0)
            for n in range(contacts):
                first, last = data.CONTACT_NAMES[(index + n * 5) % len(data.CONTACT_NAMES)]
                email = f"accounts@{domain}" if n == 0 else f"{first.lower()}@{domain}"
                contact_id = self.id("contacts")
                hs.contacts[contact_id] = {
                    "id": contact_id,
                    "_client_id": client_id,
                    "title": "Accounts Payable" if n == 0 else "Project Sponsor",
                    "first_name": first,
                    "last_name": last,
                    "email": email,
                    "phone_office": f"+1 555 01{index:02d}",
                    "phone_mobile": "",
                    "fax": "",
                    "created_at": created,
                    "updated_at": created,
                }
            if xero_name:
                near.append(
                    {
                        "client_id": client_id,
                        "name": name,
                        "email": f"accounts@{domain}",
                        "currency": currency,
                        "xero_name": xero_name,
                        "xero_email": xero_email,
                    }
                )
        hs.seed_info["near_duplicates"] = near

    def projects(self) -> None:
        hs = self.hs
        rng = self.rng
        client_ids = list(hs.clients)
        users = list(hs.users.values())
        tasks = list(hs.tasks.values())
        for index in range(80):
            client_id = client_ids[index % len(client_ids)]
            kind, code = data.PROJECT_KINDS[(index // 2 + index) % len(data.PROJECT_KINDS)]
            bill_by = ("Project", "Tasks", "People")[index % 3]
            budget_by = ("project", "project_cost", "task", "person", "none")[index % 5]
            fixed = index % 11 == 7
            created_day = self.start - timedelta(days=60 - (index % 50))
            project_id = self.id("projects")
            hours_budget = Decimal(rng.randrange(80, 800, 20))
            hs.projects[project_id] = {
                "id": project_id,
                "_client_id": client_id,
                "name": kind,
                "code": f"{code}-{index + 1:03d}",
                "is_active": index < 74,
                "is_billable": index % 17 != 16,
                "is_fixed_fee": fixed,
                "bill_by": bill_by,
                "hourly_rate": Decimal(rng.choice(["140.00", "150.00", "165.00", "180.00"])),
                "budget": hours_budget if budget_by in ("project", "task", "person") else None,
                "budget_by": budget_by,
                "budget_is_monthly": index % 9 == 4,
                "notify_when_over_budget": True,
                "over_budget_notification_percentage": Decimal("80.0"),
                "over_budget_notification_date": None,
                "show_budget_to_all": False,
                "cost_budget": money(hours_budget * 70) if budget_by == "project_cost" else None,
                "cost_budget_include_expenses": budget_by == "project_cost",
                "fee": Decimal(rng.randrange(20, 120) * 500) if fixed else None,
                "notes": "",
                "starts_on": created_day.isoformat(),
                "ends_on": None,
                "created_at": _at(created_day),
                "updated_at": _at(created_day),
            }
            stamp = _at(created_day)
            for task in rng.sample(tasks, 5):
                ta_id = self.id("task_assignments")
                hs.task_assignments[ta_id] = {
                    "id": ta_id,
                    "_project_id": project_id,
                    "_task_id": task["id"],
                    "billable": task["billable_by_default"],
                    "is_active": True,
                    "hourly_rate": task["default_hourly_rate"],
                    "budget": None,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            team = [users[1 + index % 2], *rng.sample(users[3:], 3)]
            for position, user in enumerate(team):
                ua_id = self.id("user_assignments")
                hs.user_assignments[ua_id] = {
                    "id": ua_id,
                    "_project_id": project_id,
                    "_user_id": user["id"],
                    "is_active": True,
                    "is_project_manager": position == 0,
                    "use_default_rates": True,
                    "hourly_rate": user["default_hourly_rate"],
                    "budget": None,
                    "created_at": stamp,
                    "updated_at": stamp,
                }


def seed_harvest(
    state: SandboxState, *, seed: int = 0, invoices: int | None = None, today: date | None = None
) -> HarvestState:
    """Fill `state.harvest` (replacing it) with the demo agency. `today` defaults to the UTC date."""
    from syncapp.sandbox.harvest.seed_activity import seed_expenses, seed_time_entries
    from syncapp.sandbox.harvest.seed_cost_cases import seed_cost_cases
    from syncapp.sandbox.harvest.seed_expense_cases import seed_expense_cases
    from syncapp.sandbox.harvest.seed_invoices import seed_invoices

    state.harvest = HarvestState()
    for key in [k for k in state.counters if k.startswith("harvest:")]:
        del state.counters[key]
    seeder = _Seeder(state, seed=seed, today=today or datetime.now(tz=UTC).date())
    seeder.account()
    seeder.credentials()
    seeder.clients()
    seeder.projects()
    seed_time_entries(seeder)
    seed_expenses(seeder)
    seed_invoices(seeder, count=invoices)
    seed_expense_cases(seeder)
    seed_cost_cases(seeder)
    return state.harvest
