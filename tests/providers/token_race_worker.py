"""Run by test_tokens_race in separate processes sharing one database (not collected by pytest).

    python -m tests.providers.token_race_worker setup <token-server-base-url>
    python -m tests.providers.token_race_worker get <connection-id> <threads> <go-file>
    python -m tests.providers.token_race_worker read <connection-id>

Each prints one JSON line. Tokens are printed as short digests, never in clear.
"""

import hashlib
import json
import os
import sys
import threading
import time


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def main(argv):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hxsync.settings")
    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import connection as db_connection
    from django.utils import timezone

    from syncapp.models import Connection, Integration
    from syncapp.providers.tokens import connection_access_token_get
    from syncapp.providers.xero.factory import xero_refresher

    command = argv[0]
    if command == "setup":
        call_command("migrate", verbosity=0, interactive=False)
        integration = Integration.objects.create(name=f"Race {time.time()}")
        connection = Connection.objects.create(
            integration=integration,
            provider=Connection.Provider.XERO,
            account_id="fe79f7dd-b6d4-4a92-ba7b-538af6289c58",
            account_name="Demo Company (UK)",
            base_url=argv[1],
            client_id="race-client",
            client_secret="race-secret",
            access_token="access-0",
            refresh_token="refresh-0",
            token_expires_at=timezone.now() - timedelta(minutes=1),
        )
        print(json.dumps({"connection_id": connection.pk, "vendor": db_connection.vendor}))
        return
    if command == "read":
        connection = Connection.objects.get(pk=int(argv[1]))
        print(
            json.dumps(
                {
                    "access": digest(connection.access_token),
                    "refresh": digest(connection.refresh_token),
                    "status": connection.status,
                    "expires_in_future": connection.token_expires_at > timezone.now(),
                }
            )
        )
        return
    connection_id, threads, go_file = int(argv[1]), int(argv[2]), argv[3]
    results, errors = [], []

    def one():
        try:
            while not os.path.exists(go_file):
                time.sleep(0.005)
            token = connection_access_token_get(
                connection_id=connection_id, refresher=xero_refresher()
            )
            results.append(digest(token))
        except Exception as exc:  # reported to the test, which fails on it
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            from django.db import connections

            connections.close_all()

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(json.dumps({"tokens": results, "errors": errors}))


if __name__ == "__main__":
    main(sys.argv[1:])
