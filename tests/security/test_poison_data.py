"""Poison at the door: JSON that holds NaN, Infinity, lone surrogates, control characters, huge numbers or deep
nesting, and bodies, query strings and form fields out of bounds, are refused with 400/413 and the error shape of
the API — nothing is started or changed. And every list keeps answering strict JSON even when an old row (stored
before the door was strict) holds such a value."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import func, select, text
from web.webkit import sign_in

from engine.store.models import HistoryEntry, ProcessInstance
from ui.door import MAX_FORM_BODY_BYTES, MAX_JSON_BODY_BYTES, MAX_QUERY_VALUE_CHARS
from ui.strict_json import MAX_JSON_DEPTH, MAX_JSON_NUMBER, StrictJSONProvider, parse_json, plain_json

from .conftest import World

START = '{"model_key": "escalation_demo", "data": {"applicant": "张三", "county": "dongchangfu", "note": %s}}'
POISON: dict[str, str] = {
    "nan": "NaN", "infinity": "Infinity", "minus-infinity": "-Infinity", "overflowing-float": "1e999",
    "huge-integer": "1" + "0" * 30, "just-over-the-number-bound": str(MAX_JSON_NUMBER + 1),
    "very-long-integer": "9" * 5000, "lone-low-surrogate": '"\\udc80"', "lone-high-surrogate": '"x\\ud800y"',
    "nul": '"a\\u0000b"', "escape-character": '"\\u001b[31m"', "surrogate-in-a-key": '{"\\udc80": 1}',
    "newline-in-a-key": '{"a\\nb": 1}',
    "nested-past-the-limit": "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH,
    "nested-600-deep": "[" * 600 + "]" * 600, "nested-100000-deep": "[" * 100_000 + "]" * 100_000,
    "not-utf8": '"\xff"',
}


def strict(response: Any) -> Any:
    """The answer's JSON, read as strictly as a browser would: UTF-8, no NaN or Infinity, no lone surrogate."""
    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in an answer")

    body = response.get_data().decode("utf-8")  # a lone surrogate cannot be UTF-8: this would fail
    return json.loads(body, parse_constant=refuse)


def cases(platform: Any) -> int:
    with platform.uow(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ProcessInstance)) or 0)


@pytest.mark.parametrize("value", list(POISON.values()), ids=list(POISON))
def test_poisoned_start_data_is_refused_at_the_door(client: Any, people: Any, world: World, value: str) -> None:
    before = cases(world.platform)
    raw = (START % value).encode("utf-8") if value != '"\xff"' else (START % '"?"').encode().replace(b"?", b"\xff")
    response = client.post("/api/v1/process-instances", data=raw, content_type="application/json",
                           headers=people.headers("applicant"))
    body = strict(response)
    assert response.status_code == 400, body
    assert set(body) == {"error", "message", "details"} and body["error"] == "malformed_request"
    assert len(response.get_data()) < 2048
    assert cases(world.platform) == before


def test_the_same_request_without_poison_is_accepted(client: Any, people: Any, world: World) -> None:
    for value in ('"plain"', str(MAX_JSON_NUMBER), "1.5e10", '"tab\\tand\\nlines"', '"\\ud83d\\ude00 𠮷"',
                  "[" * (MAX_JSON_DEPTH - 2) + "]" * (MAX_JSON_DEPTH - 2)):
        response = client.post("/api/v1/process-instances", data=(START % value).encode(),
                               content_type="application/json", headers=people.headers("applicant"))
        assert response.status_code == 201, (value, response.get_json())


@pytest.mark.parametrize("path", ["/api/v1/tasks/{task}/complete", "/api/v1/process-instances/{instance}/retry",
                                  "/api/v1/admin/tasks/{task}/reassign", "/api/v1/calendar/2027"])
