"""Routed tasks (departmentField): the department chosen by case data, checked at deploy and when the task is
ready; and the city packages: ONESTOP_CITY, each package's organisation, the city's name on screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ESCALATION, ROOT, edit, read_flow

from engine.bpmn.validation import load_bundle
from engine.config import Settings, city_code
from engine.errors import DeploymentRefused, EngineError
from engine.people.assignment import assigned_department
from engine.people.organisation import Organisation

LIAOCHENG = Organisation.load(ROOT / "processes" / "liaocheng" / "organisation.yaml")
LIANYUNGANG = Organisation.load(ROOT / "processes" / "lianyungang" / "organisation.yaml")
ROUTED = {"departmentField": "responsible_unit"}


def test_a_task_without_the_property_keeps_its_lanes_department():
    assert assigned_department({}, {"responsible_unit": "hrss"}, "city_window", LIAOCHENG) == "city_window"


def test_a_routed_task_goes_to_the_department_its_field_names_by_code_or_chinese_name():
    assert assigned_department(ROUTED, {"responsible_unit": "tourism"}, None, LIANYUNGANG) == "tourism"
    assert assigned_department(ROUTED, {"responsible_unit": "市旅游局"}, "city_window", LIANYUNGANG) == "tourism"


@pytest.mark.parametrize(("data", "shown"), [({"responsible_unit": "tourism"}, "'tourism'"),
                                            ({}, "nothing"), ({"responsible_unit": 7}, "7")])
def test_a_field_that_names_no_department_of_the_city_is_an_engine_error_naming_field_and_value(data, shown):
    with pytest.raises(EngineError) as raised:  # Liaocheng has no tourism bureau
        assigned_department(ROUTED, data, None, LIAOCHENG, task="contact (联系人才)")
    assert "responsible_unit" in raised.value.message and shown in raised.value.message
    assert raised.value.task == "contact (联系人才)"


def routed_escalation(field: str = "responsible_unit", lane: str = "talent_office") -> dict[str, bytes]:
    files = read_flow(ESCALATION)
    files = edit(files, "escalation.bpmn", 'name="talent_office"', f'name="{lane}"')
    form = '<spiffworkflow:property name="formJsonSchemaFilename" value="supervise.json"'
    return edit(files, "escalation.bpmn", form,
                f'<spiffworkflow:property name="departmentField" value="{field}" />\n          {form}')


def test_a_lane_that_is_no_department_is_accepted_when_its_tasks_are_routed():
    assert load_bundle(routed_escalation(lane="相关责任单位"), LIAOCHENG).key == "escalation_demo"


def test_a_lane_that_is_no_department_with_a_task_that_is_not_routed_is_refused():
    files = edit(read_flow(ESCALATION), "escalation.bpmn", 'name="talent_office"', 'name="相关责任单位"')
    with pytest.raises(DeploymentRefused) as refused:
        load_bundle(files, LIAOCHENG)
    assert any("相关责任单位" in d["message"] and "departmentField" in d["message"] for d in refused.value.details)


def test_a_department_field_that_is_not_a_field_name_is_refused_with_its_line():
    with pytest.raises(DeploymentRefused) as refused:
        load_bundle(routed_escalation(field="responsible unit!"), LIAOCHENG)
    [problem] = refused.value.details
    assert problem["file"] == "escalation.bpmn" and problem["line"] > 0
    assert "departmentField 'responsible unit!' is not a data field name" in problem["message"]


def test_onestop_city_picks_the_package_and_the_processes_dir_still_overrides(tmp_path: Path):
    default = Settings.from_env({})
    assert default.city == "liaocheng" and default.processes_dir.name == "liaocheng"
    chosen = Settings.from_env({"ONESTOP_CITY": "Lianyungang"})
    assert chosen.city == "lianyungang" and (chosen.processes_dir / "organisation.yaml").is_file()
    assert Settings.from_env({"ONESTOP_CITY": "lianyungang", "ONESTOP_PROCESSES_DIR": str(tmp_path)}) \
        .processes_dir == tmp_path
    with pytest.raises(ValueError, match="ONESTOP_CITY"):
        city_code("../etc")


def test_each_package_names_its_own_city_departments_and_districts():
    assert (LIAOCHENG.city.name, LIANYUNGANG.city.name) == ("聊城市", "连云港市")
    districts = {c.name for c in LIANYUNGANG.counties.values()}
    assert {"海州区", "连云区", "赣榆区", "东海县", "灌云县", "灌南县"} <= districts
    assert "东昌府区" not in {c.name for c in LIANYUNGANG.counties.values()}
    assert {"tourism", "civil_aviation", "railway_office", "public_security"} <= set(LIANYUNGANG.departments)
    assert {"org_dept", "health_care_office", "finance", "county_window"} <= set(LIAOCHENG.departments)
    assert "county_window" not in LIANYUNGANG.departments and "tourism" not in LIAOCHENG.departments
    assert LIAOCHENG.department_name("city_window") == "市“一站式”服务平台"
    assert LIAOCHENG.department_for_lane('市"一站式"服务平台') == "city_window"  # ASCII quotes name it too


@pytest.mark.parametrize(("city", "title"), [("liaocheng", "聊城市人才“一站式”服务平台"),
                                             ("lianyungang", "连云港市高层次人才一站式服务平台")])
def test_the_header_shows_the_served_citys_platform(client, city, title):
    page = client.get("/sign-in").get_data(as_text=True)
    assert f"<strong>{title}</strong>" in page
    other = "连云港" if city == "liaocheng" else "聊城"
    assert other not in page
