"""Build Xero clients for a stored Connection: hosts, app credentials, tokens and governor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from django.utils import timezone

from syncapp.models import Connection
from syncapp.providers.hosts import hosts_for_connection, hosts_for_identity, oauth_app_credentials
from syncapp.providers.tokens import (
    REFRESH_MARGIN,
    Refresher,
    connection_access_token_get,
    connection_token_refresh,
)
from syncapp.providers.xero.client import XeroClient
from syncapp.providers.xero.oauth import XeroIdentityClient
from syncapp.providers.xero.types import TokenSet


def xero_identity_client(
    *,
    connection: Connection | None = None,
    base_url: str = "",
    transport: httpx.BaseTransport | None = None,
    **options: Any,
) -> XeroIdentityClient:
    hosts = hosts_for_identity(connection=connection, base_url=base_url)
    client_id, client_secret = oauth_app_credentials(provider="xero", connection=connection)
    return XeroIdentityClient(
        hosts=hosts,
        client_id=client_id,
        client_secret=client_secret,
        transport=transport,
        **options,
    )


def xero_refresher(*, transport: httpx.BaseTransport | None = None) -> Refresher:
    """The `refresher` providers.tokens calls while it holds the connection's lock."""

    def refresh(*, connection: Connection, refresh_token: str) -> TokenSet:
        with xero_identity_client(connection=connection, transport=transport) as identity:
            return identity.refresh_access_token(refresh_token=refresh_token)

    return refresh


class _CachedTokenSource:
    """Reads the token from the database only when the cached one is about to expire; a 401
    (token replaced by another worker, or revoked) goes through `refresh` instead."""

    def __init__(
        self, *, connection_id: int, refresher: Refresher, now: Callable[[], datetime]
    ) -> None:
        self.connection_id = connection_id
        self.refresher = refresher
        self.now = now
        self._token = ""
        self._expires_at: datetime | None = None

    def __call__(self) -> str:
        if self._token and (
            self._expires_at is None or self._expires_at - REFRESH_MARGIN > self.now()
        ):
            return self._token
        self._token = connection_access_token_get(
            connection_id=self.connection_id, refresher=self.refresher, now=self.now
        )
        self._expires_at = (
            Connection.objects.filter(pk=self.connection_id)
            .values_list("token_expires_at", flat=True)
            .first()
        )
        return self._token

    def refresh(self, stale: str) -> str:
        connection = connection_token_refresh(
            connection_id=self.connection_id,
            refresher=self.refresher,
            now=self.now,
            stale_access_token=stale,
        )
        self._token, self._expires_at = connection.access_token, connection.token_expires_at
        return self._token


def xero_client_for_connection(
    *,
    connection: Connection,
    transport: httpx.BaseTransport | None = None,
    governor: Any = None,
    governed: bool = True,
    clock: Any = None,
    now: Callable[[], datetime] = timezone.now,
    **options: Any,
) -> XeroClient:
    """A client for the connection's organisation, on the shared per-organisation governor."""
    if connection.provider != Connection.Provider.XERO:
        raise ValueError("not a Xero connection")
    if governor is None and governed:
        from syncapp.providers.governor import governor_for_xero

        extra = {"clock": clock} if clock is not None else {}
        governor = governor_for_xero(tenant_id=connection.account_id, **extra)
    source = _CachedTokenSource(
        connection_id=connection.pk, refresher=xero_refresher(transport=transport), now=now
    )
    if clock is not None:
        options["clock"] = clock
    return XeroClient(
        base_url=hosts_for_connection(connection=connection).xero_api,
        tenant_id=connection.account_id,
        token_source=source,
        token_refresh=source.refresh,
        governor=governor,
        transport=transport,
        **options,
    )
