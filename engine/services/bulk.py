"""Bulk actions on the cases a console search found (suspend, resume, retry, migrate), with one reason: each case
in its own unit of work, and an answer per case — done, or refused and why. One action takes at most
MAX_BULK_CASES cases; a larger selection is refused whole, so nobody acts on more than they looked at."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from engine.cases import instances
from engine.cases.migration import migrate_case
from engine.errors import Conflict, EngineError, InvalidInput, NotFound, OneStopError, PermissionDenied
from engine.people.identity import Actor
from engine.store.models import ProcessInstance

#: Cases one bulk action acts on (each is its own transaction, one after the other).
MAX_BULK_CASES = 200
BULK_ACTIONS = ("suspend", "resume", "retry", "migrate")
MAX_REASON_CHARS = 2000


def check_request(action: Any, ids: Any, reason: Any, *, actor: Actor) -> tuple[str, list[int], str]:
    """The action, the case ids and the reason, checked: 403 for a non-administrator, 422 otherwise."""
    if not actor.is_admin:
        raise PermissionDenied("only administrators act on cases in bulk")
    problems = []
    if action not in BULK_ACTIONS:
        problems.append({"field": "action", "message": " | ".join(BULK_ACTIONS), "message_zh": "请选择批量操作"})
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON_CHARS:
        problems.append({"field": "reason", "message": "required text: it goes into each case's history",
                         "message_zh": "请填写原因（不超过2000字），它将记入每个案件的办理记录"})
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        problems.append({"field": "ids", "message": "one or more case ids", "message_zh": "没有选中任何案件"})
    elif len(set(ids)) > MAX_BULK_CASES:
        problems.append({"field": "ids", "message": f"{len(set(ids))} cases; one bulk action takes at most "
                                                   f"{MAX_BULK_CASES}: narrow the search",
                         "message_zh": f"选中 {len(set(ids))} 件，一次最多 {MAX_BULK_CASES} 件：请缩小筛选范围"})
    if problems:
        raise InvalidInput("the bulk action cannot be done as asked", details=problems)
    return str(action), list(dict.fromkeys(ids)), str(reason).strip()


def _one(action: str, case_id: int, reason: str, actor: Actor, now: datetime, to_version: int | None,
         mapping: Mapping[str, str]) -> Callable[[Any], dict[str, Any]]:
    def run(uow: Any) -> dict[str, Any]:
        if action == "migrate":
            if to_version is None:
                raise InvalidInput("choose the version to migrate to")
            return migrate_case(case_id, to_version, mapping=mapping, reason=reason, actor=actor, uow=uow, now=now)
        handler = {"suspend": instances.suspend_instance, "resume": instances.resume_instance,
                   "retry": instances.retry_instance}[action]
        return handler(case_id, reason=reason, actor=actor, uow=uow, now=now)
    return run


def bulk_action(platform: Any, action: Any, ids: Any, *, reason: Any, actor: Actor, now: datetime,
                to_version: int | None = None, mapping: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Do ``action`` to each case, one transaction per case; a case that cannot be done is reported with why and
    the others go on. A retry that fails again is reported refused, with the new error."""
    action, case_ids, reason = check_request(action, ids, reason, actor=actor)
    results: list[dict[str, Any]] = []
    for case_id in case_ids:
        runs_diagram = action in ("retry", "migrate")
        try:
            with platform.uow(optimistic=runs_diagram) as uow:
                outcome = _one(action, case_id, reason, actor, now, to_version, dict(mapping or {}))(uow)
                uow.commit()
        except (Conflict, NotFound, InvalidInput, EngineError, PermissionDenied) as error:
            results.append({"id": case_id, "outcome": "refused", "reason": error.message,
                            "reason_zh": next((d.get("message_zh") for d in error.details
                                               if isinstance(d, dict) and d.get("message_zh")), None)})
            continue
        except OneStopError as error:  # anything else the service layer refuses: reported, the others go on
            results.append({"id": case_id, "outcome": "refused", "reason": error.message, "reason_zh": None})
            continue
        if action == "retry" and outcome.get("status") == "error":
            with platform.uow(write=False) as uow:
                message = uow.session.get(ProcessInstance, case_id).error_message
            results.append({"id": case_id, "outcome": "refused", "status": "error", "reason_zh": None,
                            "reason": f"retried, and it failed again: {message}"})
        else:
            results.append({"id": case_id, "outcome": "done", "status": outcome.get("status")})
    done = sum(1 for r in results if r["outcome"] == "done")
    return {"action": action, "reason": reason, "to_version": to_version, "results": results, "done": done,
            "refused": len(results) - done}
