"""The Xero side of the shared HTTP base: auth headers, one refresh on 401, and the request
shapes every Accounting endpoint shares (lists, numbered pages, idempotent writes, batches).

Every request carries `xero-tenant-id` and a Bearer token asked for per attempt (so a retry
after a refresh uses the new token); every POST and PUT carries an `Idempotency-Key` the caller
derived from the ledger (xero.idempotency); batch writes go with `summarizeErrors=false` and
come back as one RecordResult per record (xero.results).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from syncapp.providers.base import ProviderClient
from syncapp.providers.errors import AuthExpired, ValidationFailed
from syncapp.providers.xero.dates import xero_if_modified_since
from syncapp.providers.xero.idempotency import IDEMPOTENCY_KEY_MAX
from syncapp.providers.xero.results import (
    BatchResult,
    batch_result_from_validation,
    batch_result_parse,
    batch_sequence_check,
)

# Xero pages hold 100 records unless pageSize says otherwise; 1,000 is the documented maximum
# (https://developer.xero.com/documentation/api/accounting/invoices, "Paging").
DEFAULT_PAGE_SIZE = 1000
BATCH_LIMIT = 50

TokenSource = Callable[[], str]
TokenRefresh = Callable[[str], str]


def _csv(values: Sequence[str] | None) -> str | None:
    return ",".join(str(v) for v in values) if values else None


def _key_check(key: str) -> str:
    if not key or len(key) > IDEMPOTENCY_KEY_MAX:
        raise ValueError(
            f"every Xero write needs an Idempotency-Key of 1-{IDEMPOTENCY_KEY_MAX} characters"
        )
    return key


class XeroHttp(ProviderClient):
    provider = "xero"

    def __init__(
        self,
        *,
        base_url: str,
        tenant_id: str,
        token_source: TokenSource,
        token_refresh: TokenRefresh | None = None,
        **kwargs: Any,
    ) -> None:
        """`token_source()` returns a fresh access token; `token_refresh(stale)` forces a refresh
        after Xero refused `stale` (401) and returns the new token."""
        if not tenant_id:
            raise ValueError("a Xero client needs the organisation's tenant id")
        super().__init__(base_url=base_url, **kwargs)
        self.tenant_id = tenant_id
        self._token_source = token_source
        self._token_refresh = token_refresh
        self._token = ""

    def _auth_headers(self) -> dict[str, str]:
        self._token = self._token_source()
        return {"Authorization": f"Bearer {self._token}", "xero-tenant-id": self.tenant_id}

    def _request(self, method: str, url: str, **kwargs: Any):
        """One refresh-and-retry when Xero says the access token is no longer valid: a token
        can be revoked or expire early; a second refusal is final (never retried forever)."""
        try:
            return super()._request(method, url, **kwargs)
        except AuthExpired:
            if self._token_refresh is None or not kwargs.get("authenticate", True):
                raise
            stale = self._token
            self._token_refresh(stale)
            return super()._request(method, url, **kwargs)

    # --- helpers -----------------------------------------------------------------------------

    def _get(self, path: str, *, params=None, modified_since: datetime | None = None) -> Any:
        headers = (
            {"If-Modified-Since": xero_if_modified_since(modified_since)}
            if modified_since
            else None
        )
        return self._request_json("GET", path, params=_clean(params), headers=headers)

    def _list(self, path: str, key: str, *, params=None, modified_since=None) -> list[dict]:
        body = self._get(path, params=params, modified_since=modified_since)
        return self._items_of(body, items_key=key, url=path)

    def _iter(
        self,
        path: str,
        key: str,
        *,
        params: Mapping[str, Any] | None = None,
        modified_since: datetime | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[dict]:
        headers = (
            {"If-Modified-Since": xero_if_modified_since(modified_since)}
            if modified_since
            else None
        )
        yield from self._iter_numbered_pages(
            path,
            items_key=key,
            page_size=page_size,
            params=_clean({**(params or {}), "pageSize": page_size}),
            headers=headers,
        )

    def _write(
        self,
        method: str,
        path: str,
        *,
        body: Any,
        idempotency_key: str,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        return self._request_json(
            method,
            path,
            params=_clean(params),
            json_body=body,
            headers={"Idempotency-Key": _key_check(idempotency_key)},
        )

    def _batch(
        self,
        method: str,
        path: str,
        key: str,
        id_field: str,
        records: Sequence[Mapping],
        *,
        idempotency_key: str,
    ) -> BatchResult:
        batch_sequence_check(records=records, limit=BATCH_LIMIT)
        try:
            body = self._write(
                method,
                path,
                body={key: list(records)},
                idempotency_key=idempotency_key,
                params={"summarizeErrors": "false"},
            )
        except ValidationFailed as error:
            return batch_result_from_validation(
                error=error, collection=key, id_field=id_field, sent_count=len(records)
            )
        return batch_result_parse(
            body=body, collection=key, id_field=id_field, sent_count=len(records)
        )


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Drop unset filters so the query carries only what the caller asked for."""
    if not params:
        return None
    return {k: v for k, v in params.items() if v is not None and v != ""} or None
