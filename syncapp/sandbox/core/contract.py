"""Validation of the simulators' requests and responses against the vendors' OpenAPI contracts.

The specs live beside the repository (`<repo>/../shared/specs`, or `$HXSYNC_SPECS_DIR`) and are
loaded once per process. The sandbox mounts each real host under a path prefix named after it
(`/api.harvestapp.com/v2/clients`), so the prefix gives back the real URL the spec describes
(`https://api.harvestapp.com/v2/clients`).

Gaps in the specs are patched in memory, as the real services behave (see the specs README):
- Harvest `Expense.units` is typed integer but real payloads carry decimals such as `1.0`.
- Harvest's identity host (`id.getharvest.com`) and Xero's token endpoint are not described; they
  are not validated here (their tests assert the documented shapes directly).
- Xero matches route names in any case (the identity spec spells `/Connections`, the docs
  `/connections`; `/api.xro/2.0/invoices` works like `/Invoices`): Xero paths are matched to the
  spec's templates case-insensitively and checked under the spec's spelling.
- Harvest `Expense.expense_category.unit_price` is typed string, but it is the category's
  `unit_price`, a number everywhere else (ExpenseCategory schema and examples such as 0.535).
- Harvest takes request parameters "formatted in JSON or submitted as form data", and receipts
  only as multipart/form-data (https://help.getharvest.com/api-v2/introduction/overview/general/);
  the spec lists JSON bodies only, so a form body is not refused for its media type.
- Harvest list envelopes: the spec makes `page` a non-null integer, but with cursor pagination
  Harvest answers `page: null` on all but the first and last pages
  (https://help.getharvest.com/api-v2/introduction/overview/pagination/).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.wrappers import Request, Response

SPEC_FILES = {
    "harvest": "harvest/harvest-openapi.yaml",
    "xero_accounting": "xero/xero_accounting.yaml",
    "xero_identity": "xero/xero-identity.yaml",
    "xero_webhooks": "xero/xero-webhooks.yaml",
}

# Mounted prefix -> spec that describes what is under it. Longest prefixes first.
PREFIX_SPECS = (
    ("/api.harvestapp.com/v2/", "harvest"),
    ("/api.xero.com/api.xro/2.0/", "xero_accounting"),
    ("/api.xero.com/connections", "xero_identity"),
)

_CASE_INSENSITIVE = frozenset({"xero_accounting", "xero_identity"})


class ContractViolation(AssertionError):
    """A request or response that the vendor's contract does not allow."""

    def __init__(self, *, direction: str, method: str, url: str, errors: list[str]) -> None:
        self.direction = direction
        self.method = method
        self.url = url
        self.errors = errors
        detail = "\n  ".join(errors)
        super().__init__(f"{direction} {method} {url} breaks the contract:\n  {detail}")


def specs_dir() -> Path:
    env = os.environ.get("HXSYNC_SPECS_DIR")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[3]
    return repo.parent / "shared" / "specs"


def _patch_harvest(spec: dict[str, Any]) -> None:
    units = spec["components"]["schemas"]["Expense"]["properties"]["units"]
    units["type"] = "number"
    units.pop("format", None)
    expense = spec["components"]["schemas"]["Expense"]["properties"]
    expense["expense_category"]["properties"]["unit_price"]["type"] = "number"
    for schema in spec["components"]["schemas"].values():
        props = schema.get("properties", {})
        if "links" in props and "page" in props and "per_page" in props:
            props["page"] = {**props["page"], "nullable": True}


_PATCHES = {"harvest": _patch_harvest}


@cache
def spec_dict(name: str) -> dict[str, Any]:
    path = specs_dir() / SPEC_FILES[name]
    with path.open("rb") as fh:
        data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders only
    # YAML reads `200:` as an int; JSON Schema and OpenAPI want string keys.
    data = _string_keys(data)
    patch = _PATCHES.get(name)
    if patch is not None:
        patch(data)
    return data


def _string_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


@cache
def openapi_for(name: str):
    from openapi_core import Config, OpenAPI

    # The files are checked with openapi-spec-validator once, upstream (see the specs README);
    # re-checking them here would cost seconds per process.
    return OpenAPI.from_dict(spec_dict(name), config=Config(spec_validator_cls=None))


