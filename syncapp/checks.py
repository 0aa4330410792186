"""System checks: refuse to start (runserver, qcluster, start, check --deploy...) with bad settings."""

from django.conf import settings
from django.core import checks

from syncapp.crypto import KEY_HELP, field_encryption_key_problems


@checks.register(checks.Tags.security)
def field_encryption_keys_check(app_configs=None, **kwargs):
    """Every FIELD_ENCRYPTION_KEYS entry must be a Fernet key; the error names the entry by
    position, never by value (check output ends up in logs)."""
    keys = getattr(settings, "FIELD_ENCRYPTION_KEYS", None)
    return [
        checks.Error(problem, hint=KEY_HELP, id="hxsync.E001")
        for problem in field_encryption_key_problems(keys)
    ]
