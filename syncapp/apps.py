from django.apps import AppConfig


class SyncappConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "syncapp"
    verbose_name = "Sync"
