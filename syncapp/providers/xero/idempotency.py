"""Idempotency-Key values for Xero writes, derived only from what the ledger already holds.

Xero replays the first response for a repeated `Idempotency-Key` (at most 128 characters,
per the `idempotencyKey` parameter in xero_accounting.yaml), so a write resent after a crash
must carry the very same key: the key is a pure function of the ledger row (integration,
kind, Harvest id, hash of the payload), never a random value or a timestamp.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

IDEMPOTENCY_KEY_MAX = 128
_PREFIX = "hx"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _clean(part: object) -> str:
    return _UNSAFE.sub("_", str(part))


def _cap(readable: str) -> str:
    """Keep short keys readable; replace the tail of long ones by a digest of the whole."""
    if len(readable) <= IDEMPOTENCY_KEY_MAX:
        return readable
    digest = hashlib.sha256(readable.encode()).hexdigest()
    return f"{readable[: IDEMPOTENCY_KEY_MAX - len(digest) - 1]}~{digest}"


def idempotency_key_derive(
    *, integration_id: int, kind: str, harvest_id: str | int, payload_hash: str
) -> str:
    """The key for one record's write: same ledger row and payload -> same key, always."""
    if not payload_hash:
        raise ValueError("an idempotency key needs the hash of the payload being sent")
    parts = (_PREFIX, integration_id, kind, harvest_id, payload_hash)
    return _cap(":".join(_clean(part) for part in parts))


def idempotency_key_for_link(*, link, payload_hash: str) -> str:
    """The key for a SyncLink row (the ledger) about to send `payload_hash`."""
    return idempotency_key_derive(
        integration_id=link.integration_id,
        kind=link.kind,
        harvest_id=link.harvest_id if link.harvest_id is not None else f"x{link.xero_id}",
        payload_hash=payload_hash,
    )


def idempotency_key_for_batch(*, operation: str, record_keys: Sequence[str]) -> str:
    """One key for a batch request, from its records' keys in the order they are sent.

    A resent batch with the same records in the same order gets the same key; a batch that
    changed (a record dropped because it already succeeded) is a different request and gets a
    different key, which is what Xero expects.
    """
    if not record_keys:
        raise ValueError("an empty batch has nothing to send")
    digest = hashlib.sha256("\n".join(record_keys).encode()).hexdigest()
    return _cap(f"{_PREFIX}:batch:{_clean(operation)}:{len(record_keys)}:{digest}")


def payload_hash_compute(*, payload: bytes | str) -> str:
    """sha256 of the canonical request body; the ledger stores it as `payload_hash`."""
    raw = payload.encode() if isinstance(payload, str) else payload
    return hashlib.sha256(raw).hexdigest()
