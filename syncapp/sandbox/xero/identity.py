"""Xero identity: OAuth 2.0 apps, authorization codes with PKCE, tokens, connections.

As Xero documents (https://developer.xero.com/documentation/guides/oauth2/auth-flow/):
- access tokens live 30 minutes; authorization codes 5 minutes and once;
- refresh tokens rotate: each refresh returns a new one and the used one is refused afterwards
  (`invalid_grant`), except that within 30 minutes, while the new one is unused, a retry gets the
  lost answer again (`XeroState.refresh_grace_seconds`); unused refresh tokens expire after 60 days;
- PKCE uses `code_challenge_method=S256`;
- a tenant the user disconnected (DELETE /connections/{id}) answers 403 to the app.
Tokens are RS256 JWTs like Xero's, signed with the sandbox's own key (published by jwks.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from syncapp.sandbox.xero.jwks import ISSUER, jwt_sign
from syncapp.sandbox.xero.state import XeroState

ACCESS_TOKEN_SECONDS = 30 * 60
CODE_SECONDS = 5 * 60
REFRESH_TOKEN_SECONDS = 60 * 24 * 3600


class OAuthError(Exception):
    """An OAuth error answered as `{"error": code}` with `status`."""

    def __init__(self, error: str, *, status: int = 400, description: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.description = description

    def body(self) -> dict[str, str]:
        data = {"error": self.error}
        if self.description:
            data["error_description"] = self.description
        return data


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(state: XeroState, claims: dict[str, Any]) -> str:
    return jwt_sign(state, claims)


def pkce_challenge(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode()).digest())


def app_register(
    state: XeroState, *, client_id: str, client_secret: str | None, redirect_uris: list[str], name: str
) -> dict[str, Any]:
    """`client_secret=None` makes a PKCE-only app; redirect URIs may be glob patterns (demo)."""
    app = {"client_id": client_id, "client_secret": client_secret,
           "redirect_uris": list(redirect_uris), "name": name}
    state.apps[client_id] = app
    return app


def redirect_allowed(app: dict[str, Any], redirect_uri: str) -> bool:
    """Exact match as Xero requires, except that the sandbox's demo apps register glob patterns
    (any loopback port) so a demo on any port connects without registering anything."""
    netloc = urlsplit(redirect_uri).netloc
    if not netloc or "@" in netloc:
        return False  # userinfo tricks ("http://127.0.0.1:80@evil.example/") never match
    return any(
        redirect_uri == allowed or ("*" in allowed and fnmatchcase(redirect_uri, allowed))
        for allowed in app["redirect_uris"]
    )


def user_default(state: XeroState) -> dict[str, Any]:
    if not state.users:
        user_id = state.new_id("user")
        state.users[user_id] = {
            "xero_userid": user_id, "email": "finance@example.com",
            "given_name": "Fran", "family_name": "Finance",
        }
    return next(iter(state.users.values()))


def connection_ensure(
    state: XeroState, *, client_id: str, user_id: str, auth_event_id: str, now: datetime
) -> dict[str, Any]:
    for connection in state.connections.values():
        if connection["client_id"] == client_id and connection["user_id"] == user_id:
            connection["authEventId"] = auth_event_id
            connection["updatedDateUtc"] = now
            return connection
    connection_id = state.new_id("connection")
    connection = {
        "id": connection_id, "tenantId": state.tenant_id, "tenantType": "ORGANISATION",
        "tenantName": state.organisation.get("Name", "Sandbox"), "authEventId": auth_event_id,
        "createdDateUtc": now, "updatedDateUtc": now, "client_id": client_id, "user_id": user_id,
    }
    state.connections[connection_id] = connection
    return connection


def code_issue(
    state: XeroState, *, client_id: str, redirect_uri: str, scope: str, now: datetime,
    code_challenge: str | None, code_challenge_method: str | None,
) -> str:
    user = user_default(state)
    auth_event_id = state.new_id("auth_event")
    connection_ensure(state, client_id=client_id, user_id=user["xero_userid"],
                      auth_event_id=auth_event_id, now=now)
    code = secrets.token_urlsafe(32)
    state.auth_codes[code] = {
        "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope,
        "code_challenge": code_challenge, "code_challenge_method": code_challenge_method,
        "expires_at": now.timestamp() + CODE_SECONDS, "user_id": user["xero_userid"],
        "auth_event_id": auth_event_id,
    }
    return code


def client_authenticate(
    state: XeroState, *, basic: tuple[str, str] | None, form: dict[str, str]
) -> dict[str, Any]:
    if basic is not None:
        client_id, secret = basic
    else:
        client_id, secret = form.get("client_id", ""), form.get("client_secret")
    app = state.apps.get(client_id)
    if app is None:
        raise OAuthError("invalid_client")
    if app["client_secret"] is not None and secret is not None and not hmac.compare_digest(
        app["client_secret"], secret
    ):
        raise OAuthError("invalid_client")
    app = dict(app)
    app["_secret_given"] = secret is not None
    return app


def tokens_issue(
    state: XeroState, *, client_id: str, user_id: str, scope: str, auth_event_id: str,
    now: datetime, grant_id: str | None = None, lifetime: int = ACCESS_TOKEN_SECONDS,
) -> dict[str, Any]:
    if grant_id is None:
        grant_id = state.new_id("grant")
        state.grants[grant_id] = {"client_id": client_id, "user_id": user_id, "scope": scope,
                                  "auth_event_id": auth_event_id, "revoked": False}
    iat = int(now.timestamp())
    scopes = scope.split()
    access = _jwt(state, {
        "nbf": iat, "exp": iat + lifetime, "iss": ISSUER, "aud": f"{ISSUER}/resources",
        "client_id": client_id, "sub": user_id, "auth_time": iat, "xero_userid": user_id,
        "global_session_id": grant_id, "jti": secrets.token_hex(16),
        "authentication_event_id": auth_event_id, "scope": scopes,
    })
    state.access_tokens[access] = {"grant_id": grant_id, "client_id": client_id,
                                   "expires_at": iat + lifetime, "scope": scope}
    result: dict[str, Any] = {"access_token": access, "expires_in": lifetime, "token_type": "Bearer",
                              "scope": scope}
    if "offline_access" in scopes:
        refresh = secrets.token_urlsafe(32)
        state.refresh_tokens[refresh] = {"grant_id": grant_id, "used": False,
                                         "expires_at": iat + REFRESH_TOKEN_SECONDS}
        result["refresh_token"] = refresh
    if "openid" in scopes:
        user = state.users.get(user_id, {})
        result["id_token"] = _jwt(state, {
            "nbf": iat, "exp": iat + 300, "iss": ISSUER, "aud": client_id, "iat": iat,
            "sub": user_id, "xero_userid": user_id, "global_session_id": grant_id,
            "auth_time": iat, "email": user.get("email"), "given_name": user.get("given_name"),
            "family_name": user.get("family_name"),
        })
    return result


def token_exchange(
    state: XeroState, *, app: dict[str, Any], form: dict[str, str], now: datetime
) -> dict[str, Any]:
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        return _exchange_code(state, app=app, form=form, now=now)
    if grant_type == "refresh_token":
        return _exchange_refresh(state, app=app, form=form, now=now)
    raise OAuthError("unsupported_grant_type")


def _exchange_code(state: XeroState, *, app: dict[str, Any], form: dict[str, str], now: datetime) -> dict[str, Any]:
    code = state.auth_codes.pop(form.get("code", ""), None)
    if code is None or code["expires_at"] < now.timestamp() or code["client_id"] != app["client_id"]:
        raise OAuthError("invalid_grant")
    if form.get("redirect_uri") != code["redirect_uri"]:
        raise OAuthError("invalid_grant")
    if code["code_challenge"]:
        verifier = form.get("code_verifier") or ""
        if not verifier or not hmac.compare_digest(pkce_challenge(verifier), code["code_challenge"]):
            raise OAuthError("invalid_grant")
    elif app["client_secret"] is not None and not app["_secret_given"]:
        raise OAuthError("invalid_client")
    return tokens_issue(state, client_id=app["client_id"], user_id=code["user_id"], scope=code["scope"],
                        auth_event_id=code["auth_event_id"], now=now)


def _exchange_refresh(state: XeroState, *, app: dict[str, Any], form: dict[str, str], now: datetime) -> dict[str, Any]:
    token = state.refresh_tokens.get(form.get("refresh_token", ""))
    if token is None or token["expires_at"] < now.timestamp():
        raise OAuthError("invalid_grant")
    grant = state.grants.get(token["grant_id"])
    if grant is None or grant["revoked"] or grant["client_id"] != app["client_id"]:
        raise OAuthError("invalid_grant")
    if app["client_secret"] is not None and not app["_secret_given"]:
        raise OAuthError("invalid_client")
    if token["used"]:
        return _refresh_replay(state, token=token, now=now)
    answer = tokens_issue(state, client_id=grant["client_id"], user_id=grant["user_id"], scope=grant["scope"],
                          auth_event_id=grant["auth_event_id"], now=now, grant_id=token["grant_id"])
    token.update({"used": True, "used_at": now.timestamp(), "answer": answer})
    return answer


def _refresh_replay(state: XeroState, *, token: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A used refresh token is refused, except inside Xero's retry window: "if you don't receive
    the response after performing the token refresh you can retry refreshing the old token for a
    grace period of 30 minutes" (Xero staff, developer community). The lost answer is given again,
    unless its new refresh token has been used already (the client did receive it)."""
    answer = token.get("answer") or {}
    successor = state.refresh_tokens.get(answer.get("refresh_token", ""))
    within = now.timestamp() - token.get("used_at", 0) < state.refresh_grace_seconds
    if not within or successor is None or successor["used"]:
        raise OAuthError("invalid_grant")
    return dict(answer)


