"""Fixtures of the web tests: the app without CSRF (one test turns it on), signed-in clients, the health card."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .webkit import compile_catalogues, deploy_files, health_card_files, sign_in

START = {"applicant_name": "张三", "talent_category": "顶尖人才", "county": "dongchangfu", "employer": "聊城大学"}
MATERIALS = {
    "id_number": "371502198805123015", "certification_proof": "rencai.pdf", "approval_form": "shenpibiao.pdf",
    "id_card_copy": "shenfenzheng.pdf", "photo": "张三.jpg", "photo_confirmed": True, "contact_phone": "13806351234",
}
FORWARD = {"county_decision": "转报市平台", "county_opinion": "四项材料齐全"}


@pytest.fixture(scope="session", autouse=True)
def catalogues() -> None:
    compile_catalogues()


@pytest.fixture
def web_app(platform: Any, people: Any) -> Any:
    from ui import create_app

    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, platform=platform)


@pytest.fixture
def client_for(web_app: Any) -> Callable[[str], Any]:
    """A test client signed in as the given user."""

    def signed_in(username: str) -> Any:
        client = web_app.test_client()
        response = sign_in(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return signed_in


@pytest.fixture
def health_card(platform: Any, people: Any) -> str:
    """The health-card flow with its materials as uploads (a UI schema added; the JSON Schema unchanged)."""
    return deploy_files(platform, health_card_files(uploads=True))


@pytest.fixture
def start_case(flow: Any, health_card: str) -> Callable[..., int]:
    def start(who: str = "applicant", **data: Any) -> int:
        return flow.start(health_card, {**START, **data}, who=who)

    return start


@pytest.fixture
def county_case(flow: Any, start_case: Callable[..., int]) -> int:
    """A health-card case whose materials are in: the county check is open at the Dongchangfu window."""
    case = start_case()
    flow.complete("applicant", "submit_materials", MATERIALS, case)
    return case


def open_task(flow: Any, case: int, name: str) -> dict[str, Any]:
    [task] = [t for t in flow.view(case)["tasks"] if t["name"] == name and t["state"] in ("open", "claimed")]
    return task
