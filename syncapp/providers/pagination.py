"""Pagination generators shared by the clients: follow the API's own next link (Harvest
`links.next`, cursor and page style alike) or count pages (Xero `page`), with a cap that raises
`PaginationLimitExceeded` rather than silently truncating a list."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from syncapp.providers.errors import PaginationLimitExceeded, UnexpectedResponse

DEFAULT_MAX_PAGES = 1000


class PaginationMixin:
    """Mixed into ProviderClient; uses its `_request_json`, `provider` and `base_url`."""

    def _iter_link_pages(
        self,
        url: str,
        *,
        items_key: str,
        params: Mapping[str, Any] | None = None,
        next_url: Callable[[Any], str | None] | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[Any]:
        """Yield items page by page, following the API's own next link (Harvest
        `links.next`, which already carries the query, cursor or page alike)."""
        next_url = next_url or _links_next
        pages = 0
        current: str | None = url
        current_params = params
        while current:
            pages += 1
            if pages > max_pages:
                raise PaginationLimitExceeded(
                    f"more than {max_pages} pages", path=_path_of(url), provider=self.provider
                )
            body = self._request_json("GET", current, params=current_params)
            yield from self._items_of(body, items_key=items_key, url=url)
            current, current_params = next_url(body), None
            if current:
                self._check_origin(current)

    def _iter_numbered_pages(
        self,
        url: str,
        *,
        items_key: str,
        page_size: int,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        page_param: str = "page",
        first_page: int = 1,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[Any]:
        """Yield items from page 1, 2, ... until a short page, or the last page a Xero-style
        `pagination.pageCount` announces."""
        page = first_page
        while True:
            if page - first_page >= max_pages:
                raise PaginationLimitExceeded(
                    f"more than {max_pages} pages", path=_path_of(url), provider=self.provider
                )
            body = self._request_json(
                "GET", url, params={**(params or {}), page_param: page}, headers=headers
            )
            items = self._items_of(body, items_key=items_key, url=url)
            yield from items
            page_count = _page_count(body)
            if len(items) < page_size or (page_count is not None and page >= page_count):
                return
            page += 1

    def _items_of(self, body: Any, *, items_key: str, url: str) -> list[Any]:
        items = body.get(items_key) if isinstance(body, Mapping) else None
        if not isinstance(items, list):
            raise UnexpectedResponse(
                f"expected a list under {items_key!r}", path=_path_of(url), provider=self.provider
            )
        return items

    def _check_origin(self, url: str) -> None:
        """A next link must stay on the client's own host: never send the token wherever a
        response told us to go."""
        if "://" in url and _origin(url) != _origin(self.base_url):
            raise UnexpectedResponse(
                "refusing to follow a URL on another host",
                path=_path_of(url),
                provider=self.provider,
            )


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _path_of(url: str) -> str:
    return urlsplit(url).path


def _links_next(body: Any) -> str | None:
    links = body.get("links") if isinstance(body, Mapping) else None
    return (links or {}).get("next") or None


def _page_count(body: Any) -> int | None:
    pagination = body.get("pagination") if isinstance(body, Mapping) else None
    if isinstance(pagination, Mapping) and pagination.get("pageCount") is not None:
        return int(pagination["pageCount"])
    return None
