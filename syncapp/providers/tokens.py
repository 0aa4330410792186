"""Access tokens that are always fresh, refreshed by exactly one worker at a time.

Xero access tokens live 30 minutes and every refresh rotates the refresh token: the old one
stays usable for a 30-minute grace period only, so a refresh token that is lost (a second
worker overwriting it with an older one, a crash before it is stored) disconnects the
organisation (https://developer.xero.com/documentation/guides/oauth2/auth-flow, "Refreshing
access tokens"). Hence:

- the refresh runs inside one durable transaction holding the Connection row's lock
  (`select_for_update` on PostgreSQL; SQLite takes the database write lock at BEGIN because
  settings use `transaction_mode=IMMEDIATE`), and re-reads the row once it has the lock, so a
  worker that waited finds the fresh token and does not refresh again;
- the new tokens are committed when that transaction ends, before the caller gets the access
  token back (and so before anything can use it); a crash between Xero's answer and the commit
  leaves the old refresh token in place, which the grace period still honours;
- a refused refresh (invalid_grant) marks the connection needs_reauth and stops its runs; a
  transient failure (5xx, timeout) changes nothing and is raised for the caller to retry.

The module is provider-neutral: Harvest's OAuth connections use the same lock with their own
`refresher`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from django.db import transaction
from django.utils import timezone

from syncapp.models import Connection
from syncapp.providers.errors import AuthExpired

logger = logging.getLogger(__name__)

# Refresh this long before the access token expires, so a request started just before expiry
# does not reach Xero with a dead token.
REFRESH_MARGIN = timedelta(minutes=5)


class TokenSet(Protocol):
    """What a provider's refresher returns (xero.types.TokenSet, harvest.oauth.HarvestTokenSet)."""

    access_token: str
    refresh_token: str
    expires_at: datetime | None
    scopes: tuple[str, ...]


Refresher = Callable[..., TokenSet]


def token_needs_refresh(
    *, connection: Connection, now: datetime, margin: timedelta = REFRESH_MARGIN
) -> bool:
    if not connection.access_token:
        return True
    if connection.token_expires_at is None:
        # Personal access tokens (Harvest) have no expiry and nothing to refresh.
        return False
    return connection.token_expires_at - margin <= now


def _connection_usable_check(connection: Connection) -> None:
    if connection.status != Connection.Status.ACTIVE:
        raise AuthExpired(
            f"The {connection.get_provider_display()} connection is "
            f"{connection.get_status_display().lower()}; reconnect it from Sync › Connections.",
            provider=connection.provider,
        )


def connection_access_token_get(
    *,
    connection_id: int,
    refresher: Refresher,
    now: Callable[[], datetime] = timezone.now,
    margin: timedelta = REFRESH_MARGIN,
) -> str:
    """A usable access token for the connection, refreshing it first when it is about to expire.

    The common case (token still fresh) reads the row without a lock.
    """
    connection = Connection.objects.get(pk=connection_id)
    _connection_usable_check(connection)
    if not token_needs_refresh(connection=connection, now=now(), margin=margin):
        return connection.access_token
    return connection_token_refresh(
        connection_id=connection_id, refresher=refresher, now=now, margin=margin
    ).access_token


def connection_token_refresh(
    *,
    connection_id: int,
    refresher: Refresher,
    now: Callable[[], datetime] = timezone.now,
    margin: timedelta = REFRESH_MARGIN,
    stale_access_token: str = "",
) -> Connection:
    """Refresh the connection's tokens under its row lock; returns the committed row.

    `stale_access_token`: the token an API call was just refused with (401). The refresh is then
    forced unless another worker already replaced that token while we waited for the lock.
    """
    refused: AuthExpired | None = None
    # durable=True: the new refresh token must be committed when this block ends, so this may
    # never run inside a caller's transaction (which could still roll it back).
    with transaction.atomic(durable=True):
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        _connection_usable_check(connection)
        if stale_access_token:
            needed = connection.access_token == stale_access_token
        else:
            needed = token_needs_refresh(connection=connection, now=now(), margin=margin)
        if not needed:
            return connection
        if not connection.refresh_token:
            refused = AuthExpired(
                "No refresh token is stored for this connection", provider=connection.provider
            )
        else:
            try:
                tokens = refresher(connection=connection, refresh_token=connection.refresh_token)
            except AuthExpired as exc:
                refused = exc
            else:
                connection.access_token = tokens.access_token
                connection.refresh_token = tokens.refresh_token or connection.refresh_token
                connection.token_expires_at = tokens.expires_at
                if tokens.scopes:
                    connection.scopes = " ".join(tokens.scopes)
                connection.last_error = ""
                connection.save(
                    update_fields=[
                        "access_token",
                        "refresh_token",
                        "token_expires_at",
                        "scopes",
                        "last_error",
                        "updated_at",
                    ]
                )
                logger.info(
                    "refreshed %s tokens for connection %s; access token valid until %s",
                    connection.provider,
                    connection.pk,
                    connection.token_expires_at.isoformat() if connection.token_expires_at else "-",
                )
    if refused is not None:
        # Outside the locked transaction: the status change must commit even though we raise.
        connection = Connection.objects.get(pk=connection_id)
        connection.mark_needs_reauth(reason=_refusal_reason(connection=connection, error=refused))
        raise refused
    return connection


def _refusal_reason(*, connection: Connection, error: AuthExpired) -> str:
    label = connection.get_provider_display()
    detail = error.oauth_error if getattr(error, "oauth_error", "") else "refused"
    return (
        f"{label} refused to renew access ({detail}). "
        f"Reconnect to {label} from Sync › Connections to resume syncing."
    )
