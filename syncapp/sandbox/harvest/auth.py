"""Harvest authentication: API tokens, and the identity host id.getharvest.com.

API calls need `Authorization: Bearer <token>` and `Harvest-Account-Id` (or the `access_token` and
`account_id` query parameters); failures answer `{"error": ..., "error_description": ...}`
(https://help.getharvest.com/api-v2/authentication-api/authentication/authentication/).
OAuth2 (authorization code): GET/POST /oauth2/authorize, POST /api/v2/oauth2/token (also for
refresh), GET /api/v2/accounts. Access tokens live 14 days (`expires_in` 1209599).
"""

from __future__ import annotations

import html
import secrets
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from syncapp.sandbox.core.clock import SimClock
from syncapp.sandbox.core.http import HttpError, json_response
from syncapp.sandbox.harvest.state import HarvestState, Record

ACCESS_TOKEN_SECONDS = 1209599
_INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": "The access token provided is expired, revoked, malformed or invalid for other reasons.",
}


def auth_error(status: int, error: str, description: str) -> HttpError:
    return HttpError(status, {"error": error, "error_description": description})


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.args.get("access_token") or None


def api_authenticate(*, request: Request, hs: HarvestState, clock: SimClock) -> tuple[str, Record]:
    """The token and its record, or a 401/403 as Harvest answers."""
    token = bearer_token(request)
    info = hs.tokens.get(token) if token else None
    if info is None or (info.get("expires_at") is not None and info["expires_at"] <= clock.time()):
        raise HttpError(401, _INVALID_TOKEN)
    account = request.headers.get("Harvest-Account-Id") or request.args.get("account_id")
    if not account:
        # Without the account header Harvest cannot resolve the token either.
        raise HttpError(401, _INVALID_TOKEN)
    if str(account) != str(hs.account_id):
        raise auth_error(
            403, "forbidden", "The access token provided does not have access to this account."
        )
    user = hs.users.get(info["user_id"])
    if user is None or not user.get("is_active", True):
        raise auth_error(403, "forbidden", "The user is not active on this account.")
    return token, info


def token_issue(
    hs: HarvestState, *, clock: SimClock, user_id: int, client_id: str
) -> dict[str, Any]:
    access = f"{hs.account_id}.at.{secrets.token_urlsafe(32)}"
    refresh = f"{hs.account_id}.rt.{secrets.token_urlsafe(32)}"
    hs.tokens[access] = {
        "user_id": user_id,
        "kind": "oauth",
        "client_id": client_id,
        "expires_at": clock.time() + ACCESS_TOKEN_SECONDS,
    }
    hs.refresh_tokens[refresh] = {"user_id": user_id, "client_id": client_id}
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
    }


# -- id.getharvest.com ---------------------------------------------------------------------


def _client_for(hs: HarvestState, client_id: str | None) -> Record:
    app = hs.oauth_clients.get(client_id or "")
    if app is None:
        raise auth_error(
            401, "invalid_client", "Client authentication failed due to unknown client."
        )
    return app


def authorize_page(request: Request, hs: HarvestState, clock: SimClock) -> Response:
    """The consent page: the sandbox's signed-in user is the seeded administrator."""
    args = request.values
    client_id = args.get("client_id")
    app = hs.oauth_clients.get(client_id or "")
    if app is None or args.get("response_type", "code") != "code":
        return Response(
            "Unknown client or unsupported response_type", status=400, mimetype="text/plain"
        )
    redirect_uri = args.get("redirect_uri") or app["redirect_uri"]
    state = args.get("state")
    if request.method == "POST":
        if request.form.get("decision") == "deny":
            query = {"error": "access_denied", **({"state": state} if state else {})}
            return Response(status=302, headers={"Location": f"{redirect_uri}?{urlencode(query)}"})
        code = secrets.token_urlsafe(24)
        hs.auth_codes[code] = {
            "client_id": client_id,
            "user_id": hs.identity_user_id,
            "redirect_uri": redirect_uri,
            "expires_at": clock.time() + 600,
        }
        query = {
            "code": code,
            "scope": f"harvest:{hs.account_id}",
            **({"state": state} if state else {}),
        }
        return Response(status=302, headers={"Location": f"{redirect_uri}?{urlencode(query)}"})
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in args.items()
    )
    page = (
        "<!doctype html><html><head><title>Authorize application - Harvest ID (sandbox)</title></head>"
        f"<body><h1>Authorize {html.escape(app.get('name', client_id))}</h1>"
        f"<p>{html.escape(app.get('name', client_id))} wants to access your Harvest account "
        f"<strong>{html.escape(hs.account_name)}</strong> ({hs.account_id}).</p>"
        f'<form method="post">{hidden}'
        '<button type="submit" name="decision" value="allow" id="authorize">Authorize application</button> '
        '<button type="submit" name="decision" value="deny" id="deny">Deny</button>'
        "</form></body></html>"
    )
    return Response(page, status=200, mimetype="text/html")


def token_endpoint(
    request: Request, hs: HarvestState, clock: SimClock, body: dict[str, Any]
) -> Response:
    params = {**request.form.to_dict(), **body}
    app = _client_for(hs, params.get("client_id"))
    if params.get("client_secret") != app["secret"]:
        raise auth_error(401, "invalid_client", "Client authentication failed.")
    grant = params.get("grant_type")
    invalid_grant = auth_error(
        400,
        "invalid_grant",
        "The provided authorization grant is invalid, expired, revoked, does not match the "
        "redirection URI used in the authorization request, or was issued to another client.",
    )
    if grant == "authorization_code":
        code = hs.auth_codes.pop(params.get("code") or "", None)
        if (
            code is None
            or code["client_id"] != params["client_id"]
            or code["expires_at"] <= clock.time()
        ):
            raise invalid_grant
        return json_response(
            token_issue(hs, clock=clock, user_id=code["user_id"], client_id=code["client_id"])
        )
    if grant == "refresh_token":
        info = hs.refresh_tokens.get(params.get("refresh_token") or "")
        if info is None or info["client_id"] != params["client_id"]:
            raise invalid_grant
        return json_response(
            token_issue(hs, clock=clock, user_id=info["user_id"], client_id=info["client_id"])
        )
    raise auth_error(
        400, "unsupported_grant_type", "The authorization grant type is not supported."
    )


def accounts_endpoint(request: Request, hs: HarvestState, clock: SimClock) -> Response:
    token = bearer_token(request)
    info = hs.tokens.get(token) if token else None
    if info is None or (info.get("expires_at") is not None and info["expires_at"] <= clock.time()):
        raise HttpError(401, _INVALID_TOKEN)
    user = hs.users.get(info["user_id"]) or {}
    return json_response(
        {
            "user": {
                "id": user.get("id"),
                "first_name": user.get("first_name"),
                "last_name": user.get("last_name"),
                "email": user.get("email"),
            },
            "accounts": [
                {
                    "id": hs.account_id,
                    "name": hs.account_name,
                    "product": "harvest",
                    "google_sign_in_required": False,
                }
            ],
        }
    )
