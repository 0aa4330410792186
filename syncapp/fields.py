from django.db import models

from syncapp.crypto import secret_decrypt, secret_encrypt


class EncryptedTextField(models.TextField):
    """A text column that only ever holds a Fernet token; Python code sees the plaintext.

    Empty strings are stored as empty strings so "no secret set" stays visible without a key.
    Not searchable or orderable by value, by design.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return secret_decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return secret_encrypt(value)
