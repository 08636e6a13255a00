"""The append-only history of flows and cases, and the JSON form of the data it records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import insert

from engine.store.models import HistoryEntry, table_of
from engine.store.uow import UnitOfWork


def json_safe(value: Any) -> Any:
    """Task data as plain JSON (dates as ISO strings)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items() if not callable(v)}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def add_history(uow: UnitOfWork, *, instance_id: int | None, model_key: str | None, action: str, actor: str,
                now: datetime, task_id: int | None = None, task_name: str | None = None,
                details: dict[str, Any] | None = None) -> None:
    uow.session.execute(insert(table_of(HistoryEntry)), [{
        "instance_id": instance_id, "model_key": model_key, "action": action, "actor": actor, "at": now,
        "task_id": task_id, "task_name": task_name, "details": json_safe(details or {})}])
