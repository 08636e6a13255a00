"""GET /metrics in Prometheus text format, and the request-latency hooks that feed its histogram.

Who may read it: a scraper on the same machine (a request from 127.0.0.1 or ::1 that did not come through a
proxy, i.e. without X-Forwarded-For/Forwarded headers) without a token, or anyone with an administrator's
bearer token. Anything else gets 401 (no token) or 403 (a token that is not an administrator's).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request

from engine.errors import PermissionDenied
from engine.services.metrics import LatencyHistogram, exposition

from .api import platform, unit_of_work

metrics_view = Blueprint("metrics", __name__)
LOOPBACK = ("127.0.0.1", "::1")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def init_app(app: Flask) -> None:
    """Register /metrics and time every request of the app into its latency histogram."""
    app.extensions["onestop_latency"] = LatencyHistogram()
    app.register_blueprint(metrics_view)
    app.before_request(_start_timer)
    app.after_request(_observe)


def _start_timer() -> None:
    g.onestop_request_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("onestop_request_started", None)
    if started is not None:
        current = request._get_current_object()  # type: ignore[attr-defined]
        # The route pattern, not the path: /api/v1/tasks/<int:task_id> is one series, not one per task.
        rule = current.url_rule
        endpoint = rule.rule if rule is not None else "unmatched"
        current_app.extensions["onestop_latency"].observe(current.method, endpoint, response.status_code,
                                                          time.perf_counter() - started)
    return response


def _from_loopback() -> bool:
    proxied = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    return request.remote_addr in LOOPBACK and not proxied and "Authorization" not in request.headers


@metrics_view.get("/metrics")
def metrics() -> Response:
    latency: Any = current_app.extensions.get("onestop_latency") or LatencyHistogram()
    if _from_loopback():
        with platform().uow(write=False) as uow:
            text = exposition(uow=uow, now=platform().now(), latency=latency)
    else:
        with unit_of_work(write=False) as (uow, actor):
            if not actor.is_admin:
                raise PermissionDenied("/metrics is for the local scraper or an administrator's token")
            text = exposition(uow=uow, now=platform().now(), latency=latency)
    return Response(text, content_type=CONTENT_TYPE)
