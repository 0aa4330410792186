"""OAuth2 connect flows for Xero and Harvest, kept in the user's session between the redirects.

The session holds, per flow, the `state` we sent, the PKCE verifier and which integration is
being connected (ten minutes at most). When the user granted several organisations (Xero) or
several Harvest accounts, the fresh tokens wait for the picker encrypted with the field key, so
not even the session table holds a token in clear.
"""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from django.conf import settings

from syncapp.crypto import secret_decrypt, secret_encrypt
from syncapp.models import Connection, Integration
from syncapp.providers.hosts import hosts_for, oauth_app_credentials
from syncapp.providers.xero.oauth import (
    DEFAULT_SCOPES,
    oauth_state_create,
    pkce_pair_create,
    xero_authorize_url,
)
from syncapp.providers.xero.types import TokenSet, XeroTenant
from syncapp.services.connections import connection_connect_harvest_oauth, connection_connect_xero

FLOWS_KEY = "hxsync_oauth_flows"
PENDING_KEY = "hxsync_oauth_pending"
FLOW_TTL_SECONDS = 600
MAX_OPEN_FLOWS = 5


class OAuthFlowError(Exception):
    """The flow cannot go on; the message tells the user what to do."""


@dataclass
class OAuthOutcome:
    """Either the connection is made, or finance has to pick among `choices`."""

    provider: str
    integration_id: int
    connection: Connection | None = None
    choices: list[dict] = field(default_factory=list)


def oauth_app_configured(*, provider: str) -> bool:
    return bool(oauth_app_credentials(provider=provider)[0])


def _app_credentials(*, provider: str, public_client_id: str = "") -> tuple[str, str, bool]:
    """(client id, client secret, is a public app the connection must remember) for a flow.

    A public (PKCE, no secret) app named by the caller wins: it is the app registered where
    `base_url` points (the demo wiring names its sandbox's app). Otherwise the app from settings.
    """
    if public_client_id:
        return public_client_id, "", True
    client_id, client_secret = oauth_app_credentials(provider=provider)
    if client_id:
        return client_id, client_secret, False
    name = f"{provider.upper()}_CLIENT_ID"
    raise OAuthFlowError(
        f"No {provider.title()} app is configured: set {name} and {provider.upper()}"
        "_CLIENT_SECRET in the environment (.env), restart, and try again."
    )


def _public_app_remembered(*, integration: Integration, base_url: str) -> str:
    """The public app an earlier connection to the same `base_url` was made with, so that it
    reconnects (e.g. after needs_reauth) the way it first connected; else ""."""
    if not base_url:
        return ""
    connection = Connection.objects.filter(
        integration=integration, provider=Connection.Provider.XERO, base_url=base_url
    ).first()
    if connection is None or not connection.client_id or connection.client_secret:
        return ""
    return connection.client_id


def _flow_begin(
    *,
    session,
    provider: str,
    integration: Integration,
    redirect_uri: str,
    base_url: str,
    public_client_id: str = "",
) -> tuple[str, str]:
    flows = {
        state: flow
        for state, flow in (session.get(FLOWS_KEY) or {}).items()
        if time.time() - flow["created"] < FLOW_TTL_SECONDS
    }
    while len(flows) >= MAX_OPEN_FLOWS:
        flows.pop(min(flows, key=lambda s: flows[s]["created"]))
    state = oauth_state_create()
    verifier, challenge = pkce_pair_create()
    flows[state] = {
        "provider": provider,
        "integration_id": integration.pk,
        "redirect_uri": redirect_uri,
        "base_url": base_url,
        "public_client_id": public_client_id,
        "verifier": verifier,
        "created": time.time(),
    }
    session[FLOWS_KEY] = flows
    return state, challenge


def _flow_take(*, session, provider: str, state: str) -> dict:
    """Pop the flow `state` names; a state we did not issue (or issued too long ago) is refused,
    which is what stops a forged callback (RFC 6749 section 10.12)."""
    flows = dict(session.get(FLOWS_KEY) or {})
    flow = None
    for issued in list(flows):
        if hmac.compare_digest(issued.encode(), (state or "").encode()):
            flow = flows.pop(issued)
    session[FLOWS_KEY] = flows
    if flow is None or flow["provider"] != provider:
        raise OAuthFlowError("This sign-in link is not one hxsync started. Start again.")
    if time.time() - flow["created"] >= FLOW_TTL_SECONDS:
        raise OAuthFlowError("The sign-in took longer than ten minutes. Start again.")
    return flow