def test_every_json_route_refuses_poison(client: Any, people: Any, world: World, path: str) -> None:
    target = world.county_case()
    for raw in ('{"data": {"x": NaN}, "reason": "r"}', '{"data": {"x": "\\udc80"}, "reason": "r"}',
                '{"reason": "r", "x": -Infinity}', '{"reason": ' + "[" * 200 + "]" * 200 + "}"):
        response = client.post(path.format(**target), data=raw.encode(), content_type="application/json",
                               headers=people.headers("admin")) if "calendar" not in path else \
            client.put(path, data=raw.encode(), content_type="application/json", headers=people.headers("admin"))
        assert response.status_code == 400, (path, raw[:40], response.status_code)
        assert set(strict(response)) == {"error", "message", "details"}


def test_a_body_over_the_json_limit_is_refused_with_413_before_it_is_read(client: Any, people: Any,
                                                                          world: World) -> None:
    before = cases(world.platform)
    padding = "x" * MAX_JSON_BODY_BYTES
    started = time.monotonic()
    response = client.post("/api/v1/process-instances", data=(START % f'"{padding}"').encode(),
                           content_type="application/json", headers=people.headers("applicant"))
    assert time.monotonic() - started < 3
    body = strict(response)
    assert response.status_code == 413 and body["error"] == "too_large" and len(response.get_data()) < 1024
    assert cases(world.platform) == before
    # Just under it is read (and then refused by the case-data bound of 256 KiB, with a message: 422).
    under = client.post("/api/v1/process-instances", data=(START % f'"{"x" * (MAX_JSON_BODY_BYTES - 200)}"').encode(),
                        content_type="application/json", headers=people.headers("applicant"))
    assert under.status_code == 422 and "KiB" in json.dumps(strict(under))


def test_a_million_item_array_is_refused_fast_with_a_short_answer(client: Any, people: Any, world: World) -> None:
    target = world.claimed_case()
    raw = b'{"data": {"county_decision": "\xe8\xbd\xac\xe6\x8a\xa5\xe5\xb8\x82\xe5\xb9\xb3\xe5\x8f\xb0", "x": [' \
        + b",".join([b"1"] * 1_000_000) + b"]}}"
    started = time.monotonic()
    response = client.post(f"/api/v1/tasks/{target['task']}/complete", data=raw, content_type="application/json",
                           headers=people.headers("win_dcf"))
    elapsed = time.monotonic() - started
    assert response.status_code == 413 and elapsed < 3 and len(response.get_data()) < 64 * 1024


@pytest.mark.parametrize("query", ["?applicant=%00", "?applicant=a%0Ab", "?status=%1B", "?a%00=1",
                                   f"?applicant={'x' * (MAX_QUERY_VALUE_CHARS + 1)}"])
def test_odd_query_parameters_are_refused_on_the_api_and_the_web(client: Any, web_app: Any, people: Any,
                                                                 world: World, query: str) -> None:
    for path in ("/api/v1/process-instances", "/api/v1/admin/instances", "/api/v1/tasks"):
        response = client.get(path + query, headers=people.headers("admin"))
        assert response.status_code == 400 and strict(response)["error"] == "malformed_request", path
    admin = web_app.test_client()
    sign_in(admin, "admin")
    for path in ("/console/instances", "/tasks", "/console/overdue"):
        page = admin.get(path + query)
        assert page.status_code == 400 and "请求无法处理" in page.get_data(as_text=True), path


def test_a_control_character_in_a_web_form_is_refused(web_app: Any, world: World) -> None:
    before = cases(world.platform)
    applicant = web_app.test_client()
    sign_in(applicant, "applicant")
    response = applicant.post("/portal/services/escalation_demo",
                              data={"applicant": "张三\x00", "county": "dongchangfu"})
    assert response.status_code == 400
    assert cases(world.platform) == before
    assert web_app.test_client().post("/sign-in", data={"username": "win\x00dcf", "password": "x"}).status_code == 400


def test_a_web_form_over_its_limit_is_refused_with_413(web_app: Any, world: World) -> None:
    applicant = web_app.test_client()
    sign_in(applicant, "applicant")
    response = applicant.post("/portal/services/escalation_demo",
                              data={"applicant": "x" * MAX_FORM_BODY_BYTES, "county": "dongchangfu"})
    assert response.status_code == 413


