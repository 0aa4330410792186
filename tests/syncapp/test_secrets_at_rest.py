import pytest
from cryptography.fernet import Fernet
from django.db import connection as db

from syncapp.crypto import SecretUnreadable
from syncapp.models import Connection
from syncapp.services.secrets import secrets_rotate
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
    assert secrets_rotate() == 5

    for c in connections:
        assert raw_columns(c.pk) != before[c.pk]
    # The old key can now go: everything reads with the new key alone.
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    loaded = Connection.objects.get(pk=connections[0].pk)
    assert loaded.access_token == ACCESS_TOKEN
    assert loaded.client_secret == CLIENT_SECRET
    assert Connection.objects.get(pk=connections[1].pk).refresh_token == ""


def test_dropping_a_key_too_early_is_a_clear_error_not_garbage(settings):
    created = ConnectionFactory()
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(SecretUnreadable, match="rotate_secrets"):
        Connection.objects.get(pk=created.pk)
