"""Personal data: ID and mobile numbers masked in lists, searches, exports and logs; every opening of a case's
documents recorded and shown to administrators."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from web.webkit import PDF, sign_in

from engine.people.privacy import mask_personal_data, mask_text

from .conftest import World

ID_NUMBER, MASKED_ID = "371502198805123015", "3715**********3015"
PHONE, MASKED_PHONE = "13806351234", "138****1234"


@pytest.mark.parametrize(("text", "masked"), [
    (ID_NUMBER, MASKED_ID), ("37150219880512301X", "3715**********301X"), (PHONE, MASKED_PHONE),
    (f"张三，身份证{ID_NUMBER}，电话{PHONE}。", f"张三，身份证{MASKED_ID}，电话{MASKED_PHONE}。"),
    ("+8613806351234", "+86138****1234"), ("订单1234567890123456789012", "订单1234567890123456789012"),
    ("2026-09-30T10:00:00+08:00", "2026-09-30T10:00:00+08:00"), ("第12345678901号", "第12345678901号"),
])
def test_numbers_are_masked_and_other_digits_left_alone(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_nested_values_are_masked() -> None:
    assert mask_personal_data({"a": [ID_NUMBER, 1, {"b": PHONE}]}) == {"a": [MASKED_ID, 1, {"b": MASKED_PHONE}]}


@pytest.fixture
def case_with_numbers(world: World) -> dict[str, Any]:
    """A case whose applicant typed their ID and mobile numbers into the name, and used the ID as the key."""
    case = world.flow.start(world.health_card, {"applicant_name": f"张三 {ID_NUMBER} {PHONE}",
                                                "talent_category": "顶尖人才", "county": "dongchangfu",
                                                "employer": "聊城大学"})
    with world.platform.uow() as uow:
        from engine.store.models import ProcessInstance
        row = uow.session.get(ProcessInstance, case)
        assert row is not None
        row.business_key = ID_NUMBER
        uow.commit()
    return {"instance": case}


def test_lists_searches_and_exports_show_masked_numbers(web_app: Any, people: Any, world: World,
                                                         case_with_numbers: dict[str, Any]) -> None:
    client = web_app.test_client()
    search = client.get("/api/v1/admin/instances", headers=people.headers("admin")).get_json()
    [item] = [i for i in search["items"] if i["id"] == case_with_numbers["instance"]]
    assert item["business_key"] == MASKED_ID and MASKED_PHONE in item["applicant"]
    for path in ("/api/v1/admin/instances", "/api/v1/admin/overdue.csv", "/api/v1/admin/dashboard/departments.csv"):
        body = client.get(path, headers=people.headers("admin")).get_data(as_text=True)
        assert ID_NUMBER not in body and PHONE not in body, path
    staff = web_app.test_client()
    sign_in(staff, "win_dcf")
    rows = staff.get("/tasks?view=all").get_data(as_text=True) + staff.get("/tasks").get_data(as_text=True)
    assert ID_NUMBER not in rows and PHONE not in rows
    admin = web_app.test_client()
    sign_in(admin, "admin")
    for path in ("/tasks?view=all", "/console/instances", "/console/overdue", "/console/supervision/overdue.csv"):
        body = admin.get(path).get_data(as_text=True)
        assert ID_NUMBER not in body and PHONE not in body, path


def test_a_failing_request_logs_the_numbers_masked(client: Any, people: Any, world: World,
                                                   caplog: pytest.LogCaptureFixture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    target = world.county_case()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"could not file the case of {ID_NUMBER} (phone {PHONE})")

    monkeypatch.setattr("tasks.service.complete_task", broken)
    with caplog.at_level(logging.INFO):
        response = client.post(f"/api/v1/tasks/{target['task']}/complete", headers=people.headers("win_dcf"),
                               json={"data": {"county_decision": "转报市平台", "id_number": ID_NUMBER}})
        logging.getLogger("engine.cases.scheduler").warning("timer of case with %s failed", ID_NUMBER)
    assert response.status_code == 500
    assert ID_NUMBER not in response.get_data(as_text=True)
    assert ID_NUMBER not in caplog.text and PHONE not in caplog.text
    assert MASKED_ID in caplog.text and MASKED_PHONE in caplog.text and "RuntimeError" in caplog.text


def test_every_opening_of_a_document_is_recorded_for_administrators(web_app: Any, people: Any, world: World,
                                                                    clock: Any) -> None:
    target = world.county_case()
    for user in ("applicant", "win_dcf", "applicant"):
        client = web_app.test_client()
        sign_in(client, user)
        assert client.get(f"/attachments/{target['attachment']}").data == PDF
    outsider = web_app.test_client()
    sign_in(outsider, "win_lq")
    assert outsider.get(f"/attachments/{target['attachment']}").status_code == 404  # refused: not recorded
    api = web_app.test_client()
    views = api.get(f"/api/v1/admin/instances/{target['instance']}/document-views",
                    headers=people.headers("admin")).get_json()["views"]
    assert [(v["username"], v["attachment_id"], v["filename"]) for v in views] == [
        ("applicant", target["attachment"], "rencai.pdf"), ("win_dcf", target["attachment"], "rencai.pdf"),
        ("applicant", target["attachment"], "rencai.pdf")]
    assert views[0]["viewed_at"].startswith("2026-09-30")
    for user in ("win_dcf", "applicant", "designer"):
        assert api.get(f"/api/v1/admin/instances/{target['instance']}/document-views",
                       headers=people.headers(user)).status_code == 403
