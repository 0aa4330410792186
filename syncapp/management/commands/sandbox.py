"""`manage.py sandbox serve|seed|reset|bench|connect|webhooks`: the Harvest and Xero simulators.

`connect` wires an Integration to the served sandbox through the real connection paths
(syncapp.demo.sandbox_connect) and prints its id alone on the last line. `webhooks` has the
served sandbox send its signed Xero webhooks to a running hxsync (`manage.py start` does it
itself; this is for a web server started another way or on another port).
"""

from __future__ import annotations

import json
import logging
import signal
import sys

from django.core.management.base import BaseCommand, CommandError

from hxsync.logging import logs_to_stderr
from syncapp.sandbox.core.runner import sandbox_reset, sandbox_seed, sandbox_serve
from syncapp.sandbox.core.store import StateStore


def _stop_like_ctrl_c(signum, frame):
    # SIGTERM ends the server like Ctrl-C, so the state is flushed on the way out.
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run, seed, reset or benchmark the Harvest and Xero simulators."

    def add_arguments(self, parser):
        parser.add_argument(
            "--state",
            default=None,
            help="State file (default: $HXSYNC_SANDBOX_STATE or var/sandbox/state.pickle)",
        )
        sub = parser.add_subparsers(dest="action", required=True)
        serve = sub.add_parser("serve", help="serve both simulators on one loopback port")
        serve.add_argument("--host", default="127.0.0.1")
        serve.add_argument("--port", type=int, default=8700)
        serve.add_argument(
            "--validate", action="store_true", help="check every exchange against the specs"
        )
        serve.add_argument("--no-rate-limits", action="store_true")
        serve.add_argument(
            "--quiet", action="store_true", help="one line at start, no request log (make run)"
        )
        seed = sub.add_parser(
            "seed", help="build the demo agency from scratch (replaces the state)"
        )
        seed.add_argument("--seed", type=int, default=0)
        seed.add_argument("--invoices", type=int, default=None)
        sub.add_parser("reset", help="delete the simulators' state")
        bench = sub.add_parser("bench", help="in-process throughput; last line is JSON")
        bench.add_argument("--requests", type=int, default=3000)
        bench.add_argument("--batches", type=int, default=20)
        connect = sub.add_parser(
            "connect", help="connect an Integration to the served sandbox; prints its id last"
        )
        connect.add_argument("--url", default="http://127.0.0.1:8700")
        connect.add_argument(
            "--name", default=None, help="Integration name (default: Sandbox agency)"
        )
        webhooks = sub.add_parser(
            "webhooks", help="send the sandbox's Xero webhooks to a running hxsync web server"
        )
        webhooks.add_argument(
            "--receiver",
            default="http://127.0.0.1:8000",
            help="hxsync's address as the sandbox reaches it (default: http://127.0.0.1:8000)",
        )
        webhooks.add_argument(
            "--name", default=None, help="Integration name (default: Sandbox agency)"
        )

    def handle(self, *args, action, state, **options):
        # No --state: the store's default (HXSYNC_SANDBOX_STATE, else under HXSYNC_VAR_DIR).
        store = StateStore(state)
        handler = getattr(self, f"_{action}")
        handler(store=store, **options)

    def _connect(self, *, url, name, **_):
        from syncapp.demo.sandbox_connect import DEMO_NAME, SandboxConnectError, sandbox_connect
        from syncapp.services.connection_oauth import OAuthFlowError

        logs_to_stderr()
        try:
            integration = sandbox_connect(url=url, name=name or DEMO_NAME)
        except (SandboxConnectError, OAuthFlowError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Integration '{integration.name}' is connected to the sandbox at {url} "
            "(Harvest by token, Xero by OAuth)."
        )
        self.stdout.write(str(integration.pk))

    def _webhooks(self, *, receiver, name, **_):
        from django.urls import reverse

        from syncapp.demo.sandbox_connect import DEMO_NAME
        from syncapp.demo.sandbox_webhooks import SandboxWebhookError, sandbox_webhooks_subscribe
        from syncapp.models import Integration

        integration = Integration.objects.filter(name=name or DEMO_NAME).first()
        if integration is None:
            raise CommandError(
                f"No integration is named {name or DEMO_NAME!r}; connect one first with "
                "`python manage.py sandbox connect`."
            )
        receiver_url = receiver.rstrip("/") + reverse("syncapp:xero-webhook")
        try:
            answer = sandbox_webhooks_subscribe(integration=integration, receiver_url=receiver_url)
        except SandboxWebhookError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"The sandbox now sends {integration}'s Xero webhooks to {answer['url']} "
            "(intent to receive passed; key saved)."
        )

    def _serve(self, *, store, host, port, validate, no_rate_limits, quiet, **_):
        signal.signal(signal.SIGTERM, _stop_like_ctrl_c)

        def ready(info):
            if quiet:
                logging.getLogger("werkzeug").setLevel(logging.WARNING)
                self.stdout.write(
                    f"Sandbox (simulated Harvest and Xero) serving on {info['base_url']}; "
                    "`python manage.py sandbox serve` on another port prints its credentials."
                )
            else:
                self._print_ready(info, store)

        try:
            sandbox_serve(
                host=host,
                port=port,
                store=store,
                on_ready=ready,
                validate=validate,
                rate_limits=not no_rate_limits,
            )
        except OSError as exc:
            raise CommandError(f"cannot serve on {host}:{port}: {exc}") from exc

    def _print_ready(self, info, store):
        urls, harvest, xero = info["urls"], info["harvest"], info["xero"]
        out = self.stdout
        out.write(self.style.SUCCESS(f"Sandbox serving on {info['base_url']}  (Ctrl-C stops it)"))
        for name, url in urls.items():
            out.write(f"  {name:<17} {url}")
        out.write("Harvest")
        out.write(f"  account id             {harvest['account_id']}")
        out.write(f"  personal access token  {harvest['personal_access_token']}")
        out.write(f"  OAuth client id        {harvest['oauth_client_id']}")
        out.write(f"  OAuth client secret    {harvest['oauth_client_secret']}")
        if xero:
            out.write("Xero")
            out.write(f"  tenant id              {xero['tenant_id']}")
            out.write(f"  access token           {xero['access_token']}")
            out.write(f"  refresh token          {xero['refresh_token']}")
            for app in xero["oauth_apps"]:
                secret = app["client_secret"] or "(PKCE, no secret)"
                out.write(f"  OAuth app {app['name']}: {app['client_id']} / {secret}")
        else:
            out.write("Xero simulator not installed.")
        out.write(f"State file: {store.path}")
        out.write(json.dumps(info))
        sys.stdout.flush()

    def _seed(self, *, store, seed, invoices, **_):
        if invoices is not None and invoices < 0:
            raise CommandError("--invoices must be zero or more")
        result = sandbox_seed(store=store, seed=seed, invoices=invoices)
        self.stdout.write(
            f"Seeded the sandbox (seed {seed}) in {result['seconds']} s into {result['path']}"
        )
        self.stdout.write(json.dumps(result))

    def _reset(self, *, store, **_):
        if sandbox_reset(store=store):
            self.stdout.write(f"Deleted {store.path}; the next serve or seed starts over.")
        else:
            self.stdout.write(f"Nothing to delete at {store.path}.")

    def _bench(self, *, store, requests, batches, **_):
        from syncapp.sandbox.core.bench import sandbox_bench

        result = sandbox_bench(requests=requests, batches=batches)
        self.stdout.write(json.dumps(result))