def spec_for_path(path: str) -> str | None:
    for prefix, name in PREFIX_SPECS:
        candidate = path.lower() if name in _CASE_INSENSITIVE else path
        if candidate.startswith(prefix) or candidate == prefix.rstrip("/"):
            return name
    return None


@cache
def _templates(name: str) -> tuple[tuple[str, ...], ...]:
    """The spec's path templates (server path prepended) as segment tuples."""
    data = spec_dict(name)
    servers = data.get("servers") or [{"url": ""}]
    base = "/" + servers[0]["url"].split("://", 1)[-1].partition("/")[2]
    return tuple(
        tuple(p for p in (base.rstrip("/") + template).split("/") if p) for template in data["paths"]
    )


def _spec_spelling(name: str, path: str) -> str:
    """`/api.xro/2.0/invoices/{id}` -> `/api.xro/2.0/Invoices/{id}`: literal segments take the
    spec's case (the template with the most literal matches wins); ids and values are untouched."""
    parts = [p for p in path.split("/") if p]
    best: tuple[int, tuple[str, ...]] | None = None
    for template in _templates(name):
        if len(template) != len(parts):
            continue
        literal = 0
        for want, got in zip(template, parts, strict=True):
            if want.startswith("{"):
                continue
            if want.lower() != got.lower():
                break
            literal += 1
        else:
            if best is None or literal > best[0]:
                best = (literal, template)
    if best is None:
        return path
    spelled = [got if want.startswith("{") else want for want, got in zip(best[1], parts, strict=True)]
    return "/" + "/".join(spelled) + ("/" if path.endswith("/") and len(path) > 1 else "")


def _real_url(name: str, mounted_path: str) -> tuple[str, str]:
    """`/api.harvestapp.com/v2/clients` -> (`https://api.harvestapp.com`, `/v2/clients`)."""
    host, _, rest = mounted_path.lstrip("/").partition("/")
    path = "/" + rest
    if name in _CASE_INSENSITIVE:
        path = _spec_spelling(name, path)
    return f"https://{host}", path


class _SpecRequest:
    def __init__(self, *, name: str, request: Request, body: bytes) -> None:
        from openapi_core.datatypes import RequestParameters

        self.host_url, self.path = _real_url(name, request.path)
        self.method = request.method.lower()
        self.body = body or None
        self.content_type = request.content_type or "application/octet-stream"
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(request.args),
            header=Headers(request.headers),
            cookie=request.cookies,
        )


class _SpecResponse:
    def __init__(self, response: Response) -> None:
        self.status_code = response.status_code
        self.content_type = response.mimetype or "application/octet-stream"
        self.headers = Headers(response.headers)
        self.data = response.get_data()


@dataclass
class ContractValidator:
    """Checks traffic under the prefixes the specs describe. `raise_errors=False` only collects."""

    enabled: bool = True
    raise_errors: bool = True

    def __post_init__(self) -> None:
        self.violations: list[ContractViolation] = []
        self.checked: list[tuple[str, str, int]] = []
        self._invalid_requests_expected = 0

    @contextmanager
    def invalid_requests_expected(self) -> Iterator[None]:
        """For tests that send a request the contract forbids on purpose (to see the vendor's
        error): request violations are recorded, not raised; responses are still checked."""
        self._invalid_requests_expected += 1
        try:
            yield
        finally:
            self._invalid_requests_expected -= 1

    def _fail(self, violation: ContractViolation) -> None:
        self.violations.append(violation)
        if self.raise_errors:
            if violation.direction == "request" and self._invalid_requests_expected:
                return
            raise violation

    def check_request(self, *, request: Request, body: bytes) -> None:
        name = spec_for_path(request.path)
        if not self.enabled or name is None:
            return
        spec_request = _SpecRequest(name=name, request=request, body=body)
        errors = [
            _describe(e)
            for e in openapi_for(name).iter_request_errors(spec_request)
            if not _form_body_gap(name, request, e) and not _octet_body_gap(name, request, e)
        ]
        if errors:
            self._fail(
                ContractViolation(
                    direction="request", method=request.method, url=request.full_path, errors=errors
                )
            )

    def check_response(self, *, request: Request, body: bytes, response: Response) -> None:
        name = spec_for_path(request.path)
        if not self.enabled or name is None:
            return
        if name == "xero_accounting" and response.status_code in _XERO_GATEWAY_STATUSES:
            # Answered by Xero's gateway before the API (a file over the size limit), so the
            # API's contract does not describe it; the sandbox gives the gateway's problem body.
            self.checked.append((request.method, request.path, response.status_code))
            return
        spec_request = _SpecRequest(name=name, request=request, body=body)
        spec_response = _SpecResponse(response)
        raw_errors = list(openapi_for(name).iter_response_errors(spec_request, spec_response))
        errors = [_describe(e) for e in raw_errors]
        self.checked.append((request.method, request.path, response.status_code))
        if errors and self._invalid_requests_expected and all(map(_only_too_long, raw_errors)):
            # With summarizeErrors=false Xero answers 200 and echoes a refused element as sent, so
            # an over-long value sent on purpose comes back over-long too: recorded, not raised.
            self.violations.append(
                ContractViolation(direction=f"response {response.status_code} to", method=request.method,
                                  url=request.full_path, errors=errors)
            )
            return
        if errors:
            self._fail(
                ContractViolation(
                    direction=f"response {response.status_code} to",
                    method=request.method,
                    url=request.full_path,
                    errors=errors,
                )
            )