def test_strict_json_reader_and_writer() -> None:
    assert parse_json(b'{"a": [1, 2.5, "\\ud83d\\ude00"]}') == {"a": [1, 2.5, "😀"]}
    provider = StrictJSONProvider.__new__(StrictJSONProvider)
    provider.sort_keys, provider.ensure_ascii = True, False
    written = provider.dumps({"n": float("nan"), "i": float("inf"), "s": "a\udc80b", "k\ud800": [float("-inf")]})
    assert json.loads(written) == {"n": None, "i": None, "s": "a\ufffdb", "k\ufffd": [None]}
    written.encode("utf-8")
    assert plain_json(("x", 1)) == ["x", 1]


# --- rows stored before the door was strict --------------------------------------------------------------

def _poison_rows(world: World) -> dict[str, int]:
    """Cases whose stored data (and start history) holds what the door now refuses, written to the database
    directly, as an older version of the platform would have stored them."""
    targets = {"nan": world.county_case()["instance"], "surrogate": world.county_case()["instance"],
               "nul": world.county_case()["instance"]}
    dialect = world.platform.engine.dialect.name
    texts = {"nan": '{"applicant_name": "张三", "county": "dongchangfu", "score": NaN, "inf": Infinity}',
             "surrogate": '{"applicant_name": "李\\udc80四", "county": "dongchangfu"}',
             "nul": '{"applicant_name": "王\\u0000五", "county": "dongchangfu"}'}
    if dialect == "postgresql":
        del targets["nan"]  # PostgreSQL's json type never held NaN: it refused it on insert
    cast = "CAST(:raw AS json)" if dialect == "postgresql" else ":raw"
    with world.platform.uow() as uow:
        for kind, instance in targets.items():
            uow.session.execute(text(f"UPDATE process_instances SET data = {cast} WHERE id = :id"),
                                {"raw": texts[kind], "id": instance})
            history = uow.session.scalar(select(HistoryEntry.id).where(HistoryEntry.instance_id == instance)
                                         .order_by(HistoryEntry.id))
            uow.session.execute(text(f"UPDATE history SET details = {cast} WHERE id = :id"),
                                {"raw": '{"data": ' + texts[kind] + "}", "id": history})
        uow.commit()
    return targets


def test_every_list_keeps_answering_strict_json_when_old_rows_hold_poison(web_app: Any, people: Any,
                                                                          world: World) -> None:
    targets = _poison_rows(world)
    client = web_app.test_client()
    answers = {
        "department tasks": client.get("/api/v1/tasks?scope=department", headers=people.headers("win_dcf")),
        "all tasks": client.get("/api/v1/tasks?scope=all", headers=people.headers("admin")),
        "instances": client.get("/api/v1/process-instances", headers=people.headers("admin")),
        "applicant search": client.get("/api/v1/admin/instances?applicant=张", headers=people.headers("admin")),
        "search": client.get("/api/v1/admin/instances", headers=people.headers("admin")),
        "dashboard": client.get("/api/v1/admin/dashboard", headers=people.headers("admin")),
        **{f"case {kind}": client.get(f"/api/v1/process-instances/{instance}", headers=people.headers("admin"))
           for kind, instance in targets.items()},
    }
    for name, response in answers.items():
        assert response.status_code == 200, (name, response.get_data()[:300])
        strict(response)
    assert len(answers["department tasks"].get_json()) >= len(targets)
    if "nan" in targets:
        assert answers["case nan"].get_json()["data"]["score"] is None
    assert "李\ufffd四" in json.dumps(answers["case surrogate"].get_json(), ensure_ascii=False)
    staff, admin, applicant = web_app.test_client(), web_app.test_client(), web_app.test_client()
    sign_in(staff, "win_dcf")
    sign_in(admin, "admin")
    sign_in(applicant, "applicant")
    pages = [(staff, "/tasks?view=department"), (staff, "/tasks?view=department&applicant=张"),
             (admin, "/console/instances"), (admin, "/console/instances?applicant=张"), (admin, "/console/supervision"),
             (applicant, "/portal"), *((who, f"/cases/{i}") for i in targets.values() for who in (staff, applicant)),
             *((admin, f"/console/instances/{i}") for i in targets.values())]
    for who, path in pages:
        page = who.get(path)
        assert page.status_code == 200, path
        page.get_data().decode("utf-8")
