"""Where the time of a case goes on the server: the escalation diagram's cases (start, list, complete, list, complete)
through the Flask app in this process (no HTTP), profiled with cProfile, summarised as shares of the time of a case.

The app runs on a fresh SQLite file with the engine in its child processes as served (`--sandbox inline` runs the
diagram code in this process instead, to see inside a run). The summary gives, per category, the cumulative time
of the functions that define it (they nest: "engine run" includes the hand-over to the child; "SQL" every statement
and commit). cProfile slows Python code down several times over, so read the shares, not the milliseconds.

`--wall` samples the stack every 0.5 ms of wall-clock time instead (a signal timer; no tracing, so the code runs at
its own speed and the time spent waiting for the engine's child counts as it does for a client): per category and
per function, the share of the samples it was on the stack in, and the milliseconds per case that makes.

    .venv/bin/python bench/request_profile.py [--cases 300] [--sandbox process|inline] [--top 25] [--wall]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (category, the (file, function) pairs whose cumulative time makes it: either may be absent in a version)
CATEGORIES = (
    ("whole request (Flask app)", (("flask/app.py", "wsgi_app"),)),
    ("engine run (child process and hand-over)", (("engine/sandbox/pool.py", "run"),)),
    ("SQL statements (prepared, or SQLAlchemy's)", (("engine/store/prepared.py", "_run"),
                                                     ("sqlalchemy/orm/session.py", "execute"))),
    ("commits", (("engine/store/uow.py", "commit"),)),
    ("bearer token", (("engine/people/tokens.py", "authenticate_bearer"),
                      ("engine/people/identity.py", "authenticate_token"))),
    ("JSON answers", (("flask/json/__init__.py", "jsonify"),)),
    ("form check", (("engine/bpmn/forms.py", "validate_form_data"),)),
)


def _environ(method: str, path: str, token: str, body: Any = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else b""
    path, _, query = path.partition("?")
    return {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "5000", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(data), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False, "REMOTE_ADDR": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Bearer {token}", "CONTENT_TYPE": "application/json" if body is not None else "",
            "CONTENT_LENGTH": str(len(data)) if body is not None else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--sandbox", choices=("process", "inline"), default="process")
    parser.add_argument("--top", type=int, default=25, help="functions listed")
    parser.add_argument("--sort", choices=("tottime", "cumulative"), default="tottime",
                        help="list the functions by their own time or by their cumulative time")
    parser.add_argument("--wall", action="store_true", help="sample wall-clock time instead of tracing calls")
    args = parser.parse_args()
    os.environ["ONESTOP_SANDBOX"] = args.sandbox

    from engine.calendar.store import seed_official_years
    from engine.cases.deployment import deploy
    from engine.config import Settings
    from engine.people.identity import Actor, create_token, create_user
    from engine.platform import Platform
    from engine.store.models import Base
    from ui import create_app

    tmp = Path(tempfile.mkdtemp(prefix="onestop-profile-"))
    settings = Settings(database_url=f"sqlite:///{tmp}/profile.db", processes_dir=ROOT / "processes" / "liaocheng",
                        instance_dir=tmp, secret_key="profile", city="liaocheng")
    platform = Platform(settings)
    Base.metadata.create_all(platform.engine)
    folder = ROOT / "tests" / "data" / "escalation"
    with platform.uow() as uow:
        now = platform.now()
        seed_official_years(uow=uow, now=now)
        for name, department, county in (("window", "county_window", "dongchangfu"), ("city", "city_window", None)):
            create_user(name, "profile-password-1", role="staff", department=department, county=county,
                        organisation=platform.organisation, uow=uow, now=now)
        tokens = {name: create_token(name, uow=uow, now=now) for name in ("window", "city")}
        deploy({p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".bpmn", ".json")},
               actor=Actor("designer", "designer"), uow=uow, now=now)
        uow.commit()
    app = create_app(platform=platform)

    def call(method: str, path: str, user: str, body: Any = None) -> Any:
        status: list[str] = []
        answer = app.wsgi_app(_environ(method, "/api/v1" + path, tokens[user], body),
                              lambda s, _h, _e=None: status.append(s))
        raw = b"".join(answer)
        answer.close()  # type: ignore[attr-defined]
        assert status[0][:1] == "2", (status, raw[:300])
        return json.loads(raw)

    def case() -> None:
        started = call("POST", "/process-instances", "window", {"model_key": "escalation_demo",
                                                                 "data": {"county": "dongchangfu"}})
        for user, form in (("window", {"approved": True, "months": 3}), ("city", {"decision": "通过"})):
            task = next(t for t in call("GET", "/tasks?scope=department&limit=500", user)
                        if t["instance_id"] == started["id"])
            call("POST", f"/tasks/{task['id']}/complete", user, {"data": form})

    for _ in range(30):
        case()
    if args.wall:
        sample_wall(case, args.cases, args.top, args.sandbox)
        platform.sandbox.close()
        return
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.cases):
        case()
    profile.disable()
    platform.sandbox.close()

    stats = pstats.Stats(profile)
    whole = None
    print(f"{args.cases} cases, engine runs: {args.sandbox}; shares of the time of the Flask app")
    for label, functions in CATEGORIES:
        cumulative = sum(entry[3] for func, entry in stats.stats.items()  # type: ignore[attr-defined]
                         if any(where in func[0] and func[2] == name for where, name in functions))
        whole = whole or cumulative
        print(f"  {label:45s} {100 * cumulative / whole:5.1f} %")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
    print("\nfunctions by their own time:")
    for line in out.getvalue().splitlines():
        if line.strip() and ("/" in line or "{" in line) and not line.lstrip().startswith("List"):
            print("  " + line.replace(str(ROOT) + "/", "").replace(".venv/lib/python3.11/site-packages/", ""))


def _where(code: Any) -> tuple[str, str]:
    path = code.co_filename.replace(str(ROOT) + "/", "").replace(".venv/lib/python3.11/site-packages/", "")
    return path.rsplit("/lib/python3.11/", 1)[-1], code.co_name


def sample_wall(case: Any, cases: int, top: int, sandbox: str) -> None:
    """Run ``cases`` cases with the stack sampled every 0.5 ms of wall-clock time; print the shares."""
    on_stack: Counter[tuple[str, str]] = Counter()
    samples = 0

    def sample(_signal: int, frame: Any) -> None:
        nonlocal samples
        samples += 1
        seen = set()
        while frame is not None:
            seen.add(_where(frame.f_code))
            frame = frame.f_back
        on_stack.update(seen)

    signal.signal(signal.SIGALRM, sample)
    started = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)
    try:
        for _ in range(cases):
            case()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
    per_case = (time.perf_counter() - started) * 1000 / cases
    print(f"{cases} cases, engine runs: {sandbox}; {per_case:.2f} ms a case (sampling included), "
          f"{samples} samples of the wall-clock time")
    for label, functions in (*CATEGORIES, ("waiting for the engine's child", (("engine/sandbox/pool.py",
                                                                                "_await_answer"),))):
        share = sum(count for (path, name), count in on_stack.items()  # each pair named is on its own stack
                    if any(where in path and name == wanted for where, wanted in functions)) / samples
        print(f"  {label:45s} {100 * share:5.1f} %  {share * per_case:6.2f} ms")
    print("\nfunctions by the share of samples they were on the stack in:")
    for (path, name), count in on_stack.most_common(top):
        print(f"  {100 * count / samples:5.1f} %  {count / samples * per_case:6.2f} ms  {path}:{name}")


if __name__ == "__main__":
    main()
