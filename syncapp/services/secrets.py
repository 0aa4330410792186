from syncapp.fields import EncryptedTextField
from syncapp.models import Connection

# Every model with encrypted columns; add here when another one appears.
MODELS_WITH_SECRETS = (Connection,)


def secrets_rotate() -> int:
    """Re-encrypt every stored secret with the newest key in FIELD_ENCRYPTION_KEYS.

    Reading decrypts with whichever configured key wrote the value (and raises
    SecretUnreadable if none can); writing encrypts with the first key. Returns how many
    secrets were rewritten.
    """
    rotated = 0
    for model in MODELS_WITH_SECRETS:
        names = [f.name for f in model._meta.fields if isinstance(f, EncryptedTextField)]
        for pk, *values in model.objects.values_list("pk", *names).iterator():
            changes = {name: value for name, value in zip(names, values, strict=True) if value}
            if changes:
                model.objects.filter(pk=pk).update(**changes)
                rotated += len(changes)
    return rotated