def _only_too_long(error: Exception) -> bool:
    """True when every schema error under `error` is a maxLength failure."""
    found = []
    cause: BaseException | None = error
    while cause is not None:
        found.extend(getattr(cause, "schema_errors", None) or ())
        cause = cause.__cause__
    return bool(found) and all(getattr(sub, "validator", None) == "maxLength" for sub in found)


_XERO_GATEWAY_STATUSES = frozenset({413})
_FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def _form_body_gap(name: str, request: Request, error: Exception) -> bool:
    if name != "harvest" or request.mimetype not in _FORM_TYPES:
        return False
    from openapi_core.templating.media_types.exceptions import MediaTypeNotFound

    return isinstance(error.__cause__, MediaTypeNotFound)


def _octet_body_gap(name: str, request: Request, error: Exception) -> bool:
    """Xero's attachment uploads are the file's raw bytes ("the body of the request is the raw
    file content", https://developer.xero.com/documentation/api/accounting/attachments); the spec
    types them `string, format: byte`, which openapi-core cannot match against bytes. Only that
    body check is set aside: path, query and headers are still checked, an empty or missing body
    is still refused (MissingRequestBody, and the sandbox's own "attachment is empty")."""
    if name != "xero_accounting" or request.mimetype != "application/octet-stream":
        return False
    if "/attachments/" not in request.path.lower():
        return False
    from openapi_core.validation.request.exceptions import InvalidRequestBody

    return isinstance(error, InvalidRequestBody)


def _describe(error: Exception) -> str:
    """One line per schema error with its JSON path (the full instance is never printed)."""
    lines = [type(error).__name__]
    cause: BaseException | None = error
    while cause is not None:
        subs = getattr(cause, "schema_errors", None)
        if subs:
            for sub in subs:
                path = "/".join(str(p) for p in getattr(sub, "absolute_path", ()))
                lines.append(f"at {path or '<root>'}: {getattr(sub, 'message', sub)}"[:300])
        elif cause is not error:
            lines.append(f"{type(cause).__name__}: {str(cause)[:300]}")
        cause = cause.__cause__
    if len(lines) == 1:
        lines.append(str(error)[:300])
    return "\n    ".join(lines)


def schema_validate(*, spec: str, schema: str, instance: Any) -> list[str]:
    """Validate `instance` against `components.schemas[schema]` of a spec; returns error texts.

    For payloads outside request/response pairs (e.g. Xero webhook bodies).
    """
    from openapi_schema_validator import OAS30Validator, OAS31Validator

    data = spec_dict(spec)
    validator_cls = (
        OAS31Validator if str(data.get("openapi", "")).startswith("3.1") else OAS30Validator
    )
    wrapper = {"$ref": f"#/components/schemas/{schema}", "components": data.get("components", {})}
    validator = validator_cls(wrapper)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(instance)
    ]
