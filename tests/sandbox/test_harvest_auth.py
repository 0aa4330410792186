from urllib.parse import parse_qs, urlsplit

import pytest

from syncapp.sandbox.harvest.app import credentials

from .conftest import HARVEST

ID = "/id.getharvest.com"


def test_token_and_account_header_are_required(anonymous, harvest_headers, app):
    with app.validator.invalid_requests_expected():
        missing = anonymous.get(f"{HARVEST}/company")
    assert missing.status_code == 401
    assert set(missing.json()) == {"error", "error_description"}
    assert missing.json()["error"] == "invalid_token"
    with app.validator.invalid_requests_expected():
        no_account = anonymous.get(
            f"{HARVEST}/company", headers={"Authorization": harvest_headers["Authorization"]}
        )
    assert no_account.status_code == 401
    bad_token = anonymous.get(
        f"{HARVEST}/company", headers={**harvest_headers, "Authorization": "Bearer nope"}
    )
    assert bad_token.status_code == 401
    other_account = anonymous.get(
        f"{HARVEST}/company", headers={**harvest_headers, "Harvest-Account-Id": "42"}
    )
    assert other_account.status_code == 403
    assert other_account.json()["error"] == "forbidden"


def test_query_parameters_also_authenticate(anonymous, seeded_state, app):
    creds = credentials(seeded_state.harvest)
    with app.validator.invalid_requests_expected():  # the spec only describes the headers
        response = anonymous.get(
            f"{HARVEST}/users/me",
            params={
                "access_token": creds["personal_access_token"],
                "account_id": creds["account_id"],
            },
        )
    assert response.status_code == 200
    assert response.json()["access_roles"] == ["administrator"]


def _authorize(anonymous, seeded_state, state="xyz"):
    creds = credentials(seeded_state.harvest)
    page = anonymous.get(
        f"{ID}/oauth2/authorize",
        params={"client_id": creds["oauth_client_id"], "response_type": "code", "state": state},
    )
    assert page.status_code == 200 and "Authorize" in page.text
    approved = anonymous.post(
        f"{ID}/oauth2/authorize",
        data={
            "client_id": creds["oauth_client_id"],
            "response_type": "code",
            "state": state,
            "decision": "allow",
        },
    )
    assert approved.status_code == 302
    location = urlsplit(approved.headers["Location"])
    assert location.geturl().startswith(creds["oauth_redirect_uri"])
    return creds, parse_qs(location.query)


def test_oauth_code_flow_refresh_and_accounts(anonymous, seeded_state, clock):
    creds, query = _authorize(anonymous, seeded_state)
    assert query["state"] == ["xyz"]
    assert query["scope"] == [f"harvest:{seeded_state.harvest.account_id}"]
    token = anonymous.post(
        f"{ID}/api/v2/oauth2/token",
        data={
            "code": query["code"][0],
            "client_id": creds["oauth_client_id"],
            "client_secret": creds["oauth_client_secret"],
            "grant_type": "authorization_code",
        },
    )
    assert token.status_code == 200
    tokens = token.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 1209599
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}

    accounts = anonymous.get(f"{ID}/api/v2/accounts", headers=bearer).json()
    assert accounts["accounts"] == [
        {
            "id": seeded_state.harvest.account_id,
            "name": seeded_state.harvest.account_name,
            "product": "harvest",
            "google_sign_in_required": False,
        }
    ]
    assert accounts["user"]["email"].endswith("@northwind.example.com")
    api = {**bearer, "Harvest-Account-Id": str(accounts["accounts"][0]["id"])}
    assert anonymous.get(f"{HARVEST}/company", headers=api).status_code == 200

    # The code is single-use.
    reused = anonymous.post(
        f"{ID}/api/v2/oauth2/token",
        data={
            "code": query["code"][0],
            "client_id": creds["oauth_client_id"],
            "client_secret": creds["oauth_client_secret"],
            "grant_type": "authorization_code",
        },
    )
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"

    clock.advance(1209600)  # 14 days: the access token has expired
    assert anonymous.get(f"{HARVEST}/company", headers=api).status_code == 401
    refreshed = anonymous.post(
        f"{ID}/api/v2/oauth2/token",
        json={
            "refresh_token": tokens["refresh_token"],
            "client_id": creds["oauth_client_id"],
            "client_secret": creds["oauth_client_secret"],
            "grant_type": "refresh_token",
        },
    )
    assert refreshed.status_code == 200
    fresh = {
        "Authorization": f"Bearer {refreshed.json()['access_token']}",
        "Harvest-Account-Id": api["Harvest-Account-Id"],
    }
    assert anonymous.get(f"{HARVEST}/company", headers=fresh).status_code == 200


def test_token_endpoint_errors(anonymous, seeded_state):
    creds = credentials(seeded_state.harvest)
    wrong_secret = anonymous.post(
        f"{ID}/api/v2/oauth2/token",
        data={
            "client_id": creds["oauth_client_id"],
            "client_secret": "wrong",
            "grant_type": "refresh_token",
            "refresh_token": "x",
        },
    )
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    bad_refresh = anonymous.post(
        f"{ID}/api/v2/oauth2/token",
        data={
            "client_id": creds["oauth_client_id"],
            "client_secret": creds["oauth_client_secret"],
            "grant_type": "refresh_token",
            "refresh_token": "x",
        },
    )
    assert bad_refresh.status_code == 400 and bad_refresh.json()["error"] == "invalid_grant"


def test_denied_consent_redirects_with_access_denied(anonymous, seeded_state):
    creds = credentials(seeded_state.harvest)
    denied = anonymous.post(
        f"{ID}/oauth2/authorize",
        data={
            "client_id": creds["oauth_client_id"],
            "response_type": "code",
            "state": "s",
            "decision": "deny",
        },
    )
    assert parse_qs(urlsplit(denied.headers["Location"]).query) == {
        "error": ["access_denied"],
        "state": ["s"],
    }


@pytest.mark.parametrize("client_id", ["unknown", ""])
def test_unknown_oauth_client_gets_no_consent_page(anonymous, client_id):
    assert (
        anonymous.get(f"{ID}/oauth2/authorize", params={"client_id": client_id}).status_code == 400
    )


def test_user_agent_is_required(anonymous, harvest_headers):
    headers = {k: v for k, v in harvest_headers.items() if k != "User-Agent"}
    response = anonymous.get(f"{HARVEST}/company", headers={**headers, "User-Agent": ""})
    assert response.status_code == 400
    assert "User-Agent" in response.json()["message"]