def token_revoke(state: XeroState, *, app: dict[str, Any], token: str) -> None:
    """Revoking a refresh token ends its grant: every token of it stops working."""
    record = state.refresh_tokens.get(token)
    if record is None:
        return
    grant = state.grants.get(record["grant_id"])
    if grant is None or grant["client_id"] != app["client_id"]:
        return
    grant["revoked"] = True
    for connection_id in [c["id"] for c in state.connections.values()
                          if c["client_id"] == grant["client_id"] and c["user_id"] == grant["user_id"]]:
        del state.connections[connection_id]


@dataclass
class BearerCheck:
    ok: bool
    token: dict[str, Any] | None = None
    detail: str = "AuthenticationUnsuccessful"


def bearer_check(state: XeroState, *, authorization: str | None, now: datetime) -> BearerCheck:
    if not authorization or not authorization.lower().startswith("bearer "):
        return BearerCheck(ok=False)
    token = state.access_tokens.get(authorization[7:].strip())
    if token is None:
        return BearerCheck(ok=False)
    grant = state.grants.get(token["grant_id"])
    if grant is None or grant["revoked"]:
        return BearerCheck(ok=False)
    if token["expires_at"] <= now.timestamp():
        expired = datetime.fromtimestamp(token["expires_at"], tz=UTC)
        return BearerCheck(ok=False, detail=f"TokenExpired: token expired at {expired:%m/%d/%Y %H:%M:%S}")
    return BearerCheck(ok=True, token=token)


