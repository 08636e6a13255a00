"""What a diagram may ask of the engine, checked before it is deployed: no timer that fires without pause or
hundreds of times at once, no loop without a maximum, no multi-instance or parallel split wider than a case can
carry. What can only be known while a case runs is bounded by the run's step budget (engine/cases/stepping.py)
and the child process's limits (engine/sandbox/)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from lxml import etree

from engine.bpmn.timers import parse_cycle

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_MULTI_INSTANCE = 1_000  # items of one multi-instance activity (loopCardinality)
MAX_LOOP_MAXIMUM = 1_000  # loopMaximum of a standard loop
MAX_OUTGOING = 100  # sequence flows out of one element (branches of a split)
MAX_CATCH_UP_FIRINGS = 100  # times a cycle timer may fire at once when it starts in the past
MIN_CYCLE_INTERVAL = timedelta(minutes=1)  # the shortest interval of a repeating timer

Problem = tuple[int, str, etree._Element]


def _q(local: str) -> str:
    return f"{{{BPMN}}}{local}"


def _label(element: etree._Element) -> str:
    name = " ".join((element.get("name") or "").split())
    identifier = element.get("id") or etree.QName(element).localname
    return f"'{identifier}' ({name})" if name else f"'{identifier}'"


def bound_problems(root: etree._Element, now: datetime | None = None) -> list[Problem]:
    """Every way the diagram exceeds what one case may ask, as (line, message, element)."""
    moment = now or datetime.now(UTC)
    return [*_cycles(root, moment), *_multi_instances(root), *_loops(root), *_splits(root)]


def _literal(element: etree._Element) -> object:
    try:
        return ast.literal_eval((element.text or "").strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None  # an expression: bounded while the case runs


def _cycles(root: etree._Element, now: datetime) -> Iterator[Problem]:
    for timer in root.iter(_q("timeCycle")):
        value = _literal(timer)
        if not isinstance(value, str):
            continue
        try:
            cycles, start, interval = parse_cycle(value, now, UTC)
        except Exception:  # noqa: BLE001, S112 — a malformed cycle is reported by the timer checks
            continue
        owner = timer.getparent().getparent() if timer.getparent() is not None else timer
        where = _label(owner if owner is not None else timer)
        if interval < MIN_CYCLE_INTERVAL:
            yield (timer.sourceline or 0, f"timer {where}: the cycle {value!r} repeats every "
                   f"{interval.total_seconds():g} s; the shortest interval is {MIN_CYCLE_INTERVAL.seconds // 60} "
                   "minute", timer)
            continue
        if start < now:
            missed = int((now - start) / interval) + 1
            firings = missed if cycles < 0 else min(cycles, missed)
            if firings > MAX_CATCH_UP_FIRINGS:
                yield (timer.sourceline or 0, f"timer {where}: the cycle {value!r} started in the past and would "
                       f"fire {firings:,} times at once (at most {MAX_CATCH_UP_FIRINGS}); start it later or give "
                       "it fewer repetitions", timer)


def _multi_instances(root: etree._Element) -> Iterator[Problem]:
    for cardinality in root.iter(_q("loopCardinality")):
        value = _literal(cardinality)
        if isinstance(value, int) and not isinstance(value, bool) and value > MAX_MULTI_INSTANCE:
            activity = cardinality.getparent().getparent()
            yield (cardinality.sourceline or 0, f"{_label(activity)}: a multi-instance of {value:,} items; at most "
                   f"{MAX_MULTI_INSTANCE:,} (split the work into several cases, or a list of that size)",
                   cardinality)


def _loops(root: etree._Element) -> Iterator[Problem]:
    for loop in root.iter(_q("standardLoopCharacteristics")):
        activity = loop.getparent()
        maximum = loop.find(_q("loopMaximum"))
        raw = loop.get("loopMaximum") if maximum is None else (maximum.text or "").strip()
        try:
            value = int(raw) if raw is not None and raw != "" else None
        except ValueError:
            value = None
        if value is None:
            yield (loop.sourceline or 0, f"{_label(activity)}: a loop needs loopMaximum (at most "
                   f"{MAX_LOOP_MAXIMUM:,}) so that it ends", loop)
        elif value > MAX_LOOP_MAXIMUM:
            yield (loop.sourceline or 0, f"{_label(activity)}: loopMaximum {value:,} is over the limit of "
                   f"{MAX_LOOP_MAXIMUM:,}", loop)


def _splits(root: etree._Element) -> Iterator[Problem]:
    outgoing: dict[str, int] = {}
    for flow in root.iter(_q("sequenceFlow")):
        source = flow.get("sourceRef") or ""
        outgoing[source] = outgoing.get(source, 0) + 1
    for process in root.iter(_q("process"), _q("subProcess")):
        for element in process:
            count = outgoing.get(element.get("id") or "", 0)
            if count > MAX_OUTGOING:
                yield (element.sourceline or 0, f"{_label(element)} has {count:,} outgoing flows; at most "
                       f"{MAX_OUTGOING} (a multi-instance activity runs one step for many items)", element)
