"""The OpenAPI document tells a generated client every status a route can answer, and how
to authenticate: the ApiKey bearer scheme on every /v1 route but the provider webhooks
(required once any key exists, which can happen while the API runs: the document is the
same whether or not API_KEYS is set), and never an Authorization header parameter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rebook.settings import Settings

METHODS = {"get", "post", "put", "patch", "delete"}

# Statuses beyond the generic ones (422 for any input, 404 for a path naming a resource,
# 401/403/429 on every keyed route) that a route answers by design.
SPECIFIC: dict[tuple[str, str], set[str]] = {
    ("post", "/v1/appointments"): {"200", "201", "409", "503"},
    ("post", "/v1/appointments/{appointment_id}/events"): {"202", "409", "503"},
    ("post", "/v1/keys"): {"201"},
    ("get", "/healthz"): {"200", "503"},
    # 404: the `workspace` its URL names does not exist.
    ("post", "/v1/webhooks/sendgrid"): {"200", "401", "404"},
    ("post", "/v1/webhooks/twilio"): {"200", "401", "404"},
}
KEYED_STATUSES = {"401", "403", "429"}


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def _document(api_settings: Settings, **changes: Any) -> dict[str, Any]:
    app = create_app(api_settings.model_copy(update=changes))
    with TestClient(app) as client:
        document: dict[str, Any] = client.get("/openapi.json").json()
    return document


@pytest.fixture
def open_api(api_settings: Settings) -> dict[str, Any]:
    return _document(api_settings, api_keys="")


@pytest.fixture
def keyed_api(api_settings: Settings) -> dict[str, Any]:
    return _document(api_settings, api_keys="k1,k2")


def _keyed(path: str) -> bool:
    return path.startswith("/v1/") and not path.startswith("/v1/webhooks/")


@pytest.mark.parametrize("api_keys", ["k1,k2", ""], ids=["API_KEYS", "no API_KEYS"])
def test_every_route_declares_the_statuses_it_can_answer(
    api_settings: Settings, api_keys: str
) -> None:
    missing: dict[str, set[str]] = {}
    for method, path, operation in _operations(_document(api_settings, api_keys=api_keys)):
        declared = set(operation["responses"])
        expected = set(SPECIFIC.get((method, path), set()))
        if operation.get("parameters") or operation.get("requestBody"):
            expected.add("422")
        if "{" in path:
            expected.add("404")
        if _keyed(path):
            expected |= KEYED_STATUSES
        if expected - declared:
            missing[f"{method.upper()} {path}"] = expected - declared
    assert missing == {}


def test_only_keyed_routes_declare_the_key_statuses(keyed_api: dict[str, Any]) -> None:
    for method, path, operation in _operations(keyed_api):
        declared = set(operation["responses"]) & {"403", "429"}
        assert bool(declared) is _keyed(path), (method, path)


def test_every_error_response_has_a_body_schema_and_a_description(
    keyed_api: dict[str, Any],
) -> None:
    for method, path, operation in _operations(keyed_api):
        for status, response in operation["responses"].items():
            assert response.get("description"), (method, path, status)
            if status.startswith(("4", "5")):
                assert "application/json" in response.get("content", {}), (method, path, status)


def test_the_routes_specific_statuses_are_all_declared(keyed_api: dict[str, Any]) -> None:
    routes = {(method, path) for method, path, _ in _operations(keyed_api)}

    assert set(SPECIFIC) <= routes  # the table above names real routes


def test_the_v1_routes_take_the_bearer_scheme_and_webhooks_and_health_do_not(
    keyed_api: dict[str, Any],
) -> None:
    for method, path, operation in _operations(keyed_api):
        assert bool(operation.get("security")) is _keyed(path), (method, path)
    scheme = keyed_api["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "Required once any key exists" in scheme["description"]


def test_without_api_keys_the_document_is_the_same_and_asks_for_no_header(
    open_api: dict[str, Any], keyed_api: dict[str, Any]
) -> None:
    """API_KEYS unset: the API is open until a key is created (rebook key create, POST
    /v1/keys), so the scheme stays declared, but nothing makes a client send a header."""
    assert open_api == keyed_api
    for method, path, operation in _operations(open_api):
        parameters = {p["name"].lower() for p in operation.get("parameters", [])}
        assert "authorization" not in parameters, (method, path)


def test_constraints_are_stated_where_clients_read_them(open_api: dict[str, Any]) -> None:
    schemas = open_api["components"]["schemas"]
    report = open_api["paths"]["/v1/reports/follow-ups"]["get"]
    listing = open_api["paths"]["/v1/communications"]["get"]

    assert (
        "must be in the future"
        in schemas["AppointmentCreate"]["properties"]["starts_at"]["description"]
    )
    assert "required for `rescheduled`" in str(schemas["EventIn"]["properties"]["new_starts_at"])
    assert all("ISO 8601" in p["description"] for p in report["parameters"][:2])
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 200)
