"""Start hxsync on this machine: migrate, make sure an admin exists, run web + worker together.

Ctrl-C (or SIGTERM) stops both processes cleanly. Later the sandbox simulators join them.
"""

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from syncapp.schedules import schedules_ensure
from syncapp.services.admin_user import admin_user_ensure


class Command(BaseCommand):
    help = "Migrate, create the first admin login if needed, and run the web admin and a worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host, port, **options):
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
        processes = self._spawn(host=host, port=port)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nhxsync is running: http://{host}:{port}/admin/  (Ctrl-C stops it)\n"
            )
        )
        self._supervise(processes)

    def _spawn(self, *, host, port):
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        commands = {
            "web": [*manage, "runserver", f"{host}:{port}", "--noreload"],
            "worker": [*manage, "qcluster"],
        }
        return {name: subprocess.Popen(argv) for name, argv in commands.items()}  # noqa: S603

    def _supervise(self, processes):
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, proc in processes.items():
                    if proc.poll() is not None:
                        self.stderr.write(
                            f"The {name} process exited ({proc.returncode}); stopping."
                        )
                        stopping = True
                time.sleep(0.5)
        finally:
            self._stop_all(processes)

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
