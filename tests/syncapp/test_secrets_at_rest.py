import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.db import connection as db
from django.db import models
from django.test.utils import isolate_apps

from syncapp.crypto import SecretUnreadable, UnreadableSecret
from syncapp.fields import EncryptedTextField
from syncapp.models import Connection
from syncapp.services.secrets import FieldRotation, encrypted_fields, secrets_rotate
from tests.factories import ACCESS_TOKEN, CLIENT_SECRET, REFRESH_TOKEN, ConnectionFactory

pytestmark = pytest.mark.django_db


def raw_columns(pk):
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token, client_secret FROM syncapp_connection WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


def test_secrets_round_trip_and_the_column_never_holds_plaintext():
    created = ConnectionFactory()
    stored = raw_columns(created.pk)
    for plaintext, raw in zip((ACCESS_TOKEN, REFRESH_TOKEN, CLIENT_SECRET), stored, strict=True):
        assert plaintext not in raw
        assert raw.startswith("gAAAA")  # a Fernet token
    loaded = Connection.objects.get(pk=created.pk)
    assert (loaded.access_token, loaded.refresh_token, loaded.client_secret) == (
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        CLIENT_SECRET,
    )


def test_empty_secret_stays_empty():
    created = ConnectionFactory(refresh_token="")
    assert raw_columns(created.pk)[1] == ""
    assert Connection.objects.get(pk=created.pk).refresh_token == ""


def test_rotating_the_key_keeps_every_secret_readable(settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    connections = [ConnectionFactory(), ConnectionFactory(refresh_token="")]
    before = {c.pk: raw_columns(c.pk) for c in connections}

    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    rewritten = {(r.model, r.field): r.rewritten for r in secrets_rotate()}
    assert rewritten[("syncapp.Connection", "access_token")] == 2
    assert rewritten[("syncapp.Connection", "refresh_token")] == 1
    assert sum(rewritten.values()) == 5

    for c in connections:
        assert raw_columns(c.pk) != before[c.pk]
    # The old key can now go: everything reads with the new key alone.
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    loaded = Connection.objects.get(pk=connections[0].pk)
    assert loaded.access_token == ACCESS_TOKEN
    assert loaded.client_secret == CLIENT_SECRET
    assert Connection.objects.get(pk=connections[1].pk).refresh_token == ""


def test_dropping_a_key_too_early_is_a_clear_error_not_garbage(settings):
    created = ConnectionFactory(account_name="Northwind Ltd")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    loaded = Connection.objects.get(pk=created.pk)  # loading the row still works
    assert isinstance(loaded.access_token, UnreadableSecret)
    assert loaded.refresh_token  # a secret is stored, so "is one set?" says yes
    expected = (
        "The access token of connection 'Xero — Northwind Ltd' cannot be decrypted with "
        "FIELD_ENCRYPTION_KEYS: put back the key it was written with and run "
        "`manage.py rotate_secrets`, or reconnect it under Sync › Connections."
    )
    assert loaded.access_token.message == expected
    for use in (str, lambda s: f"Bearer {s}", lambda s: s.encode(), len, lambda s: "x" + s):
        with pytest.raises(SecretUnreadable) as failure:
            use(loaded.access_token)
        assert str(failure.value) == expected
    assert ACCESS_TOKEN not in repr(loaded.access_token)


def test_introspection_finds_every_encrypted_field_of_every_model():
    found = {(f.model._meta.label, f.name) for f in encrypted_fields()}
    declared = {
        (model._meta.label, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, EncryptedTextField) and not model._meta.proxy
    }
    assert found == declared
    assert {
        ("syncapp.Connection", "access_token"),
        ("syncapp.Connection", "refresh_token"),
        ("syncapp.Connection", "client_secret"),
        ("syncapp.Integration", "xero_webhook_key"),
    } <= found


@pytest.mark.django_db(transaction=True)
def test_a_model_added_later_is_rotated_without_being_listed(settings, monkeypatch):
    with isolate_apps("syncapp") as registry:

        class Vault(models.Model):
            secret = EncryptedTextField(blank=True, default="")

            class Meta:
                app_label = "syncapp"
                db_table = "test_secrets_vault"

            def __str__(self):
                return "vault"

        monkeypatch.setattr("syncapp.services.secrets.apps", registry)
        with db.schema_editor() as editor:
            editor.create_model(Vault)
        try:
            old_key, new_key = settings.FIELD_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
            row = Vault.objects.create(secret="vault-secret")
            settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
            assert secrets_rotate() == [FieldRotation("syncapp.Vault", "secret", 1)]
            settings.FIELD_ENCRYPTION_KEYS = [new_key]
            assert Vault.objects.get(pk=row.pk).secret == "vault-secret"
        finally:
            with db.schema_editor() as editor:
                editor.delete_model(Vault)
