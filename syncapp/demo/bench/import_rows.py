"""`manage.py bench import --rows 10000`: the admin's account-mapping import, preview and confirm.

Drives the real admin views (the Django test client, logged in as a throwaway superuser) with
a CSV of N new account mappings, then with the same N rows all changed (updates). Meanwhile a
second process writes one small transaction every 20 ms, as the webhook receiver would, and
reports its worst wait: on SQLite a preview or confirm that holds the write lock shows up here.
Targets: preview and confirm each < 10 s, no writer waiting more than 1 s.

Nothing is left behind: the integration (its mappings and cache), the writer's rows and the
user (and the admin log entries it made) are deleted at the end.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

NAME = "import"
HELP = "Account-mapping import of N rows through the admin: preview, confirm, writer waits."
TARGET_SECONDS = 10.0
TARGET_WRITER_WAIT_MS = 1000.0


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the imported file")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Runs in its own process (as the webhook receiver would, in another web worker), so that its
# waits are the database's, not this process's GIL.
_WRITER_CODE = """
import json, os, sys, time, uuid
from django.db import transaction
from syncapp.models import WebhookEvent
integration_id, tag, stop = os.environ["HX_BENCH_WRITER"].split("|")
worst, writes, failures = 0.0, 0, 0
while not os.path.exists(stop):
    started = time.perf_counter()
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(
                integration_id=integration_id, dedupe_key=uuid.uuid4().hex, tenant_id=tag,
                event_category="INVOICE", event_type="UPDATE", resource_id=uuid.uuid4().hex,
            )
        writes += 1
    except Exception as error:
        failures += 1
        print(f"writer: {error}", file=sys.stderr)
    waited = (time.perf_counter() - started) * 1000
    worst = max(worst, waited)
    time.sleep(0.02)
print(json.dumps({"worst_ms": worst, "writes": writes, "failures": failures}))
"""


class _Writer:
    """Small write transactions, like webhook deliveries, timed from BEGIN to COMMIT."""

    def __init__(self, integration_id: int, tag: str):
        self.stop_path = Path(tempfile.gettempdir()) / f"{tag}.stop"
        manage = Path(settings.BASE_DIR) / "manage.py"
        self.proc = subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
            [sys.executable, str(manage), "shell", "-c", _WRITER_CODE],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "HX_BENCH_WRITER": f"{integration_id}|{tag}|{self.stop_path}"},
        )
        self.worst_ms, self.writes, self.failures = 0.0, 0, 0

    def wait_started(self, *, tag: str, timeout: float = 30.0) -> None:
        from syncapp.models import WebhookEvent

        deadline = time.perf_counter() + timeout
        while not WebhookEvent.objects.filter(tenant_id=tag).exists():
            if time.perf_counter() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the writer process did not start")
            time.sleep(0.05)

    def finish(self) -> None:
        self.stop_path.touch()
        try:
            out, _ = self.proc.communicate(timeout=60)
        finally:
            self.stop_path.unlink(missing_ok=True)
        figures = json.loads(out.strip().splitlines()[-1])
        self.worst_ms, self.writes = figures["worst_ms"], figures["writes"]
        self.failures = figures["failures"]


def _csv(integration_name: str, rows: int, code_offset: int) -> bytes:
    lines = ["integration,scope,harvest_task_id,account_code,description"]
    for index in range(rows):
        code = 200 + (index + code_offset) % 100
        lines.append(f"{integration_name},task,{100000 + index},{code},Task {index}")
    return ("\n".join(lines) + "\n").encode()


def _confirm_fields(html: str) -> dict:
    fields = {}
    for name in ("import_file_name", "original_file_name", "format", "resource"):
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', html
        )
        fields[name] = match.group(1) if match else ""
    return fields


def _timed_post(client, url, data) -> tuple[object, float, int]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.post(url, data)
        seconds = time.perf_counter() - started
    return response, seconds, len(queries)


def _import(client, *, content: bytes, label: str) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    preview, preview_s, preview_q = _timed_post(
        client,
        reverse("admin:mappings_accountmapping_import"),
        {"import_file": SimpleUploadedFile("bench.csv", content), "format": "0", "resource": "0"},
    )
    html = preview.content.decode()
    if preview.status_code != 200 or 'name="import_file_name"' not in html:
        raise RuntimeError(f"{label}: the preview offered no confirmation ({preview.status_code})")
    _log(f"{label}: preview {preview_s:.2f} s, {preview_q} queries, {len(html):,} bytes")
    done, confirm_s, confirm_q = _timed_post(
        client, reverse("admin:mappings_accountmapping_process_import"), _confirm_fields(html)
    )
    if done.status_code != 302:
        raise RuntimeError(f"{label}: the confirmation failed ({done.status_code})")
    _log(f"{label}: confirm {confirm_s:.2f} s, {confirm_q} queries")
    return {
        "preview_seconds": round(preview_s, 3),
        "confirm_seconds": round(confirm_s, 3),
        "preview_queries": preview_q,
        "confirm_queries": confirm_q,
        "preview_page_bytes": len(html),
    }


def run(*, rows: int = 10_000, **_) -> dict:
    from django.contrib.auth import get_user_model

    from mappings.models import AccountMapping
    from syncapp.models import Integration, WebhookEvent, XeroOrgCache

    tag = f"bench-import-{uuid.uuid4().hex[:8]}"
    integration = Integration.objects.create(name=tag, default_account_code="200")
    XeroOrgCache.objects.create(
        integration=integration,
        organisation={"Name": tag},
        accounts=[{"Code": str(code), "Status": "ACTIVE"} for code in range(200, 300)],
        fetched_at=timezone.now(),
    )
    user = get_user_model().objects.create_superuser(username=tag, email="", password=None)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    writer = _Writer(integration.pk, tag)
    figures: dict = {"rows": rows, "database": connection.vendor}
    try:
        writer.wait_started(tag=tag)
        created = _import(client, content=_csv(tag, rows, 0), label="new rows")
        saved = AccountMapping.objects.filter(integration=integration).count()
        if saved != rows:
            raise RuntimeError(f"{saved} rows saved instead of {rows}")
        updated = _import(client, content=_csv(tag, rows, 1), label="changed rows")
    finally:
        writer.finish()
        WebhookEvent.objects.filter(tenant_id=tag).delete()
        integration.delete()
        user.delete()
    figures.update(
        preview_seconds=created["preview_seconds"],
        confirm_seconds=created["confirm_seconds"],
        queries=created["preview_queries"] + created["confirm_queries"],
        max_writer_wait_ms=round(writer.worst_ms, 1),
        writer_writes=writer.writes,
        writer_failures=writer.failures,
        new_rows=created,
        changed_rows=updated,
    )
    slowest = max(
        created["preview_seconds"],
        created["confirm_seconds"],
        updated["preview_seconds"],
        updated["confirm_seconds"],
    )
    figures["target_met"] = (
        slowest < TARGET_SECONDS
        and writer.worst_ms < TARGET_WRITER_WAIT_MS
        and writer.failures == 0
    )
    return figures
