"""Each escape of the corpus (escapes.py) placed in a deployed diagram — as a script, a gateway condition and a
timer — is refused at deployment (422, file:line) or stopped while the case runs, within a time and memory
bound, leaving the case in error with a message; hostile form data is only ever data."""

from __future__ import annotations

import resource
import time
from pathlib import Path
from typing import Any

import pytest

from .diagrams import escalation_files
from .escapes import ESCAPES, Escape

PLACES = {"script": "<bpmn:script>", "condition": "<bpmn:conditionExpression", "timer": "<bpmn:timeDate"}
CASES = [pytest.param(escape, place, id=f"{escape.id}-as-{place}") for escape in ESCAPES
         for place in (("script",) if escape.kind == "statement" else PLACES)]
START = {"applicant": "张三", "county": "dongchangfu", "s": "abc", "n": 100_000_000, "x": "frame"}
SECONDS = 10  # for one deployment plus one case, in the worst case
MEMORY = 512 * 2**20  # growth of the process's peak resident memory over one case
MARKER = Path("/tmp/onestop-sandbox-escaped")  # noqa: S108 — a payload would create it


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _line_of(bpmn: bytes, tag: str) -> int:
    text = bpmn.decode()
    assert text.count(tag) == 1, tag
    return text[: text.index(tag)].count("\n") + 1


@pytest.fixture
def api(client: Any, people: Any) -> Any:
    def call(method: str, path: str, user: str, **kwargs: Any) -> Any:
        return client.open(f"/api/v1{path}", method=method, headers=people.headers(user), **kwargs)
    return call


def _deploy(api: Any, files: dict[str, bytes]) -> Any:
    import io
    return api("POST", "/process-models", "designer", content_type="multipart/form-data",
               data={"files": [(io.BytesIO(content), name) for name, content in files.items()]})


def _run_case(api: Any, key: str) -> dict[str, Any]:
    """Start a case, and let the county window accept it (which runs the script and the condition)."""
    started = api("POST", "/process-instances", "applicant", json={"model_key": key, "data": START})
    assert started.status_code == 201, started.get_json()
    case = started.get_json()["id"]
    tasks = [t for t in api("GET", "/tasks?scope=department", "win_dcf").get_json() if t["instance_id"] == case]
    if tasks:
        done = api("POST", f"/tasks/{tasks[0]['id']}/complete", "win_dcf",
                   json={"data": {"approved": True, "months": 3}})
        assert done.status_code in (200, 409, 422), done.get_json()
    return api("GET", f"/process-instances/{case}", "admin").get_json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(("escape", "place"), CASES)
def test_escape_is_refused_or_stopped(api: Any, people: Any, escape: Escape, place: str) -> None:
    MARKER.unlink(missing_ok=True)
    files = escalation_files(key="escape", **{place: escape.source})
    peak, started = _peak_bytes(), time.monotonic()
    deployed = _deploy(api, files)
    assert deployed.status_code in (201, 422), deployed.get_json()
    if deployed.status_code == 422:
        first = _line_of(files["escalation.bpmn"], PLACES[place])
        problems = deployed.get_json()["details"]
        assert problems and all(p["file"] == "escalation.bpmn" for p in problems), problems
        assert any(first <= p["line"] <= first + escape.source.count("\n") for p in problems), (first, problems)
    else:
        case = _run_case(api, "escape")
        assert case["status"] == "error", case
        assert case["error"]["message"], case
    assert time.monotonic() - started < SECONDS
    assert _peak_bytes() - peak < MEMORY
    assert not MARKER.exists()


def test_the_corpus_is_large_and_distinct() -> None:
    assert len(ESCAPES) >= 30
    assert len({e.id for e in ESCAPES}) == len({e.source for e in ESCAPES}) == len(ESCAPES)


# --- form data is data ------------------------------------------------------------------------------------

HOSTILE_TEXT = [
    f"__import__('os').system('touch {MARKER}')", "{0.__class__.__mro__[1].__subclasses__()}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}", "${7*7}", "<script>alert(1)</script>",
]


def test_hostile_field_names_are_refused_and_nothing_starts(api: Any, people: Any) -> None:
    assert _deploy(api, escalation_files()).status_code == 201
    for key in ("__builtins__", "_step", "_mul", "working_days", "now", "__class__"):
        response = api("POST", "/process-instances", "applicant",
                       json={"model_key": "escalation_demo", "data": {**START, key: {"eval": "x"}}})
        assert response.status_code == 422, (key, response.get_json())
    assert api("GET", "/process-instances", "admin").get_json() == []


