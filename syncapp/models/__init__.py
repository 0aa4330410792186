from syncapp.models.conflicts import Conflict
from syncapp.models.connection import Connection
from syncapp.models.governor import RateGovernorState
from syncapp.models.integration import Integration
from syncapp.models.ledger import Cursor, SyncKind, SyncLink
from syncapp.models.runs import SyncEvent, SyncRun
from syncapp.models.webhooks import WebhookEvent

__all__ = [
    "Conflict",
    "Connection",
    "Cursor",
    "Integration",
    "RateGovernorState",
    "SyncEvent",
    "SyncKind",
    "SyncLink",
    "SyncRun",
    "WebhookEvent",
]
