"""Harvest OAuth2 (authorization code) on id.getharvest.com.

https://help.getharvest.com/api-v2/authentication-api/authentication/authentication/:
the user is sent to `/oauth2/authorize?client_id=..&response_type=code&state=..`, comes back with
`code` (and `scope`), which `POST /api/v2/oauth2/token` exchanges (form-encoded, with the app's
client id and secret) for an access token (valid 14 days) and a refresh token.
`GET /api/v2/accounts` lists the accounts the token reaches; only `product == "harvest"` ones are
usable here (Forecast accounts share the identity host).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone

from syncapp.providers.base import ProviderClient
from syncapp.providers.errors import UnexpectedResponse
from syncapp.providers.hosts import Hosts


@dataclass(frozen=True)
class HarvestTokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime | None
    # `scopes` as the shared token lock (providers.tokens.connection_token_refresh) reads them.
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class HarvestAccount:
    id: str
    name: str
    product: str


@dataclass(frozen=True)
class HarvestIdentity:
    user_email: str
    user_name: str
    accounts: tuple[HarvestAccount, ...]


class HarvestIdentityClient(ProviderClient):
    provider = "harvest-id"

    def __init__(
        self,
        *,
        hosts: Hosts,
        client_id: str = "",
        client_secret: str = "",
        now: Callable[[], datetime] = timezone.now,
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url=hosts.harvest_id, **kwargs)
        self.hosts = hosts
        self.client_id = client_id
        self._client_secret = client_secret
        self._now = now

    def authorize_url(self, *, state: str, redirect_uri: str = "", scope: str = "") -> str:
        if not self.client_id:
            raise ValueError("no Harvest OAuth client id configured")
        query = {"client_id": self.client_id, "response_type": "code", "state": state}
        if redirect_uri:
            query["redirect_uri"] = redirect_uri
        if scope:
            query["scope"] = scope
        return f"{self.hosts.harvest_authorize}?{urlencode(query)}"

    def _token(self, form: dict[str, str]) -> HarvestTokenSet:
        if not self.client_id or not self._client_secret:
            raise ValueError("Harvest OAuth needs a client id and secret")
        body = self._request_json(
            "POST",
            self.hosts.harvest_token,
            data={**form, "client_id": self.client_id, "client_secret": self._client_secret},
            governed=False,
        )
        if not isinstance(body, dict) or not body.get("access_token"):
            raise UnexpectedResponse(
                "token response without access_token",
                path="/api/v2/oauth2/token",
                provider=self.provider,
            )
        expires_in = body.get("expires_in")
        return HarvestTokenSet(
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token") or ""),
            expires_at=self._now() + timedelta(seconds=int(expires_in)) if expires_in else None,
            scopes=tuple(str(body.get("scope") or "").split()),
        )

    def exchange_code(self, *, code: str) -> HarvestTokenSet:
        """Exchange the authorization code. Never retried after a timeout: a code works once."""
        return self._token({"code": code, "grant_type": "authorization_code"})

    def refresh_access_token(self, *, refresh_token: str) -> HarvestTokenSet:
        return self._token({"refresh_token": refresh_token, "grant_type": "refresh_token"})

    def list_accounts(self, *, access_token: str) -> HarvestIdentity:
        """The Harvest accounts this token reaches (other products left out)."""
        body = self._request_json(
            "GET",
            self.hosts.harvest_accounts,
            headers={"Authorization": f"Bearer {access_token}"},
            governed=False,
        )
        if not isinstance(body, dict) or not isinstance(body.get("accounts"), list):
            raise UnexpectedResponse(
                "accounts response without accounts",
                path="/api/v2/accounts",
                provider=self.provider,
            )
        user = body.get("user") or {}
        accounts = tuple(
            HarvestAccount(id=str(item["id"]), name=str(item.get("name") or ""), product="harvest")
            for item in body["accounts"]
            if isinstance(item, dict) and item.get("product") == "harvest"
        )
        name = f"{user.get('first_name') or ''} {user.get('last_name') or ''}".strip()
        return HarvestIdentity(
            user_email=str(user.get("email") or ""), user_name=name, accounts=accounts
        )
