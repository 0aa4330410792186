import re

from django.db import models
from django.db.models.query_utils import DeferredAttribute

from syncapp.crypto import SecretUnreadable, UnreadableSecret, secret_decrypt, secret_encrypt

# What a person does to replace a secret that cannot be read any more, by model.
RESET_HINTS = {
    "syncapp.connection": "reconnect it under Sync › Connections",
    "syncapp.integration": "set it again on the Xero webhook keys page (Sync › Webhook events)",
}


def secret_label(field: models.Field) -> str:
    # Auto verbose names are lower case ("xero webhook key"); product names keep their capital.
    return re.sub(r"\b(xero|harvest)\b", lambda m: m.group(1).capitalize(), str(field.verbose_name))


class EncryptedAttribute(DeferredAttribute):
    """Tells an unreadable secret which row it came from, so its message can name it."""

    def __set__(self, instance, value):
        if isinstance(value, UnreadableSecret) and value.row is None:
            value.bind(instance)
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """A text column that only ever holds a Fernet token; Python code sees the plaintext.

    Empty strings are stored as empty strings so "no secret set" stays visible without a key.
    A token no configured key can decrypt loads as an `UnreadableSecret` (see syncapp.crypto)
    instead of failing the whole query. Not searchable or orderable by value, by design.
    """

    description = "Text encrypted at rest"
    descriptor_class = EncryptedAttribute

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        try:
            return secret_decrypt(value)
        except SecretUnreadable:
            return self.unreadable(value)

    def unreadable(self, token: str) -> UnreadableSecret:
        return UnreadableSecret(
            token=token,
            label=secret_label(self),
            owner=str(self.model._meta.verbose_name),
            reset_hint=RESET_HINTS.get(self.model._meta.label_lower, "set it again"),
        )

    def get_prep_value(self, value):
        if isinstance(value, UnreadableSecret):
            return value.token  # written back as it was stored: still readable with the old key
        value = super().get_prep_value(value)
        if not value:
            return value
        return secret_encrypt(value)
