"""Deterministic Xero side of the demo: the agency's organisation as finance left it before hxsync.

Base currency USD with EUR and GBP enabled, a lock date, a US-style chart of accounts with one
archived revenue account, tax rates for the Harvest seed's taxes (8.875 %, 2 %, 19 %, 20 %)
including a two-component rate and a compound one, tracking categories, supplier contacts, the
near-duplicates of Harvest clients the Harvest seed announces (`seed_info["near_duplicates"]`),
an archived twin, and some invoices in every status (one numbered like a Harvest invoice).
"""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from syncapp.sandbox.xero.contacts import contact_commit, contact_prepare
from syncapp.sandbox.xero.control import DEFAULT_CLIENT_ID, xero_invoice_pay
from syncapp.sandbox.xero.documents import INVOICE, BatchContext, doc_commit, doc_prepare
from syncapp.sandbox.xero.identity import app_register
from syncapp.sandbox.xero.state import XeroState

PKCE_CLIENT_ID = "7F3A1C9E5B2D48A6B0C4D2E8F6A1B3C5"
# The demo apps accept any callback on a loopback host (any port) and Django's test server.
LOOPBACK_REDIRECTS = ("http://127.0.0.1:*/*", "http://localhost:*/*", "http://[[]::1]:*/*",
                      "http://127.0.0.1/*", "http://localhost/*", "http://testserver/*")
_D = Decimal

ACCOUNTS = [
    # code, name, type, tax type, extra
    ("090", "Business Checking", "BANK", "NONE", {"BankAccountNumber": "0123456789", "CurrencyCode": "USD"}),
    ("091", "EUR Account", "BANK", "NONE", {"BankAccountNumber": "DE89370400440532013000", "CurrencyCode": "EUR"}),
    ("092", "GBP Account", "BANK", "NONE", {"BankAccountNumber": "GB29NWBK60161331926819", "CurrencyCode": "GBP"}),
    ("200", "Sales", "REVENUE", "TAX001", {}),
    ("210", "Consulting Revenue", "REVENUE", "TAX001", {}),
    ("220", "Design Revenue", "REVENUE", "TAX001", {}),
    ("230", "Reimbursed Expenses", "REVENUE", "NONE", {}),
    ("250", "Legacy Retainers", "REVENUE", "TAX001", {"Status": "ARCHIVED"}),
    ("260", "Other Revenue", "REVENUE", "NONE", {}),
    ("270", "Interest Income", "OTHERINCOME", "NONE", {}),
    ("310", "Cost of Services", "DIRECTCOSTS", "INPUT", {}),
    ("400", "Advertising", "OVERHEADS", "INPUT", {}),
    ("404", "Bank Fees", "OVERHEADS", "NONE", {}),
    ("429", "General Expenses", "OVERHEADS", "INPUT", {}),
    ("453", "Office Expenses", "OVERHEADS", "INPUT", {}),
    ("477", "Wages and Salaries", "EXPENSE", "NONE", {}),
    ("493", "Travel", "OVERHEADS", "INPUT", {}),
    ("498", "Contractors", "EXPENSE", "INPUT", {}),
    ("610", "Accounts Receivable", "CURRENT", "NONE", {"SystemAccount": "DEBTORS"}),
    ("615", "Card Payments Clearing", "CURRENT", "NONE", {"EnablePaymentsToAccount": True}),
    ("800", "Accounts Payable", "CURRLIAB", "NONE", {"SystemAccount": "CREDITORS"}),
    ("820", "Sales Tax Payable", "CURRLIAB", "NONE", {"SystemAccount": "GST"}),
    ("960", "Retained Earnings", "EQUITY", "NONE", {"SystemAccount": "RETAINEDEARNINGS"}),
    # Last, so the accounts above keep their ids: the card company-card expenses are spent from.
    ("095", "Company Credit Card", "BANK", "NONE", {"BankAccountType": "CREDITCARD", "CurrencyCode": "USD",
                                                    "BankAccountNumber": "4111111111111111"}),
    # Last too: what the monthly cost journals post to (work in progress, the payroll clearing
    # account the cost of people's time is credited to until payroll is booked).
    ("640", "Work in Progress", "CURRENT", "NONE", {}),
    ("814", "Payroll Clearing", "CURRLIAB", "NONE", {}),
]

