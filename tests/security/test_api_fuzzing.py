"""Schemathesis against /api/v1/openapi.json, through the WSGI app, as each role: no answer is a 5xx, every
answer matches the status codes and the schema the document gives for it, and is strict JSON (no NaN, UTF-8).
The cases, tasks and documents the requests can reach are real (tests/security/conftest.py).

Bounded for CI (a few examples per operation and role, once: SQLite only); to search longer or elsewhere:
ONESTOP_FUZZ_SEED=<n> ONESTOP_FUZZ_EXAMPLES=<n> .venv/bin/pytest tests/security/test_api_fuzzing.py"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from ui.openapi import openapi_document

from .conftest import ROLES, USERS, World

pytestmark = pytest.mark.sqlite_only
SEED = int(os.environ.get("ONESTOP_FUZZ_SEED", "20261122"))
EXAMPLES = int(os.environ.get("ONESTOP_API_FUZZ_EXAMPLES", os.environ.get("ONESTOP_FUZZ_EXAMPLES_API", "12")))


# The document is read from the code that serves it; each test then calls its own app, with real data in it.
schema = schemathesis.openapi.from_dict(openapi_document())


@schemathesis.check
def strict_json_answer(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every answer of the API is strict JSON: UTF-8, no NaN or Infinity (ui/strict_json.py)."""
    content_type = response.headers.get("content-type") or response.headers.get("Content-Type") or [""]
    if "json" not in (content_type[0] if isinstance(content_type, list) else content_type):
        return None

    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in the answer of {case.operation.label}")

    json.loads(response.content.decode("utf-8"), parse_constant=refuse)
    return None


@pytest.fixture
def fuzzed_app(web_app: Any, world: World) -> Any:
    world.county_case()
    world.claimed_case()
    world.error_case()
    world.timer_case()
    return web_app


@schema.parametrize()
@schema.given(role=st.sampled_from(ROLES))
@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_is_documented_and_never_a_server_error(case: Any, role: str, people: Any,
                                                            fuzzed_app: Any) -> None:
    user = USERS[role]
    headers = people.headers(user) if user else {}
    body = case.body if isinstance(case.body, dict) else {}
    wait = body.get("async_response_timeout")
    if isinstance(wait, int | float) and not isinstance(wait, bool) and 0.1 < wait <= 30:
        body["async_response_timeout"] = 0.1  # a long poll's wait (up to 30 s) is not what this looks for
    case.call_and_validate(base_url="http://localhost/api/v1", app=fuzzed_app, headers=headers,
                           checks=[not_a_server_error, status_code_conformance, response_schema_conformance,
                                   strict_json_answer])
