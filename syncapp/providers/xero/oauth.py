"""Xero OAuth2: authorize URL (state + PKCE S256), code exchange, refresh, tenants, disconnect.

Flow (https://developer.xero.com/documentation/guides/oauth2/auth-flow and .../pkce-flow):
1. send the user to login.xero.com's authorize URL with `state`, a `code_challenge` (S256) and
   the scopes, `offline_access` included so a refresh token is issued;
2. exchange the returned code at identity.xero.com/connect/token with the `code_verifier`;
3. GET /connections lists the organisations (tenants) the user granted; finance picks one;
4. refresh before the 30-minute access token expires (providers.tokens does it under a lock);
5. disconnect = revoke the refresh token (connect/revocation) and DELETE /connections/{id}.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone

from syncapp.providers.base import NO_RETRY, ProviderClient, RetryPolicy
from syncapp.providers.errors import AuthExpired, UnexpectedResponse
from syncapp.providers.hosts import Hosts
from syncapp.providers.xero.types import TokenSet, XeroTenant

# Granular scopes, required for Xero apps created from 2 March 2026; apps created earlier may
# still use `accounting.transactions` until September 2027 (XERO_SCOPES overrides this list).
DEFAULT_SCOPES = (
    "offline_access",
    "openid",
    "profile",
    "email",
    "accounting.settings",
    "accounting.contacts",
    "accounting.invoices",
    "accounting.payments",
    "accounting.banktransactions",
    "accounting.manualjournals",
    "accounting.attachments",
)
# A refresh may be sent again with the same refresh token: Xero honours the old token for a
# 30-minute grace period, so retrying a refresh whose answer was lost is safe.
REFRESH_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.5, backoff_cap=5.0, max_sleep=10.0)


def pkce_pair_create() -> tuple[str, str]:
    """(code_verifier, code_challenge) per RFC 7636: 86 url-safe characters, S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    return verifier, pkce_challenge(verifier)


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def oauth_state_create() -> str:
    return secrets.token_urlsafe(32)


def xero_authorize_url(
    *,
    hosts: Hosts,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    scopes: Sequence[str] = DEFAULT_SCOPES,
) -> str:
    if "offline_access" not in scopes:
        raise ValueError("offline_access is needed for a refresh token (background syncs)")
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    return f"{hosts.xero_authorize}?{urlencode(query)}"


class XeroIdentityClient(ProviderClient):
    """Token endpoint, revocation and /connections. Not rate-governed: these calls are not
    counted against an organisation's limits."""

    provider = "xero"

    def __init__(
        self,
        *,
        hosts: Hosts,
        client_id: str,
        client_secret: str = "",
        now: Callable[[], datetime] = timezone.now,
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url=hosts.xero_token, **kwargs)
        self.hosts = hosts
        self.client_id = client_id
        self._client_secret = client_secret
        self._now = now

    def _client_auth(self, form: dict[str, str]) -> dict[str, str]:
        """Web apps authenticate with HTTP Basic; PKCE-only apps have no secret and send their
        client_id in the form instead."""
        if self._client_secret:
            raw = f"{self.client_id}:{self._client_secret}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}
        form["client_id"] = self.client_id
        return {}

    def _token_call(self, form: dict[str, str], *, retry: RetryPolicy) -> TokenSet:
        headers = self._client_auth(form)
        body = self._request_json(
            "POST",
            self.hosts.xero_token,
            data=form,
            headers=headers,
            authenticate=False,
            governed=False,
            idempotent=retry is not NO_RETRY,
            retry=retry,
        )
        if not isinstance(body, dict):
            raise UnexpectedResponse("token endpoint answered without JSON", provider="xero")
        return token_set_from_response(data=body, now=self._now())

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        """A code works once, so the exchange is never retried after it may have been used."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        return self._token_call(form, retry=NO_RETRY)

    def refresh_access_token(self, *, refresh_token: str) -> TokenSet:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._token_call(form, retry=REFRESH_RETRY)

    def revoke_token(self, *, refresh_token: str) -> None:
        """Revoking the refresh token also ends its access tokens."""
        form = {"token": refresh_token}
        headers = self._client_auth(form)
        self._request(
            "POST",
            self.hosts.xero_revoke,
            data=form,
            headers=headers,
            authenticate=False,
            governed=False,
            idempotent=True,
        )

    def list_tenants(self, *, access_token: str, auth_event_id: str = "") -> list[XeroTenant]:
        params = {"authEventId": auth_event_id} if auth_event_id else None
        body = self._request_json(
            "GET",
            self.hosts.xero_connections,
            params=params,
            headers={"Authorization": f"Bearer {access_token}"},
            authenticate=False,
            governed=False,
        )
        if not isinstance(body, list):
            raise UnexpectedResponse("GET /connections did not answer a list", provider="xero")
        return [XeroTenant.from_api(item) for item in body]

    def disconnect_tenant(self, *, access_token: str, connection_id: str) -> None:
        self._request(
            "DELETE",
            f"{self.hosts.xero_connections}/{connection_id}",
            headers={"Authorization": f"Bearer {access_token}"},
            authenticate=False,
            governed=False,
        )


def token_set_from_response(*, data: dict, now: datetime) -> TokenSet:
    """Build a TokenSet from an OAuth2 token endpoint answer (RFC 6749 section 5.1)."""
    access = data.get("access_token")
    if not access:
        raise AuthExpired("The token endpoint answered without an access token")
    expires_in = data.get("expires_in")
    expires_at = now + timedelta(seconds=int(expires_in)) if expires_in is not None else None
    scope = data.get("scope") or ""
    return TokenSet(
        access_token=str(access),
        refresh_token=str(data.get("refresh_token") or ""),
        expires_at=expires_at,
        scopes=tuple(scope.split()) if isinstance(scope, str) else tuple(scope),
        token_type=str(data.get("token_type") or "Bearer"),
    )
