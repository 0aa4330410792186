"""HarvestClient: typed reads and the few writes the sync needs, on the shared base.

Every request carries `Authorization: Bearer <token>`, `Harvest-Account-Id` and the base's
User-Agent naming hxsync and a contact address, as Harvest requires
(https://help.getharvest.com/api-v2/authentication-api/authentication/authentication/).
Lists ask for `per_page=2000` (the maximum) and follow `links.next`, which serves cursor and page
pagination alike (https://help.getharvest.com/api-v2/introduction/overview/pagination/).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from syncapp.providers.base import ProviderClient
from syncapp.providers.errors import UnexpectedResponse
from syncapp.providers.harvest.invoice_types import (
    HarvestInvoice,
    HarvestInvoiceMessage,
    HarvestInvoicePayment,
)
from syncapp.providers.harvest.params import (
    INVOICE_EVENTS,
    PER_PAGE,
    UNSET,
    harvest_timestamp,
    query_of,
)
from syncapp.providers.harvest.timesheet_types import (
    HarvestExpense,
    HarvestExpenseCategory,
    HarvestReceiptFile,
    HarvestTimeEntry,
)
from syncapp.providers.harvest.types import (
    HarvestClientRecord,
    HarvestCompany,
    HarvestContact,
    HarvestInvoiceItemCategory,
    HarvestProject,
    HarvestTask,
    HarvestTaskAssignment,
    HarvestUser,
    HarvestUserAssignment,
)
from syncapp.providers.harvest.writes import HarvestWritesMixin

# Re-exported for callers that import them with the client.
__all__ = ["INVOICE_EVENTS", "PER_PAGE", "UNSET", "HarvestClient", "harvest_timestamp"]


class HarvestClient(HarvestWritesMixin, ProviderClient):
    provider = "harvest"

    def __init__(
        self,
        *,
        base_url: str,
        account_id: str | int,
        access_token: str = "",
        token_source: Callable[[], str] | None = None,
        per_page: int = PER_PAGE,
        **kwargs: Any,
    ) -> None:
        """Give `access_token`, or `token_source()` to be asked for a current token on each
        attempt (an OAuth connection refreshed by another worker)."""
        if not access_token and token_source is None:
            raise ValueError("HarvestClient needs access_token or token_source")
        super().__init__(base_url=base_url, **kwargs)
        self.account_id = str(account_id)
        self._token_source = token_source or (lambda: access_token)
        self.per_page = per_page

    def _auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._token_source()}",
            "Harvest-Account-Id": self.account_id,
        }

    # -- helpers ------------------------------------------------------------------------------

    def _list(self, path: str, *, items_key: str, parse, **filters: Any) -> Iterator[Any]:
        params = {**query_of(**filters), "per_page": self.per_page}
        for item in self._iter_link_pages(path, items_key=items_key, params=params):
            yield parse(item)

    def _get(self, path: str, parse):
        body = self._request_json("GET", path)
        if not isinstance(body, dict):
            raise UnexpectedResponse("expected an object", path=path, provider=self.provider)
        return parse(body)

    def _write(self, method: str, path: str, body: dict[str, Any], parse):
        answer = self._request_json(method, path, json_body=body)
        if not isinstance(answer, dict):
            raise UnexpectedResponse("expected an object", path=path, provider=self.provider)
        return parse(answer)

    # -- reads --------------------------------------------------------------------------------

    def get_company(self) -> HarvestCompany:
        return self._get("/company", HarvestCompany.from_api)

    def list_clients(
        self, *, updated_since: datetime | None = None, is_active: bool | None = None
    ) -> Iterator[HarvestClientRecord]:
        return self._list(
            "/clients",
            items_key="clients",
            parse=HarvestClientRecord.from_api,
            updated_since=updated_since,
            is_active=is_active,
        )

    def get_client(self, *, client_id: int) -> HarvestClientRecord:
        return self._get(f"/clients/{int(client_id)}", HarvestClientRecord.from_api)

    def list_contacts(
        self, *, updated_since: datetime | None = None, client_id: int | None = None
    ) -> Iterator[HarvestContact]:
        return self._list(
            "/contacts",
            items_key="contacts",
            parse=HarvestContact.from_api,
            updated_since=updated_since,
            client_id=client_id,
        )

    def list_projects(
        self,
        *,
        updated_since: datetime | None = None,
        is_active: bool | None = None,
        client_id: int | None = None,
    ) -> Iterator[HarvestProject]:
        return self._list(
            "/projects",
            items_key="projects",
            parse=HarvestProject.from_api,
            updated_since=updated_since,
            is_active=is_active,
            client_id=client_id,
        )

    def get_project(self, *, project_id: int) -> HarvestProject:
        return self._get(f"/projects/{int(project_id)}", HarvestProject.from_api)

    def list_task_assignments(
        self,
        *,
        project_id: int | None = None,
        updated_since: datetime | None = None,
        is_active: bool | None = None,
    ) -> Iterator[HarvestTaskAssignment]:
        path = (
            f"/projects/{int(project_id)}/task_assignments" if project_id else "/task_assignments"
        )
        return self._list(
            path,
            items_key="task_assignments",
            parse=HarvestTaskAssignment.from_api,
            updated_since=updated_since,
            is_active=is_active,
        )

    def list_user_assignments(
        self,
        *,
        project_id: int | None = None,
        user_id: int | None = None,
        updated_since: datetime | None = None,
        is_active: bool | None = None,
    ) -> Iterator[HarvestUserAssignment]:
        path = (
            f"/projects/{int(project_id)}/user_assignments" if project_id else "/user_assignments"
        )
        return self._list(
            path,
            items_key="user_assignments",
            parse=HarvestUserAssignment.from_api,
            updated_since=updated_since,
            is_active=is_active,
            user_id=user_id,
        )

    def list_tasks(
        self, *, updated_since: datetime | None = None, is_active: bool | None = None
    ) -> Iterator[HarvestTask]:
        return self._list(
            "/tasks",
            items_key="tasks",
            parse=HarvestTask.from_api,
            updated_since=updated_since,
            is_active=is_active,
        )

    def list_users(
        self, *, updated_since: datetime | None = None, is_active: bool | None = None
    ) -> Iterator[HarvestUser]:
        return self._list(
            "/users",
            items_key="users",
            parse=HarvestUser.from_api,
            updated_since=updated_since,
            is_active=is_active,
        )

    def get_current_user(self) -> HarvestUser:
        return self._get("/users/me", HarvestUser.from_api)

    def list_time_entries(
        self,
        *,
        updated_since: datetime | None = None,
        from_date: date | None = None,
        to_date: date | None = None,
        client_id: int | None = None,
        project_id: int | None = None,
        task_id: int | None = None,
        user_id: int | None = None,
        is_billed: bool | None = None,
        is_running: bool | None = None,
    ) -> Iterator[HarvestTimeEntry]:
        return self._list(
            "/time_entries",
            items_key="time_entries",
            parse=HarvestTimeEntry.from_api,
            updated_since=updated_since,
            from_=from_date,
            to=to_date,
            client_id=client_id,
            project_id=project_id,
            task_id=task_id,
            user_id=user_id,
            is_billed=is_billed,
            is_running=is_running,
        )

    def list_expenses(
        self,
        *,
        updated_since: datetime | None = None,
        from_date: date | None = None,
        to_date: date | None = None,
        client_id: int | None = None,
        project_id: int | None = None,
        user_id: int | None = None,
        is_billed: bool | None = None,
    ) -> Iterator[HarvestExpense]:
        return self._list(
            "/expenses",
            items_key="expenses",
            parse=HarvestExpense.from_api,
            updated_since=updated_since,
            from_=from_date,
            to=to_date,
            client_id=client_id,
            project_id=project_id,
            user_id=user_id,
            is_billed=is_billed,
        )

    def get_expense(self, *, expense_id: int) -> HarvestExpense:
        return self._get(f"/expenses/{int(expense_id)}", HarvestExpense.from_api)

    def download_receipt(self, *, expense: HarvestExpense) -> HarvestReceiptFile:
        """The expense's receipt file. The URL comes from Harvest, so the token is only sent
        to Harvest's own hosts (`*.harvestapp.com`, or the sandbox this client talks to)."""
        if expense.receipt is None:
            raise ValueError(f"expense {expense.id} has no receipt")
        url = expense.receipt.url
        target = urlsplit(url)
        ours = urlsplit(self.base_url)
        same_host = (target.scheme, target.netloc) == (ours.scheme, ours.netloc)
        harvest_host = target.scheme == "https" and (target.hostname or "").endswith(
            ".harvestapp.com"
        )
        if not (same_host or harvest_host):
            raise UnexpectedResponse(
                "receipt URL is not on a Harvest host", path=target.path, provider=self.provider
            )
        response = self._request("GET", url, headers={"Accept": "*/*"}, redirects_ok=True)
        if response.is_redirect:
            # Harvest answers with a short-lived signed file URL: fetched at once, without our
            # credentials (they stay on Harvest's hosts) and outside Harvest's rate limit.
            response = self._request(
                "GET",
                urljoin(url, response.headers["Location"]),
                headers={"Accept": "*/*"},
                authenticate=False,
                governed=False,
            )
        return HarvestReceiptFile(
            content=response.content,
            content_type=response.headers.get("Content-Type", expense.receipt.content_type),
            file_name=expense.receipt.file_name,
        )

    def list_expense_categories(
        self, *, updated_since: datetime | None = None, is_active: bool | None = None
    ) -> Iterator[HarvestExpenseCategory]:
        return self._list(
            "/expense_categories",
            items_key="expense_categories",
            parse=HarvestExpenseCategory.from_api,
            updated_since=updated_since,
            is_active=is_active,
        )

    def list_invoices(
        self,
        *,
        updated_since: datetime | None = None,
        from_date: date | None = None,
        to_date: date | None = None,
        state: str | None = None,
        client_id: int | None = None,
        project_id: int | None = None,
    ) -> Iterator[HarvestInvoice]:
        return self._list(
            "/invoices",
            items_key="invoices",
            parse=HarvestInvoice.from_api,
            updated_since=updated_since,
            from_=from_date,
            to=to_date,
            state=state,
            client_id=client_id,
            project_id=project_id,
        )

    def get_invoice(self, *, invoice_id: int) -> HarvestInvoice:
        return self._get(f"/invoices/{int(invoice_id)}", HarvestInvoice.from_api)

    def list_invoice_messages(
        self, *, invoice_id: int, updated_since: datetime | None = None
    ) -> Iterator[HarvestInvoiceMessage]:
        return self._list(
            f"/invoices/{int(invoice_id)}/messages",
            items_key="invoice_messages",
            parse=HarvestInvoiceMessage.from_api,
            updated_since=updated_since,
        )

    def list_invoice_payments(
        self, *, invoice_id: int, updated_since: datetime | None = None
    ) -> Iterator[HarvestInvoicePayment]:
        return self._list(
            f"/invoices/{int(invoice_id)}/payments",
            items_key="invoice_payments",
            parse=HarvestInvoicePayment.from_api,
            updated_since=updated_since,
        )

    def list_invoice_item_categories(
        self, *, updated_since: datetime | None = None
    ) -> Iterator[HarvestInvoiceItemCategory]:
        return self._list(
            "/invoice_item_categories",
            items_key="invoice_item_categories",
            parse=HarvestInvoiceItemCategory.from_api,
            updated_since=updated_since,
        )
