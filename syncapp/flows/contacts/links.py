"""What other flows ask the contacts flow: which Xero contact stands for a Harvest client.

An invoice needs its client's Xero ContactID. When the client has none yet (in review, failed,
ignored, never synced), the invoice waits and shows why; `contact_links_for_clients` answers for a
whole batch in two queries, `contact_link_for_client` for one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from syncapp.models import Conflict, Integration, SyncKind, SyncLink


@dataclass(frozen=True)
class ContactLink:
    xero_contact_id: str | None
    hold_reason: str | None


def contact_links_for_clients(
    *, integration: Integration, harvest_client_ids: Iterable[str | int]
) -> dict[str, ContactLink]:
    """For each Harvest client id (as str): its Xero ContactID, or the reason it has none yet."""
    wanted = sorted({str(i) for i in harvest_client_ids})
    links = {
        link.harvest_id: link
        for link in SyncLink.objects.filter(
            integration=integration, kind=SyncKind.CLIENT, harvest_id__in=wanted
        )
    }
    conflicts: dict[str, Conflict] = {}
    for conflict in Conflict.objects.filter(
        integration=integration,
        kind=SyncKind.CLIENT,
        harvest_id__in=wanted,
        status__in=(Conflict.Status.OPEN, Conflict.Status.IGNORED),
    ).order_by("created_at"):
        conflicts[conflict.harvest_id] = conflict  # the latest one wins
    return {
        harvest_id: _answer(link=links.get(harvest_id), conflict=conflicts.get(harvest_id))
        for harvest_id in wanted
    }


def clients_with_invoices_waiting(*, integration: Integration) -> set[str]:
    """Harvest clients some held invoice waits for: synced even when inactive in Harvest,
    since an archived client can still owe money."""
    ids = SyncLink.objects.filter(
        integration=integration, kind=SyncKind.INVOICE, state=SyncLink.State.HELD
    ).values_list("snapshot__harvest__client__id", flat=True)
    return {str(i) for i in ids if i is not None}


def contact_link_for_client(
    *, integration: Integration, harvest_client_id: str | int
) -> tuple[str | None, str | None]:
    """(xero_contact_id, None) when the invoice can go; (None, hold_reason) when it must wait."""
    answer = contact_links_for_clients(
        integration=integration, harvest_client_ids=[harvest_client_id]
    )[str(harvest_client_id)]
    return answer.xero_contact_id, answer.hold_reason


def _answer(*, link: SyncLink | None, conflict: Conflict | None) -> ContactLink:
    # A contact already linked stays usable while finance reviews a field (name, e-mail):
    # the invoice does not depend on which value wins.
    if link is not None and link.xero_id and link.state != SyncLink.State.CONFLICT:
        return ContactLink(link.xero_id, None)
    name = (link.label if link else "") or (conflict.label if conflict else "") or "this client"
    if conflict is not None and conflict.status == Conflict.Status.OPEN:
        return ContactLink(
            None,
            f"The client '{name}' is waiting in contact review "
            f"({conflict.get_reason_display().lower()}); resolve it under Sync › Conflicts.",
        )
    if conflict is not None and conflict.status == Conflict.Status.IGNORED:
        return ContactLink(
            None,
            f"Finance chose to ignore the client '{name}' in Xero; reopen or resolve its "
            "conflict to send its invoices.",
        )
    if link is None:
        return ContactLink(None, "The client has not been synced to Xero yet (contacts run first).")
    if link.xero_id:
        return ContactLink(link.xero_id, None)
    if link.state == SyncLink.State.HELD:
        return ContactLink(None, f"The client '{name}' waits: {link.last_error or 'see the run'}")
    if link.state == SyncLink.State.FAILED:
        return ContactLink(
            None, f"Creating the client '{name}' in Xero failed: {link.last_error or 'see the run'}"
        )
    return ContactLink(None, f"The client '{name}' is not in Xero yet (contacts sync pending).")
