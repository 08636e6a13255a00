"""Helpers of the integration tests: worker accounts with tokens, the payment diagram (a service task with an error
boundary, then a message catch event) deployed over the API, and short calls of the external-task API."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from hostile import diagram, script_task, user_task

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


# --- small diagrams of messages and signals between cases (tests/hostile.py lays them out, with DI) --------------

def _message_event(kind: str, node_id: str, message: str, *, payload: str = "", variable: str = "",
                   attrs: str = "") -> str:
    inner = ""
    if payload or variable:
        inner = "<bpmn:extensionElements>" + (
            f"<spiffworkflow:messagePayload>{escape(payload)}</spiffworkflow:messagePayload>" if payload else "") + (
            f"<spiffworkflow:messageVariable>{variable}</spiffworkflow:messageVariable>" if variable else "") + \
            "</bpmn:extensionElements>"
    return (f'<bpmn:{kind} id="{node_id}" name="{node_id}"{attrs}><bpmn:messageEventDefinition id="{node_id}_def" '
            f'messageRef="Message_{message}">{inner}</bpmn:messageEventDefinition></bpmn:{kind}>')


def _signal_event(kind: str, node_id: str, signal: str) -> str:
    return (f'<bpmn:{kind} id="{node_id}" name="{node_id}"><bpmn:signalEventDefinition id="{node_id}_def" '
            f'signalRef="Signal_{signal}" /></bpmn:{kind}>')


CARD_ROOTS = ('<bpmn:message id="Message_apply_card" name="apply_card" />'
              '<bpmn:message id="Message_card_decision" name="card_decision" />'
              '<bpmn:correlationProperty id="ref" name="ref">'
              '<bpmn:correlationPropertyRetrievalExpression messageRef="Message_apply_card">'
              '<bpmn:messagePath>ref</bpmn:messagePath></bpmn:correlationPropertyRetrievalExpression>'
              '<bpmn:correlationPropertyRetrievalExpression messageRef="Message_card_decision">'
              '<bpmn:messagePath>ref</bpmn:messagePath></bpmn:correlationPropertyRetrievalExpression>'
              '</bpmn:correlationProperty>')


def sender_files() -> dict[str, bytes]:
    """``sender``: sends apply_card (correlated by ``ref``), then waits for the card_decision with its ref."""
    nodes = ['<bpmn:startEvent id="start" name="开始" />',
             script_task("prepare", 'ref = f"R-{applicant}"'),
             _message_event("intermediateThrowEvent", "apply", "apply_card",
                            payload='{"ref": ref, "applicant": applicant}'),
             _message_event("intermediateCatchEvent", "decision", "card_decision", variable="decision"),
             '<bpmn:endEvent id="end" name="结束" />']
    return diagram("sender", nodes, [("start", "prepare", None), ("prepare", "apply", None),
                                     ("apply", "decision", None), ("decision", "end", None)], roots=CARD_ROOTS)


def receiver_files() -> dict[str, bytes]:
    """``receiver``: started by apply_card (or by hand), reviewed at the city window, then answers card_decision."""
    nodes = [_message_event("startEvent", "by_message", "apply_card"),
             '<bpmn:startEvent id="by_hand" name="窗口受理" />',
             user_task("review"),
             script_task("decide", 'approved = note != "no"'),
             _message_event("endEvent", "answer", "card_decision", payload='{"ref": ref, "approved": approved}')]
    return diagram("receiver", nodes, [("by_message", "review", None), ("by_hand", "review", None),
                                       ("review", "decide", None), ("decide", "answer", None)], roots=CARD_ROOTS)


SIGNAL_ROOTS = '<bpmn:signal id="Signal_policy_changed" name="policy_changed" />'


def listener_files() -> dict[str, bytes]:
    """``listener``: waits for the policy_changed signal."""
    nodes = ['<bpmn:startEvent id="start" name="开始" />', _signal_event("intermediateCatchEvent", "heard",
                                                                       "policy_changed"),
             '<bpmn:endEvent id="end" name="结束" />']
    return diagram("listener", nodes, [("start", "heard", None), ("heard", "end", None)], roots=SIGNAL_ROOTS)


def broadcaster_files() -> dict[str, bytes]:
    """``broadcaster``: throws policy_changed and waits for the city window."""
    nodes = ['<bpmn:startEvent id="start" name="开始" />', _signal_event("intermediateThrowEvent", "announce",
                                                                       "policy_changed"),
             user_task("wait"), '<bpmn:endEvent id="end" name="结束" />']
    return diagram("broadcaster", nodes, [("start", "announce", None), ("announce", "wait", None),
                                          ("wait", "end", None)], roots=SIGNAL_ROOTS)


WAITER_ROOTS = ('<bpmn:message id="Message_go" name="go" /><bpmn:message id="Message_receipt" name="receipt" />'
                '<bpmn:message id="Message_withdraw" name="withdraw" />')


def waiter_files() -> dict[str, bytes]:
    """``waiter``: an event-based gateway (message go, or a day), a receive task (receipt), then a task a message
    boundary event (withdraw) interrupts."""
    nodes = ['<bpmn:startEvent id="start" name="开始" />',
             '<bpmn:eventBasedGateway id="choose" name="等待" />',
             _message_event("intermediateCatchEvent", "go", "go"),
             '<bpmn:intermediateCatchEvent id="day" name="一天"><bpmn:timerEventDefinition id="day_def">'
             '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P1D"</bpmn:timeDuration>'
             '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>',
             '<bpmn:receiveTask id="receipt" name="收件" messageRef="Message_receipt" />',
             user_task("work"),
             _message_event("boundaryEvent", "withdraw", "withdraw", attrs=' attachedToRef="work"'),
             '<bpmn:endEvent id="done" name="办结" />', '<bpmn:endEvent id="timed_out" name="超时" />',
             '<bpmn:endEvent id="withdrawn" name="撤回" />']
    flows = [("start", "choose", None), ("choose", "go", None), ("choose", "day", None), ("go", "receipt", None),
             ("day", "timed_out", None), ("receipt", "work", None), ("work", "done", None),
             ("withdraw", "withdrawn", None)]
    return diagram("waiter", nodes, flows, roots=WAITER_ROOTS)
