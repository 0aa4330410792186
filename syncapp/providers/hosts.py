"""Where each vendor endpoint lives: the real hosts, or the sandbox's prefixed layout.

A Connection with an empty `base_url` talks to the real services. With a base URL (the sandbox,
served by `manage.py sandbox serve` or mounted in-process), every real host sits under its own
path prefix, e.g. `<base>/api.harvestapp.com/v2/clients`, so the same code drives both.
This is the only place that knows those URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

_REAL_HOSTS = {
    "harvest_api": "https://api.harvestapp.com/v2",
    "harvest_id": "https://id.getharvest.com",
    "xero_api": "https://api.xero.com/api.xro/2.0",
    "xero_connections": "https://api.xero.com/connections",
    "xero_token": "https://identity.xero.com/connect/token",
    "xero_revoke": "https://identity.xero.com/connect/revocation",
    "xero_authorize": "https://login.xero.com/identity/connect/authorize",
}


@dataclass(frozen=True)
class Hosts:
    """Absolute base URLs, without a trailing slash.

    harvest_api       + "/clients", "/invoices/{id}/payments", ...
    harvest_id        + "/oauth2/authorize", "/api/v2/oauth2/token", "/api/v2/accounts"
    xero_api          + "/Invoices", "/Contacts", ...
    xero_connections  (GET) and + "/{id}" (DELETE)
    xero_token, xero_revoke, xero_authorize: used as they are
    """

    harvest_api: str
    harvest_id: str
    xero_api: str
    xero_connections: str
    xero_token: str
    xero_revoke: str
    xero_authorize: str
    sandbox: bool = False

    @property
    def harvest_authorize(self) -> str:
        return f"{self.harvest_id}/oauth2/authorize"

    @property
    def harvest_token(self) -> str:
        return f"{self.harvest_id}/api/v2/oauth2/token"

    @property
    def harvest_accounts(self) -> str:
        return f"{self.harvest_id}/api/v2/accounts"


def hosts_for(*, base_url: str = "") -> Hosts:
    """The real hosts for an empty base URL, else the sandbox layout under `base_url`."""
    base = (base_url or "").strip().rstrip("/")
    if not base:
        return Hosts(**_REAL_HOSTS)
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base URL must be an absolute http(s) URL, got {base_url!r}")
    prefixed = {}
    for name, real in _REAL_HOSTS.items():
        real_parts = urlsplit(real)
        prefixed[name] = f"{base}/{real_parts.netloc}{real_parts.path}"
    return Hosts(**prefixed, sandbox=True)


def hosts_for_connection(*, connection) -> Hosts:
    return hosts_for(base_url=getattr(connection, "base_url", "") or "")


def hosts_for_identity(*, connection=None, base_url: str = "") -> Hosts:
    """The hosts for an OAuth exchange: the connection's, or those of a base URL (connecting)."""
    return (
        hosts_for_connection(connection=connection) if connection else hosts_for(base_url=base_url)
    )


def oauth_app_credentials(*, provider: str, connection=None) -> tuple[str, str]:
    """(client id, client secret) of the OAuth app: the connection's own app if it has one,
    else HARVEST_/XERO_CLIENT_ID and _CLIENT_SECRET from the settings."""
    from django.conf import settings

    if connection is not None and connection.client_id:
        return connection.client_id, connection.client_secret
    prefix = provider.upper()
    return (
        getattr(settings, f"{prefix}_CLIENT_ID", "") or "",
        getattr(settings, f"{prefix}_CLIENT_SECRET", "") or "",
    )
