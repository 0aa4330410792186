"""What the Harvest simulator knows: one Harvest account, its records, and its credentials.

Records are plain dicts close to Harvest's JSON (money as Decimal, timestamps as `...Z` strings so
`updated_since` compares as text); references are stored as ids and rendered on the way out, so a
renamed client shows its new name everywhere, as in Harvest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]

COLLECTIONS = (
    "users",
    "clients",
    "contacts",
    "tasks",
    "projects",
    "task_assignments",
    "user_assignments",
    "expense_categories",
    "invoice_item_categories",
    "time_entries",
    "expenses",
    "invoices",
)


@dataclass
class HarvestState:
    account_id: int = 0
    account_name: str = ""
    company: Record = field(default_factory=dict)
    users: dict[int, Record] = field(default_factory=dict)
    clients: dict[int, Record] = field(default_factory=dict)
    contacts: dict[int, Record] = field(default_factory=dict)
    tasks: dict[int, Record] = field(default_factory=dict)
    projects: dict[int, Record] = field(default_factory=dict)
    task_assignments: dict[int, Record] = field(default_factory=dict)
    user_assignments: dict[int, Record] = field(default_factory=dict)
    expense_categories: dict[int, Record] = field(default_factory=dict)
    invoice_item_categories: dict[int, Record] = field(default_factory=dict)
    time_entries: dict[int, Record] = field(default_factory=dict)
    expenses: dict[int, Record] = field(default_factory=dict)
    invoices: dict[int, Record] = field(default_factory=dict)
    # Invoice number -> invoice id, checked against the invoice on read (so deletes and failed
    # patches leave harmless stale entries), and the highest numeric number given so far.
    invoice_numbers: dict[str, int] = field(default_factory=dict)
    invoice_number_max: int = 1000
    # expense id -> (file name, content type, bytes)
    receipts: dict[int, tuple[str, str, bytes]] = field(default_factory=dict)
    # access token -> {"user_id", "kind": "personal"|"oauth", "expires_at": epoch or None,
    #                  "client_id"}
    tokens: dict[str, Record] = field(default_factory=dict)
    # OAuth2 apps registered at id.getharvest.com: client_id -> {"secret", "redirect_uri", "name"}
    oauth_clients: dict[str, Record] = field(default_factory=dict)
    auth_codes: dict[str, Record] = field(default_factory=dict)
    refresh_tokens: dict[str, Record] = field(default_factory=dict)
    # the person who signs in at id.getharvest.com (user id in `users`)
    identity_user_id: int | None = None
    # Facts the seed leaves for the Xero seed and for tests, e.g. "near_duplicates": clients
    # whose name or e-mail nearly collides with a contact the Xero organisation already has.
    seed_info: dict[str, Any] = field(default_factory=dict)

    def __setstate__(self, data: dict[str, Any]) -> None:
        # A state file saved before a field existed still loads: missing fields get defaults.
        fresh = HarvestState()
        self.__dict__.update(fresh.__dict__)
        self.__dict__.update(data)

    def invoice_number_taken(self, number: str, *, exclude: int | None = None) -> bool:
        owner = self.invoice_numbers.get(number)
        if owner is None or owner == exclude:
            return False
        invoice = self.invoices.get(owner)
        return invoice is not None and invoice["number"] == number

    def invoice_number_claim(self, number: str, invoice_id: int) -> None:
        self.invoice_numbers[number] = invoice_id
        if number.isdigit():
            self.invoice_number_max = max(self.invoice_number_max, int(number))

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in COLLECTIONS}
