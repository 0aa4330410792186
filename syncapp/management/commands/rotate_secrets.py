from django.core.management.base import BaseCommand, CommandError

from syncapp.crypto import SecretUnreadable
from syncapp.services.secrets import secrets_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key in FIELD_ENCRYPTION_KEYS. "
        "Put the new key first, run this, then drop the old key. All or nothing: if a secret "
        "cannot be decrypted with any key, nothing is rewritten."
    )

    def handle(self, *args, **options):
        try:
            report = secrets_rotate()
        except SecretUnreadable as exc:
            raise CommandError(str(exc)) from exc
        for rotation in report:
            self.stdout.write(
                f"{rotation.model}.{rotation.field}: {rotation.rewritten} secret(s) re-encrypted"
            )
        total = sum(rotation.rewritten for rotation in report)
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {total} stored secret(s) with the first key in "
                "FIELD_ENCRYPTION_KEYS. Keys after the first can now be removed."
            )
        )
