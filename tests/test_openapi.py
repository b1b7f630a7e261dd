"""The API describes itself: /api/v1/openapi.json is a valid OpenAPI 3.1
document in which every operation declares what it answers, and
/api/v1/docs renders it."""

from __future__ import annotations

import re

import pytest

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def document(client, db) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def _operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield path, method, op


def _resolve(doc: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_document_is_openapi_3_1_with_chinese_title(document):
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] == "网格 Wangge API"
    assert any(p.startswith("/api/v1/areas/") for p in document["paths"])


def test_document_passes_the_openapi_validator(document):
    validators = pytest.importorskip(
        "openapi_spec_validator", reason="openapi-spec-validator is a test dependency"
    )
    validators.validate(document)  # raises on the first error


def test_every_ref_resolves(document):
    for ref in set(_refs(document)):
        assert _resolve(document, ref) is not None, ref


def test_every_operation_declares_its_responses(document):
    """A 2xx answer, and a body schema for every answer that has a body."""
    missing = []
    for path, method, op in _operations(document):
        responses = op.get("responses") or {}
        if not any(code.startswith("2") for code in responses):
            missing.append(f"{method.upper()} {path}: no 2xx response")
        for code, response in responses.items():
            if code == "204":
                continue
            content = response.get("content") or {}
            if not content or not all("schema" in media for media in content.values()):
                missing.append(f"{method.upper()} {path}: {code} has no schema")
    assert not missing, "\n".join(missing)


def test_routes_behind_a_login_say_so(document):
    for path, _method, op in _operations(document):
        if op.get("security"):
            assert {"SessionAuth", "BearerAuth"} <= {k for s in op["security"] for k in s}, path


def test_path_parameters_are_declared(document):
    for path, method, op in _operations(document):
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert set(re.findall(r"{([^}]+)}", path)) == declared, f"{method} {path}"


def test_operation_ids_are_unique(document):
    ids = [op["operationId"] for _, _, op in _operations(document)]
    assert len(ids) == len(set(ids))


def test_docs_page_renders(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "openapi.json" in html and "swagger" in html.lower()
