from django.core.management.base import BaseCommand

from syncapp.schedules import schedules_ensure


class Command(BaseCommand):
    help = "Create or update hxsync's recurring tasks (polls, reconciliation) in django-q2."

    def handle(self, *args, **options):
        names = schedules_ensure()
        self.stdout.write(f"{len(names)} schedule(s) in place: {', '.join(names) or 'none yet'}")
