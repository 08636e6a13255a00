"""政策条款对照表: every article of the served city's policy text with the deployed flow elements that implement it
(their ``policyArticle`` property), the scenario tests that exercise it, and why an article nothing implements is
left out — for the designers' page and the auditors' CSV.

The articles and the reasons come from the city package's ``policy.yaml``; the tests from its
``policy_tests.json``, written by ``scripts/policy_index.py`` from the ``@pytest.mark.policy(...)`` markers of the
scenario tests (tests/test_policy_traceability.py keeps it current)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from lxml import etree
from sqlalchemy import func, select

from engine.bpmn.parsing import parse_xml
from engine.errors import InvalidInput
from engine.store.models import ProcessModel
from engine.store.uow import UnitOfWork

POLICY_FILE = "policy.yaml"
TESTS_FILE = "policy_tests.json"
ARTICLE_PROPERTY = "policyArticle"
SOURCE_PROPERTY = "policySource"
_DMN_CITATION = re.compile(r"policyArticle=(\S+)")  # a DMN decision's description starts "policyArticle=A;B source=…"
_KINDS = {"process": "流程", "userTask": "人工任务", "scriptTask": "脚本任务", "businessRuleTask": "决策任务",
          "callActivity": "调用活动", "exclusiveGateway": "排他网关", "inclusiveGateway": "包容网关",
          "parallelGateway": "并行网关", "startEvent": "开始事件", "endEvent": "结束事件",
          "boundaryEvent": "边界事件", "intermediateCatchEvent": "中间事件", "sequenceFlow": "顺序流",
          "decision": "决策表"}


@dataclass(frozen=True)
class Article:
    id: str
    text: str
    not_implemented: str = ""


@dataclass(frozen=True)
class Implementation:
    flow: str
    version: int
    element: str
    name: str
    kind: str


@dataclass
class PolicyRow:
    article: Article
    elements: list[Implementation] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "已实现" if self.elements else "未实现"

    def as_dict(self) -> dict[str, Any]:
        return {"article": self.article.id, "text": self.article.text, "status": self.status,
                "reason": self.article.not_implemented if not self.elements else "",
                "elements": [e.__dict__ for e in self.elements], "tests": list(self.tests)}


def split_articles(value: str | None) -> list[str]:
    """The article ids a ``policyArticle`` value names (separated by ';')."""
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def load_articles(package: Path) -> tuple[str, list[Article]]:
    """(seed file name, articles in the text's order) from the package's policy.yaml."""
    path = package / POLICY_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        articles = [Article(str(a["id"]), str(a.get("text", "")), str(a.get("not_implemented", "") or ""))
                    for a in raw.get("articles") or []]
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as error:
        raise InvalidInput(f"{path}: cannot read the policy articles: {error}") from error
    return str(raw.get("source", "")), articles


def load_tests(package: Path) -> dict[str, list[str]]:
    """Article id -> the scenario tests that exercise it (policy_tests.json; empty when there is none)."""
    path = package / TESTS_FILE
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidInput(f"{path}: cannot read the scenario-test index: {error}") from error
    return {str(article): [str(t) for t in tests] for article, tests in (raw.get("articles") or {}).items()}


def cited_elements(flow: str, version: int, files: Iterable[tuple[str, bytes]]) -> list[tuple[str, Implementation]]:
    """(article id, element) for every element of a flow's files that names an article: BPMN elements by their
    ``policyArticle`` property, DMN decisions by the citation their description starts with."""
    found: list[tuple[str, Implementation]] = []
    for name, content in files:
        if not name.endswith((".bpmn", ".dmn")):
            continue
        root = parse_xml(content)
        if name.endswith(".dmn"):
            for decision in root.iter("{*}decision"):
                description = decision.find("{*}description")
                match = _DMN_CITATION.match((description.text or "").strip()) if description is not None else None
                for article in split_articles(match.group(1) if match else ""):
                    found.append((article, Implementation(flow, version, str(decision.get("id")),
                                                          str(decision.get("name") or ""), _KINDS["decision"])))
            continue
        for prop in root.iter("{*}property"):
            if prop.get("name") != ARTICLE_PROPERTY:
                continue
            owner = next((e for e in prop.iterancestors() if e.get("id") and etree.QName(e).localname
                          not in ("properties", "extensionElements")), None)
            if owner is None:
                continue
            kind = etree.QName(owner).localname
            for article in split_articles(prop.get("value")):
                found.append((article, Implementation(flow, version, str(owner.get("id")),
                                                      str(owner.get("name") or ""), _KINDS.get(kind, kind))))
    return found


def _latest_models(uow: UnitOfWork) -> list[ProcessModel]:
    newest = select(ProcessModel.key, func.max(ProcessModel.version).label("version")) \
        .group_by(ProcessModel.key).subquery()
    return list(uow.session.scalars(select(ProcessModel).join(
        newest, (ProcessModel.key == newest.c.key) & (ProcessModel.version == newest.c.version))
        .order_by(ProcessModel.key)).all())


def policy_table(*, uow: UnitOfWork) -> dict[str, Any]:
    """Every article of the served city's policy with what implements and tests it (the latest deployed versions)."""
    package = uow.platform.settings.processes_dir
    source, articles = load_articles(package)
    tests = load_tests(package)
    rows = {a.id: PolicyRow(a, tests=tests.get(a.id, [])) for a in articles}
    unknown: list[dict[str, Any]] = []
    for model in _latest_models(uow):
        for article, element in cited_elements(model.key, model.version,
                                               ((f.filename, f.content) for f in model.files)):
            if article in rows:
                rows[article].elements.append(element)
            else:
                unknown.append({"article": article, **element.__dict__})
    table = [row.as_dict() for row in rows.values()]
    return {"city": uow.platform.organisation.city.name, "source": source, "articles": table,
            "implemented": sum(1 for row in table if row["status"] == "已实现"),
            "not_implemented": sum(1 for row in table if row["status"] == "未实现"),
            "unknown_citations": unknown}


CSV_COLUMNS = [("article", "条款"), ("text", "条款内容"), ("status", "实现情况"), ("elements", "实现的流程元素"),
               ("tests", "场景测试"), ("reason", "未实现的理由")]


def csv_rows(table: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per article, elements and tests joined for a spreadsheet."""
    return [{**row, "elements": "；".join(f"{e['flow']} v{e['version']} {e['element']}（{e['name']}，{e['kind']}）"
                                         for e in row["elements"]),
             "tests": "；".join(row["tests"])} for row in table["articles"]]
