"""Writes processes/<city>/policy_tests.json: which scenario tests exercise which article of the city's policy text.

A scenario test names the articles it checks with a marker, e.g.

    @pytest.mark.policy("医疗细则第六条", "平台办法第四条")
    def test_a_city_review_past_five_working_days_goes_to_the_talent_office(...): ...

(article ids as in processes/<city>/policy.yaml). This script reads the markers from the test files' syntax trees
(it does not run them) and writes, per city, every article of that city's policy.yaml with the tests that name it.
The designers' 政策条款对照表 (/designer/policy) reads the file; tests/test_policy_traceability.py fails when it is
stale. Run after changing a scenario test's markers: .venv/bin/python scripts/policy_index.py
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
TESTS = ROOT / "tests"


def _policy_marks(function: ast.FunctionDef) -> list[str]:
    found: list[str] = []
    for decorator in function.decorator_list:
        if not isinstance(decorator, ast.Call):
            continue
        target = decorator.func
        if isinstance(target, ast.Attribute) and target.attr == "policy" and \
                isinstance(target.value, ast.Attribute) and target.value.attr == "mark":
            found += [arg.value for arg in decorator.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
    return found


def marked_tests(tests: Path = TESTS) -> dict[str, list[str]]:
    """Article id -> test node ids (tests/...py::test_name) that name it, over every test file."""
    found: dict[str, list[str]] = {}
    for path in sorted(tests.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                node_id = f"{path.relative_to(tests.parent).as_posix()}::{node.name}"
                for article in _policy_marks(node):
                    found.setdefault(article, []).append(node_id)
    return found


def city_index(package: Path, marks: dict[str, list[str]]) -> dict[str, object]:
    raw = yaml.safe_load((package / "policy.yaml").read_text(encoding="utf-8"))
    ids = [str(a["id"]) for a in raw["articles"]]
    return {"generated_by": "scripts/policy_index.py", "source": raw["source"],
            "articles": {article: sorted(set(marks.get(article, []))) for article in ids}}


def indexes() -> dict[Path, dict[str, object]]:
    marks = marked_tests()
    return {package / "policy_tests.json": city_index(package, marks)
            for package in sorted(PROCESSES.iterdir()) if (package / "policy.yaml").is_file()}


def render(index: dict[str, object]) -> str:
    return json.dumps(index, ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    for target, index in indexes().items():
        target.write_text(render(index), encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")
    sys.exit(0)
