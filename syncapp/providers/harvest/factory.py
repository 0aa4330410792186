"""Build Harvest clients for a stored Connection: hosts, token, governor.

Personal access tokens never expire. OAuth tokens live 14 days and are refreshed ahead of
expiry through the shared, provider-neutral token lock in `providers.tokens` (one worker refreshes,
the rotated refresh token is committed before use, a refused refresh marks needs_reauth).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.utils import timezone

from syncapp.models import Connection
from syncapp.providers.harvest.client import HarvestClient
from syncapp.providers.harvest.oauth import HarvestIdentityClient, HarvestTokenSet
from syncapp.providers.hosts import hosts_for_connection, hosts_for_identity, oauth_app_credentials

# A 14-day token is renewed a day early: a sync started just before expiry must not fail.
HARVEST_REFRESH_MARGIN = timedelta(days=1)


def harvest_identity_client(
    *,
    connection: Connection | None = None,
    base_url: str = "",
    transport: httpx.BaseTransport | None = None,
    **options: Any,
) -> HarvestIdentityClient:
    hosts = hosts_for_identity(connection=connection, base_url=base_url)
    client_id, client_secret = oauth_app_credentials(provider="harvest", connection=connection)
    return HarvestIdentityClient(
        hosts=hosts,
        client_id=client_id,
        client_secret=client_secret,
        transport=transport,
        **options,
    )


def harvest_refresher(
    *,
    transport: httpx.BaseTransport | None = None,
    now: Callable[[], datetime] = timezone.now,
):
    """The `refresher` the shared token lock calls while it holds the connection's row."""

    def refresh(*, connection: Connection, refresh_token: str) -> HarvestTokenSet:
        with harvest_identity_client(
            connection=connection, transport=transport, now=now
        ) as identity:
            return identity.refresh_access_token(refresh_token=refresh_token)

    return refresh


class _OAuthTokenSource:
    """The stored token, re-read only when the cached one nears expiry."""

    def __init__(self, *, connection_id: int, transport, now: Callable[[], datetime]) -> None:
        self.connection_id = connection_id
        self.transport = transport
        self.now = now
        self._token = ""
        self._expires_at: datetime | None = None

    def __call__(self) -> str:
        fresh = self._token and (
            self._expires_at is None or self._expires_at - HARVEST_REFRESH_MARGIN > self.now()
        )
        if fresh:
            return self._token
        from syncapp.providers.tokens import connection_access_token_get

        self._token = connection_access_token_get(
            connection_id=self.connection_id,
            refresher=harvest_refresher(transport=self.transport, now=self.now),
            now=self.now,
            margin=HARVEST_REFRESH_MARGIN,
        )
        self._expires_at = (
            Connection.objects.filter(pk=self.connection_id)
            .values_list("token_expires_at", flat=True)
            .first()
        )
        return self._token


def harvest_client_for_connection(
    *,
    connection: Connection,
    transport: httpx.BaseTransport | None = None,
    governor: Any = None,
    governed: bool = True,
    clock: Any = None,
    now: Callable[[], datetime] = timezone.now,
    **options: Any,
) -> HarvestClient:
    """A client for the connection's Harvest account, on the account's shared governor."""
    if connection.provider != Connection.Provider.HARVEST:
        raise ValueError("not a Harvest connection")
    if not connection.account_id:
        raise ValueError("the Harvest connection has no account id")
    if governor is None and governed:
        from syncapp.providers.governor import governor_for_harvest

        extra = {"clock": clock} if clock is not None else {}
        governor = governor_for_harvest(account_id=connection.account_id, **extra)
    if clock is not None:
        options["clock"] = clock
    if connection.auth_method == Connection.AuthMethod.OAUTH and connection.refresh_token:
        auth: dict[str, Any] = {
            "token_source": _OAuthTokenSource(
                connection_id=connection.pk, transport=transport, now=now
            )
        }
    else:
        auth = {"access_token": connection.access_token}
    return HarvestClient(
        base_url=hosts_for_connection(connection=connection).harvest_api,
        account_id=connection.account_id,
        governor=governor,
        transport=transport,
        **auth,
        **options,
    )
