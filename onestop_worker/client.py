"""The OneStop external-task API as Python calls, over plain HTTP (standard library only, so the package can be
copied into any system's environment).

Errors::

    ApiError            the platform answered 4xx/5xx: ``status``, ``code``, ``message``
    └── LockLost        409: another worker holds the job (its lock expired and was taken), or it ended
    Unreachable         no answer at all (connection refused, timeout)
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

__all__ = ["ApiError", "Job", "LockLost", "OneStopClient", "Unreachable"]

MAX_ANSWER_BYTES = 8 * 2**20  # what the client reads of one answer of the platform


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class LockLost(ApiError):
    """409: the job is no longer this worker's (taken after its lock expired, answered, or its case moved on)."""


class Unreachable(Exception):
    """The platform did not answer (down, unreachable, or too slow)."""


@dataclass(frozen=True)
class Job:
    """A locked external task, as fetch-and-lock returns it."""

    id: int
    topic: str
    instance_id: int
    business_key: str | None
    parameters: dict[str, Any]
    retries: int | None
    lock_expires_at: str
    worker_id: str = ""

    @classmethod
    def of(cls, item: dict[str, Any]) -> Job:
        return cls(id=item["id"], topic=item["topic"], instance_id=item["instance_id"],
                   business_key=item.get("business_key"), parameters=dict(item.get("parameters") or {}),
                   retries=item.get("retries"), lock_expires_at=item.get("lock_expires_at", ""),
                   worker_id=item.get("worker_id", ""))


class OneStopClient:
    """Calls of /api/v1 with a worker account's bearer token (``onestop token create NAME``)."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url is the platform's address, http:// or https://")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 — the scheme is checked in __init__
            f"{self.base_url}/api/v1{path}", data=data, method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                     "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read(MAX_ANSWER_BYTES + 1)
            if len(raw) > MAX_ANSWER_BYTES:
                raise ApiError(response.status, "too_large", f"the answer is over {MAX_ANSWER_BYTES:,} bytes")
            try:
                return json.loads(raw or b"null")
            except ValueError:
                raise ApiError(response.status, "not_json", "the answer is not JSON: is the url the platform's?") \
                    from None
        except urllib.error.HTTPError as error:
            try:
                answer = json.loads(error.read(MAX_ANSWER_BYTES) or b"{}")
            except ValueError:
                answer = {}
            code, message = str(answer.get("error", "error")), str(answer.get("message", error.reason))
            raise (LockLost if error.code == 409 else ApiError)(error.code, code, message) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise Unreachable(f"{self.base_url}: {getattr(error, 'reason', error)}") from None

    def fetch_and_lock(self, worker_id: str, topics: list[str], *, max_tasks: int = 1, lock_seconds: int = 60,
                       wait_seconds: float = 0) -> list[Job]:
        """Lock due jobs; ``wait_seconds`` (at most 30): a long poll, the platform answers as soon as a job comes
        or after that long with ``[]``."""
        items = self.call("POST", "/external-tasks/fetch-and-lock", {
            "worker_id": worker_id, "topics": topics, "max_tasks": max_tasks, "lock_seconds": lock_seconds,
            "async_response_timeout": wait_seconds})
        return [Job.of(item) for item in items]

    def complete(self, job: int, worker_id: str, result: Any) -> Any:
        return self.call("POST", f"/external-tasks/{job}/complete", {"worker_id": worker_id, "result": result})

    def failure(self, job: int, worker_id: str, message: str, *, retries: int, retry_seconds: int = 0) -> Any:
        return self.call("POST", f"/external-tasks/{job}/failure", {
            "worker_id": worker_id, "message": message[:2000], "retries": retries, "retry_seconds": retry_seconds})

    def bpmn_error(self, job: int, worker_id: str, code: str, message: str = "") -> Any:
        return self.call("POST", f"/external-tasks/{job}/bpmn-error", {
            "worker_id": worker_id, "code": code, "message": message[:2000]})

    def extend_lock(self, job: int, worker_id: str, lock_seconds: int) -> Any:
        return self.call("POST", f"/external-tasks/{job}/extend-lock", {"worker_id": worker_id,
                                                                        "lock_seconds": lock_seconds})

    def send_message(self, name: str, *, instance_id: int | None = None, business_key: str | None = None,
                     correlation: dict[str, Any] | None = None, data: dict[str, Any] | None = None) -> list[int]:
        body: dict[str, Any] = {"name": name, "data": data or {}}
        for key, value in (("instance_id", instance_id), ("business_key", business_key),
                           ("correlation", correlation)):
            if value is not None:
                body[key] = value
        return list(self.call("POST", "/messages", body)["instance_ids"])

    def send_signal(self, name: str, data: dict[str, Any] | None = None) -> list[int]:
        return list(self.call("POST", "/signals", {"name": name, "data": data or {}})["instance_ids"])