def _tokens_seal(tokens: TokenSet) -> str:
    return secret_encrypt(
        json.dumps(
            {
                "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token,
                "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
                "scopes": list(tokens.scopes),
            }
        )
    )


def _tokens_unseal(sealed: str) -> TokenSet:
    data = json.loads(secret_decrypt(sealed))
    expires = data.get("expires_at")
    return TokenSet(
        access_token=data["access_token"],
        refresh_token=data["refresh_token"],
        expires_at=datetime.fromisoformat(expires) if expires else None,
        scopes=tuple(data.get("scopes") or ()),
    )


# --- Xero ------------------------------------------------------------------------------------


def xero_oauth_start(
    *,
    session,
    integration: Integration,
    redirect_uri: str,
    base_url: str = "",
    public_client_id: str = "",
) -> str:
    """Remember the flow in the session and return Xero's authorize URL to redirect to.

    `public_client_id`: a public (PKCE, no secret) app to use instead of XERO_CLIENT_ID, kept
    on the connection; without it, a reconnect to the same `base_url` reuses the one kept.
    """
    public_client_id = public_client_id or _public_app_remembered(
        integration=integration, base_url=base_url
    )
    client_id, _, _ = _app_credentials(
        provider=Connection.Provider.XERO, public_client_id=public_client_id
    )
    state, challenge = _flow_begin(
        session=session,
        provider=Connection.Provider.XERO,
        integration=integration,
        redirect_uri=redirect_uri,
        base_url=base_url,
        public_client_id=public_client_id,
    )
    scopes = tuple(getattr(settings, "XERO_SCOPES", None) or DEFAULT_SCOPES)
    return xero_authorize_url(
        hosts=hosts_for(base_url=base_url),
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=challenge,
        scopes=scopes,
    )


def xero_oauth_finish(
    *,
    session,
    state: str,
    code: str,
    error: str = "",
    transport: httpx.BaseTransport | None = None,
) -> OAuthOutcome:
    """Exchange the code, list the organisations granted, connect or ask which one."""
    from syncapp.providers.xero.oauth import XeroIdentityClient

    flow = _flow_take(session=session, provider=Connection.Provider.XERO, state=state)
    if error or not code:
        raise OAuthFlowError(
            f"Xero did not grant access ({error or 'no code returned'}). "
            "Click Connect to Xero again and choose Allow access."
        )
    base_url = flow["base_url"]
    client_id, client_secret, public_app = _app_credentials(
        provider=Connection.Provider.XERO, public_client_id=flow.get("public_client_id", "")
    )
    identity = XeroIdentityClient(
        hosts=hosts_for(base_url=base_url),
        client_id=client_id,
        client_secret=client_secret,
        transport=transport,
    )
    with identity:
        tokens = identity.exchange_code(
            code=code, redirect_uri=flow["redirect_uri"], code_verifier=flow["verifier"]
        )
        tenants = [
            t
            for t in identity.list_tenants(access_token=tokens.access_token)
            if t.tenant_type in ("ORGANISATION", "")
        ]
    if not tenants:
        raise OAuthFlowError(
            "Xero granted access to no organisation. Click Connect to Xero again and tick the "
            "organisation to connect."
        )
    integration = Integration.objects.get(pk=flow["integration_id"])
    if len(tenants) == 1:
        connection = connection_connect_xero(
            integration=integration,
            tokens=tokens,
            tenant=tenants[0],
            base_url=base_url,
            client_id=client_id if public_app else "",
        )
        return OAuthOutcome(provider="xero", integration_id=integration.pk, connection=connection)
    choices = _current_first(
        integration=integration,
        provider=Connection.Provider.XERO,
        choices=[
            {"id": t.tenant_id, "name": t.tenant_name, "connection_id": t.connection_id}
            for t in tenants
        ],
    )
    session[PENDING_KEY] = {
        "provider": "xero",
        "integration_id": integration.pk,
        "base_url": base_url,
        "tokens": _tokens_seal(tokens),
        "client_id": client_id if public_app else "",
        "choices": choices,
        "created": time.time(),
    }
    return OAuthOutcome(provider="xero", integration_id=integration.pk, choices=choices)


def _current_first(*, integration: Integration, provider: str, choices: list[dict]) -> list[dict]:
    """A reconnect offers the organisation/account already connected first (preselected)."""
    current = (
        Connection.objects.filter(integration=integration, provider=provider)
        .values_list("account_id", flat=True)
        .first()
    )
    return sorted(choices, key=lambda c: str(c["id"]) != (current or ""))


def oauth_pending_get(*, session, provider: str) -> dict | None:
    pending = session.get(PENDING_KEY)
    if not pending or pending.get("provider") != provider:
        return None
    if time.time() - pending["created"] >= FLOW_TTL_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    return pending