# tax type, name, components (name, rate, compound), revenue?, expenses?, liabilities?, report type
TAX_RATES = [
    ("NONE", "Tax Exempt", [("None", "0", False)], True, True, True, "NONE"),
    ("INPUT", "Tax on Purchases", [("Tax", "0", False)], False, True, True, "INPUT"),
    ("OUTPUT", "Tax on Sales", [("Tax", "0", False)], True, False, True, "OUTPUT"),
    ("GSTONIMPORTS", "Sales Tax on Imports", [("Tax", "0", False)], False, False, True, "GSTONIMPORTS"),
    ("TAX001", "NY Sales Tax 8.875%", [("State and City", "8.875", False)], True, False, True, "OUTPUT"),
    ("TAX002", "NY Sales Tax + Surcharge", [("State and City", "8.875", False), ("Surcharge", "2", False)],
     True, False, True, "OUTPUT"),
    ("TAX003", "EU VAT 19%", [("VAT", "19", False)], True, False, True, "OUTPUT"),
    ("TAX004", "UK VAT 20%", [("VAT", "20", False)], True, False, True, "OUTPUT"),
    ("TAX005", "GST + QST (compound)", [("GST", "5", False), ("QST", "9.975", True)], True, False, True, "OUTPUT"),
    ("TAX006", "Surcharge 2%", [("Surcharge", "2", False)], True, False, True, "OUTPUT"),
]

TRACKING = [
    ("Department", ["Design", "Development", "Strategy"], ["Legacy"]),
    ("Region", ["North America", "Europe", "United Kingdom"], []),
]

# Harvest invoice line kinds (Service, Product, Expense) as Xero items.
ITEMS = [
    ("SERVICE", "Professional services", "Consulting and design services", "165.00", "210", "TAX001"),
    ("PRODUCT", "Products", "Licences and products", None, "200", "TAX001"),
    ("EXPENSE", "Reimbursable expenses", "Expenses re-billed at cost", None, "230", "NONE"),
]

SUPPLIERS = [
    ("Amazon Web Services", "aws-billing@example.com", "USD"),
    ("Office Depot", "orders@officedepot.example.com", "USD"),
    ("Gusto Payroll", "support@gusto.example.com", "USD"),
    ("Kowalski Freelance Design", "ola@kowalski.example.pl", "EUR"),
    ("City Utilities", "billing@cityutilities.example.com", "USD"),
]


def _uuid(seed: int, *parts: Any) -> str:
    digest = hashlib.blake2b(":".join(map(str, (seed, *parts))).encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest, version=4))


def seed_xero(
    state: Any,
    *,
    seed: int = 0,
    harvest: Any = None,
    today: date | None = None,
    rng: random.Random | None = None,
) -> XeroState:
    """Replace the Xero state with the demo organisation; returns it."""
    today = today or datetime.now(tz=UTC).date()
    rng = rng or random.Random(f"xero:{seed}")
    xero = XeroState(seed=seed, tenant_id=_uuid(seed, "tenant"))
    if hasattr(state, "harvest") or hasattr(state, "xero"):
        state.xero = xero
    created = datetime.combine(today - timedelta(days=900), time(9), tzinfo=UTC)
    first_month = (today.replace(day=1) - timedelta(days=31 * 4)).replace(day=1)
    lock = first_month - timedelta(days=1)
    _organisation(xero, created=created, lock=lock)
    _settings(xero, created=created)
    _identity(xero)
    xero.webhook.update({"key": _uuid(seed, "webhook-key").replace("-", "") * 2, "url": None,
                         "status": "HOOKS_ONLY"})
    near = list(getattr(harvest, "seed_info", {}).get("near_duplicates", [])) if harvest else []
    ctx = BatchContext(now=created)
    info: dict[str, Any] = {"near_duplicates": [], "lock_date": lock.isoformat(),
                            "archived_account_code": "250", "colliding_invoice_numbers": []}
    for entry in near:
        contact = _contact(xero, ctx, {
            "Name": entry["xero_name"], "EmailAddress": entry["xero_email"],
            "DefaultCurrency": entry["currency"], "FirstName": "Accounts", "LastName": "Team",
        })
        info["near_duplicates"].append({"harvest_client_id": entry["client_id"], "contact_id": contact["ContactID"],
                                        "harvest_name": entry["name"], "xero_name": entry["xero_name"]})
    suppliers = [_contact(xero, ctx, {"Name": name, "EmailAddress": email, "DefaultCurrency": currency})
                 for name, email, currency in SUPPLIERS]
    twin_name = _archived_twin_name(harvest, near)
    if twin_name:
        twin = _contact(xero, ctx, {"Name": twin_name, "ContactStatus": "ARCHIVED"})
        info["archived_twin"] = {"name": twin_name, "contact_id": twin["ContactID"]}
    _invoices(xero, rng=rng, today=today, lock=lock, info=info, suppliers=suppliers)
    _expense_claimant(xero, harvest=harvest, info=info, on=min(lock + timedelta(days=30), today))
    xero.seed_info = info
    # Seeding is not a change finance made: no webhook events for it.
    xero.webhook_outbox.clear()
    return xero


