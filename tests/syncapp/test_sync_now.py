import pytest
from django.urls import reverse
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from syncapp.models import Connection, SyncRun
from syncapp.services.runs import sync_run_execute
from tests.factories import ConnectionFactory, IntegrationFactory, UserFactory

pytestmark = pytest.mark.django_db


def connected_integration():
    integration = IntegrationFactory(name="Northwind Studio")
    ConnectionFactory(integration=integration, provider=Connection.Provider.HARVEST)
    ConnectionFactory(integration=integration, provider=Connection.Provider.XERO)
    return integration


def sync_now(client, integration):
    return client.post(
        reverse("admin:syncapp_integration_changelist"),
        {"action": "sync_now", "_selected_action": [integration.pk]},
        follow=True,
    )


def queued_tasks():
    return [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]


def test_sync_now_queues_one_task_after_commit(client, django_capture_on_commit_callbacks):
    integration = connected_integration()
    client.force_login(UserFactory(username="fiona", finance=True))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = sync_now(client, integration)
    assert response.status_code == 200
    run = SyncRun.objects.get(integration=integration)
    assert run.status == SyncRun.Status.QUEUED
    assert run.trigger == SyncRun.Trigger.MANUAL
    assert run.requested_by.username == "fiona"
    assert len(callbacks) == 1
    tasks = queued_tasks()
    assert [(t["func"], t["args"]) for t in tasks] == [("syncapp.tasks.sync_run_task", (run.pk,))]
    run.refresh_from_db()
    assert run.task_id == tasks[0]["id"]
    assert f"run #{run.pk}" in response.content.decode()


def test_clicking_twice_does_not_queue_a_second_run(client, django_capture_on_commit_callbacks):
    integration = connected_integration()
    client.force_login(UserFactory(username="fiona", finance=True))
    with django_capture_on_commit_callbacks(execute=True):
        sync_now(client, integration)
        response = sync_now(client, integration)
    assert SyncRun.objects.count() == 1
    assert len(queued_tasks()) == 1
    assert "no second run was queued" in response.content.decode()


def test_user_without_trigger_permission_has_no_sync_action(client):
    from django.contrib.auth.models import Permission

    user = UserFactory(username="viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_integration"))
    integration = connected_integration()
    client.force_login(user)
    sync_now(client, integration)
    assert SyncRun.objects.count() == 0
    page = client.get(reverse("admin:syncapp_integration_changelist"))
    assert page.status_code == 200
    assert 'value="sync_now"' not in page.content.decode()


SEEN_STATUSES = []


def fake_contacts_flow(ctx):
    SEEN_STATUSES.append(SyncRun.objects.get(pk=ctx.run.pk).status)
    for harvest_id in ("1", "2"):
        ctx.recorder.record(action="create", kind="client", harvest_id=harvest_id, label="Acme")


def broken_invoices_flow(ctx):
    raise RuntimeError("Xero said no")


@pytest.fixture
def use_flow(replace_flow_runner):
    return lambda name, runner: replace_flow_runner(name, f"{__name__}.{runner.__name__}")


def test_run_goes_queued_running_succeeded(use_flow):
    SEEN_STATUSES.clear()
    integration = connected_integration()
    run = SyncRun.objects.create(integration=integration, flow="contacts")
    use_flow("contacts", fake_contacts_flow)
    sync_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert SEEN_STATUSES == [SyncRun.Status.RUNNING]
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.counters["flows_run"] == ["contacts"]
    assert run.counters["contacts"]["created"] == 2
    assert run.counters["contacts"]["xero_calls"] == 0
    assert run.done == 2
    assert run.events.filter(action="create").count() == 2
    assert run.started_at <= run.finished_at


def test_a_failing_flow_fails_the_run_and_keeps_the_error(use_flow):
    run = SyncRun.objects.create(integration=connected_integration(), flow="invoices")
    use_flow("invoices", broken_invoices_flow)
    sync_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert "RuntimeError: Xero said no" in run.error


def test_missing_connection_fails_with_what_to_do():
    run = SyncRun.objects.create(integration=IntegrationFactory())
    sync_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.BLOCKED
    assert "No Harvest connection" in run.error
    assert "Connections" in run.error


def test_connection_needing_reauth_blocks_the_run():
    integration = connected_integration()
    Connection.objects.filter(provider="xero").update(
        status=Connection.Status.NEEDS_REAUTH, last_error="refresh token rejected"
    )
    run = SyncRun.objects.create(integration=integration)
    sync_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.BLOCKED
    assert "reconnect Xero" in run.error


def test_running_the_task_twice_runs_the_flows_once(use_flow):
    SEEN_STATUSES.clear()
    run = SyncRun.objects.create(integration=connected_integration(), flow="contacts")
    use_flow("contacts", fake_contacts_flow)
    sync_run_execute(run_id=run.pk)
    assert sync_run_execute(run_id=run.pk) is None
    assert len(SEEN_STATUSES) == 1


def test_failed_run_page_shows_the_error(client, admin_user):
    run = SyncRun.objects.create(
        integration=IntegrationFactory(), status=SyncRun.Status.FAILED, error="No Xero connection."
    )
    client.force_login(admin_user)
    page = client.get(reverse("admin:syncapp_syncrun_change", args=[run.pk]))
    assert "No Xero connection." in page.content.decode()
    progress = client.get(reverse("syncapp:run-progress", args=[run.pk])).json()
    assert progress["status"] == "failed" and progress["finished"] is True


def xero_refuses_flow(ctx):
    from syncapp.providers.errors import AuthExpired

    raise AuthExpired("token revoked", provider="xero", status=401, api_message="token revoked")


def test_refused_access_marks_the_connection_and_says_what_to_do(use_flow):
    integration = connected_integration()
    run = SyncRun.objects.create(integration=integration, flow="invoices")
    use_flow("invoices", xero_refuses_flow)
    sync_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.BLOCKED
    assert "Reconnect to Xero" in run.error
    xero = Connection.objects.get(integration=integration, provider="xero")
    assert xero.status == Connection.Status.NEEDS_REAUTH
