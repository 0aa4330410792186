from django.core.management.base import BaseCommand
from django.db import transaction

from syncapp.services.secrets import secrets_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key in FIELD_ENCRYPTION_KEYS. "
        "Put the new key first, run this, then drop the old key."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            count = secrets_rotate()
        self.stdout.write(f"Re-encrypted {count} stored secret(s) with the newest key.")
