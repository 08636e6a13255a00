"""A generic HTTP connector: the handler of a topic whose jobs say where to POST.

The diagram names the address in a parameter ``url`` (http or https only) and whatever else it passes; the
connector POSTs the other parameters as a JSON object to that address and returns the JSON answer, which the
platform stores in the service task's resultVariable::

    <spiffworkflow:serviceTaskOperator id="http.post" resultVariable="registry_answer">
      <spiffworkflow:parameters>
        <spiffworkflow:parameter id="url" type="str" value="'https://registry.example/api/check'"/>
        <spiffworkflow:parameter id="id_number" type="str" value="id_number"/>
      </spiffworkflow:parameters>
    </spiffworkflow:serviceTaskOperator>

Answers: 2xx with a JSON body → the result. A JSON object with ``"bpmn_error": "CODE"`` (any status) → a BPMN
error with that code and its ``"message"`` (the diagram's error boundary event). Anything else — another status,
no JSON, a body over ``max_response_bytes``, no answer within ``timeout`` seconds, a redirect — is a failure, retried
by the worker. Redirects are never followed (a redirect could lead anywhere); ``allowed_hosts`` limits where
jobs may send data."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from .client import Job
from .worker import BpmnError

__all__ = ["ConnectorError", "HttpConnector"]

TIMEOUT_SECONDS = 10.0  # the default wait for the outside system's answer
MAX_REQUEST_BYTES = 256 * 1024  # the JSON body the connector sends
MAX_RESPONSE_BYTES = 1024 * 1024  # the answer it reads


class ConnectorError(Exception):
    """The outside system could not be used for this job (a failure: the worker retries it)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises the 3xx as an HTTPError


class HttpConnector:
    """``connector(job)`` → the JSON answer of POSTing the job's parameters (but ``url``) to ``url``."""

    def __init__(self, *, timeout: float = TIMEOUT_SECONDS, max_request_bytes: int = MAX_REQUEST_BYTES,
                 max_response_bytes: int = MAX_RESPONSE_BYTES, allowed_hosts: set[str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.timeout = timeout
        self.max_request_bytes = max_request_bytes
        self.max_response_bytes = max_response_bytes
        self.allowed_hosts = allowed_hosts
        self.headers = dict(headers or {})
        self.opener = urllib.request.build_opener(_NoRedirects)

    def __call__(self, job: Job) -> Any:
        parameters = dict(job.parameters)
        url = self.target(parameters.pop("url", None))
        body = json.dumps(parameters, ensure_ascii=False).encode()
        if len(body) > self.max_request_bytes:
            raise ConnectorError(f"the parameters are {len(body):,} bytes of JSON, over {self.max_request_bytes:,}")
        request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310 — scheme checked
            "Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
            "X-OneStop-Job": str(job.id), "X-OneStop-Case": str(job.instance_id), **self.headers})
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read(self.max_response_bytes + 1)
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read(self.max_response_bytes + 1)
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            raise ConnectorError(f"{url}: no answer ({getattr(error, 'reason', error)})") from None
        if len(raw) > self.max_response_bytes:
            raise ConnectorError(f"{url}: the answer is larger than {self.max_response_bytes:,} bytes")
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            raise ConnectorError(f"{url}: HTTP {status}, the answer is not JSON") from None
        if isinstance(answer, dict) and isinstance(answer.get("bpmn_error"), str):
            raise BpmnError(answer["bpmn_error"], str(answer.get("message", "")))
        if not 200 <= status < 300:
            raise ConnectorError(f"{url}: HTTP {status}")
        return answer

    def target(self, url: Any) -> str:
        """The job's address, if it may be used: http or https, a host, an allowed one when a list is given."""
        if not isinstance(url, str) or not url:
            raise ConnectorError("the job names no url parameter: give the service task a parameter 'url'")
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConnectorError(f"{url!r}: only http:// and https:// addresses are called")
        if self.allowed_hosts is not None and parts.hostname not in self.allowed_hosts:
            raise ConnectorError(f"{parts.hostname}: not among the hosts this worker may call")
        return url
