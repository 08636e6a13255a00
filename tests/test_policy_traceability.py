"""The 政策条款对照表 stays complete: every article of each city's policy text is listed in its policy.yaml; every
article an element cites is listed, implemented and exercised by a scenario test; every article a test names is
implemented by an element of that city; an article nothing implements says why; the test index is current; and the
designers' page and CSV show all of it."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from engine.services.policy import cited_elements, load_articles, load_tests

PROCESSES = ROOT / "processes"
CITIES = sorted(p.name for p in PROCESSES.iterdir() if (p / "policy.yaml").is_file())
NUMERALS = "一二三四五六七八九十"
LIAOCHENG_DOCUMENTS = {"一": "平台办法", "二": "金卡办法", "三": "补贴细则", "四": "医疗细则"}


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("policy_index", ROOT / "scripts" / "policy_index.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def package_citations(city: str) -> dict[str, list[str]]:
    """Article id -> 'flow/element' of every element of the city's package files that cites it."""
    found: dict[str, list[str]] = {}
    for folder in sorted(p for p in (PROCESSES / city).iterdir() if p.is_dir()):
        files = [(p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.suffix in (".bpmn", ".dmn")]
        for article, element in cited_elements(folder.name, 0, files):
            found.setdefault(article, []).append(f"{folder.name}/{element.element}")
    return found


def seed_articles(city: str) -> set[str]:
    """The article and item ids the seed text itself has (docs/policies/<seed>), written as policy.yaml writes them."""
    source, _articles = load_articles(PROCESSES / city)
    text = (ROOT / "docs" / "policies" / source).read_text(encoding="utf-8")
    ids: set[str] = set()
    document = "服务办法"
    article = item_id = ""
    for raw in text.splitlines():
        line = raw.strip().replace("(", "（").replace(")", "）")
        heading = re.match(r"^###\s*([一二三四])、", line)
        if heading and city == "liaocheng":
            document = LIAOCHENG_DOCUMENTS[heading.group(1)]
            continue
        found = re.match(r"^(第[一二三四五六七八九十]+条)", line)
        if found:
            article, item_id = found.group(1), ""
            ids.add(f"{document}{article}")
            continue
        item = re.match(r"^（([一二三四五六七八九十]+)）", line)
        if item and article:
            item_id = f"{document}{article}（{item.group(1)}）"
            ids.add(item_id)
            continue
        numbered = re.match(r"^(\d)\.", line)
        if numbered and item_id:
            ids.add(f"{item_id}{numbered.group(1)}")
    return ids


@pytest.mark.parametrize("city", CITIES)
def test_policy_yaml_lists_every_article_and_item_of_the_seed(city):
    listed = [a.id for a in load_articles(PROCESSES / city)[1]]
    assert len(listed) == len(set(listed)), "an article listed twice"
    missing = []
    for article in sorted(seed_articles(city)):
        whole = article.split("（")[0]  # an article listed as a whole covers its items when none is listed apart
        covered = article in listed or any(i.startswith(article) for i in listed) or \
            (whole in listed and not any(i.startswith(whole + "（") for i in listed))
        if not covered:
            missing.append(article)
    assert not missing, f"articles of the seed text missing from processes/{city}/policy.yaml: {missing}"
    assert len(listed) >= {"liaocheng": 35, "lianyungang": 28}[city]


@pytest.mark.parametrize("city", CITIES)
def test_cited_articles_exist_are_implemented_and_tested_and_tested_articles_are_implemented(city):
    articles = {a.id: a for a in load_articles(PROCESSES / city)[1]}
    cited = package_citations(city)
    tests = load_tests(PROCESSES / city)
    unknown = {article: where for article, where in cited.items() if article not in articles}
    assert not unknown, f"elements cite articles processes/{city}/policy.yaml does not list: {unknown}"
    untested = sorted(article for article in cited if not tests.get(article))
    assert not untested, f"articles implemented by an element but exercised by no scenario test: {untested}"
    tested_only = sorted(article for article, names in tests.items() if names and article not in cited)
    assert not tested_only, f"tests name articles that no element of {city} implements: {tested_only}"
    for article in articles.values():
        if article.id in cited:
            assert not article.not_implemented, f"{article.id} is implemented but says it is not"
        else:
            assert article.not_implemented.strip(), f"{article.id}: nothing implements it and no reason is given"


def test_the_scenario_test_index_is_current():
    script = _script()
    stale = [str(path.relative_to(ROOT)) for path, index in script.indexes().items()
             if not path.is_file() or path.read_text(encoding="utf-8") != script.render(index)]
    assert not stale, f"stale {stale}: run .venv/bin/python scripts/policy_index.py"


def test_a_marker_naming_another_citys_article_is_caught(tmp_path: Path):
    """The check itself: a test that names an article of no element is reported."""
    script = _script()
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_x.py").write_text('import pytest\n\n@pytest.mark.policy("医疗细则第二条", "服务办法第七条")\n'
                                     "def test_x():\n    pass\n", encoding="utf-8")
    marks = script.marked_tests(tests)
    assert marks == {"医疗细则第二条": ["tests/test_x.py::test_x"], "服务办法第七条": ["tests/test_x.py::test_x"]}
    index = script.city_index(PROCESSES / "liaocheng", marks)
    assert index["articles"]["医疗细则第二条"] == ["tests/test_x.py::test_x"]
    assert "服务办法第七条" not in index["articles"]


def test_the_designers_page_and_csv_list_every_article_with_elements_tests_and_reasons(platform, people, flow,
                                                                                       app):
    for name in ("health_card", "gold_card", "subsidy", "spouse_placement", "one_stop_intake"):
        flow.deploy_folder(name)
    client = app.test_client()
    from web.webkit import sign_in  # noqa: PLC0415 — the web tests' helper

    assert client.get("/designer/policy").status_code in (302, 401)
    sign_in(client, "designer")
    page = client.get("/designer/policy")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    articles = load_articles(PROCESSES / "liaocheng")[1]
    assert html.count('<th scope="row">') == len(articles)
    assert "医疗细则第六条" in html and "city_review_deadline" in html
    assert "test_a_city_review_past_five_working_days_goes_to_the_talent_office" in html
    assert "人才公寓的规划建设是市住建局的行政工作" in html  # the reason an article is not implemented
    csv = client.get("/designer/policy.csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("条款,条款内容,实现情况") and len(lines) >= len(articles) + 1
    staff = app.test_client()
    sign_in(staff, "hrss1")
    assert staff.get("/designer/policy").status_code == 403