def oauth_pending_choose(*, session, provider: str, choice_id: str) -> Connection:
    """Finish a flow that waited for the picker with the organisation/account chosen."""
    pending = oauth_pending_get(session=session, provider=provider)
    if pending is None:
        raise OAuthFlowError("Nothing is waiting to be connected (or it expired). Start again.")
    chosen = next((c for c in pending["choices"] if str(c["id"]) == str(choice_id)), None)
    if chosen is None:
        raise OAuthFlowError("Choose one of the listed organisations.")
    integration = Integration.objects.get(pk=pending["integration_id"])
    tokens = _tokens_unseal(pending["tokens"])
    if provider == Connection.Provider.XERO:
        tenant = XeroTenant(
            connection_id=chosen["connection_id"],
            tenant_id=chosen["id"],
            tenant_name=chosen["name"],
            tenant_type="ORGANISATION",
        )
        connection = connection_connect_xero(
            integration=integration,
            tokens=tokens,
            tenant=tenant,
            base_url=pending["base_url"],
            client_id=pending.get("client_id", ""),
        )
    else:
        connection = connection_connect_harvest_oauth(
            integration=integration,
            tokens=tokens,
            account_id=str(chosen["id"]),
            account_name=chosen["name"],
            base_url=pending["base_url"],
        )
    # Only now: a refused choice (another organisation than the ledger's) can be corrected.
    session.pop(PENDING_KEY, None)
    return connection


# --- Harvest ---------------------------------------------------------------------------------


def harvest_oauth_start(
    *, session, integration: Integration, redirect_uri: str, base_url: str = ""
) -> str:
    """Harvest's authorize URL. Harvest's OAuth takes no PKCE; `state` protects the callback."""
    from syncapp.providers.harvest.oauth import HarvestIdentityClient

    client_id, _, _ = _app_credentials(provider=Connection.Provider.HARVEST)
    state, _ = _flow_begin(
        session=session,
        provider=Connection.Provider.HARVEST,
        integration=integration,
        redirect_uri=redirect_uri,
        base_url=base_url,
    )
    with HarvestIdentityClient(hosts=hosts_for(base_url=base_url), client_id=client_id) as ident:
        return ident.authorize_url(state=state, redirect_uri=redirect_uri)


def harvest_oauth_finish(
    *,
    session,
    state: str,
    code: str,
    error: str = "",
    transport: httpx.BaseTransport | None = None,
) -> OAuthOutcome:
    """Exchange the code, list the user's Harvest accounts, connect or ask which one."""
    from syncapp.providers.harvest.oauth import HarvestIdentityClient

    flow = _flow_take(session=session, provider=Connection.Provider.HARVEST, state=state)
    if error or not code:
        raise OAuthFlowError(
            f"Harvest did not grant access ({error or 'no code returned'}). "
            "Click Connect Harvest again and authorise hxsync."
        )
    base_url = flow["base_url"]
    client_id, client_secret, _ = _app_credentials(provider=Connection.Provider.HARVEST)
    identity = HarvestIdentityClient(
        hosts=hosts_for(base_url=base_url),
        client_id=client_id,
        client_secret=client_secret,
        transport=transport,
    )
    with identity:
        tokens = identity.exchange_code(code=code)
        accounts = identity.list_accounts(access_token=tokens.access_token).accounts
    if not accounts:
        raise OAuthFlowError(
            "This Harvest user has no Harvest account (only other products). Sign in to "
            "Harvest as a user of the account to sync, then try again."
        )
    integration = Integration.objects.get(pk=flow["integration_id"])
    token_set = TokenSet(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=tokens.expires_at,
        scopes=tuple(tokens.scopes),
    )
    if len(accounts) == 1:
        connection = connection_connect_harvest_oauth(
            integration=integration,
            tokens=token_set,
            account_id=accounts[0].id,
            account_name=accounts[0].name,
            base_url=base_url,
        )
        return OAuthOutcome(
            provider="harvest", integration_id=integration.pk, connection=connection
        )
    choices = _current_first(
        integration=integration,
        provider=Connection.Provider.HARVEST,
        choices=[{"id": a.id, "name": a.name} for a in accounts],
    )
    session[PENDING_KEY] = {
        "provider": "harvest",
        "integration_id": integration.pk,
        "base_url": base_url,
        "tokens": _tokens_seal(token_set),
        "choices": choices,
        "created": time.time(),
    }
    return OAuthOutcome(provider="harvest", integration_id=integration.pk, choices=choices)
