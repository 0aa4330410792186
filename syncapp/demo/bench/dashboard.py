"""`manage.py bench dashboard --projects 1000 --months 24`: the profitability dashboard's speed.

Plants N projects x M months of ProjectMonth rows (bulk_create; 10 projects a client, some
at a loss, two currencies) for a throwaway integration, then times the real admin page through
the Django test client, logged in as a throwaway Finance user, with the filters finance uses:
none, the integration, a client, a project, a period, a currency, the grouped tables and a
later page of the table. Each page is asked `--rounds` times after one warm-up; the CSV of the
whole table is timed apart (a download, not a page). Target: every page under 300 ms (p95).

Nothing is left behind: the integration (and its rows) and the user are deleted (the Finance
group it joined is the install's own and stays).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import uuid
from datetime import date
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from syncapp.demo.bench.idle import _allowed_host

HELP = "Profitability dashboard: page times (p50/p95) and queries over N projects x M months"
TARGET_MS = 300.0


def add_arguments(parser) -> None:
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=5, help="times each page is asked")
    parser.add_argument("--seed", type=int, default=0)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _month(index: int) -> date:
    """The `index`-th month back from last month."""
    today = timezone.now().date().replace(day=1)
    total = today.year * 12 + today.month - 1 - 1 - index
    return date(total // 12, total % 12 + 1, 1)


def dashboard_plant(*, integration, projects: int, months: int, seed: int) -> int:
    from syncapp.models import ProjectMonth

    chance = random.Random(seed)
    rows = []
    for p in range(projects):
        client = p // 10
        rate = Decimal(chance.choice((60, 75, 90, 110)))
        markup = Decimal(chance.choice(("0.7", "1.2", "1.5", "1.9")))  # 0.7: a project at a loss
        for m in range(months):
            hours = Decimal(chance.randint(0, 160))
            time_cost = hours * rate
            expenses = Decimal(chance.randint(0, 400))
            rows.append(
                ProjectMonth(
                    integration=integration,
                    harvest_project_id=str(900000 + p),
                    project_name=f"Project {p:04d}",
                    harvest_client_id=str(70000 + client),
                    client_name=f"Client {client:03d}",
                    month=_month(m),
                    currency="EUR" if client % 9 == 0 else "USD",
                    hours=hours,
                    time_cost=time_cost,
                    expense_cost=expenses,
                    revenue=((time_cost + expenses) * markup).quantize(Decimal("0.01")),
                )
            )
    ProjectMonth.objects.bulk_create(rows, batch_size=2000)
    _budgets_plant(integration=integration, projects=projects, chance=chance)
    return len(rows)


def _budgets_plant(*, integration, projects: int, chance: random.Random) -> None:
    """Every project with a budget use, as the budgets run keeps it (the burn chart's rows)."""
    from syncapp.models import ProjectBudget

    budgets = []
    for p in range(projects):
        budget = Decimal(chance.randrange(200, 2000, 50))
        used = (budget * Decimal(chance.randint(5, 130)) / 100).quantize(Decimal("0.01"))
        budgets.append(
            ProjectBudget(
                integration=integration,
                harvest_project_id=str(900000 + p),
                project_name=f"Project {p:04d}",
                client_name=f"Client {p // 10:03d}",
                budget_kind="Hours (project budget), total",
                unit="hours",
                budget=budget,
                used=used,
                percent=(used * 100 / budget).quantize(Decimal("0.1")),
            )
        )
    ProjectBudget.objects.bulk_create(budgets, batch_size=2000)


def _pages(integration_id: int, months: int) -> dict[str, dict]:
    middle = _month(months // 2)
    return {
        "all": {},
        "integration": {"integration": integration_id},
        "client": {"integration": integration_id, "client": "70003"},
        "project": {"integration": integration_id, "project": "900042"},
        "period": {
            "integration": integration_id,
            "from": f"{_month(min(months, 6) - 1):%Y-%m}",
            "to": f"{_month(0):%Y-%m}",
        },
        "currency": {"integration": integration_id, "currency": "EUR"},
        "by project": {"integration": integration_id, "group": "project"},
        "by client": {"integration": integration_id, "group": "client", "to": f"{middle:%Y-%m}"},
        "page 40": {"integration": integration_id, "p": 40},
    }


def _time(client: Client, url: str, params: dict) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url, params)
        elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} {params} answered {response.status_code}")
    return elapsed, len(queries.captured_queries)


def run(*, projects: int, months: int, rounds: int, seed: int, **options) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    from syncapp.models import Integration
    from syncapp.roles import finance_group_sync

    tag = uuid.uuid4().hex[:8]
    integration = Integration.objects.create(name=f"bench dashboard {tag}")
    user = get_user_model().objects.create_user(username=f"bench-finance-{tag}", is_staff=True)
    group = finance_group_sync(group_model=Group, permission_model=Permission)
    user.groups.add(group)
    try:
        started = time.perf_counter()
        rows = dashboard_plant(integration=integration, projects=projects, months=months, seed=seed)
        _log(f"planted {rows} project months in {time.perf_counter() - started:.1f} s")
        client = Client(HTTP_HOST=_allowed_host())
        client.force_login(user)
        url = reverse("admin:syncapp_projectmonth_dashboard")
        pages = _pages(integration.pk, months)
        times: list[float] = []
        worst: dict[str, float] = {}
        queries = 0
        for name, params in pages.items():
            _time(client, url, params)  # warm-up: templates and plotly are loaded once
            spent = []
            for _ in range(rounds):
                elapsed, counted = _time(client, url, params)
                spent.append(elapsed)
                queries = max(queries, counted)
            times.extend(spent)
            worst[name] = round(max(spent), 1)
            _log(f"{name:12} p50 {statistics.median(spent):7.1f} ms, worst {max(spent):7.1f} ms")
        csv_started = time.perf_counter()
        export = client.get(reverse("admin:syncapp_projectmonth_export"))
        csv_rows = b"".join(export.streaming_content).count(b"\n") - 1
        csv_ms = (time.perf_counter() - csv_started) * 1000
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        return {
            "benchmark": "dashboard",
            "database": connection.vendor,
            "projects": projects,
            "months": months,
            "rows": rows,
            "pages": len(pages),
            "requests": len(times),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(p95, 1),
            "max_ms": round(times[-1], 1),
            "queries": queries,
            "worst_ms_by_page": worst,
            "csv_rows": csv_rows,
            "csv_ms": round(csv_ms, 1),
            "target_ms": TARGET_MS,
            "ok": p95 < TARGET_MS,
        }
    finally:
        integration.delete()
        user.delete()
