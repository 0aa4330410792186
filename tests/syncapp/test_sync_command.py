import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from syncapp.models import Connection, SyncRun
from tests.factories import ConnectionFactory, IntegrationFactory

pytestmark = pytest.mark.django_db


def two_records_flow(ctx):
    ctx.recorder.record(action="create", kind="client", harvest_id="1", label="Acme")
    ctx.recorder.record(action="fail", kind="client", harvest_id="2", label="Bad", api_error="no")


def connected_integration(name="Northwind"):
    integration = IntegrationFactory(name=name)
    ConnectionFactory(integration=integration, provider=Connection.Provider.HARVEST)
    ConnectionFactory(integration=integration, provider=Connection.Provider.XERO)
    return integration


def run_command(*args):
    out = StringIO()
    call_command("sync", *args, stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def one_record_flow(ctx):
    ctx.recorder.record(action="create", kind="client", harvest_id="1", label="Acme")


def run_command_exit(*args):
    """(exit code, summary) as a shell sees them."""
    out = StringIO()
    try:
        call_command("sync", *args, stdout=out, stderr=StringIO())
        code = 0
    except SystemExit as exc:
        code = exc.code
    except CommandError as exc:
        code = exc.returncode
    lines = out.getvalue().strip().splitlines()
    return code, (json.loads(lines[-1]) if lines else None)


def test_prints_the_summary_as_json_on_the_last_line(replace_flow_runner):
    replace_flow_runner("contacts", f"{__name__}.one_record_flow")
    connected_integration()
    summary = run_command("contacts")
    for key in (
        "created",
        "updated",
        "linked",
        "conflicts",
        "failed",
        "skipped",
        "xero_calls",
        "harvest_calls",
    ):
        assert key in summary
    assert (summary["created"], summary["failed"], summary["status"]) == (1, 0, "succeeded")
    run = SyncRun.objects.get(pk=summary["run"])
    assert run.trigger == SyncRun.Trigger.COMMAND


def test_exit_codes_say_what_happened(replace_flow_runner):
    connected_integration()
    replace_flow_runner("contacts", f"{__name__}.one_record_flow")
    assert run_command_exit("contacts")[0] == 0
    replace_flow_runner("contacts", f"{__name__}.two_records_flow")
    code, summary = run_command_exit("contacts")
    assert (code, summary["status"], summary["failed"]) == (1, "with_failures", 1)
    replace_flow_runner("contacts", f"{__name__}.broken_flow")
    code, summary = run_command_exit("contacts")
    assert (code, summary["status"]) == (2, "failed")


def test_a_run_that_cannot_start_exits_2():
    IntegrationFactory(name="Northwind")
    code, summary = run_command_exit("contacts")
    assert (code, summary["status"]) == (2, "blocked")
    assert "No Harvest connection" in summary["error"]


def broken_flow(ctx):
    raise RuntimeError("boom")


def test_dry_run_is_recorded_on_the_run(replace_flow_runner):
    replace_flow_runner("contacts", f"{__name__}.two_records_flow")
    connected_integration()
    code, summary = run_command_exit("contacts", "--dry-run")
    assert summary["dry_run"] is True
    assert SyncRun.objects.get(pk=summary["run"]).dry_run


def test_a_run_that_cannot_start_exits_non_zero_with_the_reason():
    IntegrationFactory(name="Northwind")
    with pytest.raises(CommandError, match="No Harvest connection"):
        run_command("contacts")


def test_several_integrations_need_an_id():
    connected_integration("A")
    connected_integration("B")
    with pytest.raises(CommandError, match="pass --integration"):
        run_command("contacts")
    with pytest.raises(CommandError, match="No integration with id 999"):
        run_command("contacts", "--integration", "999")
