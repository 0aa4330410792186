from django.apps import AppConfig


class SyncappConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "syncapp"
    verbose_name = "Sync"

    def ready(self):
        from syncapp import checks  # noqa: F401 - registers the system checks
