"""Which department a user task goes to: its lane's, or — for a task routed by case data — the department named
in a data field (动态确定承办部门).

The BPMN convention (README, "Designing flows"; docs/flows.md): a user or manual task may carry

    <spiffworkflow:property name="departmentField" value="responsible_unit"/>

naming the task-data field that holds the department's code (or its Chinese name) when the task becomes ready —
typically the output of a DMN routing table. The task then belongs to that department: its task list, its
deadline figures in 督办, and who may claim and complete it follow the chosen department, not the lane. Such a
task may sit in a department's lane or in a lane that is not a department (e.g. 相关责任单位) when every task in
that lane is routed this way. At deploy the field must be a plain data-field name; at run time its value must be
a department of organisation.yaml, else the case goes to error naming the task, the field and the value."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from engine.errors import EngineError
from engine.people.organisation import Organisation

DEPARTMENT_FIELD = "departmentField"
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def assigned_department(properties: Mapping[str, Any], task_data: Mapping[str, Any], lane_department: str | None,
                        organisation: Organisation, *, task: str = "") -> str | None:
    """The department code a READY user task belongs to: the one its ``departmentField`` names in the task data,
    else its lane's. Raises EngineError (the case goes to error) when the field names no department."""
    field = str(properties.get(DEPARTMENT_FIELD) or "").strip()
    if not field:
        return lane_department
    value = task_data.get(field)
    code = organisation.department_for_lane(value) if isinstance(value, str) else None
    if code is None:
        where = f"task '{task}'" if task else "a task"
        shown = "nothing" if field not in task_data else repr(value)
        raise EngineError(f"{where} goes to the department named in the data field '{field}', which holds "
                          f"{shown}: not a department code or name of organisation.yaml (known: "
                          f"{', '.join(sorted(organisation.departments))})", task=task or None)
    return code


def routed(properties: Mapping[str, Any]) -> bool:
    return bool(str(properties.get(DEPARTMENT_FIELD) or "").strip())


def field_problems(properties: Iterable[tuple[str | None, str | None, int | None]]) -> list[tuple[int, str]]:
    """Deploy-time check of a task's ``departmentField`` values: (line, message) per bad one."""
    problems = []
    for name, value, line in properties:
        if name != DEPARTMENT_FIELD:
            continue
        if not _FIELD_NAME.match((value or "").strip()):
            problems.append((line or 0, f"{DEPARTMENT_FIELD} {value!r} is not a data field name (letters, digits "
                                        "and _; e.g. responsible_unit)"))
    return problems
