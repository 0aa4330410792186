"""Run by test_lease_processes in separate processes sharing one database (not collected):

    python -m tests.syncapp.lease_worker RUN_ID SECONDS WAIT

Executes queued run RUN_ID with a stand-in contacts flow that works for SECONDS (recording one
event a tenth of a second, as a real flow records as it goes), waiting up to WAIT seconds for the
integration's lease. Prints the run's final status as one JSON line.
"""

import json
import os
import sys
import time


def slow_flow_for(seconds: float):
    def slow_flow(ctx):
        deadline = time.monotonic() + seconds
        step = 0
        while time.monotonic() < deadline:
            step += 1
            ctx.recorder.record(action="skip", kind="client", harvest_id=str(step), label="x")
            ctx.recorder.flush()
            time.sleep(0.1)

    return slow_flow


def main(argv):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hxsync.settings")
    django.setup()
    import dataclasses

    from syncapp.flows import registry
    from syncapp.services.runs import sync_run_execute

    run_id, seconds, wait = int(argv[0]), float(argv[1]), float(argv[2])
    sys.modules[__name__].slow_flow = slow_flow_for(seconds)
    flows = tuple(
        dataclasses.replace(f, runner=f"{__name__}.slow_flow") if f.name == "contacts" else f
        for f in registry.flows()
    )
    registry.flows = lambda: flows
    run = sync_run_execute(run_id=run_id, wait_seconds=wait)
    print(json.dumps({"run": run_id, "status": run.status if run else None}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
