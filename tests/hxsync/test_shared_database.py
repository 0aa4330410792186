"""Web process and worker share one database: concurrent writers must not hit 'database is locked'."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from syncapp.models import SyncEvent, SyncRun
from tests.factories import IntegrationFactory
from tests.syncapp.test_worker_process import current_database_url

pytestmark = pytest.mark.django_db(transaction=True)

WRITER = """
from django.db import transaction
from django.db.models import F
from syncapp.models import SyncEvent, SyncRun
for i in range({writes}):
    with transaction.atomic():
        run = SyncRun.objects.get(pk={run_id})
        SyncEvent.objects.create(run=run, kind="invoice", action="create", label=f"w{{i}}")
        SyncRun.objects.filter(pk=run.pk).update(done=F("done") + 1)
print("ok")
"""


def test_concurrent_writer_processes_all_succeed():
    run = SyncRun.objects.create(integration=IntegrationFactory())
    writers, writes = 4, 40
    env = {**os.environ, "DATABASE_URL": current_database_url()}
    code = WRITER.format(writes=writes, run_id=run.pk)
    procs = [
        subprocess.Popen(
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "shell", "-c", code],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(writers)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        assert "database is locked" not in err
    run.refresh_from_db()
    assert run.done == writers * writes
    assert SyncEvent.objects.filter(run=run).count() == writers * writes
