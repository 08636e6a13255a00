"""Problems found in uploaded files, each one line `file:line: message`, and how checks name elements."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from engine.errors import DeploymentRefused

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {
    "bpmn": BPMN,
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
MAX_MESSAGE = 600  # characters; a message quotes diagram text, which may be long
MAX_QUOTE = 80  # characters of a name, id or expression quoted in a message

_CONTAINERS = ("process", "subProcess", "transaction", "adHocSubProcess", "laneSet", "childLaneSet", "collaboration")
_WHITESPACE = re.compile(r"\s+")
_OBJECT_REPR = re.compile(r"<[\w.]+(?: [^<>]*)? (?:object )?at 0x[0-9a-fA-F]+>")


def one_line(text: str) -> str:
    """Names and messages are shown on one line: line breaks and runs of spaces become one space."""
    return _WHITESPACE.sub(" ", text).strip()


def quote(text: str | None, limit: int = MAX_QUOTE) -> str:
    """Diagram text quoted in a message: on one line, and cut with … when it is long."""
    flat = one_line(text or "")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def clean_message(message: str) -> str:
    """One line, no Python object reprs (a last guard: checks write their own messages)."""
    flat = one_line(_OBJECT_REPR.sub("an element", message))
    return flat if len(flat) <= MAX_MESSAGE else flat[: MAX_MESSAGE - 1] + "…"


def printable_file(name: str) -> str:
    """A file name as shown in a problem: control characters (a newline in an uploaded name) escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str
    element: str | None = None  # the id of the diagram element concerned, so a modeler can mark it

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {"file": self.file, "line": self.line, "message": self.message}
        if self.element is not None:
            found["element"] = self.element
        return found

    def __str__(self) -> str:
        return f"{printable_file(self.file)}:{self.line}: {self.message}"


def q(tag: str) -> str:
    """``bpmn:userTask`` → lxml's ``{namespace}userTask``."""
    prefix, local = tag.split(":")
    return f"{{{NS[prefix]}}}{local}"


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def label(element: etree._Element) -> str:
    """How a message names an element: ``userTask 'review' (市平台审核)``, on one line."""
    name = element.get("name")
    return f"{local_name(element)} '{quote(element.get('id'))}'" + (f" ({quote(name)})" if name else "")


def diagram_element_id(element: etree._Element) -> str | None:
    """The id of the shape or connection that holds ``element`` (a timer's task, a condition's flow, a lane)."""
    for candidate in (element, *element.iterancestors()):
        parent = candidate.getparent()
        if candidate.get("id") and parent is not None and local_name(parent) in _CONTAINERS:
            return candidate.get("id")
    return None


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)

    def add(self, file: str, line: int | None, message: str, *,
            element: etree._Element | str | None = None) -> None:
        owner = element if isinstance(element, str) or element is None else diagram_element_id(element)
        self.problems.append(Problem(file, max(int(line or 0), 0), clean_message(message), owner))

    def has_line(self, file: str, line: int) -> bool:
        return line > 0 and any(p.file == file and p.line == line for p in self.problems)

    def has_element(self, file: str, element: str | None) -> bool:
        return element is not None and any(p.file == file and p.element == element for p in self.problems)

    def refusal(self, order: list[str]) -> DeploymentRefused:
        rank = {name: index for index, name in enumerate(order)}
        problems = sorted(self.problems, key=lambda p: (rank.get(p.file, len(rank)), p.line))
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        return DeploymentRefused(f"{count} {noun} in the uploaded files; the first: {problems[0]}",
                                 details=[p.as_dict() for p in problems])


def element_at_line(root: etree._Element, line: int | None) -> etree._Element | None:
    if not line:
        return None
    return next((e for e in root.iter() if isinstance(e.tag, str) and e.sourceline == line), None)


def executable_processes(root: etree._Element) -> list[etree._Element]:
    """The processes whose conventions are checked: the executable ones, or every one when none is (the
    designer is told to mark one executable, and sees its other problems at the same time)."""
    processes = list(root.iter(q("bpmn:process")))
    runnable = [p for p in processes if p.get("isExecutable", "true") != "false"]
    return runnable or processes


def in_processes(root: etree._Element, *tags: str) -> list[etree._Element]:
    """Elements with these tags inside the checked processes (see ``executable_processes``)."""
    found: list[etree._Element] = []
    for process in executable_processes(root):
        found.extend(process.iter(*(q(tag) for tag in tags)))
    return found
