"""HTTP side of Xero identity: consent page, token, revocation, /connections."""

from __future__ import annotations

import html
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from syncapp.sandbox.xero.identity import (
    OAuthError,
    bearer_check,
    client_authenticate,
    code_issue,
    connections_for,
    redirect_allowed,
    token_exchange,
    token_revoke,
)
from syncapp.sandbox.xero.jwks import jwk_public, openid_configuration
from syncapp.sandbox.xero.state import XeroState

AUTHORIZE_PATH = "/login.xero.com/identity/connect/authorize"
TOKEN_PATH = "/identity.xero.com/connect/token"
REVOKE_PATH = "/identity.xero.com/connect/revocation"
DISCOVERY_PATH = "/identity.xero.com/.well-known/openid-configuration"
_AUTHORIZE_FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state",
                     "code_challenge", "code_challenge_method")


def _json(body: Any, status: int = 200) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(title: str, body_html: str, status: int = 200) -> Response:
    document = (
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title></head><body style='font-family:sans-serif;max-width:40em;"
        f"margin:3em auto'>{body_html}</body></html>"
    )
    return Response(document, status=status, mimetype="text/html")


def dispatch(request: Request, state: XeroState, now: datetime) -> Response:
    # Identity routes match in any case, as Xero's do (see app.py).
    path = request.path.rstrip("/").lower()
    if path == AUTHORIZE_PATH:
        return authorize(request, state, now)
    if path == TOKEN_PATH and request.method == "POST":
        return token(request, state, now)
    if path == REVOKE_PATH and request.method == "POST":
        return revoke(request, state)
    if path == DISCOVERY_PATH and request.method == "GET":
        return _json(openid_configuration(base_url=request.host_url.rstrip("/")))
    if path == DISCOVERY_PATH + "/jwks" and request.method == "GET":
        return _json({"keys": [jwk_public(state)]})
    return Response(status=404)


def _redirect(uri: str, params: dict[str, str]) -> Response:
    joiner = "&" if "?" in uri else "?"
    return Response(status=302, headers={"Location": uri + joiner + urlencode(params)})


def authorize(request: Request, state: XeroState, now: datetime) -> Response:
    """GET shows the consent page; POST (the page's form) answers allow or deny."""
    source = request.form if request.method == "POST" else request.args
    params = {name: source.get(name, "") for name in _AUTHORIZE_FIELDS}
    app = state.apps.get(params["client_id"])
    if app is None:
        return _page("Error", "<h1>unauthorized_client</h1><p>Unknown client_id.</p>", 400)
    if not params["redirect_uri"] or not redirect_allowed(app, params["redirect_uri"]):
        return _page("Error", "<h1>invalid_request</h1><p>Invalid redirect_uri.</p>", 400)
    back = {"state": params["state"]} if params["state"] else {}
    if params["response_type"] != "code":
        return _redirect(params["redirect_uri"], {"error": "unsupported_response_type", **back})
    if not params["scope"].strip():
        return _redirect(params["redirect_uri"], {"error": "invalid_scope", **back})
    if params["code_challenge"] and params["code_challenge_method"] != "S256":
        return _redirect(params["redirect_uri"], {"error": "invalid_request", **back})
    if app["client_secret"] is None and not params["code_challenge"]:
        return _redirect(params["redirect_uri"], {"error": "invalid_request", **back})
    if request.method == "POST":
        if request.form.get("consent") != "allow":
            return _redirect(params["redirect_uri"], {"error": "access_denied", **back})
        code = code_issue(
            state, client_id=app["client_id"], redirect_uri=params["redirect_uri"],
            scope=params["scope"], now=now, code_challenge=params["code_challenge"] or None,
            code_challenge_method=params["code_challenge_method"] or None,
        )
        return _redirect(params["redirect_uri"],
                         {"code": code, "scope": params["scope"], **back, "session_state": code[:16]})
    hidden = "".join(
        f"<input type='hidden' name='{name}' value='{html.escape(value, quote=True)}'>"
        for name, value in params.items()
    )
    org = html.escape(state.organisation.get("Name", "Sandbox organisation"))
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in params["scope"].split())
    body = (
        f"<h1>{html.escape(app['name'])} wants to access your Xero data</h1>"
        f"<p>Organisation: <strong id='tenant'>{org}</strong> (sandbox)</p><ul>{scopes}</ul>"
        f"<form method='post' action='{AUTHORIZE_PATH}'>{hidden}"
        "<button type='submit' name='consent' value='allow' id='allow'>Allow access</button> "
        "<button type='submit' name='consent' value='deny' id='deny'>Cancel</button></form>"
    )
    return _page("Xero sandbox: authorise app", body)


def _basic(request: Request) -> tuple[str, str] | None:
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return None
    return auth.username or "", auth.password or ""


def token(request: Request, state: XeroState, now: datetime) -> Response:
    form = {k: request.form.get(k, "") for k in request.form}
    try:
        app = client_authenticate(state, basic=_basic(request), form=form)
        return _json(token_exchange(state, app=app, form=form, now=now))
    except OAuthError as exc:
        return _json(exc.body(), status=exc.status)


def revoke(request: Request, state: XeroState) -> Response:
    form = {k: request.form.get(k, "") for k in request.form}
    try:
        app = client_authenticate(state, basic=_basic(request), form=form)
    except OAuthError as exc:
        return _json(exc.body(), status=exc.status)
    token_revoke(state, app=app, token=form.get("token", ""))
    return Response(status=200)


def _connection_json(connection: dict[str, Any]) -> dict[str, Any]:
    # Xero writes these stamps without an offset ("2019-12-07T18:46:19.5165400"); the contract
    # types them as RFC 3339 date-time, so the sandbox adds the "Z" (every SDK parses both).
    return {
        "id": connection["id"], "authEventId": connection["authEventId"],
        "tenantId": connection["tenantId"], "tenantType": connection["tenantType"],
        "tenantName": connection["tenantName"],
        "createdDateUtc": connection["createdDateUtc"].strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
        "updatedDateUtc": connection["updatedDateUtc"].strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
    }


def connections(request: Request, state: XeroState, now: datetime) -> Response:
    check = bearer_check(state, authorization=request.headers.get("Authorization"), now=now)
    if not check.ok:
        return Response(status=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    mine = connections_for(state, token=check.token)
    rest = request.path[len("/api.xero.com/connections"):].strip("/")
    if not rest:
        if request.method != "GET":
            return Response(status=405)
        event = request.args.get("authEventId")
        items = [_connection_json(c) for c in mine if not event or c["authEventId"] == event.lower()]
        return Response(json.dumps(items), mimetype="application/json")
    if request.method != "DELETE":
        return Response(status=405)
    for connection in mine:
        if connection["id"] == rest.lower():
            del state.connections[connection["id"]]
            return Response(status=204)
    return Response(status=404)
