"""/metrics in Prometheus text format: who may read it, that every line parses, and the figures it carries."""

from __future__ import annotations

import re

from test_admin_api import app  # noqa: F401 — the app with the console and /metrics registered
from test_supervision import scenario  # noqa: F401 — the shared fixture

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? '
                    r'(-?[0-9.eE+-]+|\+Inf|NaN)$')
REMOTE = {"REMOTE_ADDR": "10.1.2.3"}


def parse(text: str) -> dict[str, float]:
    """Every sample line as 'name{labels}' → value; fails on any line Prometheus would refuse."""
    samples = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample line: {line!r}"
        key, value = line.rsplit(" ", 1)
        samples[key] = float(value.replace("+Inf", "inf"))
    return samples


def test_the_local_scraper_reads_metrics_without_a_token(client, scenario):  # noqa: F811
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "version=0.0.4" in response.headers["Content-Type"]
    samples = parse(response.get_data(as_text=True))
    assert samples['onestop_instances{status="active"}'] == 3
    assert samples['onestop_instances{status="completed"}'] == 2
    assert samples['onestop_instances{status="error"}'] == 0
    assert samples['onestop_tasks_open{department="county_window"}'] == 2
    assert samples['onestop_tasks_overdue{department="county_window"}'] == 1
    assert samples['onestop_tasks_open{department="talent_office"}'] == 2
    assert samples["onestop_timers_fired_total"] == 2  # B's and D's deadlines on 10 October
    assert samples["onestop_engine_errors_total"] == 0


def test_others_need_an_administrators_token(client, people):
    assert client.get("/metrics", environ_base=REMOTE).status_code == 401
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 401  # through a proxy on the same machine: not the local scraper
    for who in ("talent1", "designer", "applicant"):
        assert client.get("/metrics", environ_base=REMOTE, headers=people.headers(who)).status_code == 403
    assert client.get("/metrics", headers=people.headers("city1")).status_code == 403  # a token is checked
    assert client.get("/metrics", environ_base=REMOTE, headers=people.headers("admin")).status_code == 200


def test_request_latency_is_a_histogram_per_route(client, people):
    for _ in range(3):
        assert client.get("/api/v1/me", headers=people.headers("city1")).status_code == 200
    client.get("/api/v1/tasks/12345", headers=people.headers("city1"))
    samples = parse(client.get("/metrics").get_data(as_text=True))
    series = 'method="GET",endpoint="/api/v1/me",status="2xx"'
    assert samples[f"onestop_http_request_duration_seconds_count{{{series}}}"] == 3
    count = next(v for k, v in samples.items() if k.startswith("onestop_http_request_duration_seconds_count")
                 and 'endpoint="/api/v1/me"' in k)
    assert count == 3
    buckets = sorted((float(re.search(r'le="([^"]+)"', k).group(1).replace("+Inf", "inf")), v)
                     for k, v in samples.items() if k.startswith("onestop_http_request_duration_seconds_bucket")
                     and 'endpoint="/api/v1/me"' in k)
    assert buckets[-1] == (float("inf"), 3) and all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:], strict=False))
    # the route pattern is the label, not each path
    assert any('endpoint="/api/v1/tasks/<int:task_id>"' in k and 'status="4xx"' in k for k in samples)
