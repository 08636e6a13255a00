"""Helpers of the integration tests: worker accounts with tokens, the payment diagram (a service task with an error
boundary, then a message catch event) deployed over the API, and short calls of the external-task API."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.people.identity import create_token, create_user
from engine.platform import Platform

DATA = Path(__file__).resolve().parent / "data" / "integration"
PAYMENT = DATA / "payment.bpmn"
TOPIC = "finance.payment"
CONFIRMED = "payment_confirmed"


def add_worker(platform: Platform, name: str, topics: list[str]) -> dict[str, str]:
    """A worker account with ``topics``; its API headers."""
    with platform.uow() as uow:
        create_user(name, "correct horse battery", role="worker", topics=topics, organisation=platform.organisation,
                    uow=uow, now=platform.now())
        token = create_token(name, uow=uow, now=platform.now())
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


def deploy(client: Any, headers: dict[str, str], files: dict[str, bytes]) -> Any:
    data = {"files": [(io.BytesIO(content), name) for name, content in files.items()]}
    response = client.post("/api/v1/process-models", data=data, headers=headers, content_type="multipart/form-data")
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


@dataclass
class Api:
    """The external-task API as a worker calls it."""

    client: Any

    def fetch(self, headers: dict[str, str], worker_id: str, topics: list[str] | None = None, max_tasks: int = 1,
              lock_seconds: int = 60) -> Any:
        return self.client.post("/api/v1/external-tasks/fetch-and-lock", headers=headers, json={
            "worker_id": worker_id, "topics": topics or [TOPIC], "max_tasks": max_tasks,
            "lock_seconds": lock_seconds})

    def complete(self, headers: dict[str, str], job: int, worker_id: str, result: Any) -> Any:
        return self.client.post(f"/api/v1/external-tasks/{job}/complete", headers=headers,
                                json={"worker_id": worker_id, "result": result})

    def fail(self, headers: dict[str, str], job: int, worker_id: str, message: str, retries: int,
             retry_seconds: int = 0) -> Any:
        return self.client.post(f"/api/v1/external-tasks/{job}/failure", headers=headers, json={
            "worker_id": worker_id, "message": message, "retries": retries, "retry_seconds": retry_seconds})

    def bpmn_error(self, headers: dict[str, str], job: int, worker_id: str, code: str, message: str = "") -> Any:
        return self.client.post(f"/api/v1/external-tasks/{job}/bpmn-error", headers=headers,
                                json={"worker_id": worker_id, "code": code, "message": message})

    def extend(self, headers: dict[str, str], job: int, worker_id: str, lock_seconds: int) -> Any:
        return self.client.post(f"/api/v1/external-tasks/{job}/extend-lock", headers=headers,
                                json={"worker_id": worker_id, "lock_seconds": lock_seconds})

    def message(self, headers: dict[str, str], body: dict[str, Any]) -> Any:
        return self.client.post("/api/v1/messages", headers=headers, json=body)

    def case(self, headers: dict[str, str], instance_id: int) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/process-instances/{instance_id}", headers=headers)
        assert response.status_code == 200
        return response.get_json()  # type: ignore[no-any-return]
