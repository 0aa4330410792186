"""Resolving contact conflicts: link, create new, ignore, take Harvest's or Xero's value.

Resolutions only write the ledger and the conflict; the next contacts run performs the change
in Xero or Harvest (through the same batched, idempotent path as any other change). Resolving
releases what waited on the client: a contacts run and an invoices run are queued at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from syncapp.models import Conflict, Integration, SyncKind, SyncLink, SyncRun

logger = logging.getLogger(__name__)

MATCH_REASONS = (
    Conflict.Reason.AMBIGUOUS_MATCH,
    Conflict.Reason.WEAK_MATCH,
    Conflict.Reason.REVIEW_POLICY,
)


class ConflictResolutionError(Exception):
    """The resolution cannot be applied; the message tells finance why."""


@dataclass
class BulkOutcome:
    resolved: int = 0
    errors: list[str] = field(default_factory=list)
    runs: list[SyncRun] = field(default_factory=list)


def conflict_candidate_id(candidate: dict) -> str:
    return str(candidate.get("contact_id") or candidate.get("xero_id") or "")


def conflict_is_field_review(conflict: Conflict) -> bool:
    """A linked contact whose field(s) wait for finance (rather than a client with no match)."""
    return any(isinstance(c, dict) and c.get("field") for c in conflict.candidates or [])


def _open(conflict: Conflict) -> Conflict:
    current = Conflict.objects.select_for_update().get(pk=conflict.pk)
    if current.status != Conflict.Status.OPEN:
        raise ConflictResolutionError(
            f"'{current.label}' was already {current.get_status_display().lower()}."
        )
    return current


def _close(
    conflict: Conflict,
    *,
    resolution: str,
    user,
    xero_id: str = "",
    status: str = Conflict.Status.RESOLVED,
) -> None:
    conflict.status = status
    conflict.resolution = resolution
    conflict.resolved_xero_id = xero_id
    conflict.resolved_by = user if getattr(user, "pk", None) else None
    conflict.resolved_at = timezone.now()
    conflict.save(
        update_fields=["status", "resolution", "resolved_xero_id", "resolved_by", "resolved_at"]
    )


def _link_row(conflict: Conflict) -> SyncLink:
    link, _ = SyncLink.objects.select_for_update().get_or_create(
        integration=conflict.integration,
        kind=conflict.kind,
        harvest_id=conflict.harvest_id,
        defaults={"label": conflict.label[:255], "state": SyncLink.State.PENDING},
    )
    return link


def conflict_link(
    *, conflict: Conflict, xero_contact_id: str, user=None, release: bool = True
) -> Conflict:
    """Link the Harvest client to this Xero contact (one of the candidates)."""
    with transaction.atomic():
        conflict = _open(conflict)
        if conflict_is_field_review(conflict):
            raise ConflictResolutionError(
                f"'{conflict.label}' is already linked; pick Harvest's or Xero's value instead."
            )
        chosen = next(
            (
                c
                for c in conflict.candidates or []
                if conflict_candidate_id(c) == str(xero_contact_id)
            ),
            None,
        )
        if chosen is None:
            raise ConflictResolutionError("That contact is not one of this conflict's candidates.")
        taken = (
            SyncLink.objects.filter(
                integration=conflict.integration, kind=conflict.kind, xero_id=xero_contact_id
            )
            .exclude(harvest_id=conflict.harvest_id)
            .first()
        )
        if taken is not None:
            raise ConflictResolutionError(
                f"{chosen.get('name') or 'That contact'} is already linked to the Harvest client "
                f"'{taken.label or taken.harvest_id}'. Unlink it there first, or create a new contact."
            )
        link = _link_row(conflict)
        link.xero_id = str(xero_contact_id)
        link.state = SyncLink.State.PENDING
        link.last_error = ""
        # No snapshot: the next run merges as for a fresh link (blanks filled, owners decide).
        link.snapshot = (
            {"restore": True} if str(chosen.get("status", "")).upper() == "ARCHIVED" else {}
        )
        try:
            with transaction.atomic():
                link.save(
                    update_fields=["xero_id", "state", "last_error", "snapshot", "updated_at"]
                )
        except IntegrityError as exc:
            raise ConflictResolutionError(
                "That contact was linked to another client meanwhile."
            ) from exc
        _close(
            conflict, resolution=Conflict.Resolution.LINK, user=user, xero_id=str(xero_contact_id)
        )
        if release:
            conflict_release(
                integration=conflict.integration,
                harvest_client_ids=[conflict.harvest_id],
                user=user,
            )
    return conflict


def conflict_create_new(*, conflict: Conflict, user=None, release: bool = True) -> Conflict:
    """Create a new Xero contact for the client (Xero may still refuse a name in use)."""
    with transaction.atomic():
        conflict = _open(conflict)
        if conflict_is_field_review(conflict):
            raise ConflictResolutionError(
                f"'{conflict.label}' is already linked; pick Harvest's or Xero's value instead."
            )
        link = _link_row(conflict)
        link.xero_id = None
        link.state = SyncLink.State.PENDING
        link.last_error = ""
        link.snapshot = {"force_create": True}
        link.save(update_fields=["xero_id", "state", "last_error", "snapshot", "updated_at"])
        _close(conflict, resolution=Conflict.Resolution.CREATE, user=user)
        if release:
            conflict_release(
                integration=conflict.integration,
                harvest_client_ids=[conflict.harvest_id],
                user=user,
            )
    return conflict


def conflict_ignore(*, conflict: Conflict, user=None) -> Conflict:
    """A client with no contact: leave it out of Xero (its invoices keep waiting, with that
    reason shown). A field changed on both sides: leave both values as they are."""
    with transaction.atomic():
        conflict = _open(conflict)
        fields = [
            c["field"] for c in conflict.candidates or [] if isinstance(c, dict) and c.get("field")
        ]
        link = None
        if fields:
            link = _link_row(conflict)
            snapshot = dict(link.snapshot or {})
            snapshot["force"] = {**(snapshot.get("force") or {}), **dict.fromkeys(fields, "keep")}
            link.snapshot = snapshot
            link.save(update_fields=["snapshot", "updated_at"])
        _close(
            conflict,
            resolution=Conflict.Resolution.IGNORE,
            user=user,
            status=Conflict.Status.IGNORED,
            xero_id=(link.xero_id or "") if link else "",
        )
        if fields:
            conflict_release(
                integration=conflict.integration,
                harvest_client_ids=[conflict.harvest_id],
                user=user,
            )
    return conflict


def conflict_take_side(
    *, conflict: Conflict, side: str, user=None, release: bool = True
) -> Conflict:
    """For a field changed differently on both sides: keep Harvest's or Xero's value."""
    if side not in ("harvest", "xero"):
        raise ValueError("side must be 'harvest' or 'xero'")
    with transaction.atomic():
        conflict = _open(conflict)
        fields = [
            c["field"] for c in conflict.candidates or [] if isinstance(c, dict) and c.get("field")
        ]
        if not fields:
            raise ConflictResolutionError(
                f"'{conflict.label}' has no Xero contact yet: link it to a candidate or create a new one."
            )
        link = _link_row(conflict)
        if not link.xero_id:
            raise ConflictResolutionError(f"'{conflict.label}' is not linked to a Xero contact.")
        snapshot = dict(link.snapshot or {})
        snapshot["force"] = {**(snapshot.get("force") or {}), **dict.fromkeys(fields, side)}
        link.snapshot = snapshot
        link.save(update_fields=["snapshot", "updated_at"])
        resolution = (
            Conflict.Resolution.TAKE_HARVEST if side == "harvest" else Conflict.Resolution.TAKE_XERO
        )
        _close(conflict, resolution=resolution, user=user, xero_id=link.xero_id or "")
        if release:
            conflict_release(
                integration=conflict.integration,
                harvest_client_ids=[conflict.harvest_id],
                user=user,
            )
    return conflict


def conflict_release(
    *, integration: Integration, harvest_client_ids: Iterable[str], user=None
) -> list[SyncRun]:
    """Queue a run for just the clients released (their contact change, then the invoices that
    waited for them), so they reach Xero within seconds instead of at the next poll."""
    from syncapp.services.runs import sync_run_request

    ids = sorted({str(h) for h in harvest_client_ids if h})
    if not ids:
        return []
    run, _ = sync_run_request(
        integration=integration,
        flow=SyncRun.Flow.ALL,
        trigger=SyncRun.Trigger.RESYNC,
        user=user,
        scope={"harvest_client_ids": ids},
    )
    return [run]


BULK_ACTIONS = ("link_best", "create", "ignore", "take_harvest", "take_xero")


def conflicts_resolve_bulk(*, conflicts: Iterable[Conflict], action: str, user=None) -> BulkOutcome:
    """Apply one resolution to many conflicts; each succeeds or fails on its own."""
    if action not in BULK_ACTIONS:
        raise ValueError(f"unknown bulk action {action!r}")
    outcome = BulkOutcome()
    touched: dict[int, Integration] = {}
    released: dict[int, list[str]] = {}
    for conflict in conflicts:
        try:
            if action == "link_best":
                best = conflict_best_candidate(conflict)
                if best is None:
                    raise ConflictResolutionError(f"'{conflict.label}' has no candidate to link.")
                conflict_link(conflict=conflict, xero_contact_id=best, user=user, release=False)
            elif action == "create":
                conflict_create_new(conflict=conflict, user=user, release=False)
            elif action == "ignore":
                conflict_ignore(conflict=conflict, user=user)
            else:
                conflict_take_side(
                    conflict=conflict, side=action.removeprefix("take_"), user=user, release=False
                )
        except ConflictResolutionError as error:
            outcome.errors.append(str(error))
            continue
        outcome.resolved += 1
        if action != "ignore":
            touched[conflict.integration_id] = conflict.integration
            released.setdefault(conflict.integration_id, []).append(conflict.harvest_id)
    for integration_id, integration in touched.items():
        with transaction.atomic():
            outcome.runs += conflict_release(
                integration=integration, harvest_client_ids=released[integration_id], user=user
            )
    return outcome


def conflict_best_candidate(conflict: Conflict) -> str | None:
    """The candidate listed first that is not linked elsewhere (the matcher lists best first)."""
    for candidate in conflict.candidates or []:
        if (
            isinstance(candidate, dict)
            and conflict_candidate_id(candidate)
            and not candidate.get("linked_to")
            and not candidate.get("field")
        ):
            return conflict_candidate_id(candidate)
    return None


def conflicts_open_count(*, integration: Integration | None = None) -> int:
    queryset = Conflict.objects.filter(status=Conflict.Status.OPEN, kind=SyncKind.CLIENT)
    if integration is not None:
        queryset = queryset.filter(integration=integration)
    return queryset.count()
