"""Harvest simulator entry point (being written)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from syncapp.sandbox.core.http import json_response


class HarvestSimulator:
    def __init__(
        self, state: Any, *, clock: Any, faults: Any, limiter: Any, validator: Any
    ) -> None:
        self.state = state
        self.clock = clock
        self.limiter = limiter
        self.validator = validator

    def handle(self, request: Request) -> Response:
        return json_response({"message": "not implemented yet"}, status=503)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.handle(Request(environ))(environ, start_response)

    def summary(self) -> dict[str, Any]:
        return {"account_id": self.state.harvest.account_id, **self.state.harvest.counts()}
