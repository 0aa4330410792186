"""Invoices that waited for their client go once the client is released, also when the run that
released them died half-way, or when they were refused while the contact was not ready."""

from __future__ import annotations

import pytest

from syncapp.models import Conflict, SyncKind, SyncLink, SyncRun
from syncapp.providers.harvest.client import HarvestClient
from syncapp.services.conflicts import conflict_link
from syncapp.services.runs import sync_run_execute
from tests.flows.conftest import flow_run

pytestmark = pytest.mark.django_db


class WorkerDied(BaseException):
    """Stands for the worker vanishing between two statements (BaseException: nothing in the
    engine catches it, as nothing catches a SIGKILL)."""


def waiting_invoices(integration, client_id: str) -> list[SyncLink]:
    return [
        link
        for link in SyncLink.objects.filter(integration=integration, kind=SyncKind.INVOICE)
        if str(((link.snapshot or {}).get("harvest") or {}).get("client", {}).get("id"))
        == client_id
    ]


def in_xero(sandbox, links: list[SyncLink]) -> set[str]:
    numbers = {str(i.get("InvoiceNumber")) for i in sandbox.state.xero.invoices.values()}
    return {link.label for link in links if link.label in numbers}


@pytest.fixture
def acme_waiting(sandbox, sandbox_integration):
    """The first run: clients wait in contact review, their open invoices wait for them; the
    one with the most such invoices (and an active lookalike to link to)."""
    flow_run(sandbox_integration, "all", sandbox=sandbox)

    def open_waiting(conflict):
        return [
            link
            for link in waiting_invoices(sandbox_integration, conflict.harvest_id)
            if link.snapshot["harvest"]["state"] == "open"
        ]

    conflict = max(
        Conflict.objects.filter(status=Conflict.Status.OPEN, kind=SyncKind.CLIENT),
        key=lambda c: len(open_waiting(c)),
    )
    held = open_waiting(conflict)
    assert held and {link.state for link in held} == {SyncLink.State.HELD}
    SyncRun.objects.filter(status=SyncRun.Status.QUEUED).delete()
    return conflict, held


def scoped_run(integration, client_id: str, sandbox) -> SyncRun:
    run = SyncRun.objects.create(
        integration=integration,
        flow=SyncRun.Flow.ALL,
        trigger=SyncRun.Trigger.RESYNC,
        scope={"harvest_client_ids": [client_id]},
    )
    return sync_run_execute(run_id=run.pk, transport=sandbox.transport)


def test_a_release_run_that_died_after_clearing_the_rows_is_finished_by_the_next(
    sandbox, sandbox_integration, acme_waiting, monkeypatch
):
    conflict, held = acme_waiting
    conflict_link(conflict=conflict, xero_contact_id=conflict.candidates[0]["contact_id"])
    released = SyncRun.objects.get(status=SyncRun.Status.QUEUED)

    def die(self, *, invoice_id):
        raise WorkerDied

    with monkeypatch.context() as patch:
        patch.setattr(HarvestClient, "get_invoice", die)
        with pytest.raises(WorkerDied):
            sync_run_execute(run_id=released.pk, transport=sandbox.transport)

    # What the engine asks for again after an abandoned scoped run: the same scope.
    again = scoped_run(sandbox_integration, conflict.harvest_id, sandbox)
    assert again.status == SyncRun.Status.SUCCEEDED, again.error
    links = list(SyncLink.objects.filter(pk__in=[h.pk for h in held]))
    assert {link.state for link in links} == {SyncLink.State.SYNCED}, [
        link.last_error for link in links
    ]
    assert in_xero(sandbox, links) == {link.label for link in held}


def test_invoices_refused_before_their_contact_was_ready_go_with_the_release(
    sandbox, sandbox_integration, acme_waiting
):
    conflict, held = acme_waiting
    # As when an invoices poll sent them to a contact Xero still had archived: refused, with
    # the refused version's hash, so an ordinary run would not send them again unchanged.
    for link in held:
        link.state = SyncLink.State.FAILED
        link.last_error = "The contact is archived."
        link.snapshot = {**link.snapshot, "failed_hash": "refused-version"}
        link.save()
    conflict_link(conflict=conflict, xero_contact_id=conflict.candidates[0]["contact_id"])

    run = scoped_run(sandbox_integration, conflict.harvest_id, sandbox)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    links = list(SyncLink.objects.filter(pk__in=[h.pk for h in held]))
    assert {link.state for link in links} == {SyncLink.State.SYNCED}, [
        link.last_error for link in links
    ]
    assert in_xero(sandbox, links) == {link.label for link in held}
