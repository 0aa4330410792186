"""Signing keys for the sandbox's tokens, and OpenID Connect discovery.

Xero's access and id tokens are RS256 JWTs whose keys are published at
`https://identity.xero.com/.well-known/openid-configuration/jwks`; OpenID clients (xero-node's
openid-client, for one) discover the endpoints and verify the id_token with them. The sandbox
signs the same way with its own key (kept in the state, made on first use) and publishes it,
pointing every endpoint at the host the client used.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from syncapp.sandbox.xero.state import XeroState

ISSUER = "https://identity.xero.com"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@lru_cache(maxsize=1)
def _process_key_pem() -> bytes:
    """One key per process for states that have none yet (RSA generation costs ~0.1 s)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@lru_cache(maxsize=8)
def _load(pem: bytes):
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, password=None)


def _private_key(state: XeroState):
    if not state.signing_key_pem:
        state.signing_key_pem = _process_key_pem()
    return _load(state.signing_key_pem)


def _int_b64(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def jwk_public(state: XeroState) -> dict[str, Any]:
    numbers = _private_key(state).public_key().public_numbers()
    n, e = _int_b64(numbers.n), _int_b64(numbers.e)
    kid = hashlib.sha256(f"{n}.{e}".encode()).hexdigest()[:32].upper()
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e}


def jwt_sign(state: XeroState, claims: dict[str, Any]) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = _private_key(state)
    header = {"alg": "RS256", "kid": jwk_public(state)["kid"], "typ": "JWT"}
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
        + _b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def openid_configuration(*, base_url: str) -> dict[str, Any]:
    """Discovery document; `base_url` is the sandbox origin the client reached (no trailing /)."""
    identity = f"{base_url}/identity.xero.com"
    return {
        "issuer": ISSUER,
        "authorization_endpoint": f"{base_url}/login.xero.com/identity/connect/authorize",
        "token_endpoint": f"{identity}/connect/token",
        "revocation_endpoint": f"{identity}/connect/revocation",
        "jwks_uri": f"{identity}/.well-known/openid-configuration/jwks",
        "scopes_supported": ["openid", "profile", "email", "offline_access", "accounting.settings",
                             "accounting.contacts", "accounting.transactions", "accounting.invoices",
                             "accounting.payments", "accounting.banktransactions",
                             "accounting.manualjournals", "accounting.attachments"],
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
    }
