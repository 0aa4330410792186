"""Batch writes with Xero's two error modes.

summarizeErrors=true (the default): elements are all validated first; if any fails, the answer is
400 `ValidationException` listing the failed elements and nothing is saved.
summarizeErrors=false: each element is validated and saved in turn; the answer is 200 with every
element, each with `StatusAttributeString` "OK" or "ERROR" and its `ValidationErrors`
(https://developer.xero.com/documentation/api/accounting/requests-and-responses#summarize-errors).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Response

from syncapp.sandbox.xero.http import RequestContext, XeroError


def _element_ok(data: dict[str, Any], summarize: bool) -> dict[str, Any]:
    if not summarize:
        data["StatusAttributeString"] = "OK"
    return data


def _element_error(data: dict[str, Any], errors: list[str], flag: str) -> dict[str, Any]:
    data["ValidationErrors"] = [{"Message": message} for message in errors]
    data["StatusAttributeString"] = "ERROR"
    data[flag] = True
    return data


def batch_write(
    rc: RequestContext,
    *,
    key: str,
    items: list[Any],
    prepare: Callable[[Any], Any],
    commit: Callable[[Any], dict[str, Any]],
    render: Callable[[dict[str, Any]], dict[str, Any]],
    render_failed: Callable[[Any], dict[str, Any]],
    error_flag: str = "HasErrors",
    summarize: bool | None = None,
) -> Response:
    if summarize is None:
        summarize = rc.flag("summarizeErrors", default=True)
    if summarize:
        prepared = [prepare(raw) for raw in items]
        failed = [p for p in prepared if p.errors]
        if failed:
            raise XeroError(400, {
                "ErrorNumber": 10,
                "Type": "ValidationException",
                "Message": "A validation exception occurred",
                "Elements": [_element_error(render_failed(p), p.errors, error_flag) for p in failed],
            })
        return rc.envelope(key, [_element_ok(render(commit(p)), True) for p in prepared])
    out = []
    for raw in items:
        p = prepare(raw)
        if p.errors:
            out.append(_element_error(render_failed(p), p.errors, error_flag))
        else:
            out.append(_element_ok(render(commit(p)), False))
    return rc.envelope(key, out)
