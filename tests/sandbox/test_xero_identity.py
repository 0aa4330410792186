"""Xero identity: consent page with state and PKCE, tokens, rotating refresh, revocation, connections,
and the 401/403 bodies of the Accounting API."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from syncapp.sandbox import sandbox_client
from syncapp.sandbox.xero.control import DEFAULT_CLIENT_ID
from syncapp.sandbox.xero.seed import PKCE_CLIENT_ID
from tests.sandbox.test_xero_support import *  # noqa: F403 - shared fixtures
from tests.sandbox.test_xero_support import API

AUTHORIZE = "/login.xero.com/identity/connect/authorize"
TOKEN = "/identity.xero.com/connect/token"
REVOKE = "/identity.xero.com/connect/revocation"
CALLBACK = "http://127.0.0.1:8000/oauth/xero/callback/"
SCOPE = "openid profile email offline_access accounting.settings accounting.invoices accounting.contacts"
VERIFIER = "x" * 20 + "-verifier-with-enough-entropy-0123456789"


def challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorize_params(**overrides) -> dict[str, str]:
    params = {"response_type": "code", "client_id": PKCE_CLIENT_ID, "redirect_uri": CALLBACK, "scope": SCOPE,
              "state": "st-123", "code_challenge": challenge(VERIFIER), "code_challenge_method": "S256"}
    params.update(overrides)
    return params


def consent(client, *, allow: bool = True, **overrides) -> dict[str, list[str]]:
    page = client.get(AUTHORIZE, params=authorize_params(**overrides))
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "Allow access" in page.text and "Northwind Creative" in page.text
    form = {**authorize_params(**overrides), "consent": "allow" if allow else "deny"}
    answer = client.post(AUTHORIZE, data=form)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return parse_qs(location.query)


def exchange(client, code: str, verifier: str = VERIFIER):
    return client.post(TOKEN, data={"grant_type": "authorization_code", "client_id": PKCE_CLIENT_ID,
                                    "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier})


def refresh(client, refresh_token: str):
    return client.post(TOKEN, data={"grant_type": "refresh_token", "client_id": PKCE_CLIENT_ID,
                                    "refresh_token": refresh_token})


@pytest.fixture
def anon(xraw):
    return xraw


def jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_pkce_code_flow_and_rotating_refresh(anon, xapp, xstate, xclock):
    query = consent(anon)
    assert query["state"] == ["st-123"]
    tokens = exchange(anon, query["code"][0])
    assert tokens.status_code == 200
    body = tokens.json()
    assert (body["expires_in"], body["token_type"]) == (1800, "Bearer")
    assert {"access_token", "refresh_token", "id_token"} <= set(body)
    claims = jwt_claims(body["access_token"])
    assert claims["exp"] - claims["nbf"] == 1800 and claims["client_id"] == PKCE_CLIENT_ID
    # The code is single use.
    assert exchange(anon, query["code"][0]).json() == {"error": "invalid_grant"}

    with sandbox_client(xapp, headers={"Authorization": f"Bearer {body['access_token']}"}) as api:
        connections = api.get("/api.xero.com/connections").json()
        assert [c["tenantId"] for c in connections] == [xstate.xero.tenant_id]
        assert connections[0]["authEventId"] == claims["authentication_event_id"]
        organisation = api.get(f"{API}/Organisation", headers={"xero-tenant-id": xstate.xero.tenant_id})
        assert organisation.status_code == 200
        assert organisation.headers["X-MinLimit-Remaining"] and organisation.headers["X-DayLimit-Remaining"]

    rotated = refresh(anon, body["refresh_token"])
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != body["refresh_token"] and new["access_token"] != body["access_token"]
    # A retry with the used token inside Xero's 30-minute window gets the lost answer again...
    assert refresh(anon, body["refresh_token"]).json() == new
    # ...but once the new token has been used, the old one is refused for good.
    newer = refresh(anon, new["refresh_token"]).json()
    assert newer["refresh_token"] not in (new["refresh_token"], body["refresh_token"])
    assert refresh(anon, body["refresh_token"]).json() == {"error": "invalid_grant"}
    assert refresh(anon, new["refresh_token"]).json() == newer  # still inside its own window


def test_used_refresh_token_is_refused_after_the_grace_window(anon, xstate, xclock):
    first = exchange(anon, consent(anon)["code"][0]).json()
    refresh(anon, first["refresh_token"])
    xclock.advance(1801)
    assert refresh(anon, first["refresh_token"]).json() == {"error": "invalid_grant"}
    xstate.xero.refresh_grace_seconds = 0  # strict rotation
    second = exchange(anon, consent(anon)["code"][0]).json()
    assert refresh(anon, second["refresh_token"]).status_code == 200
    assert refresh(anon, second["refresh_token"]).json() == {"error": "invalid_grant"}


def test_wrong_verifier_and_missing_verifier_are_refused(anon):
    code = consent(anon)["code"][0]
    assert exchange(anon, code, verifier="another-verifier-entirely-0123456789abcdef").json() == {
        "error": "invalid_grant"}
    code = consent(anon)["code"][0]
    response = anon.post(TOKEN, data={"grant_type": "authorization_code", "client_id": PKCE_CLIENT_ID,
                                      "code": code, "redirect_uri": CALLBACK})
    assert response.status_code == 400 and response.json() == {"error": "invalid_grant"}


def test_code_expires_after_five_minutes(anon, xclock):
    code = consent(anon)["code"][0]
    xclock.advance(301)
    assert exchange(anon, code).json() == {"error": "invalid_grant"}


def test_deny_and_bad_requests(anon):
    assert consent(anon, allow=False) == {"error": ["access_denied"], "state": ["st-123"]}
    bad_redirect = anon.get(AUTHORIZE, params=authorize_params(redirect_uri="https://evil.example.com/cb"))
    assert bad_redirect.status_code == 400
    unknown = anon.get(AUTHORIZE, params=authorize_params(client_id="NOPE"))
    assert unknown.status_code == 400
    plain = anon.get(AUTHORIZE, params=authorize_params(code_challenge_method="plain"))
    assert plain.status_code == 302 and "error=invalid_request" in plain.headers["location"]
    no_pkce = anon.get(AUTHORIZE, params=authorize_params(code_challenge="", code_challenge_method=""))
    assert "error=invalid_request" in no_pkce.headers["location"]
    grant = anon.post(TOKEN, data={"grant_type": "password", "client_id": PKCE_CLIENT_ID})
    assert grant.json() == {"error": "unsupported_grant_type"}


def test_confidential_client_uses_basic_auth(anon, xstate):
    secret = xstate.xero.apps[DEFAULT_CLIENT_ID]["client_secret"]
    params = authorize_params(client_id=DEFAULT_CLIENT_ID, code_challenge="", code_challenge_method="",
                              redirect_uri=CALLBACK)
    form = {**params, "consent": "allow"}
    location = anon.post(AUTHORIZE, data=form).headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    wrong = anon.post(TOKEN, data=data, auth=(DEFAULT_CLIENT_ID, "wrong"))
    assert wrong.status_code == 400 and wrong.json() == {"error": "invalid_client"}
    right = anon.post(TOKEN, data=data, auth=(DEFAULT_CLIENT_ID, secret))
    assert right.status_code == 200 and right.json()["refresh_token"]


def test_expired_token_and_tenant_errors_look_like_xero(anon, xapp, xstate, xclock):
    body = exchange(anon, consent(anon)["code"][0]).json()
    headers = {"Authorization": f"Bearer {body['access_token']}", "xero-tenant-id": xstate.xero.tenant_id}
    missing_tenant = anon.get(f"{API}/Invoices", headers={"Authorization": headers["Authorization"]})
    assert missing_tenant.status_code == 403
    forbidden = missing_tenant.json()
    assert (forbidden["Title"], forbidden["Status"], forbidden["Detail"]) == (
        "Forbidden", 403, "AuthenticationUnsuccessful")
    assert forbidden["Type"] is None and forbidden["Instance"] and forbidden["Extensions"] == {}
    other_tenant = anon.get(f"{API}/Invoices", headers={**headers, "xero-tenant-id": "00000000-0000-4000-8000-00000000abcd"})
    assert other_tenant.status_code == 403
    no_token = anon.get(f"{API}/Invoices", headers={"xero-tenant-id": xstate.xero.tenant_id})
    assert no_token.status_code == 401 and no_token.json()["Detail"] == "AuthenticationUnsuccessful"
    assert anon.get(f"{API}/Invoices", headers=headers).status_code == 200
    xclock.advance(1800)
    expired = anon.get(f"{API}/Invoices", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["Title"] == "Unauthorized"
    assert expired.json()["Detail"].startswith("TokenExpired: token expired at ")
    # A refresh brings the connection back.
    fresh = refresh(anon, body["refresh_token"]).json()
    headers["Authorization"] = f"Bearer {fresh['access_token']}"
    assert anon.get(f"{API}/Invoices", headers=headers).status_code == 200


def test_disconnect_and_revoke(anon, xstate):
    body = exchange(anon, consent(anon)["code"][0]).json()
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    connection = anon.get("/api.xero.com/connections", headers=auth).json()[0]
    assert anon.delete(f"/api.xero.com/connections/{connection['id']}", headers=auth).status_code == 204
    assert anon.delete(f"/api.xero.com/connections/{connection['id']}", headers=auth).status_code == 404
    api = anon.get(f"{API}/Organisation", headers={**auth, "xero-tenant-id": xstate.xero.tenant_id})
    assert api.status_code == 403
    assert anon.get("/api.xero.com/connections", headers=auth).json() == []
    # Reconnecting through consent brings the tenant back; revoking ends the grant.
    body = exchange(anon, consent(anon)["code"][0]).json()
    assert anon.post(REVOKE, data={"token": body["refresh_token"], "client_id": PKCE_CLIENT_ID}).status_code == 200
    assert refresh(anon, body["refresh_token"]).json() == {"error": "invalid_grant"}
    revoked = anon.get(f"{API}/Organisation", headers={"Authorization": f"Bearer {body['access_token']}",
                                                        "xero-tenant-id": xstate.xero.tenant_id})
    assert revoked.status_code == 401


def test_connections_validate_against_identity_spec(xapp, xstate, xclock):
    from tests.sandbox.test_xero_support import xero_auth

    with sandbox_client(xapp, headers=xero_auth(xstate, xclock)) as client:
        response = client.get("/api.xero.com/connections")
        assert response.status_code == 200
        assert xapp.validator.checked[-1] == ("GET", "/api.xero.com/connections", 200)
        filtered = client.get("/api.xero.com/connections", params={"authEventId": response.json()[0]["authEventId"]})
        assert len(filtered.json()) == 1


@pytest.mark.parametrize(
    ("scope", "method", "path", "allowed"),
    [
        ("accounting.transactions", "PUT", "/Invoices", True),
        ("accounting.invoices", "PUT", "/Invoices", True),
        ("accounting.invoices.read", "GET", "/Invoices", True),
        ("accounting.invoices.read", "PUT", "/Invoices", False),
        ("accounting.invoices", "PUT", "/Payments", False),
        ("accounting.payments", "PUT", "/Payments", True),
        ("accounting.contacts.read", "GET", "/Contacts", True),
        ("accounting.contacts", "GET", "/Accounts", False),
        ("accounting.settings.read", "GET", "/Organisation/Actions", True),
        ("accounting.invoices", "PUT", "/Invoices/abc/Attachments/a.pdf", False),
        ("accounting.attachments", "PUT", "/Invoices/abc/Attachments/a.pdf", True),
        ("accounting.invoices", "PUT", "/Invoices/abc/History", True),
    ],
)
def test_scopes_open_endpoints(scope, method, path, allowed):
    from syncapp.sandbox.xero.scopes import scope_allows

    assert scope_allows(scope=scope, method=method, path=path) is allowed


def test_insufficient_scope_answers_401(anon, xstate):
    code = consent(anon, scope="openid offline_access accounting.contacts.read")["code"][0]
    token = exchange(anon, code).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": xstate.xero.tenant_id}
    assert anon.get(f"{API}/Contacts", headers=headers).status_code == 200
    refused = anon.get(f"{API}/Invoices", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["Detail"] == "AuthorizationUnsuccessful"
    assert 'insufficient_scope' in refused.headers["WWW-Authenticate"]


def test_discovery_and_jwks_verify_the_id_token(anon):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    config = anon.get("/identity.xero.com/.well-known/openid-configuration").json()
    assert config["issuer"] == "https://identity.xero.com"
    assert config["token_endpoint"] == "http://sandbox/identity.xero.com/connect/token"
    assert config["authorization_endpoint"] == "http://sandbox/login.xero.com/identity/connect/authorize"
    assert config["code_challenge_methods_supported"] == ["S256"]
    keys = anon.get(urlsplit(config["jwks_uri"]).path).json()["keys"]
    tokens = exchange(anon, consent(anon)["code"][0]).json()
    for token in (tokens["id_token"], tokens["access_token"]):
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
        key = next(k for k in keys if k["kid"] == header["kid"])
        assert header["alg"] == "RS256"

        def number(value: str) -> int:
            return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")

        public = rsa.RSAPublicNumbers(number(key["e"]), number(key["n"])).public_key()
        signature = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
        public.verify(signature, f"{header_b64}.{payload_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
    claims = jwt_claims(tokens["id_token"])
    assert claims["iss"] == config["issuer"] and claims["aud"] == PKCE_CLIENT_ID