def test_code_in_form_data_stays_text(api: Any, people: Any) -> None:
    MARKER.unlink(missing_ok=True)
    assert _deploy(api, escalation_files()).status_code == 201
    data = {**START, "eval": HOSTILE_TEXT[0], "getattr": HOSTILE_TEXT[1], "type": HOSTILE_TEXT[2],
            "approved_note": HOSTILE_TEXT[3]}
    started = api("POST", "/process-instances", "applicant", json={"model_key": "escalation_demo", "data": data})
    assert started.status_code == 201, started.get_json()
    case = started.get_json()["id"]
    [task] = [t for t in api("GET", "/tasks?scope=department", "win_dcf").get_json() if t["instance_id"] == case]
    done = api("POST", f"/tasks/{task['id']}/complete", "win_dcf",
               json={"data": {"approved": True, "months": 3, "comment": HOSTILE_TEXT[0]}})
    assert done.status_code == 200, done.get_json()
    view = api("GET", f"/process-instances/{case}", "admin").get_json()
    assert view["status"] == "active" and view["data"]["amount"] == 3000  # the script ran, on plain data
    assert {k: view["data"][k] for k in data} == data and view["data"]["comment"] == HOSTILE_TEXT[0]
    assert not MARKER.exists()


def test_a_form_field_named_like_an_engine_internal_cannot_be_submitted(api: Any, people: Any) -> None:
    files = escalation_files()
    files["accept.json"] = files["accept.json"].replace(
        b'"comment":', b'"__builtins__": {"type": "object"}, "_step": {"type": "string"}, "comment":')
    assert _deploy(api, files).status_code == 201
    case = api("POST", "/process-instances", "applicant",
               json={"model_key": "escalation_demo", "data": START}).get_json()["id"]
    [task] = [t for t in api("GET", "/tasks?scope=department", "win_dcf").get_json() if t["instance_id"] == case]
    for field, value in (("__builtins__", {"__import__": "os"}), ("_step", "x")):
        response = api("POST", f"/tasks/{task['id']}/complete", "win_dcf",
                       json={"data": {"approved": True, "months": 3, field: value}})
        assert response.status_code == 422, response.get_json()
    assert api("GET", f"/tasks/{task['id']}", "win_dcf").get_json()["state"] == "open"


@pytest.mark.parametrize("template", [
    "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}", "{{ 'x' * 10 ** 9 }}",
    "{{ 9 ** 9 ** 9 }}", "{{ applicant.__class__ }}", "{{ lipsum.__globals__ }}", "{% set x = 1 %}",
    "{{ cycler.__init__.__globals__.os }}", "{{ applicant | format('%s') }}", "{% include 'x' %}",
])
def test_instruction_templates_do_nothing_but_show_values(api: Any, people: Any, template: str) -> None:
    files = escalation_files(key="escape", instructions=f"请核对 {template} 的材料")
    deployed = _deploy(api, files)
    assert deployed.status_code == 422, deployed.get_json()
    [problem] = deployed.get_json()["details"]
    line = files["escalation.bpmn"].decode().split("\n").index(
        next(row for row in files["escalation.bpmn"].decode().split("\n") if "instructionsForEndUser" in row)) + 1
    assert problem["line"] == line and "instructions" in problem["message"]


def test_plain_instruction_templates_still_deploy(api: Any, people: Any) -> None:
    files = escalation_files(key="escape", instructions="请核对 {{ applicant }} 的 {{ county | upper }} 材料"
                                                        "{% if approved %}（已受理）{% else %}（待受理）{% endif %}")
    assert _deploy(api, files).status_code == 201


def test_the_allocation_budget_counts_new_large_values_not_lists_grown_in_place() -> None:
    from engine.bpmn.scripting import MAX_RUN_ALLOCATION, execute_script
    from engine.errors import ExpressionError

    data: dict[str, Any] = {"x": [3, 1, 2]}
    execute_script("y = x.sort()\nt = []\nfor i in range(30000):\n    t.append(i)\nfor i in range(30000):\n"
                   "    t += [i]\nn = len(t)", data)
    assert data["y"] is None and data["x"] == [1, 2, 3] and data["n"] == 60000
    lines = MAX_RUN_ALLOCATION // 10**7 + 5
    with pytest.raises(ExpressionError, match="MiB of large values"):
        execute_script("a = 'a' * 10 ** 7\n" + "\n".join(f"b{i} = a.upper()" for i in range(lines)), {})
    execute_script("a = 'a' * 10 ** 7\n" + "\n".join(f"b{i} = a.upper()" for i in range(lines // 2)), {})
