"""Re-encrypting every stored secret under the newest key (`manage.py rotate_secrets`)."""

from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from syncapp.crypto import SecretUnreadable, UnreadableSecret, secret_rotate
from syncapp.fields import EncryptedTextField


@dataclass(frozen=True)
class FieldRotation:
    model: str  # "syncapp.Connection"
    field: str
    rewritten: int


def encrypted_fields() -> list[EncryptedTextField]:
    """Every encrypted column of every installed model, each once (found, not listed by hand).

    Local fields only: a proxy has none of its own and a child model's inherited field
    lives in its parent's table, where it is found already.
    """
    return [
        field
        for model in apps.get_models()
        for field in model._meta.local_concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def integration_secrets_unreadable(*, integration) -> list[str]:
    """One sentence per secret of the integration or its connections that no key can read."""
    rows = [integration, *integration.connections.all()]
    return [
        value.message
        for row in rows
        for field in row._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
        and isinstance(value := getattr(row, field.attname), UnreadableSecret)
    ]


def _raw_tokens(field: EncryptedTextField) -> list[tuple[object, str]]:
    # Cast to a plain text column so the stored token comes back as is, not decrypted.
    rows = (
        field.model._base_manager.select_for_update()
        .exclude(**{field.attname: ""})
        .exclude(**{f"{field.attname}__isnull": True})
        .annotate(_token=Cast(field.attname, models.TextField()))
        .values_list("pk", "_token")
        .order_by("pk")
    )
    return list(rows)


def _unreadable_message(field: EncryptedTextField, *, pk, token: str) -> str:
    row = field.model._base_manager.filter(pk=pk).first()
    return field.unreadable(token).bind(row if row is not None else f"#{pk}").message


def secrets_rotate() -> list[FieldRotation]:
    """Re-encrypt every stored secret with the first key in FIELD_ENCRYPTION_KEYS.

    All or nothing: if any stored secret cannot be decrypted by any configured key, nothing is
    rewritten and SecretUnreadable names each such secret. Returns what was rewritten, per field.
    """
    with transaction.atomic():
        planned: list[tuple[EncryptedTextField, list[tuple[object, str]]]] = []
        unreadable: list[str] = []
        for field in encrypted_fields():
            rewrites = []
            for pk, token in _raw_tokens(field):
                try:
                    rewrites.append((pk, secret_rotate(token)))
                except InvalidToken:
                    unreadable.append(_unreadable_message(field, pk=pk, token=token))
            planned.append((field, rewrites))
        if unreadable:
            raise SecretUnreadable(
                f"Nothing was rewritten: {len(unreadable)} stored secret(s) cannot be decrypted "
                "with any key in FIELD_ENCRYPTION_KEYS.\n" + "\n".join(f"- {m}" for m in unreadable)
            )
        report = []
        for field, rewrites in planned:
            manager = field.model._base_manager
            for pk, token in rewrites:
                # A Value, so the new token is stored as given rather than encrypted again.
                manager.filter(pk=pk).update(
                    **{field.attname: models.Value(token, output_field=models.TextField())}
                )
            report.append(FieldRotation(field.model._meta.label, field.name, len(rewrites)))
    return report
