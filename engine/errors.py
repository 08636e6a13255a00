"""The exception tree of OneStop's service layer.

    OneStopError                 root; every error says what was wrong and what to do
    ├── NotFound                 an id that does not exist (or that the user may not see)
    ├── PermissionDenied         the user may not do this (HTTP 403)
    ├── AuthenticationRequired   no or bad credentials (HTTP 401)
    │   └── SignInThrottled      too many wrong passwords from one source: wait (HTTP 429)
    ├── Conflict                 the state moved on: task no longer open, held by another, stale version (409)
    │   └── CaseSuspended        the task's case is suspended: nothing is done on it until it is resumed
    ├── InvalidInput             bad request data, with ``details`` per field (422)
    │   └── DeploymentRefused    files that fail validation; ``details`` are ``{file, line, message}``
    ├── ExpressionError          an expression was refused by the restricted engine or failed while running
    │   └── ExpressionTimeout    an expression ran past its step or time budget
    ├── CalendarError            a working-day calculation could not be done
    ├── EngineError              SpiffWorkflow failed while running an instance; carries task and line
    │   └── RunStopped           a run overran its time, memory or step limit; carries the element it was at
    └── Busy                     every engine process is busy: try again in a moment (HTTP 503)
"""

from __future__ import annotations

from typing import Any


class OneStopError(Exception):
    """Root of every error the service layer raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFound(OneStopError):
    code = "not_found"


class PermissionDenied(OneStopError):
    code = "forbidden"


class AuthenticationRequired(OneStopError):
    code = "unauthorized"


class SignInThrottled(AuthenticationRequired):
    """Too many wrong passwords for this name from this source (or from this source for any name): the next
    attempt must wait ``wait``. Says nothing about whether the name exists; never locks the account elsewhere."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, wait: Any) -> None:
        super().__init__(message)
        self.wait = wait


class Conflict(OneStopError):
    code = "conflict"


class CaseSuspended(Conflict):
    """The task's case is suspended: its tasks are not claimed, released or completed until it is resumed."""

    code = "case_suspended"


class InvalidInput(OneStopError):
    code = "invalid"


class DeploymentRefused(InvalidInput):
    code = "deployment_refused"


class ExpressionError(OneStopError):
    code = "expression_error"

    def __init__(self, message: str, *, line: int | None = None, details: list[Any] | None = None) -> None:
        super().__init__(message, details=details)
        self.line = line


class ExpressionTimeout(ExpressionError):
    code = "expression_timeout"


class CalendarError(OneStopError):
    code = "calendar_error"


class EngineError(OneStopError):
    code = "engine_error"

    def __init__(self, message: str, *, task: str | None = None, line: int | None = None,
                 details: list[Any] | None = None) -> None:
        super().__init__(message, details=details)
        self.task = task
        self.line = line


class RunStopped(EngineError):
    code = "run_stopped"

    def __init__(self, message: str, *, element: str | None = None) -> None:
        super().__init__(message, task=element)
        self.element = element


class Busy(OneStopError):
    code = "busy"
