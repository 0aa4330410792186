"""Per-record outcomes of a Xero batch write.

With `summarizeErrors=false` Xero answers 200 and repeats every element in the order sent, each
with `StatusAttributeString` OK / WARNING / ERROR and its own `ValidationErrors` and `Warnings`
(https://developer.xero.com/documentation/api/accounting/requests-and-responses, "Summarize
errors"). A 400 ValidationException carries the same per-element data under `Elements`. Either
way the engine gets one RecordResult per record it sent, never a single pass/fail for 50.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from syncapp.providers.errors import UnexpectedResponse, ValidationFailed


@dataclass(frozen=True)
class RecordResult:
    """What happened to the record at `index` in the request body."""

    index: int
    status: str  # "OK", "WARNING" or "ERROR", as Xero's StatusAttributeString
    xero_id: str
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    element: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status != "ERROR"

    @property
    def error_text(self) -> str:
        """Xero's own words for the failure, as stored on the ledger row and SyncEvent."""
        return "; ".join(self.errors)


@dataclass(frozen=True)
class BatchResult:
    collection: str
    results: tuple[RecordResult, ...]

    @property
    def succeeded(self) -> tuple[RecordResult, ...]:
        return tuple(r for r in self.results if r.ok)

    @property
    def failed(self) -> tuple[RecordResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self):
        return iter(self.results)


def _messages(items: Any) -> tuple[str, ...]:
    out = []
    for item in items or []:
        if isinstance(item, Mapping) and item.get("Message"):
            out.append(str(item["Message"]))
        elif isinstance(item, str) and item:
            out.append(item)
    return tuple(out)


def record_result_from_element(*, index: int, element: Mapping, id_field: str) -> RecordResult:
    errors = _messages(element.get("ValidationErrors"))
    warnings = _messages(element.get("Warnings"))
    status = str(element.get("StatusAttributeString") or "").upper()
    if errors or element.get("HasErrors") is True:
        status = "ERROR"
    elif status not in ("OK", "WARNING", "ERROR"):
        status = "WARNING" if warnings else "OK"
    if status == "ERROR" and not errors:
        errors = ("Xero marked this record as failed without a message",)
    xero_id = str(element.get(id_field) or "")
    if xero_id == "00000000-0000-0000-0000-000000000000":
        # Xero echoes an all-zero id on elements it did not save.
        xero_id = ""
    return RecordResult(
        index=index,
        status=status,
        xero_id=xero_id if status != "ERROR" else "",
        errors=errors,
        warnings=warnings,
        element=dict(element),
    )


def batch_result_parse(
    *, body: Mapping, collection: str, id_field: str, sent_count: int
) -> BatchResult:
    """Read a 200 answer to a batch PUT/POST sent with summarizeErrors=false."""
    elements = body.get(collection) if isinstance(body, Mapping) else None
    if not isinstance(elements, list):
        raise UnexpectedResponse(
            f"Xero answered without a {collection} list", provider="xero", body=None
        )
    if len(elements) != sent_count:
        raise UnexpectedResponse(
            f"Xero answered {len(elements)} {collection} for {sent_count} sent; "
            "cannot tell which record each answer belongs to",
            provider="xero",
        )
    return BatchResult(
        collection=collection,
        results=tuple(
            record_result_from_element(index=i, element=el, id_field=id_field)
            for i, el in enumerate(elements)
        ),
    )


def batch_result_from_validation(
    *, error: ValidationFailed, collection: str, id_field: str, sent_count: int
) -> BatchResult:
    """Turn a 400 ValidationException into per-record results.

    When Xero lists one element per record sent, each record gets its own messages. Otherwise
    (a summarised failure) nothing in the batch was saved, so every record fails with the
    messages Xero gave.
    """
    elements = [el for el in error.elements if isinstance(el, Mapping)]
    if len(elements) == sent_count:
        results = []
        for i, el in enumerate(elements):
            result = record_result_from_element(index=i, element=el, id_field=id_field)
            if result.ok:
                # Xero rejects the whole request on a ValidationException: nothing was saved.
                result = RecordResult(
                    index=i,
                    status="ERROR",
                    xero_id="",
                    errors=("Not saved: another record in the same request failed validation",),
                    element=dict(el),
                )
            results.append(result)
        return BatchResult(collection=collection, results=tuple(results))
    messages = tuple(error.messages) or (error.api_message,)
    return BatchResult(
        collection=collection,
        results=tuple(
            RecordResult(index=i, status="ERROR", xero_id="", errors=messages)
            for i in range(sent_count)
        ),
    )


def batch_sequence_check(*, records: Sequence, limit: int = 50) -> None:
    """Xero takes at most 50 elements per batch write (rule 2 in ARCHITECTURE.md)."""
    if not records:
        raise ValueError("an empty batch has nothing to send")
    if len(records) > limit:
        raise ValueError(f"a Xero batch holds at most {limit} records, got {len(records)}")
