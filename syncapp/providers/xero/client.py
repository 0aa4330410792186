"""XeroClient: the organisation's Accounting API on the Xero HTTP base (xero.http). This module
holds the class and its reads; the writes are in xero.writes, as in the Harvest client.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from syncapp.providers.errors import UnexpectedResponse
from syncapp.providers.parsing import parse_xero_datetime
from syncapp.providers.xero.http import DEFAULT_PAGE_SIZE, XeroHttp, _csv
from syncapp.providers.xero.transaction_types import (
    Attachment,
    BankTransaction,
    CreditNote,
    HistoryRecord,
    ManualJournal,
    Payment,
)
from syncapp.providers.xero.types import (
    Account,
    Contact,
    Currency,
    Invoice,
    Organisation,
    OrganisationAction,
    TaxRate,
    TrackingCategory,
)
from syncapp.providers.xero.writes import ATTACHABLE, HISTORY, XeroWritesMixin

# Comma-separated filters go in the query string; longer lists are read in chunks of this many
# so the URL stays well under the size proxies and Xero accept.
FILTER_CHUNK = 100
# GET /BankTransactions has no IDs filter (only `where`), so ids and references go as an OR of
# equalities, this many to a request: each term is ~60 characters once URL-encoded.
WHERE_CHUNK = 40


class XeroClient(XeroWritesMixin, XeroHttp):
    """One organisation's Accounting API. Build it with `xero_client_for_connection`."""

    # Xero's own clock when it answered the last request (the envelope's DateTimeUTC): a reader
    # that moves its cursor to it (less a few seconds) re-reads nothing at the next poll, while
    # a cursor at the newest record read would re-read that record's whole batch every time.
    server_time: datetime | None = None

    def _request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        body = super()._request_json(method, url, **kwargs)
        if isinstance(body, dict) and body.get("DateTimeUTC"):
            try:
                self.server_time = parse_xero_datetime(body["DateTimeUTC"]) or self.server_time
            except ValueError:
                pass  # a stamp we cannot read only costs a larger overlap next time
        return body

    # --- organisation and settings ---------------------------------------------------------------

    def get_organisation(self) -> Organisation:
        items = self._list("/Organisation", "Organisations")
        if not items:
            raise UnexpectedResponse("Xero returned no organisation", provider=self.provider)
        return Organisation.from_api(items[0])

    def list_organisation_actions(self) -> list[OrganisationAction]:
        body = self._get("/Organisation/Actions")
        actions = (body or {}).get("Actions") or []
        return [
            OrganisationAction(name=a.get("Name", ""), status=a.get("Status", "")) for a in actions
        ]

    def list_accounts(
        self, *, where: str | None = None, modified_since: datetime | None = None
    ) -> list[Account]:
        items = self._list(
            "/Accounts", "Accounts", params={"where": where}, modified_since=modified_since
        )
        return [Account.from_api(i) for i in items]

    def list_tax_rates(self, *, where: str | None = None) -> list[TaxRate]:
        return [
            TaxRate.from_api(i)
            for i in self._list("/TaxRates", "TaxRates", params={"where": where})
        ]

    def list_currencies(self) -> list[Currency]:
        return [Currency.from_api(i) for i in self._list("/Currencies", "Currencies")]

    def list_tracking_categories(self, *, include_archived: bool = False) -> list[TrackingCategory]:
        params = {"includeArchived": "true"} if include_archived else None
        items = self._list("/TrackingCategories", "TrackingCategories", params=params)
        return [TrackingCategory.from_api(i) for i in items]

    # --- contacts and invoices -------------------------------------------------------------------

    def list_contacts(
        self,
        *,
        modified_since: datetime | None = None,
        where: str | None = None,
        ids: Sequence[str] | None = None,
        include_archived: bool = False,
        search_term: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[Contact]:
        params = {
            "where": where,
            "includeArchived": "true" if include_archived else None,
            "searchTerm": search_term,
        }
        for chunk in _filter_chunks({"IDs": ids}):
            for item in self._iter(
                "/Contacts",
                "Contacts",
                params={**params, **chunk},
                modified_since=modified_since,
                page_size=page_size,
            ):
                yield Contact.from_api(item)

    def get_contact(self, *, contact_id: str) -> Contact:
        items = self._list(f"/Contacts/{quote(contact_id)}", "Contacts")
        return Contact.from_api(items[0])

    def list_invoices(
        self,
        *,
        modified_since: datetime | None = None,
        ids: Sequence[str] | None = None,
        invoice_numbers: Sequence[str] | None = None,
        contact_ids: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        where: str | None = None,
        include_archived: bool = False,
        created_by_my_app: bool = False,
        summary_only: bool = False,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[Invoice]:
        lists = {"IDs": ids, "InvoiceNumbers": invoice_numbers, "ContactIDs": contact_ids}
        params = {
            "Statuses": _csv(statuses),
            "where": where,
            "includeArchived": "true" if include_archived else None,
            "createdByMyApp": "true" if created_by_my_app else None,
            "summaryOnly": "true" if summary_only else None,
        }
        for chunk in _filter_chunks(lists):
            for item in self._iter(
                "/Invoices",
                "Invoices",
                params={**params, **chunk},
                modified_since=modified_since,
                page_size=page_size,
            ):
                yield Invoice.from_api(item)

    def get_invoice(self, *, invoice_id: str) -> Invoice:
        return Invoice.from_api(self._list(f"/Invoices/{quote(invoice_id)}", "Invoices")[0])

    # --- payments and credit notes ---------------------------------------------------------------

    def list_payments(
        self,
        *,
        modified_since: datetime | None = None,
        where: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[Payment]:
        for item in self._iter(
            "/Payments",
            "Payments",
            params={"where": where},
            modified_since=modified_since,
            page_size=page_size,
        ):
            yield Payment.from_api(item)

    def get_payment(self, *, payment_id: str) -> Payment:
        return Payment.from_api(self._list(f"/Payments/{quote(payment_id)}", "Payments")[0])

    def list_credit_notes(
        self,
        *,
        modified_since: datetime | None = None,
        where: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[CreditNote]:
        for item in self._iter(
            "/CreditNotes",
            "CreditNotes",
            params={"where": where},
            modified_since=modified_since,
            page_size=page_size,
        ):
            yield CreditNote.from_api(item)

    # --- journals, bank transactions and history -------------------------------------------------

    def list_manual_journals(
        self,
        *,
        modified_since: datetime | None = None,
        where: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[ManualJournal]:
        for item in self._iter(
            "/ManualJournals",
            "ManualJournals",
            params={"where": where},
            modified_since=modified_since,
            page_size=page_size,
        ):
            yield ManualJournal.from_api(item)

    def get_manual_journal(self, *, manual_journal_id: str) -> ManualJournal:
        path = f"/ManualJournals/{quote(manual_journal_id)}"
        return ManualJournal.from_api(self._list(path, "ManualJournals")[0])

    def list_bank_transactions(
        self,
        *,
        modified_since: datetime | None = None,
        where: str | None = None,
        ids: Sequence[str] | None = None,
        references: Sequence[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[BankTransaction]:
        """`ids` or `references` (Reference equal, case-insensitive as Xero compares) narrow the
        read, ANDed with `where`; deleted and voided transactions come back too, with their
        Status."""
        if ids and references:
            raise ValueError("list bank transactions by ids or by references, not both")
        for clause in _where_chunks(where, ids=ids, references=references):
            for item in self._iter(
                "/BankTransactions",
                "BankTransactions",
                params={"where": clause},
                modified_since=modified_since,
                page_size=page_size,
            ):
                yield BankTransaction.from_api(item)

    def get_bank_transaction(self, *, bank_transaction_id: str) -> BankTransaction:
        path = f"/BankTransactions/{quote(bank_transaction_id)}"
        return BankTransaction.from_api(self._list(path, "BankTransactions")[0])

    def list_attachments(self, *, entity: str, entity_id: str) -> list[Attachment]:
        """The files on one record (name, size, type), without their content."""
        if entity not in ATTACHABLE:
            raise ValueError(f"Xero takes no attachments on {entity}")
        path = f"/{entity}/{quote(entity_id)}/Attachments"
        return [Attachment.from_api(i) for i in self._list(path, "Attachments")]

    def list_history(self, *, entity: str, entity_id: str) -> list[HistoryRecord]:
        if entity not in HISTORY:
            raise ValueError(f"Xero keeps no history notes on {entity}")
        path = f"/{entity}/{quote(entity_id)}/History"
        return [HistoryRecord.from_api(i) for i in self._list(path, "HistoryRecords")]


def _filter_chunks(lists: dict[str, Sequence[str] | None]) -> Iterator[dict[str, str]]:
    """Query values for the list filters, one list split into chunks when it is long. Each
    list filter is an OR of its values, so the chunks' results together are the full answer."""
    given = {name: list(values) for name, values in lists.items() if values}
    long = [name for name, values in given.items() if len(values) > FILTER_CHUNK]
    if len(long) > 1:
        raise ValueError(f"only one of {', '.join(long)} may hold more than {FILTER_CHUNK} values")
    fixed = {name: _csv(values) for name, values in given.items() if name not in long}
    if not long:
        yield fixed
        return
    values = given[long[0]]
    for start in range(0, len(values), FILTER_CHUNK):
        yield {**fixed, long[0]: _csv(values[start : start + FILTER_CHUNK])}


def _where_chunks(
    where: str | None, *, ids: Sequence[str] | None, references: Sequence[str] | None
) -> Iterator[str | None]:
    """`where` clauses for a read by ids or references, in chunks of WHERE_CHUNK terms."""
    if ids:
        terms = [f'BankTransactionID==Guid("{_where_text(i)}")' for i in dict.fromkeys(ids)]
    elif references:
        terms = [f'Reference=="{_where_text(r)}"' for r in dict.fromkeys(references)]
    else:
        yield where
        return
    for start in range(0, len(terms), WHERE_CHUNK):
        either = " OR ".join(terms[start : start + WHERE_CHUNK])
        yield f"({where}) AND ({either})" if where else either


def _where_text(value: str) -> str:
    """A string literal's content in Xero's where syntax: quotes and backslashes escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"')
