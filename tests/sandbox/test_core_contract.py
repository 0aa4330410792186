import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from syncapp.sandbox.core.contract import (
    ContractValidator,
    ContractViolation,
    _real_url,
    schema_validate,
    spec_for_path,
    specs_dir,
)

HEADERS = {"Authorization": "Bearer t", "Harvest-Account-Id": "1"}


def _request(path, method="GET", headers=HEADERS, body=None):
    builder = EnvironBuilder(
        path=path,
        method=method,
        headers=headers,
        data=body,
        content_type="application/json" if body else None,
    )
    return Request(builder.get_environ())


def test_specs_are_found_beside_the_repository():
    assert (specs_dir() / "harvest" / "harvest-openapi.yaml").exists()


def test_prefixes_map_to_specs_and_real_urls():
    assert spec_for_path("/api.harvestapp.com/v2/clients") == "harvest"
    assert spec_for_path("/api.xero.com/api.xro/2.0/Invoices") == "xero_accounting"
    assert spec_for_path("/api.xero.com/connections") == "xero_identity"
    assert spec_for_path("/id.getharvest.com/api/v2/accounts") is None  # not in the specs
    assert _real_url("harvest", "/api.harvestapp.com/v2/clients/5") == (
        "https://api.harvestapp.com",
        "/v2/clients/5",
    )
    assert _real_url("xero_identity", "/api.xero.com/connections") == (
        "https://api.xero.com",
        "/Connections",
    )


def test_a_good_exchange_passes():
    validator = ContractValidator()
    request = _request("/api.harvestapp.com/v2/clients/5")
    body = {
        "id": 5,
        "name": "A",
        "is_active": True,
        "currency": "USD",
        "created_at": "2026-01-01T00:00:00Z",
    }
    validator.check_request(request=request, body=b"")
    validator.check_response(
        request=request, body=b"", response=Response(json.dumps(body), mimetype="application/json")
    )
    assert validator.violations == []


def test_a_bad_response_is_a_violation_naming_the_field():
    validator = ContractValidator()
    request = _request("/api.harvestapp.com/v2/clients")
    bad = {"clients": [{"id": "five"}], "per_page": 100}
    with pytest.raises(ContractViolation) as caught:
        validator.check_response(
            request=request,
            body=b"",
            response=Response(json.dumps(bad), mimetype="application/json"),
        )
    text = str(caught.value)
    assert "clients/0/id" in text or "total_pages" in text
    assert len(text) < 4000


def test_a_request_without_auth_headers_is_a_violation_unless_expected():
    validator = ContractValidator()
    request = _request("/api.harvestapp.com/v2/clients", headers={})
    with pytest.raises(ContractViolation):
        validator.check_request(request=request, body=b"")
    with validator.invalid_requests_expected():
        validator.check_request(request=request, body=b"")
    assert len(validator.violations) == 2


def test_disabled_validator_checks_nothing():
    validator = ContractValidator(enabled=False)
    validator.check_request(
        request=_request("/api.harvestapp.com/v2/clients", headers={}), body=b""
    )
    assert validator.violations == []


def test_schema_validate_for_loose_payloads():
    assert schema_validate(spec="harvest", schema="Client", instance={"id": 1, "name": "x"}) == []
    errors = schema_validate(spec="harvest", schema="Client", instance={"id": "one"})
    assert errors and errors[0].startswith("id:")
