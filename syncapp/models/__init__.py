from syncapp.models.budgets import BudgetAlert, ProjectBudget
from syncapp.models.conflicts import Conflict
from syncapp.models.connection import Connection
from syncapp.models.costs import ProjectMonth
from syncapp.models.governor import RateGovernorState
from syncapp.models.integration import Integration
from syncapp.models.ledger import Cursor, SyncKind, SyncLink
from syncapp.models.payments import PaymentLedgerEntry
from syncapp.models.runs import IntegrationLease, SyncEvent, SyncRun
from syncapp.models.webhooks import WebhookEvent
from syncapp.models.xero_cache import XeroOrgCache

__all__ = [
    "BudgetAlert",
    "Conflict",
    "Connection",
    "Cursor",
    "Integration",
    "IntegrationLease",
    "PaymentLedgerEntry",
    "ProjectBudget",
    "ProjectMonth",
    "RateGovernorState",
    "SyncEvent",
    "SyncKind",
    "SyncLink",
    "SyncRun",
    "WebhookEvent",
    "XeroOrgCache",
]
