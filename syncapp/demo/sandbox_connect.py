"""Connect an Integration to a served sandbox the way a person would, for the demo.

Harvest: the personal-access-token path of "Connect Harvest" (the sandbox hands out its token).
Xero: the real "Connect to Xero" OAuth path (state + PKCE, consent page, code exchange,
organisation choice); only the click on "Allow access" is made by this code instead of a browser.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from django.db import transaction

from mappings.models import AccountMapping, ContactMatchRule, CurrencyMapping, TaxMapping
from syncapp.models import Integration
from syncapp.sandbox.xero.seed import PKCE_CLIENT_ID
from syncapp.services.connection_oauth import (
    OAuthFlowError,
    oauth_pending_choose,
    xero_oauth_finish,
    xero_oauth_start,
)
from syncapp.services.connections import connection_connect_harvest_token

DEMO_NAME = "Sandbox agency"
# Never visited: the consent page redirects here and the code is read from the Location header.
DEMO_REDIRECT = "http://127.0.0.1:8000/oauth/xero/callback/"
_HIDDEN_INPUT = re.compile(r"<input type='hidden' name='([^']+)' value='([^']*)'>")


class SandboxConnectError(Exception):
    pass


def sandbox_connect(
    *, url: str, name: str = DEMO_NAME, transport: httpx.BaseTransport | None = None
) -> Integration:
    """Create (or reuse) the demo Integration and connect both sides to the sandbox at `url`."""
    url = url.rstrip("/")
    with transaction.atomic():
        integration, created = Integration.objects.get_or_create(
            name=name,
            # Approved invoices, so the demo can pay them in Xero and see the payment come back.
            # Payments taken in Harvest go to Xero's clearing account, so both sides agree.
            defaults={
                "default_account_code": "200",
                "xero_invoice_status": "AUTHORISED",
                "harvest_payments_to_xero": True,
                "expense_card_account_code": "095",
            },
        )
        if created:
            demo_mappings_create(integration=integration)
    with httpx.Client(base_url=url, transport=transport, timeout=30) as browser:
        harvest = _get(browser, "/_sandbox/harvest/credentials").json()
        connection_connect_harvest_token(
            integration=integration,
            account_id=str(harvest["account_id"]),
            token=harvest["personal_access_token"],
            base_url=url,
            transport=transport,
        )
        session: dict = {}
        # The sandbox's pre-registered public app: no XERO_CLIENT_ID needed for the demo.
        authorize = xero_oauth_start(
            session=session,
            integration=integration,
            redirect_uri=DEMO_REDIRECT,
            base_url=url,
            public_client_id=PKCE_CLIENT_ID,
        )
        code, state = _allow_access(browser, authorize)
    outcome = xero_oauth_finish(session=session, state=state, code=code, transport=transport)
    if outcome.choices:
        oauth_pending_choose(session=session, provider="xero", choice_id=outcome.choices[0]["id"])
    if created:
        demo_expense_categories_map(integration=integration, transport=transport)
        demo_journal_setup(integration)
    return integration


# Every expense mode in the demo: reimbursed on bills, paid by the company card, billed to the
# client. Travel is left for finance to map: its expenses wait, named on the preflight page.
DEMO_EXPENSE_CATEGORIES = {
    "Mileage": ("493", ""),
    "Hotel": ("493", ""),
    "Software": ("429", "spend_money"),
    "Meals": ("429", "client_invoice"),
}


def demo_expense_categories_map(*, integration: Integration, transport=None) -> None:
    """Read the agency's expense categories from Harvest and map them as finance would."""
    from mappings.models import ExpenseCategoryMapping
    from syncapp.flows.expenses.facts import categories_refresh
    from syncapp.models import Connection
    from syncapp.providers.harvest.factory import harvest_client_for_connection

    connection = integration.connections.get(provider=Connection.Provider.HARVEST)
    with harvest_client_for_connection(connection=connection, transport=transport) as harvest:
        categories_refresh(
            integration=integration, categories=list(harvest.list_expense_categories())
        )
    for name, (code, mode) in DEMO_EXPENSE_CATEGORIES.items():
        ExpenseCategoryMapping.objects.filter(integration=integration, name=name).update(
            account_code=code, mode=mode
        )


def demo_journal_setup(integration: Integration) -> None:
    """Monthly cost journals as finance would set them: each project's cost to Cost of Services
    (310), credited to Payroll Clearing (814), left as drafts for finance to post."""
    integration.journal_debit = Integration.JournalDebit.COST_OF_SALES
    integration.journal_cost_account_code = "310"
    integration.journal_wip_account_code = "640"
    integration.journal_credit_account_code = "814"
    integration.journal_status = Integration.JournalStatus.DRAFT
    integration.save(
        update_fields=[
            "journal_debit",
            "journal_cost_account_code",
            "journal_wip_account_code",
            "journal_credit_account_code",
            "journal_status",
            "updated_at",
        ]
    )


def demo_mappings_create(*, integration: Integration) -> None:
    """Mappings a finance team would set up for the seeded agency (its chart and tax rates)."""
    for category, code in (("Service", "210"), ("Product", "200"), ("Expense", "230")):
        AccountMapping.objects.create(
            integration=integration,
            scope=AccountMapping.Scope.ITEM_CATEGORY,
            harvest_item_category=category,
            account_code=code,
            description=f"Harvest '{category}' lines",
        )
    taxes = (
        ("tax", "8.875", "0", "TAX001", "NY sales tax"),
        ("tax2", "0", "2", "TAX006", "Surcharge"),
        ("both", "8.875", "2", "TAX002", "NY sales tax + surcharge"),
        ("tax", "19", "0", "TAX003", "EU VAT"),
        ("tax", "20", "0", "TAX004", "UK VAT"),
    )
    for applies, tax, tax2, tax_type, description in taxes:
        TaxMapping.objects.create(
            integration=integration,
            applies=applies,
            tax_percent=Decimal(tax),
            tax2_percent=Decimal(tax2),
            xero_tax_type=tax_type,
            description=description,
        )
    for currency in ("USD", "EUR", "GBP"):
        CurrencyMapping.objects.create(
            integration=integration,
            harvest_currency=currency,
            xero_currency=currency,
            clearing_account_code="615",
        )
    ContactMatchRule.objects.create(integration=integration)


def _allow_access(browser: httpx.Client, authorize_url: str) -> tuple[str, str]:
    """Open the consent page and press "Allow access"; return (code, state) from the redirect."""
    page = _get(browser, authorize_url)
    fields = {name: html.unescape(value) for name, value in _HIDDEN_INPUT.findall(page.text)}
    if not fields:
        raise SandboxConnectError(f"The sandbox consent page had no form: {page.text[:200]}")
    action = urljoin(str(page.url), "/login.xero.com/identity/connect/authorize")
    answer = browser.post(action, data={**fields, "consent": "allow"}, follow_redirects=False)
    location = answer.headers.get("location", "")
    query = parse_qs(urlsplit(location).query)
    if answer.status_code != 302 or "code" not in query:
        raise OAuthFlowError(f"The sandbox did not grant access: {location or answer.text[:200]}")
    return query["code"][0], query["state"][0]


def _get(browser: httpx.Client, url: str) -> httpx.Response:
    try:
        response = browser.get(url)
    except httpx.TransportError as exc:
        raise SandboxConnectError(
            f"No sandbox answers at {browser.base_url} ({exc}). Start it with "
            "`python manage.py sandbox serve` (or `make run`) and try again."
        ) from exc
    if response.status_code != 200:
        raise SandboxConnectError(f"The sandbox answered {response.status_code} for {url}")
    return response
