"""The Xero simulator as one WSGI app (mounted by core/app.py under the real hosts' names).

    /api.xero.com/api.xro/2.0/...                 Accounting API (Bearer + xero-tenant-id)
    /api.xero.com/connections[/{id}]              tenants of the token's app and user
    /identity.xero.com/connect/token|revocation   OAuth 2.0 token service
    /login.xero.com/identity/connect/authorize    consent page (PKCE S256)
    /_sandbox/xero/...                            controls for tests and the demo

Every Accounting answer carries Xero's rate-limit headers; `Idempotency-Key` on a write replays the
first answer (status and body) for 24 hours
(https://developer.xero.com/documentation/guides/idempotent-requests/idempotency).
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from werkzeug.wrappers import Request, Response

from syncapp.sandbox.xero import (
    identity_routes,
    routes_contacts,
    routes_misc,
    routes_overpayments,
    routes_settings,
)
from syncapp.sandbox.xero import routes_documents as docs
from syncapp.sandbox.xero.control import control_dispatch
from syncapp.sandbox.xero.documents import CREDIT_NOTE, INVOICE
from syncapp.sandbox.xero.formats import dumps
from syncapp.sandbox.xero.http import RequestContext, XeroError, json_response, not_found
from syncapp.sandbox.xero.identity import bearer_check, tenant_allowed
from syncapp.sandbox.xero.scopes import scope_allows
from syncapp.sandbox.xero.state import XeroState, xero_state_of
from syncapp.sandbox.xero.webhooks import webhook_flush

ACCOUNTING_PREFIX = "/api.xero.com/api.xro/2.0"
CONNECTIONS_PREFIX = "/api.xero.com/connections"
IDEMPOTENCY_SECONDS = 24 * 3600
MAX_POST_BYTES = 3_500_000
_READ = frozenset({"GET", "HEAD"})
ENDPOINTS = {
    name.lower(): name
    for name in (
        "Organisation", "Accounts", "TaxRates", "Currencies", "TrackingCategories", "Items", "Contacts",
        "Invoices", "CreditNotes", "Payments", "Overpayments", "ManualJournals", "BankTransactions",
    )
}


def _problem(status: int, title: str, detail: str) -> Response:
    """401/403 bodies as Xero's API gateway writes them (RFC 7807 style)."""
    body = {"Type": None, "Title": title, "Status": status, "Detail": detail,
            "Instance": str(uuid.uuid4()), "Extensions": {}}
    response = json_response(body, status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


class XeroSimulator:
    def __init__(self, state: Any, *, clock: Any, faults: Any = None, limiter: Any = None, validator: Any = None) -> None:
        self.sandbox_state = state
        self.clock = clock
        self.faults = faults
        self.limiter = limiter
        self.validator = validator

    @property
    def state(self) -> XeroState:
        return xero_state_of(self.sandbox_state)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        state = self.state
        # Xero matches route names in any case (the official SDKs call `GET /Connections`, and
        # `/api.xro/2.0/invoices` works as well as `/Invoices`); ids and values keep their case.
        path = request.path.lower()
        with state.lock:
            now = self.clock.now()
            if path == ACCOUNTING_PREFIX.lower() or path.startswith(ACCOUNTING_PREFIX.lower() + "/"):
                response = self._accounting(request, state, now)
            elif path == CONNECTIONS_PREFIX or path.startswith(CONNECTIONS_PREFIX + "/"):
                response = identity_routes.connections(request, state, now)
            elif path.startswith(("/identity.xero.com/", "/login.xero.com/")):
                response = identity_routes.dispatch(request, state, now)
            elif path.startswith("/_sandbox/xero"):
                response = control_dispatch(request, state, now, self)
            else:
                response = json_response({"Title": "NotFound", "Status": 404}, status=404)
            if state.webhook_outbox:
                webhook_flush(state)
        return response

    # -- Accounting API -------------------------------------------------------------------------

    def _accounting(self, request: Request, state: XeroState, now) -> Response:
        check = bearer_check(state, authorization=request.headers.get("Authorization"), now=now)
        if not check.ok:
            return _problem(401, "Unauthorized", check.detail)
        tenant = request.headers.get("xero-tenant-id")
        if not tenant_allowed(state, token=check.token, tenant_id=tenant):
            return _problem(403, "Forbidden", "AuthenticationUnsuccessful")
        if not scope_allows(scope=check.token["scope"], method=request.method,
                            path=request.path[len(ACCOUNTING_PREFIX):]):
            response = _problem(401, "Unauthorized", "AuthorizationUnsuccessful")
            response.headers["WWW-Authenticate"] = 'Bearer error="insufficient_scope"'
            return response
        limit_headers: dict[str, str] = {}
        if self.limiter is not None:
            decision = self.limiter.acquire(tenant_id=state.tenant_id, app_id=check.token["client_id"])
            if not decision.allowed:
                return Response("Rate limit exceeded", status=429, mimetype="text/plain",
                                headers=decision.headers)
            limit_headers = decision.headers
        try:
            response = self._idempotent(request, state, now, check.token["client_id"])
        finally:
            if self.limiter is not None:
                self.limiter.release(tenant_id=state.tenant_id)
        response.headers.update(limit_headers)
        response.headers["Xero-Correlation-Id"] = str(uuid.uuid4())
        return response

    def _idempotent(self, request: Request, state: XeroState, now, client_id: str) -> Response:
        key = request.headers.get("Idempotency-Key")
        if not key or request.method in _READ:
            return self._route(request, state, now, client_id)
        cache_key = f"{state.tenant_id}|{request.method}|{request.path.lower()}|{key}"
        cached = state.idempotency.get(cache_key)
        now_ts = now.timestamp()
        if cached is not None and cached[0] > now_ts:
            _, status, headers, body = cached
            response = Response(body, status=status, headers=headers)
            return response
        response = self._route(request, state, now, client_id)
        if response.status_code < 500:
            headers = [(k, v) for k, v in response.headers.items() if k.lower() == "content-type"]
            state.idempotency[cache_key] = (now_ts + IDEMPOTENCY_SECONDS, response.status_code, headers,
                                            response.get_data())
            if len(state.idempotency) > 50_000:
                self._idempotency_prune(state, now_ts)
        return response

    @staticmethod
    def _idempotency_prune(state: XeroState, now_ts: float) -> None:
        for cache_key in [k for k, v in state.idempotency.items() if v[0] <= now_ts]:
            del state.idempotency[cache_key]

    def _route(self, request: Request, state: XeroState, now, client_id: str) -> Response:
        rc = RequestContext(request=request, state=state, now=now, client_id=client_id)
        parts = [p for p in request.path[len(ACCOUNTING_PREFIX):].split("/") if p]
        if (request.method not in _READ and "attachments" not in (p.lower() for p in parts)
                and (request.content_length or 0) > MAX_POST_BYTES):
            # "A single POST to the Accounting or Payroll APIs has a size limit of 3.5MB. There is
            # no limit to the number of elements within a request" (Xero API limits).
            return Response("Request Entity Too Large", status=413, mimetype="text/plain")
        try:
            if not parts or parts[0].lower() not in ENDPOINTS:
                raise not_found()
            endpoint = ENDPOINTS[parts[0].lower()]
            return self._dispatch(rc, request.method, endpoint, parts[1:])
        except XeroError as exc:
            return Response(dumps(exc.body), status=exc.status, mimetype="application/json")

    def _dispatch(self, rc: RequestContext, method: str, endpoint: str, rest: list[str]) -> Response:
        n = len(rest)
        if n >= 2 and rest[1].lower() in ("attachments", "history") and endpoint in routes_misc.OWNERS:
            return self._sub_resource(rc, method, endpoint, rest)
        if endpoint == "Organisation" and n == 1 and rest[0].lower() == "actions" and method == "GET":
            return routes_settings.organisation_actions(rc)
        if endpoint == "CreditNotes" and n == 2 and rest[1].lower() == "allocations" and method == "PUT":
            return docs.allocations_write(rc, rest[0])
        if endpoint == "Overpayments" and n == 2 and rest[1].lower() == "allocations" and method == "PUT":
            return routes_overpayments.overpayment_allocations_write(rc, rest[0])
        if n > 1:
            raise not_found()
        handler = _TABLE.get((endpoint, method, n))
        if handler is None:
            if (endpoint, n) in _KNOWN_SHAPES:
                return Response(status=405)
            raise not_found()
        return handler(rc, *rest)

    @staticmethod
    def _sub_resource(rc: RequestContext, method: str, endpoint: str, rest: list[str]) -> Response:
        object_id, sub = rest[0], rest[1].lower()
        if sub == "history":
            if len(rest) != 2:
                raise not_found()
            if method == "GET":
                return routes_misc.history_get(rc, endpoint, object_id)
            if method in ("PUT", "POST"):
                return routes_misc.history_put(rc, endpoint, object_id)
            return Response(status=405)
        if len(rest) == 2 and method == "GET":
            return routes_misc.attachments_list(rc, endpoint, object_id)
        if len(rest) == 3:
            if method == "GET":
                return routes_misc.attachment_get(rc, endpoint, object_id, rest[2])
            if method in ("PUT", "POST"):
                return routes_misc.attachment_put(rc, endpoint, object_id, rest[2])
        raise not_found()

    # -- demo/state ------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        state = self.state
        return {
            "tenant_id": state.tenant_id,
            "organisation": state.organisation.get("Name"),
            "contacts": len(state.contacts),
            "invoices": dict(Counter(i["Status"] for i in state.invoices.values())),
            "credit_notes": len(state.credit_notes),
            "payments": dict(Counter(p["Status"] for p in state.payments.values())),
            "overpayments": len(state.overpayments),
            "manual_journals": len(state.manual_journals),
            "bank_transactions": len(state.bank_transactions),
            "webhook": {k: v for k, v in state.webhook.items() if k != "key"},
            "webhook_deliveries": len(state.webhook_log),
            "connections": len(state.connections),
        }


_TABLE = {
    ("Organisation", "GET", 0): lambda rc: routes_settings.organisation_get(rc),
    ("Accounts", "GET", 0): routes_settings.accounts_list,
    ("Accounts", "PUT", 0): routes_settings.account_create,
    ("Accounts", "GET", 1): routes_settings.account_get,
    ("Accounts", "POST", 1): routes_settings.account_update,
    ("TaxRates", "GET", 0): routes_settings.tax_rates_list,
    ("TaxRates", "PUT", 0): lambda rc: routes_settings.tax_rates_write(rc, create_only=True),
    ("TaxRates", "POST", 0): lambda rc: routes_settings.tax_rates_write(rc, create_only=False),
    ("TaxRates", "GET", 1): routes_settings.tax_rate_get,
    ("Currencies", "GET", 0): routes_settings.currencies_list,
    ("Currencies", "PUT", 0): routes_settings.currency_add,
    ("TrackingCategories", "GET", 0): routes_settings.tracking_list,
    ("TrackingCategories", "GET", 1): routes_settings.tracking_get,
    ("Items", "GET", 0): routes_settings.items_list,
    ("Items", "GET", 1): routes_settings.item_get,
    ("Contacts", "GET", 0): routes_contacts.contacts_list,
    ("Contacts", "PUT", 0): lambda rc: routes_contacts.contacts_write(rc, create_only=True),
    ("Contacts", "POST", 0): lambda rc: routes_contacts.contacts_write(rc, create_only=False),
    ("Contacts", "GET", 1): routes_contacts.contact_get,
    ("Contacts", "POST", 1): lambda rc, ref: routes_contacts.contacts_write(rc, create_only=False, path_id=ref),
    ("Invoices", "GET", 0): lambda rc: docs.documents_list(rc, INVOICE),
    ("Invoices", "PUT", 0): lambda rc: docs.documents_write(rc, INVOICE, create_only=True),
    ("Invoices", "POST", 0): lambda rc: docs.documents_write(rc, INVOICE, create_only=False),
    ("Invoices", "GET", 1): lambda rc, ref: docs.document_get(rc, INVOICE, ref),
    ("Invoices", "POST", 1): lambda rc, ref: docs.documents_write(rc, INVOICE, create_only=False, path_id=ref),
    ("CreditNotes", "GET", 0): lambda rc: docs.documents_list(rc, CREDIT_NOTE),
    ("CreditNotes", "PUT", 0): lambda rc: docs.documents_write(rc, CREDIT_NOTE, create_only=True),
    ("CreditNotes", "POST", 0): lambda rc: docs.documents_write(rc, CREDIT_NOTE, create_only=False),
    ("CreditNotes", "GET", 1): lambda rc, ref: docs.document_get(rc, CREDIT_NOTE, ref),
    ("CreditNotes", "POST", 1): lambda rc, ref: docs.documents_write(rc, CREDIT_NOTE, create_only=False, path_id=ref),
    ("Payments", "GET", 0): docs.payments_list,
    ("Payments", "PUT", 0): docs.payments_write,
    ("Payments", "POST", 0): docs.payments_write,
    ("Payments", "GET", 1): docs.payment_get,
    ("Payments", "POST", 1): docs.payment_update,
    ("Overpayments", "GET", 0): routes_overpayments.overpayments_list,
    ("Overpayments", "GET", 1): routes_overpayments.overpayment_get,
    ("ManualJournals", "GET", 0): routes_misc.journals_list,
    ("ManualJournals", "PUT", 0): lambda rc: routes_misc.journals_write(rc),
    ("ManualJournals", "POST", 0): lambda rc: routes_misc.journals_write(rc),
    ("ManualJournals", "GET", 1): routes_misc.journal_get,
    ("ManualJournals", "POST", 1): lambda rc, ref: routes_misc.journals_write(rc, path_id=ref),
    ("BankTransactions", "GET", 0): routes_misc.bank_transactions_list,
    ("BankTransactions", "PUT", 0): lambda rc: routes_misc.bank_transactions_write(rc),
    ("BankTransactions", "POST", 0): lambda rc: routes_misc.bank_transactions_write(rc),
    ("BankTransactions", "GET", 1): routes_misc.bank_transaction_get,
    ("BankTransactions", "POST", 1): lambda rc, ref: routes_misc.bank_transactions_write(rc, path_id=ref),
}
_KNOWN_SHAPES = {(endpoint, n) for (endpoint, _method, n) in _TABLE}
