"""Connections: connect, test, disconnect, and the "needs reconnecting" state.

Admin actions and OAuth views only call these. No function here returns or logs a token: the
admin learns whether one is set and when it expires, nothing more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from django.utils import timezone

from syncapp.models import Connection, Integration, SyncLink
from syncapp.providers.errors import ApiError, AuthExpired, Forbidden
from syncapp.providers.xero.types import TokenSet, XeroTenant

logger = logging.getLogger(__name__)


class ConnectionMismatch(ValueError):
    """Connecting would point an integration with ledger entries at another account."""


@dataclass(frozen=True)
class ConnectionTestResult:
    ok: bool
    message: str
    name: str = ""


def connection_mark_needs_reauth(*, connection: Connection, reason: str) -> Connection:
    """Access was refused for good: mark the connection and fail the integration's queued runs
    (Connection.mark_needs_reauth, which the provider token lock calls too)."""
    connection.mark_needs_reauth(reason=reason)
    return connection


def connection_auth_lost(*, integration: Integration, provider: str, error: ApiError) -> str:
    """For the engine when a run meets AuthExpired/Forbidden: make sure the connection says it
    needs reconnecting (and the integration's queued runs stop), and return the sentence to put
    on the failed run."""
    label = Connection.Provider(provider).label
    connection = Connection.objects.filter(integration=integration, provider=provider).first()
    if connection is None:
        return f"No {label} connection. Open Sync › Connections and connect {label}."
    if connection.status == Connection.Status.ACTIVE:
        connection_mark_needs_reauth(
            connection=connection,
            reason=f"{label} refused access ({error.api_message}). Reconnect to {label}.",
        )
    action = (
        f"Reconnect to {label}" if provider == Connection.Provider.XERO else f"Reconnect {label}"
    )
    return (
        f"{label} refused access, so the run stopped. Open Sync › Connections and click "
        f"“{action}”; nothing already synced is lost."
    )


def _connection_for(*, integration: Integration, provider: str) -> Connection:
    connection, _ = Connection.objects.get_or_create(integration=integration, provider=provider)
    return connection


def _account_switch_check(*, connection: Connection, account_id: str, account_name: str) -> None:
    """The ledger maps Harvest ids to ids in one Xero organisation and one Harvest account;
    reconnecting an integration that has ledger entries to a different one would make every
    link point at the wrong records, so it is refused."""
    if not connection.account_id or connection.account_id == str(account_id):
        return
    if not SyncLink.objects.filter(integration_id=connection.integration_id).exists():
        return
    label = connection.get_provider_display()
    noun = "organisation" if connection.provider == Connection.Provider.XERO else "account"
    raise ConnectionMismatch(
        f"'{connection.integration}' already syncs with the {label} {noun} "
        f"'{connection.account_name or connection.account_id}'. Reconnect that same {noun}, "
        f"or add a new integration for '{account_name or account_id}'."
    )


def connection_connect_harvest_token(
    *,
    integration: Integration,
    account_id: str,
    token: str,
    base_url: str = "",
    transport: httpx.BaseTransport | None = None,
) -> Connection:
    """Store a Harvest personal access token after checking it against GET /company.

    Raises AuthExpired/Forbidden (bad token or account id) without storing anything.
    """
    account_id, token = account_id.strip(), token.strip()
    if not account_id.isdigit():
        raise ValueError("The Harvest account id is a number (Harvest › Developers).")
    if not token:
        raise ValueError("Paste the personal access token.")
    company_name = _harvest_company_name(
        base_url=base_url, account_id=account_id, token=token, transport=transport
    )
    connection = _connection_for(integration=integration, provider=Connection.Provider.HARVEST)
    _account_switch_check(connection=connection, account_id=account_id, account_name=company_name)
    connection.auth_method = Connection.AuthMethod.TOKEN
    connection.account_id = account_id
    connection.account_name = company_name
    connection.base_url = base_url
    connection.access_token = token
    connection.refresh_token = ""
    connection.token_expires_at = None
    connection.scopes = ""
    connection.status = Connection.Status.ACTIVE
    connection.last_error = ""
    connection.connected_at = timezone.now()
    connection.save()
    return connection


def connection_connect_harvest_oauth(
    *,
    integration: Integration,
    tokens: TokenSet,
    account_id: str,
    account_name: str,
    base_url: str = "",
) -> Connection:
    connection = _connection_for(integration=integration, provider=Connection.Provider.HARVEST)
    _account_switch_check(connection=connection, account_id=account_id, account_name=account_name)
    connection.auth_method = Connection.AuthMethod.OAUTH
    connection.account_id = str(account_id)
    connection.account_name = account_name
    _tokens_store(connection=connection, tokens=tokens, base_url=base_url)
    connection.save()
    return connection


def connection_connect_xero(
    *,
    integration: Integration,
    tokens: TokenSet,
    tenant: XeroTenant,
    base_url: str = "",
    client_id: str = "",
) -> Connection:
    """`client_id`: only when the app is not the one in settings (the sandbox's PKCE app); a
    connection with its own client id refreshes with it and no secret."""
    connection = _connection_for(integration=integration, provider=Connection.Provider.XERO)
    _account_switch_check(
        connection=connection, account_id=tenant.tenant_id, account_name=tenant.tenant_name
    )
    connection.auth_method = Connection.AuthMethod.OAUTH
    if client_id:
        connection.client_id, connection.client_secret = client_id, ""
    connection.account_id = tenant.tenant_id
    connection.account_name = tenant.tenant_name
    connection.xero_connection_id = tenant.connection_id
    _tokens_store(connection=connection, tokens=tokens, base_url=base_url)
    connection.save()
    return connection


def _tokens_store(*, connection: Connection, tokens: TokenSet, base_url: str) -> None:
    connection.base_url = base_url
    connection.access_token = tokens.access_token
    connection.refresh_token = tokens.refresh_token
    connection.token_expires_at = tokens.expires_at
    connection.scopes = " ".join(tokens.scopes)
    connection.status = Connection.Status.ACTIVE
    connection.last_error = ""
    connection.connected_at = timezone.now()


def connection_test(
    *, connection: Connection, transport: httpx.BaseTransport | None = None
) -> ConnectionTestResult:
    """Call the cheapest endpoint that proves access and name what it reached."""
    label = connection.get_provider_display()
    if connection.status == Connection.Status.DISABLED or not connection.access_token:
        return ConnectionTestResult(ok=False, message=f"{label} is not connected.")
    try:
        if connection.provider == Connection.Provider.XERO:
            name = _xero_organisation_name(connection=connection, transport=transport)
        else:
            name = _harvest_company_name(
                base_url=connection.base_url,
                account_id=connection.account_id,
                token="",
                connection=connection,
                transport=transport,
            )
    except (AuthExpired, Forbidden) as exc:
        connection.refresh_from_db()
        if connection.status != Connection.Status.NEEDS_REAUTH:
            connection_mark_needs_reauth(
                connection=connection,
                reason=f"{label} refused access ({exc.api_message}). Reconnect to {label}.",
            )
        return ConnectionTestResult(ok=False, message=connection.last_error)
    except ApiError as exc:
        message = f"{label} could not be reached: {exc}"
        Connection.objects.filter(pk=connection.pk).update(last_error=message)
        return ConnectionTestResult(ok=False, message=message)
    Connection.objects.filter(pk=connection.pk).update(
        account_name=name, last_error="", updated_at=timezone.now()
    )
    connection.account_name, connection.last_error = name, ""
    return ConnectionTestResult(ok=True, name=name, message=f"Connected to {label}: {name}.")


def connection_disconnect(
    *, connection: Connection, transport: httpx.BaseTransport | None = None
) -> list[str]:
    """Forget the credentials here and, for Xero, end the grant there too.

    Remote clean-up failures are returned as warnings; the local disconnect always happens, so
    hxsync never keeps using credentials finance asked it to drop.
    """
    warnings: list[str] = []
    if connection.provider == Connection.Provider.XERO and connection.refresh_token:
        warnings.extend(_xero_disconnect_remote(connection=connection, transport=transport))
    Connection.objects.filter(pk=connection.pk).update(
        access_token="",
        refresh_token="",
        token_expires_at=None,
        xero_connection_id="",
        status=Connection.Status.DISABLED,
        last_error="",
        updated_at=timezone.now(),
    )
    connection.refresh_from_db()
    return warnings


def _xero_disconnect_remote(*, connection: Connection, transport) -> list[str]:
    from syncapp.providers.tokens import connection_access_token_get
    from syncapp.providers.xero.factory import xero_identity_client, xero_refresher

    warnings = []
    with xero_identity_client(connection=connection, transport=transport) as identity:
        if connection.xero_connection_id and connection.status == Connection.Status.ACTIVE:
            try:
                token = connection_access_token_get(
                    connection_id=connection.pk, refresher=xero_refresher(transport=transport)
                )
                identity.disconnect_tenant(
                    access_token=token, connection_id=connection.xero_connection_id
                )
            except ApiError as exc:
                warnings.append(f"Xero did not confirm removing the organisation link: {exc}")
            connection.refresh_from_db()
        try:
            identity.revoke_token(refresh_token=connection.refresh_token)
        except ApiError as exc:
            warnings.append(f"Xero did not confirm revoking the token: {exc}")
    return warnings


def _xero_organisation_name(*, connection: Connection, transport) -> str:
    from syncapp.providers.xero.factory import xero_client_for_connection

    with xero_client_for_connection(connection=connection, transport=transport) as client:
        return client.get_organisation().name


def _harvest_company_name(
    *,
    base_url: str,
    account_id: str,
    token: str,
    transport,
    connection: Connection | None = None,
) -> str:
    """GET /company with a connection's stored token (refreshed if OAuth) or a token being
    checked before it is stored."""
    from syncapp.providers.harvest.client import HarvestClient
    from syncapp.providers.harvest.factory import harvest_client_for_connection
    from syncapp.providers.hosts import hosts_for

    if connection is not None:
        client = harvest_client_for_connection(connection=connection, transport=transport)
    else:
        client = HarvestClient(
            base_url=hosts_for(base_url=base_url).harvest_api,
            account_id=account_id,
            access_token=token,
            transport=transport,
        )
    with client:
        company = client.get_company()
    return company.name or str(account_id)
