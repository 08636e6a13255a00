"""Poison, generated (hypothesis), at every door of the API: every JSON-body operation of /api/v1/openapi.json gets
bodies holding NaN or Infinity, lone surrogates, control characters, nesting past the limit, numbers past 2**53,
huge arrays and huge bodies, put anywhere in an otherwise ordinary body; every GET gets odd query parameters.
Each is refused — 400, or 413 for size — quickly, with a short answer in the API's error shape, and nothing is
started or changed. Documents posted with a form are fuzzed too: stored only when the whole form passes.

Another seed: ONESTOP_FUZZ_SEED=<n> .venv/bin/pytest tests/security/test_poison_fuzzing.py"""

from __future__ import annotations

import io
import json
import os
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from web.conftest import MATERIALS
from web.webkit import JPEG, PDF, PNG, sign_in

from engine.store.models import Attachment, HistoryEntry, ProcessInstance
from ui.door import MAX_JSON_BODY_BYTES, MAX_QUERY_VALUE_CHARS
from ui.openapi import openapi_document
from ui.strict_json import MAX_JSON_DEPTH, MAX_JSON_NUMBER

from .conftest import World

SEED = int(os.environ.get("ONESTOP_FUZZ_SEED", "20261122"))
EXAMPLES = int(os.environ.get("ONESTOP_POISON_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
ANSWER_LIMIT = 64 * 1024

# Each class of poison, as JSON text, and the status it gets.
NON_FINITE = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1E999", "[NaN]"])
SURROGATES = st.sampled_from(["\\udc80", "\\ud800", "\\udfff\\ud800", "a\\udbff", "\\ud83d"]).map(
    lambda s: f'"{s}"')
CONTROLS = st.sampled_from(["\\u0000", "\\u0007", "\\u001b[2J", "a\\u0000b", "\\u000b"]).map(lambda s: f'"{s}"')
DEEP = st.integers(MAX_JSON_DEPTH, 3000).map(lambda n: "[" * n + "]" * n)
HUGE_NUMBERS = st.one_of(st.integers(MAX_JSON_NUMBER + 1, 10**400).map(str),
                         st.integers(-(10**400), -MAX_JSON_NUMBER - 1).map(str),
                         st.integers(4300, 6000).map(lambda n: "9" * n))
HUGE_ARRAYS = st.integers(MAX_JSON_BODY_BYTES // 2, 1_000_000).map(lambda n: "[" + ",".join(["0"] * n) + "]")
HUGE_TEXTS = st.integers(MAX_JSON_BODY_BYTES, 3 * MAX_JSON_BODY_BYTES).map(lambda n: '"' + "x" * n + '"')
POISON = st.one_of(NON_FINITE.map(lambda p: ("non-finite", p, 400)), SURROGATES.map(lambda p: ("surrogate", p, 400)),
                   CONTROLS.map(lambda p: ("control", p, 400)), DEEP.map(lambda p: ("deep", p, 400)),
                   HUGE_NUMBERS.map(lambda p: ("huge-number", p, 400)),
                   HUGE_ARRAYS.map(lambda p: ("huge-array", p, 413)), HUGE_TEXTS.map(lambda p: ("huge-body", p, 413)))
# Where the poison goes in an ordinary body (each route's own fields around it).
PLACES = st.sampled_from(["{base}, \"x\": {poison}", "{base}, \"data\": {{\"k\": {poison}}}",
                          "{base}, \"data\": {{\"list\": [1, {poison}]}}", "{base}, \"reason\": {poison}"])
KEY_POISON = st.sampled_from(['{"\\udc80": 1}', '{"a\\u0000": 1}', '{"\\n": {"\\ud800": 2}}'])


def json_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation whose body is JSON, from the document the API serves."""
    return sorted((method.upper(), path) for path, operations in openapi_document()["paths"].items()
                  for method, operation in operations.items()
                  if "application/json" in (operation.get("requestBody") or {}).get("content", {}))


def get_operations() -> list[str]:
    return sorted(path for path, operations in openapi_document()["paths"].items() if "get" in operations)


BASES = {"/process-instances": '"model_key": "escalation_demo"', "/admin/tasks/{task_id}/reassign": '"username": "x"',
         "/admin/instances/{instance_id}/timers/{timer}/move": '"due_at": "2026-10-20T10:00:00+08:00"'}


def concrete(path: str, target: dict[str, Any]) -> str:
    return "/api/v1" + path.format(instance_id=target["instance"], task_id=target["task"], year=2027,
                                   timer="accept_deadline", key="escalation_demo", version=1, username="win_dcf",
                                   notification_id=1)


def footprint(platform: Any) -> tuple[int, int, int]:
    with platform.uow(write=False) as uow:
        return tuple(int(uow.session.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[return-value]
                     for table in (ProcessInstance, HistoryEntry, Attachment))


def assert_refused(response: Any, status: int, started: float) -> None:
    elapsed = time.monotonic() - started
    raw = response.get_data()
    assert response.status_code == status, (response.status_code, raw[:300])
    assert elapsed < 3 and len(raw) < ANSWER_LIMIT, (elapsed, len(raw))
    body = json.loads(raw.decode("utf-8"), parse_constant=lambda name: pytest.fail(f"{name} in an answer"))
    assert set(body) == {"error", "message", "details"} and body["error"] in ("malformed_request", "too_large")


@pytest.fixture
def target(world: World) -> dict[str, Any]:
    return world.claimed_case()


def test_the_fuzzed_operations_are_every_json_operation_of_the_document() -> None:
    assert len(json_operations()) >= 10
    assert ("POST", "/process-instances") in json_operations() and ("POST", "/tasks/{task_id}/complete") in \
        json_operations()


@seed(SEED)
@FUZZ
@given(data=st.data())
def test_poison_anywhere_in_any_json_body_is_refused(client: Any, people: Any, world: World, target: dict[str, Any],
                                                     data: Any) -> None:
    method, path = data.draw(st.sampled_from(json_operations()), label="operation")
    kind, poison, status = data.draw(POISON, label="poison")
    place = data.draw(PLACES, label="place")
    body = "{" + place.format(base=BASES.get(path, '"reason": "核查"'), poison=poison) + "}"
    before = footprint(world.platform)
    started = time.monotonic()
    response = client.open(concrete(path, target), method=method, data=body.encode("utf-8"),
                           content_type="application/json", headers=people.headers("admin"))
    assert_refused(response, status, started)
    assert footprint(world.platform) == before, (kind, path)


@seed(SEED)
@FUZZ
@given(data=st.data())
def test_poison_in_a_key_or_bytes_that_are_not_utf8_is_refused(client: Any, people: Any, world: World,
                                                              target: dict[str, Any], data: Any) -> None:
    method, path = data.draw(st.sampled_from(json_operations()), label="operation")
    raw = data.draw(st.one_of(KEY_POISON.map(lambda k: k.encode()),
                              st.binary(min_size=1, max_size=40).filter(lambda b: not _is_utf8(b))), label="body")
    started = time.monotonic()
    response = client.open(concrete(path, target), method=method, data=raw, content_type="application/json",
                           headers=people.headers("admin"))
    assert_refused(response, 400, started)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


ODD_VALUES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=31), min_size=1, max_size=5),
    st.tuples(st.text(max_size=10), st.sampled_from(["\x00", "\r\n", "\x1b", "\x7f", "\t"])).map("".join),
    st.integers(MAX_QUERY_VALUE_CHARS + 1, 5 * MAX_QUERY_VALUE_CHARS).map(lambda n: "9" * n))


@seed(SEED)
@FUZZ
@given(data=st.data())
def test_odd_query_parameters_are_refused_on_every_get(client: Any, people: Any, target: dict[str, Any],
                                                       data: Any) -> None:
    path = data.draw(st.sampled_from(get_operations()), label="operation")
    name = data.draw(st.sampled_from(["status", "model_key", "applicant", "limit", "scope", "from", "q"]), label="name")
    value = data.draw(ODD_VALUES, label="value")
    started = time.monotonic()
    response = client.get(concrete(path, target), query_string={name: value}, headers=people.headers("admin"))
    assert_refused(response, 400, started)


@seed(SEED)
@settings(max_examples=max(EXAMPLES // 2, 10), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_documents_are_stored_only_when_the_whole_form_passes(web_app: Any, world: World, data: Any) -> None:
    case = world.flow.start(world.health_card, {"applicant_name": "张三", "talent_category": "顶尖人才",
                                                "county": "dongchangfu", "employer": "聊城大学"})
    task = world.flow.task("applicant", "submit_materials", case)
    contents = st.one_of(st.sampled_from([PDF, JPEG, PNG, b"", b"GIF89a", b"<svg/>"]),
                         st.binary(max_size=64), st.sampled_from([PDF, JPEG, PNG]).map(lambda b: b + b"\x00" * 10))
    names = st.sampled_from(["a.pdf", "b.jpg", "c.png", "d.gif", "张三.jpeg", "../e.pdf", "f", "g.PDF"])
    uploads = {field: (io.BytesIO(data.draw(contents, label=field)), data.draw(names, label=f"{field} name"))
               for field in ("certification_proof", "approval_form", "id_card_copy", "photo")
               if data.draw(st.booleans(), label=f"send {field}")}
    fields = {"id_number": data.draw(st.sampled_from([MATERIALS["id_number"], "123", ""]), label="id"),
              "contact_phone": MATERIALS["contact_phone"], "photo_confirmed": "true"}
    client = web_app.test_client()
    sign_in(client, "applicant")
    response = client.post(f"/tasks/{task['id']}", data={**fields, **uploads}, content_type="multipart/form-data")
    with world.platform.uow(write=False) as uow:
        stored = int(uow.session.scalar(select(func.count()).select_from(Attachment)
                                        .where(Attachment.instance_id == case)) or 0)
    assert response.status_code in (302, 422), response.status_code
    if response.status_code == 422:
        assert stored == 0, "a rejected submission kept documents"
    else:
        assert stored == 4 and world.flow.open_task_names(case) == ["county_check"]