def tenant_allowed(state: XeroState, *, token: dict[str, Any], tenant_id: str | None) -> bool:
    if not tenant_id or tenant_id.strip().lower() != state.tenant_id:
        return False
    grant = state.grants[token["grant_id"]]
    return any(
        c["client_id"] == grant["client_id"] and c["user_id"] == grant["user_id"]
        for c in state.connections.values()
    )


def connections_for(state: XeroState, *, token: dict[str, Any]) -> list[dict[str, Any]]:
    grant = state.grants[token["grant_id"]]
    return [c for c in state.connections.values()
            if c["client_id"] == grant["client_id"] and c["user_id"] == grant["user_id"]]


def token_mint(
    state: XeroState, *, client_id: str, now: datetime, lifetime: int = ACCESS_TOKEN_SECONDS,
    scope: str = "openid profile email offline_access accounting.transactions accounting.invoices "
    "accounting.payments accounting.banktransactions accounting.manualjournals accounting.contacts "
    "accounting.settings accounting.attachments",
) -> dict[str, Any]:
    """Ready credentials without the consent page (printed by `sandbox serve`, used by tests)."""
    user = user_default(state)
    auth_event_id = state.new_id("auth_event")
    connection_ensure(state, client_id=client_id, user_id=user["xero_userid"],
                      auth_event_id=auth_event_id, now=now)
    return tokens_issue(state, client_id=client_id, user_id=user["xero_userid"], scope=scope,
                        auth_event_id=auth_event_id, now=now, lifetime=lifetime)
