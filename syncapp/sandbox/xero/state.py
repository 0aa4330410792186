"""Everything the Xero simulator knows, as plain picklable data (see core/store.py).

Records are dicts keyed by Xero's own field names holding Python values (Decimal money, `date`
document dates, aware `datetime` stamps); `serialize.py` turns them into Xero's JSON. Index dicts
(by number, by name) keep lookups O(1) so a 50-invoice batch stays cheap however large the ledger.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

# Transient attributes (hooks, locks) are rebuilt after unpickling, never saved.
_TRANSIENT = ("webhook_hooks", "lock")


@dataclass
class XeroState:
    seed: int = 0
    tenant_id: str = "00000000-0000-4000-8000-000000000001"
    organisation: dict[str, Any] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)
    currencies: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    account_by_code: dict[str, str] = field(default_factory=dict)
    tax_rates: dict[str, dict[str, Any]] = field(default_factory=dict)
    tracking: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    item_by_code: dict[str, str] = field(default_factory=dict)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Lower-cased trimmed name -> ContactID, ACTIVE contacts only (Xero's unique-name rule).
    contact_by_name: dict[str, str] = field(default_factory=dict)
    contact_by_number: dict[str, str] = field(default_factory=dict)
    contact_by_account_number: dict[str, str] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Lower-cased ACCREC invoice number -> InvoiceID (ACCPAY numbers need not be unique).
    invoice_by_number: dict[str, str] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    overpayments: dict[str, dict[str, Any]] = field(default_factory=dict)
    credit_notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    credit_note_by_number: dict[str, str] = field(default_factory=dict)
    manual_journals: dict[str, dict[str, Any]] = field(default_factory=dict)
    bank_transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (endpoint, object id) -> list of attachment dicts (with their bytes).
    attachments: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Idempotency-Key cache: key -> (expires epoch, status, headers, body).
    idempotency: dict[str, tuple[float, int, list[tuple[str, str]], bytes]] = field(
        default_factory=dict
    )
    counters: dict[str, int] = field(default_factory=dict)
    # Identity (OAuth 2.0 apps, grants, tokens, connections).
    apps: dict[str, dict[str, Any]] = field(default_factory=dict)
    auth_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    refresh_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # RS256 key for tokens (PEM, made on first use; see jwks.py).
    signing_key_pem: bytes = b""
    # Xero's retry window for a refresh whose answer was lost; 0 = strict rotation.
    refresh_grace_seconds: int = 1800
    # Webhooks: subscription (key, url, status), outbox of undelivered events, delivery log.
    webhook: dict[str, Any] = field(default_factory=dict)
    webhook_outbox: list[dict[str, Any]] = field(default_factory=list)
    webhook_log: list[dict[str, Any]] = field(default_factory=list)
    webhook_sent: list[bytes] = field(default_factory=list)
    # Facts the seed leaves for tests and the demo (near-duplicate contacts, lock date, ...).
    seed_info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._init_transient()

    def _init_transient(self) -> None:
        self.webhook_hooks: list[Any] = []
        self.lock = threading.RLock()

    def __getstate__(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        for name in _TRANSIENT:
            data.pop(name, None)
        return data

    def __setstate__(self, data: dict[str, Any]) -> None:
        # A state saved by an older sandbox lacks newer fields: give them their defaults.
        for spec in fields(self):
            if spec.name not in data:
                if spec.default_factory is not MISSING:
                    data[spec.name] = spec.default_factory()
                elif spec.default is not MISSING:
                    data[spec.name] = spec.default
        self.__dict__.update(data)
        self._init_transient()

    def next_number(self, kind: str) -> int:
        value = self.counters.get(kind, 0) + 1
        self.counters[kind] = value
        return value

    def new_id(self, kind: str) -> str:
        """A deterministic UUID4-shaped id: same seed and same order of writes, same ids."""
        n = self.next_number(f"uuid:{kind}")
        digest = hashlib.blake2b(f"xero:{self.seed}:{kind}:{n}".encode(), digest_size=16).digest()
        return str(uuid.UUID(bytes=digest, version=4))

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in (
            "accounts", "tax_rates", "currencies", "tracking", "items", "contacts", "invoices", "payments",
            "credit_notes", "overpayments", "manual_journals", "bank_transactions",
        )}

    @property
    def base_currency(self) -> str:
        return self.organisation.get("BaseCurrency", "USD")


def xero_state_of(state: Any) -> XeroState:
    """Accept either the SandboxState (with `.xero`) or a bare XeroState."""
    inner = getattr(state, "xero", None)
    if isinstance(inner, XeroState):
        return inner
    if isinstance(state, XeroState):
        return state
    raise TypeError(f"no XeroState in {type(state).__name__}")
