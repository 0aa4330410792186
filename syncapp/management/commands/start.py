"""Start hxsync on this machine: migrate, make sure an admin exists, run web + worker together.

On the embedded default (HXSYNC_SANDBOX, on when DEBUG is) it also serves the Harvest and Xero
simulators, seeded once with a demo agency, and connects an Integration to them. Ctrl-C (or
SIGTERM) stops every process cleanly.
"""

import signal
import subprocess
import sys
import time

import httpx
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from syncapp.schedules import schedules_ensure
from syncapp.services.admin_user import admin_user_ensure


class Command(BaseCommand):
    help = "Migrate, create the first admin login if needed, and run the web admin and a worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-sandbox", action="store_true", help="Do not serve or connect the demo sandbox."
        )

    def handle(self, *args, host, port, no_sandbox, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database is up to date.")
        schedules_ensure()
        password = admin_user_ensure()
        if password:
            self.stdout.write(
                self.style.WARNING(
                    "\nCreated the admin login (shown only this once; change it under "
                    "Authentication › Users, or run `python manage.py changepassword admin`):\n"
                    f"    username: admin\n    password: {password}\n"
                )
            )
        processes = {}
        demo = settings.HXSYNC_SANDBOX and not no_sandbox
        try:
            if demo:
                processes["sandbox"], integration = self._start_sandbox()
            processes.update(self._spawn(host=host, port=port))
            if demo:
                self._subscribe_webhooks(integration=integration, host=host, port=port)
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nhxsync is running: http://{host}:{port}/admin/  (Ctrl-C stops it)\n"
                )
            )
            self._supervise(processes)
        except KeyboardInterrupt:
            pass  # Ctrl-C while starting: stop what has started, quietly
        finally:
            self._stop_all(processes)

    def _manage(self, *args):
        return [sys.executable, str(settings.BASE_DIR / "manage.py"), *args]

    def _start_sandbox(self):
        sandbox_url = f"http://127.0.0.1:{settings.SANDBOX_PORT}"
        proc = subprocess.Popen(  # noqa: S603
            self._manage("sandbox", "serve", "--port", str(settings.SANDBOX_PORT), "--quiet")
        )
        deadline = time.monotonic() + 120  # the first start seeds the demo agency
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise CommandError(
                    f"The sandbox did not start (is port {settings.SANDBOX_PORT} free? "
                    "Set SANDBOX_PORT to use another)."
                )
            try:
                httpx.get(f"{sandbox_url}/_sandbox/state", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        from syncapp.demo.sandbox_connect import sandbox_connect

        integration = sandbox_connect(url=sandbox_url)
        self.stdout.write(
            f"\nDemo: integration '{integration.name}' is connected to the sandbox "
            f"(simulated Harvest and Xero): {sandbox_url}/_sandbox/"
        )
        return proc, integration

    def _subscribe_webhooks(self, *, integration, host, port):
        """Once the web server answers, have the sandbox send its signed Xero webhooks to it."""
        from syncapp.demo.sandbox_webhooks import SandboxWebhookError, sandbox_webhooks_subscribe

        base = f"http://{host}:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/admin/login/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        try:
            sandbox_webhooks_subscribe(
                integration=integration, receiver_url=f"{base}/webhooks/xero/"
            )
        except SandboxWebhookError as exc:
            self.stderr.write(
                f"Xero webhooks are off for the demo ({exc}); payments arrive by polling."
            )

    def _spawn(self, *, host, port):
        commands = {
            "web": self._manage("runserver", f"{host}:{port}", "--noreload"),
            "worker": self._manage("qcluster"),
        }
        return {name: subprocess.Popen(argv) for name, argv in commands.items()}  # noqa: S603

    def _supervise(self, processes):
        stopping = []
        stop_signals(lambda: stopping.append(True))
        while not stopping:
            for name, proc in processes.items():
                if proc.poll() is not None:
                    self.stderr.write(f"The {name} process exited ({proc.returncode}); stopping.")
                    return
            time.sleep(0.5)

    def _stop_all(self, processes):
        for proc in processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 15
        for proc in processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        self.stdout.write("hxsync stopped.")


def stop_signals(callback):
    def handler(signum, frame):
        callback()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
