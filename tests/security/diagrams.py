"""Diagrams for the security tests: the escalation example with its script, condition and timer replaced."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

FOLDER = Path(__file__).resolve().parents[1] / "data" / "escalation"
SCRIPT = "amount = 1000 * months if approved else 0"
CONDITION = "approved and amount &gt; 0"
TIMER = "working_days(3)"


def escalation_files(*, key: str = "escalation_demo", script: str | None = None, condition: str | None = None,
                     timer: str | None = None, instructions: str | None = None,
                     name: str | None = None) -> dict[str, bytes]:
    """The escalation example's files; given texts (plain, escaped here) replace its parts."""
    files = {p.name: p.read_bytes() for p in sorted(FOLDER.iterdir())}
    bpmn = files["escalation.bpmn"].decode()
    for old, new in ((SCRIPT, script), (CONDITION, condition), (TIMER, timer),
                     ("请核对 {{ applicant }} 的材料", instructions), ('name="县级窗口受理"', name)):
        if new is not None:
            assert bpmn.count(old) == 1, old
            bpmn = bpmn.replace(old, new if old.startswith("name=") else escape(new))
    files["escalation.bpmn"] = bpmn.replace("escalation_demo", key).encode()
    return files
