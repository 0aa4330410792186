"""Secrets at rest: Fernet tokens under a MultiFernet built from FIELD_ENCRYPTION_KEYS.

The first key encrypts; every key decrypts, so a new key can be put in front, the stored
values re-encrypted (`manage.py rotate_secrets`), and the old key dropped afterwards.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret no configured key can decrypt (a key was removed too early)."""


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "Each FIELD_ENCRYPTION_KEYS entry must be a Fernet key "
            "(32 url-safe base64-encoded bytes; make one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
        ) from exc


def secrets_cipher() -> MultiFernet:
    return _multifernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def secret_encrypt(plaintext: str) -> str:
    return secrets_cipher().encrypt(plaintext.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return secrets_cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS; "
            "put the key it was written with back in the list, then run rotate_secrets."
        ) from exc


def secret_rotate(token: str) -> str:
    try:
        return secrets_cipher().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("A stored secret cannot be decrypted for rotation") from exc
