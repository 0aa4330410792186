"""The contacts flow end to end against the seeded in-process sandbox."""

from __future__ import annotations

import pytest

from syncapp.models import Conflict, SyncLink, SyncRun
from tests.flows.conftest import flow_run

pytestmark = pytest.mark.django_db


def counters(run: SyncRun) -> dict:
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    return run.counters["contacts"]


def test_first_sync_smoke(sandbox, sandbox_integration):
    run = flow_run(sandbox_integration, "contacts", sandbox=sandbox)
    print(counters(run))
    for c in Conflict.objects.all():
        print(c.reason, c.label, c.detail)
    run2 = flow_run(sandbox_integration, "contacts", sandbox=sandbox)
    print(counters(run2))
