"""Secrets for the embedded default: generated once and kept under var/, never committed.

Production sets SECRET_KEY and FIELD_ENCRYPTION_KEYS in the environment instead; the settings
refuse to start without them when DEBUG is off.
"""

import base64
import os
import secrets
from pathlib import Path


def _read_or_create(path: Path, make) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    # O_EXCL: two processes starting together (web and worker) must agree on one value.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def local_secret_key(var_dir: Path) -> str:
    return _read_or_create(var_dir / "secret_key", lambda: secrets.token_urlsafe(50))


def local_field_encryption_key(var_dir: Path) -> str:
    return _read_or_create(
        var_dir / "field_encryption_key",
        lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    )