def _organisation(xero: XeroState, *, created: datetime, lock: date) -> None:
    xero.organisation = {
        "APIKey": "SANDBOXAPIKEY0000000000000000001", "Name": "Northwind Creative (Sandbox)",
        "LegalName": "Northwind Creative LLC", "PaysTax": True, "Version": "US",
        "OrganisationType": "COMPANY", "OrganisationEntityType": "COMPANY", "BaseCurrency": "USD",
        "CountryCode": "US", "IsDemoCompany": False, "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31, "FinancialYearEndMonth": 12, "SalesTaxBasis": "ACCRUALS",
        "SalesTaxPeriod": "QUARTERLY", "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive", "PeriodLockDate": lock, "CreatedDateUTC": created,
        "Timezone": "EASTERNSTANDARDTIME", "ShortCode": "!nwcr1", "Class": "STANDARD",
        "Edition": "BUSINESS", "LineOfBusiness": "Creative agency",
        "Addresses": [{"AddressType": "STREET", "AddressLine1": "1 Hudson Yards", "City": "New York",
                       "Region": "NY", "PostalCode": "10001", "Country": "US"}],
        "Phones": [], "ExternalLinks": [],
        "PaymentTerms": {"Sales": {"Day": 30, "Type": "DAYSAFTERBILLDATE"}},
    }
    xero.actions = {name: "ALLOWED" for name in (
        "UseMulticurrency", "CreateApprovedInvoice", "CreateDraftInvoice", "CreateApprovedPayment",
        "CreateApprovedPurchaseInvoice", "CreateDraftPurchaseInvoice", "CreateDraftSalesCreditNote",
        "CreateApprovedSalesCreditNote", "AttachFilesToDocuments", "ApproveInvoice",
    )}


