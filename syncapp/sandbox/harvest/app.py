"""The Harvest simulator: api.harvestapp.com/v2, id.getharvest.com, and receipt downloads."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from syncapp.sandbox.core.http import BadJson, HttpError, Router, json_response, read_json
from syncapp.sandbox.harvest import (
    auth,
    expenses,
    invoice_events,
    org,
    projects,
    receipts,
    timesheets,
)
from syncapp.sandbox.harvest.common import Ctx
from syncapp.sandbox.harvest.crud import Resource, public
from syncapp.sandbox.harvest.invoices import INVOICES

API = "/api.harvestapp.com/v2"
ID = "/id.getharvest.com"
_READ = frozenset({"GET", "HEAD"})


def _crud_rules(path: str, resource: Resource | Any) -> list[tuple[Any, str, Any]]:
    rules: list[tuple[Any, str, Any]] = [("GET", f"{API}/{path}", _via(resource, "list"))]
    rules.append(("GET", f"{API}/{path}/<int:record_id>", _via(resource, "get")))
    rules.append(("PATCH", f"{API}/{path}/<int:record_id>", _via(resource, "patch")))
    rules.append(("DELETE", f"{API}/{path}/<int:record_id>", _via(resource, "delete")))
    rules.append(("POST", f"{API}/{path}", _via(resource, "post")))
    return rules


def _via(resource: Any, method: str):
    if callable(resource) and not isinstance(resource, Resource):
        # A factory: the resource depends on the request (expenses render absolute receipt URLs).
        return lambda ctx, **kw: getattr(resource(ctx), method)(ctx, **kw)
    return getattr(resource, method)


def _expenses(ctx: Ctx) -> Resource:
    return expenses.expense_resource(ctx.request.host_url.rstrip("/"))


def _rules() -> list[tuple[Any, str, Any]]:
    rules: list[tuple[Any, str, Any]] = [
        ("GET", f"{API}/company", org.company_get),
        ("PATCH", f"{API}/company", org.company_patch),
        ("GET", f"{API}/users/me", org.users_me),
        ("GET", f"{API}/task_assignments", projects.task_assignments_list),
        ("GET", f"{API}/user_assignments", projects.user_assignments_list),
        (
            "GET",
            f"{API}/projects/<int:project_id>/task_assignments",
            projects.task_assignments_list,
        ),
        (
            "POST",
            f"{API}/projects/<int:project_id>/task_assignments",
            projects.task_assignment_post,
        ),
        (
            "GET",
            f"{API}/projects/<int:project_id>/task_assignments/<int:record_id>",
            projects.task_assignment_get,
        ),
        (
            "PATCH",
            f"{API}/projects/<int:project_id>/task_assignments/<int:record_id>",
            projects.task_assignment_patch,
        ),
        (
            "DELETE",
            f"{API}/projects/<int:project_id>/task_assignments/<int:record_id>",
            projects.task_assignment_delete,
        ),
        (
            "GET",
            f"{API}/projects/<int:project_id>/user_assignments",
            projects.user_assignments_list,
        ),
        (
            "POST",
            f"{API}/projects/<int:project_id>/user_assignments",
            projects.user_assignment_post,
        ),
        (
            "GET",
            f"{API}/projects/<int:project_id>/user_assignments/<int:record_id>",
            projects.user_assignment_get,
        ),
        (
            "PATCH",
            f"{API}/projects/<int:project_id>/user_assignments/<int:record_id>",
            projects.user_assignment_patch,
        ),
        (
            "DELETE",
            f"{API}/projects/<int:project_id>/user_assignments/<int:record_id>",
            projects.user_assignment_delete,
        ),
        ("GET", f"{API}/invoices/<int:invoice_id>/messages", invoice_events.messages_list),
        ("POST", f"{API}/invoices/<int:invoice_id>/messages", invoice_events.message_post),
        ("GET", f"{API}/invoices/<int:invoice_id>/messages/new", invoice_events.message_new),
        (
            "DELETE",
            f"{API}/invoices/<int:invoice_id>/messages/<int:message_id>",
            invoice_events.message_delete,
        ),
        ("GET", f"{API}/invoices/<int:invoice_id>/payments", invoice_events.payments_list),
        ("POST", f"{API}/invoices/<int:invoice_id>/payments", invoice_events.payment_post),
        (
            "DELETE",
            f"{API}/invoices/<int:invoice_id>/payments/<int:payment_id>",
            invoice_events.payment_delete,
        ),
        (
            "GET",
            "/<subdomain>.harvestapp.com/expenses/<int:record_id>/receipt",
            receipts.receipt_download,
        ),
    ]
    for path, resource in (
        ("users", org.USERS),
        ("clients", org.CLIENTS),
        ("contacts", org.CONTACTS),
        ("tasks", org.TASKS),
        ("expense_categories", org.EXPENSE_CATEGORIES),
        ("invoice_item_categories", org.INVOICE_ITEM_CATEGORIES),
        ("projects", projects.PROJECTS),
        ("time_entries", timesheets.TIME_ENTRIES),
        ("expenses", _expenses),
        ("invoices", INVOICES),
    ):
        rules.extend(_crud_rules(path, resource))
    return rules


class HarvestSimulator:
    """WSGI app (and `handle(request)`) for every Harvest host the sandbox mirrors."""

    def __init__(
        self,
        state: Any,
        *,
        clock: Any,
        faults: Any = None,
        limiter: Any = None,
        validator: Any = None,
    ) -> None:
        self.state = state
        self.clock = clock
        self.limiter = limiter
        self.validator = validator
        self.router = Router(_rules())

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        try:
            if request.path.startswith(ID + "/"):
                return self._identity(request)
            if request.path.startswith("/_sandbox/harvest/"):
                return self._control(request)
            if receipts.is_signed_file_path(request.path):
                return receipts.signed_file_respond(request, self.state.harvest, self.clock.time())
            return self._api(request)
        except HttpError as exc:
            return exc.response()

    def _api(self, request: Request) -> Response:
        hs = self.state.harvest
        if not request.headers.get("User-Agent", "").strip():
            # https://help.getharvest.com/api-v2/introduction/overview/general/: a request
            # without a User-Agent header gets 400 Bad Request.
            return json_response({"message": "A User-Agent header is required"}, status=400)
        token, info = auth.api_authenticate(request=request, hs=hs, clock=self.clock)
        if self.limiter is not None:
            decision = self.limiter.check(token=token, account_id=str(hs.account_id))
            if not decision.allowed:
                # Harvest: 429 with Retry-After once 100 requests were made in 15 seconds.
                return json_response(
                    {"message": "Too Many Requests. Retry later."},
                    status=429,
                    headers=decision.headers,
                )
        matched = self.router.match(method=request.method, path=request.path)
        if matched is None:
            return json_response({"status": 404, "error": "Not Found"}, status=404)
        handler, args = matched
        args.pop("subdomain", None)
        ctx = Ctx(sandbox=self.state, clock=self.clock, request=request, user_id=info["user_id"])
        if request.method not in _READ:
            ctx.body = _parse_body(request)
        return handler(ctx, **args)

    def _identity(self, request: Request) -> Response:
        hs = self.state.harvest
        path = request.path[len(ID) :].rstrip("/")
        if path == "/oauth2/authorize" and request.method in ("GET", "POST"):
            return auth.authorize_page(request, hs, self.clock)
        if path == "/api/v2/oauth2/token" and request.method == "POST":
            body = _parse_body(request) if request.mimetype == "application/json" else {}
            return auth.token_endpoint(request, hs, self.clock, body or {})
        if path == "/api/v2/accounts" and request.method == "GET":
            return auth.accounts_endpoint(request, hs, self.clock)
        return json_response({"status": 404, "error": "Not Found"}, status=404)

    def _control(self, request: Request) -> Response:
        """Demo and test controls: credentials, and a client paying an invoice in Harvest."""
        path = request.path[len("/_sandbox/harvest") :].rstrip("/")
        if path == "/credentials" and request.method == "GET":
            return json_response(credentials(self.state.harvest))
        parts = path.strip("/").split("/")
        if (
            request.method == "POST"
            and len(parts) == 3
            and parts[0] == "invoices"
            and parts[1].isdigit()
            and parts[2] == "pay"
        ):
            return self._pay(request, int(parts[1]))
        if (
            request.method == "POST"
            and len(parts) == 3
            and parts[0] == "expenses"
            and parts[1].isdigit()
            and parts[2] in ("approve", "unapprove")
        ):
            return self._approve(request, int(parts[1]), approved=parts[2] == "approve")
        return json_response({"status": 404, "error": "Not Found"}, status=404)

    def _pay(self, request: Request, invoice_id: int) -> Response:
        """Pay what is due (or `amount`) as the seeded administrator would record it."""
        hs = self.state.harvest
        invoice = hs.invoices.get(invoice_id)
        if invoice is None:
            return json_response({"status": 404, "error": "Not Found"}, status=404)
        body = _parse_body(request) or {}
        ctx = Ctx(
            sandbox=self.state, clock=self.clock, request=request, user_id=hs.identity_user_id
        )
        payment = invoice_events.payment_apply(
            ctx,
            invoice,
            amount=body.get("amount", invoice["due_amount"]),
            paid_date=body.get("paid_date"),
            notes=body.get("notes", "Paid in the sandbox"),
            send_thank_you=bool(body.get("send_thank_you", True)),
        )
        return json_response(
            {"payment": public(payment), "invoice_state": invoice["state"]}, status=201
        )

    def _approve(self, request: Request, expense_id: int, *, approved: bool) -> Response:
        """A manager approving (or reopening) an expense in Harvest's web app."""
        hs = self.state.harvest
        expense = hs.expenses.get(expense_id)
        if expense is None:
            return json_response({"status": 404, "error": "Not Found"}, status=404)
        ctx = Ctx(
            sandbox=self.state, clock=self.clock, request=request, user_id=hs.identity_user_id
        )
        if not approved and expense.get("is_billed"):
            answer = json_response({"message": "Invoiced items cannot be unapproved"}, status=422)
        else:
            receipts.expense_set_approved(expense, approved=approved, now=ctx.now)
            answer = json_response({"expense": _expenses(ctx).render(hs, expense)})
        if request.mimetype == "application/x-www-form-urlencoded":
            # The demo page's buttons: back to the page with what happened.
            word = "Approved" if approved else "Reopened"
            data = answer.get_json()
            note = (
                ("error", data["message"])
                if "message" in data
                else ("message", f"{word} expense {expense_id} in Harvest.")
            )
            return Response(status=303, headers={"Location": "/_sandbox/?" + urlencode([note])})
        return answer

    def summary(self) -> dict[str, Any]:
        hs = self.state.harvest
        states: dict[str, int] = {}
        for invoice in hs.invoices.values():
            states[invoice["state"]] = states.get(invoice["state"], 0) + 1
        return {
            "account_id": hs.account_id,
            "account_name": hs.account_name,
            **hs.counts(),
            "invoice_states": states,
        }


def _parse_body(request: Request) -> Any:
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return request.form.to_dict()
    try:
        return read_json(request, default=None)
    except BadJson:
        raise HttpError(400, {"message": "The request body is not valid JSON"}) from None


def credentials(hs: Any) -> dict[str, Any]:
    """What a person needs to point a Harvest client at the sandbox."""
    personal = next((t for t, info in hs.tokens.items() if info.get("kind") == "personal"), None)
    oauth = next(iter(hs.oauth_clients.items()), None)
    return {
        "account_id": hs.account_id,
        "personal_access_token": personal,
        "oauth_client_id": oauth[0] if oauth else None,
        "oauth_client_secret": oauth[1]["secret"] if oauth else None,
        "oauth_redirect_uri": oauth[1]["redirect_uri"] if oauth else None,
    }
