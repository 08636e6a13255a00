"""Every problem the checks find in a corpus of diagrams: the third-party exports (tests/data/thirdparty), the
hostile diagrams the bounds refuse (tests/hostile.py), and drafts broken on purpose so that each module of the
validator speaks — vendor hints, element rules, compatibility verdicts, the parser's errors, bounds, timer ranges,
conventions. tests/test_check_messages.py demands that each reads fully in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hostile import diagram, script_task, straight, user_task

from engine.bpmn.validation import load_bundle
from engine.errors import DeploymentRefused
from engine.people.organisation import Organisation

THIRDPARTY = Path(__file__).parent / "data" / "thirdparty"


def problems(files: dict[str, bytes], organisation: Organisation) -> list[str]:
    try:
        load_bundle(files, organisation)
    except DeploymentRefused as refused:
        return [str(d["message"]) for d in refused.details]
    return []


def thirdparty() -> Iterator[dict[str, bytes]]:
    for entry in sorted(THIRDPARTY.iterdir()):
        if entry.is_dir():
            yield {p.name: p.read_bytes() for p in sorted(entry.iterdir())}
        elif entry.suffix == ".bpmn":
            yield {entry.name: entry.read_bytes()}


def _timer(key: str, kind: str, value: str) -> dict[str, bytes]:
    nodes = ['<bpmn:startEvent id="start" />',
             f'<bpmn:intermediateCatchEvent id="wait" name="等待"><bpmn:timerEventDefinition><bpmn:{kind}>{value}'
             f'</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>', user_task("after"),
             '<bpmn:endEvent id="end" />']
    return diagram(key, nodes, [("start", "wait", None), ("wait", "after", None), ("after", "end", None)])


def hostile() -> Iterator[dict[str, bytes]]:
    """The diagrams the deploy-time bounds and checks refuse."""
    for cycle in ("'R/PT0S'", "'R/2020-01-01T00:00:00+08:00/PT1H'"):
        yield _timer("cycles", "timeCycle", cycle)
    for kind, value in (("timeDate", "'9999-12-31T23:59:59+08:00'"), ("timeDuration", "'P99999D'"),
                        ("timeDate", "'1990-01-01T00:00:00+08:00'"), ("timeCycle", "'R3/P500000D'"),
                        ("timeDate", "'tomorrow'"), ("timeDuration", "'3 days'"), ("timeCycle", "'every day'"),
                        ("timeDate", "'2026-10-01T09:00:00'"), ("timeDuration", "P3D"), ("timeDate", "")):
        yield _timer("timers", kind, value)
    yield straight("wide_literal", user_task(
        "each", '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>20000</bpmn:loopCardinality>'
                '</bpmn:multiInstanceLoopCharacteristics>'))
    branches = [script_task(f"b{i}", "x = 1") for i in range(120)]
    nodes = ['<bpmn:startEvent id="start" />', '<bpmn:parallelGateway id="split" />', *branches,
             '<bpmn:parallelGateway id="join" />', user_task("wait"), '<bpmn:endEvent id="end" />']
    yield diagram("split", nodes, [("start", "split", None), *[("split", f"b{i}", None) for i in range(120)],
                                   *[(f"b{i}", "join", None) for i in range(120)], ("join", "wait", None),
                                   ("wait", "end", None)])
    for maximum in ("", ' loopMaximum="5000"'):
        yield straight("looped", script_task("again", "n = 1").replace(
            "</bpmn:scriptTask>", f"<bpmn:standardLoopCharacteristics{maximum}><bpmn:loopCondition>True"
            "</bpmn:loopCondition></bpmn:standardLoopCharacteristics></bpmn:scriptTask>"))
    for script in ("import os", "x = (1", "__import__('os')", "open('/etc/passwd')", "while True: pass",
                   "def f(): pass", "x.__class__", "eval('1')", "x = 1 if else 2"):
        yield straight("scripted", script_task("run", script))
    yield straight("serviced", '<bpmn:serviceTask id="call" name="调用接口" />')
    yield straight("complex", '<bpmn:complexGateway id="choose" name="复杂网关" />')
    yield diagram("plain", ['<bpmn:startEvent id="start" />', '<bpmn:task id="confirm" name="确认" />',
                            '<bpmn:endEvent id="end" />'], [("start", "confirm", None), ("confirm", "end", None)],
                  lane="not_a_department")
    yield straight("compensated", user_task("pay").replace("<bpmn:userTask", '<bpmn:userTask isForCompensation="true"'))
    yield straight("noscript", '<bpmn:scriptTask id="empty" name="空脚本" />')
    yield straight("groovy", '<bpmn:scriptTask id="g" scriptFormat="groovy"><bpmn:script>x = 1</bpmn:script>'
                             '</bpmn:scriptTask>')
    yield straight("nodecision", '<bpmn:businessRuleTask id="decide" name="判定" />')
    yield diagram("boundless", ['<bpmn:startEvent id="start" />', user_task("t"),
                                '<bpmn:boundaryEvent id="b" name="无触发" attachedToRef="t" />',
                                '<bpmn:endEvent id="end" />'], [("start", "t", None), ("t", "end", None)])