def _settings(xero: XeroState, *, created: datetime) -> None:
    for code, name in (("USD", "United States Dollar"), ("EUR", "Euro"), ("GBP", "British Pound")):
        xero.currencies[code] = {"Code": code, "Description": name}
    for tax_type, name, components, revenue, expenses, liabilities, report in TAX_RATES:
        parts = [{"Name": n, "Rate": _D(r), "IsCompound": c, "IsNonRecoverable": False} for n, r, c in components]
        simple = sum((p["Rate"] for p in parts if not p["IsCompound"]), _D(0))
        effective = simple + sum((p["Rate"] * (100 + simple) / 100 for p in parts if p["IsCompound"]), _D(0))
        xero.tax_rates[tax_type] = {
            "Name": name, "TaxType": tax_type, "TaxComponents": parts, "Status": "ACTIVE",
            "ReportTaxType": report, "CanApplyToAssets": liabilities, "CanApplyToEquity": liabilities,
            "CanApplyToExpenses": expenses, "CanApplyToLiabilities": liabilities,
            "CanApplyToRevenue": revenue, "DisplayTaxRate": effective.quantize(_D("0.0001")),
            "EffectiveRate": effective.quantize(_D("0.0001")),
        }
    for code, name, account_type, tax_type, extra in ACCOUNTS:
        account_id = xero.new_id("account")
        account = {
            "AccountID": account_id, "Code": code, "Name": name, "Type": account_type, "Status": "ACTIVE",
            "TaxType": tax_type, "EnablePaymentsToAccount": False, "ShowInExpenseClaims": False,
            "HasAttachments": False, "UpdatedDateUTC": created, "Description": "",
        }
        account.update(extra)
        if account_type == "BANK":
            account.setdefault("BankAccountType", "BANK")
        xero.accounts[account_id] = account
        xero.account_by_code[code] = account_id
    for code, name, description, price, account, tax_type in ITEMS:
        item_id = xero.new_id("item")
        sales = {"AccountCode": account, "TaxType": tax_type}
        if price is not None:
            sales["UnitPrice"] = _D(price)
        xero.items[item_id] = {
            "ItemID": item_id, "Code": code, "Name": name, "Description": description, "IsSold": True,
            "IsPurchased": False, "IsTrackedAsInventory": False, "SalesDetails": sales,
            "UpdatedDateUTC": created,
        }
        xero.item_by_code[code] = item_id
    for name, options, archived in TRACKING:
        category_id = xero.new_id("tracking")
        xero.tracking[category_id] = {
            "TrackingCategoryID": category_id, "Name": name, "Status": "ACTIVE",
            "Options": [
                {"TrackingOptionID": xero.new_id("tracking_option"), "Name": option,
                 "Status": "ARCHIVED" if option in archived else "ACTIVE"}
                for option in [*options, *archived]
            ],
        }


def _identity(xero: XeroState) -> None:
    app_register(xero, client_id=DEFAULT_CLIENT_ID, client_secret=_uuid(xero.seed, "secret").replace("-", ""),
                 redirect_uris=list(LOOPBACK_REDIRECTS), name="hxsync (sandbox)")
    app_register(xero, client_id=PKCE_CLIENT_ID, client_secret=None,
                 redirect_uris=list(LOOPBACK_REDIRECTS),
                 name="hxsync PKCE client (sandbox)")


def _contact(xero: XeroState, ctx: BatchContext, raw: dict[str, Any]) -> dict[str, Any]:
    prepared = contact_prepare(xero, raw, ctx=ctx, allow_update=False)
    if prepared.errors:
        raise ValueError(f"seed contact {raw['Name']}: {prepared.errors}")
    return contact_commit(xero, prepared, ctx=ctx)


def _expense_claimant(xero: XeroState, *, harvest: Any, info: dict[str, Any], on: date) -> None:
    """One Harvest person who spends money already exists in Xero as a supplier (finance repaid a
    bill of theirs by hand once): the expenses flow must match that contact, not create a second."""
    spenders = sorted({e["_user_id"] for e in getattr(harvest, "expenses", {}).values()})
    if not spenders:
        return
    user = harvest.users[spenders[0]]
    ctx = BatchContext(now=datetime.combine(on, time(10), tzinfo=UTC))
    contact = _contact(xero, ctx, {"Name": f"{user['first_name']} {user['last_name']}",
                                   "EmailAddress": user["email"]})
    bill = _document(xero, {
        "Type": "ACCPAY", "Contact": {"ContactID": contact["ContactID"]}, "Date": on.isoformat(),
        "DueDate": on.isoformat(), "Status": "AUTHORISED", "InvoiceNumber": "Expenses (by hand)",
        "LineItems": [{"Description": "Client dinner", "Quantity": _D(1), "UnitAmount": _D("86.40"),
                       "AccountCode": "493", "TaxType": "INPUT"}],
    }, ctx)
    xero_invoice_pay(xero, invoice_ref=bill["InvoiceID"], now=ctx.now, amount=bill["AmountDue"], paid_on=on,
                     account_code="090")
    info["expense_claimant"] = {"harvest_user_id": user["id"], "contact_id": contact["ContactID"]}


def _archived_twin_name(harvest: Any, near: list[dict[str, Any]]) -> str | None:
    """An archived Xero contact with exactly the name of a Harvest client (a candidate to restore)."""
    if harvest is None or not getattr(harvest, "clients", None):
        return None
    taken = {entry["client_id"] for entry in near}
    for client in harvest.clients.values():
        if client["id"] not in taken:
            return client["name"]
    return None


