"""Xero's length limits on what it accepts, checked before anything else in an element.

Sources: the `maxLength` (and "max length = N" descriptions) of the Accounting spec
(../shared/specs/xero/xero_accounting.yaml) for the objects the sandbox accepts, plus two limits
Xero's documentation states that the spec leaves out: a line item Description holds up to 4000
characters (https://developer.xero.com/documentation/api/accounting/invoices#elements-for-line-items)
and a document Reference 255. The message follows Xero's own ("Account Code is too long. Maximum
of 10 characters allowed"). Lengths are counted as Xero's .NET stack counts them, in UTF-16 code
units, on the value as sent.
"""

from __future__ import annotations

from typing import Any

# field -> (limit, label) for a text value; a dict for a nested object; a one-item list for a list
# of objects.
Rules = dict[str, Any]

ADDRESS: Rules = {
    **{f"AddressLine{n}": (500, f"Address Line {n}") for n in range(1, 5)},
    "City": (255, "City"),
    "Region": (255, "Region"),
    "PostalCode": (50, "Postal Code"),
    "Country": (50, "Country"),
    "AttentionTo": (255, "Attention To"),
}
PHONE: Rules = {
    "PhoneNumber": (50, "Phone Number"),
    "PhoneAreaCode": (10, "Phone Area Code"),
    "PhoneCountryCode": (20, "Phone Country Code"),
}
CONTACT: Rules = {
    "Name": (255, "Contact Name"),
    "FirstName": (255, "First Name"),
    "LastName": (255, "Last Name"),
    "EmailAddress": (255, "Email Address"),
    "ContactNumber": (50, "Contact Number"),
    "AccountNumber": (50, "Account Number"),
    "CompanyNumber": (50, "Company Number"),
    "TaxNumber": (50, "Tax Number"),
    "Addresses": [ADDRESS],
    "Phones": [PHONE],
}
ACCOUNT: Rules = {
    "Code": (10, "Account Code"),
    "Name": (150, "Account Name"),
    "Description": (4000, "Account Description"),
}
_LINE: Rules = {
    "Description": (4000, "Description"),
    "ItemCode": (30, "Item Code"),
    "Item": {"Code": (30, "Item Code"), "Name": (50, "Item Name")},
    "Tracking": [{"Name": (100, "Tracking Category Name")}],
}
INVOICE: Rules = {
    "InvoiceNumber": (255, "Invoice Number"),
    "Reference": (255, "Reference"),
    "Contact": CONTACT,
    "LineItems": [_LINE],
}
CREDIT_NOTE: Rules = {
    "CreditNoteNumber": (255, "Credit Note Number"),
    "Reference": (255, "Reference"),
    "Contact": CONTACT,
    "LineItems": [_LINE],
}
PAYMENT: Rules = {"Invoice": {"InvoiceNumber": (255, "Invoice Number")}, "Account": ACCOUNT}
BANK_TRANSACTION: Rules = {"Contact": CONTACT, "BankAccount": ACCOUNT, "LineItems": [_LINE]}
MANUAL_JOURNAL: Rules = {
    "JournalLines": [
        {
            "Tracking": [
                {"Name": (100, "Tracking Category Name"), "Option": (100, "Tracking Option Name")}
            ]
        }
    ],
}


def xero_length(value: str) -> int:
    """Characters as Xero counts them (UTF-16 code units: an emoji counts 2)."""
    return len(value.encode("utf-16-le")) // 2


def length_errors(raw: Any, rules: Rules) -> list[str]:
    """Xero's message for every over-long value in `raw`, each once, in field order."""
    errors: list[str] = []
    _walk(raw, rules, errors)
    return list(dict.fromkeys(errors))


def _walk(raw: Any, rules: Rules, errors: list[str]) -> None:
    if not isinstance(raw, dict):
        return
    for name, rule in rules.items():
        value = raw.get(name)
        if value is None:
            continue
        if isinstance(rule, tuple):
            limit, label = rule
            if isinstance(value, str | int) and xero_length(str(value)) > limit:
                errors.append(f"{label} is too long. Maximum of {limit} characters allowed")
        elif isinstance(rule, list):
            for item in value if isinstance(value, list) else []:
                _walk(item, rule[0], errors)
        else:
            _walk(value, rule, errors)