def _invoices(xero: XeroState, *, rng: random.Random, today: date, lock: date, info: dict[str, Any],
              suppliers: list[dict[str, Any]]) -> None:
    customers = [c for c in xero.contacts.values() if c["ContactStatus"] == "ACTIVE" and c not in suppliers]
    if not customers:
        customers = [_contact(xero, BatchContext(now=datetime.combine(today, time(9), tzinfo=UTC)),
                              {"Name": "Walk-in Customer"})]
    plans = [
        # status, days after lock, number, pay
        ("AUTHORISED", 10, None, "full"), ("AUTHORISED", 20, None, "part"), ("AUTHORISED", 35, None, None),
        ("DRAFT", 40, None, None), ("SUBMITTED", 45, None, None), ("VOIDED", 50, None, None),
        ("AUTHORISED", 60, "1003", None), ("AUTHORISED", 70, None, "full"),
    ]
    for index, (status, offset, number, pay) in enumerate(plans):
        contact = customers[index % len(customers)]
        currency = contact.get("DefaultCurrency") or "USD"
        tax_type = {"USD": "TAX001", "EUR": "TAX003", "GBP": "TAX004"}[currency]
        issued = min(lock + timedelta(days=offset), today)
        when = datetime.combine(issued, time(10), tzinfo=UTC)
        ctx = BatchContext(now=when)
        lines = [
            {"Description": f"Consulting, {rng.choice(['strategy', 'design', 'development'])}",
             "Quantity": _D(rng.randrange(4, 40)), "UnitAmount": _D(rng.choice(["150.00", "165.00", "180.00"])),
             "AccountCode": "210", "TaxType": tax_type},
            {"Description": "Project management", "Quantity": _D("1"),
             "UnitAmount": _D(rng.randrange(200, 900)), "AccountCode": "200", "TaxType": tax_type,
             "DiscountRate": _D("10") if index % 3 == 0 else None},
        ]
        raw = {"Type": "ACCREC", "Contact": {"ContactID": contact["ContactID"]}, "Date": issued.isoformat(),
               "DueDate": (issued + timedelta(days=30)).isoformat(), "LineItems": lines,
               "Status": "AUTHORISED" if status == "VOIDED" else status, "CurrencyCode": currency,
               "Reference": f"PO-{4100 + index}"}
        if number:
            raw["InvoiceNumber"] = number
            info["colliding_invoice_numbers"].append(number)
        invoice = _document(xero, raw, ctx)
        if status == "VOIDED":
            invoice = _document(xero, {"InvoiceID": invoice["InvoiceID"], "Status": "VOIDED"}, ctx)
        if pay:
            amount = invoice["AmountDue"] if pay == "full" else (invoice["AmountDue"] / 2).quantize(_D("0.01"))
            bank = {"USD": "090", "EUR": "091", "GBP": "092"}[currency]
            xero_invoice_pay(xero, invoice_ref=invoice["InvoiceID"], now=when + timedelta(days=5),
                             amount=amount, paid_on=min(issued + timedelta(days=5), today), account_code=bank)
    for index, supplier in enumerate(suppliers[:3]):
        issued = min(lock + timedelta(days=15 + index * 20), today)
        ctx = BatchContext(now=datetime.combine(issued, time(11), tzinfo=UTC))
        _document(xero, {
            "Type": "ACCPAY", "Contact": {"ContactID": supplier["ContactID"]}, "Date": issued.isoformat(),
            "DueDate": (issued + timedelta(days=14)).isoformat(), "Status": "AUTHORISED",
            "InvoiceNumber": f"SUP-{880 + index}", "CurrencyCode": supplier.get("DefaultCurrency", "USD"),
            "LineItems": [{"Description": "Monthly services", "Quantity": _D(1),
                           "UnitAmount": _D(rng.randrange(90, 1500)), "AccountCode": "429", "TaxType": "INPUT"}],
        }, ctx)


def _document(xero: XeroState, raw: dict[str, Any], ctx: BatchContext) -> dict[str, Any]:
    prepared = doc_prepare(xero, INVOICE, raw, ctx=ctx)
    if prepared.errors:
        raise ValueError(f"seed invoice: {prepared.errors}")
    return doc_commit(xero, prepared, ctx=ctx)
