"""The `onestop` command line: serve, worker, external-worker, db, validate, deploy, demo, users, token, calendar."""

from __future__ import annotations

import getpass
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from engine.bpmn.problems import one_line, printable_file
from engine.bpmn.validation import Bundle, called_elsewhere, defined_processes, load_bundle, read_paths
from engine.calendar import store as calendar_store
from engine.cases import deployment, scheduler
from engine.config import Settings
from engine.errors import DeploymentRefused, OneStopError
from engine.notify.templates import read_template
from engine.notify.worker import NotificationWorker, notification_sweep
from engine.people.contact import set_contact
from engine.people.identity import ROLES, Actor, create_token, create_user, revoke_tokens, set_password
from engine.people.organisation import Organisation
from engine.people.privacy import install_log_masking
from engine.platform import Platform
from engine.sandbox.child import SPIFF_LOGGERS
from engine.store.checkpoint import Checkpointer
from engine.store.db import upgrade


def _platform() -> Platform:
    return Platform(Settings.from_env())


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


class _Commands(click.Group):
    """Turns the service layer's errors into one line on stderr and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OneStopError as error:
            details = "; ".join(f"{d.get('field', d.get('file', ''))}: {d.get('message', '')}"
                                for d in error.details if isinstance(d, dict))
            _fail(error.message + (f" ({details})" if details else ""))
        except SQLAlchemyError as error:
            _fail(f"database error: {getattr(error, 'orig', error)} — is ONESTOP_DATABASE_URL right, and did "
                  f"`onestop db upgrade` run?")


@click.group(cls=_Commands)
@click.option("-v", "--verbose", is_flag=True, help="log more")
def main(verbose: bool) -> None:
    """OneStop 人才一站式服务平台: the workflow engine of the city's talent services."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_masking()
    if not verbose:  # SpiffWorkflow logs every task state change at INFO, Alembic each of its plugins
        for name in (*SPIFF_LOGGERS, "alembic"):
            logging.getLogger(name).setLevel(logging.WARNING)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema (Alembic), and seed the official calendar."""
    settings = Settings.from_env()
    upgrade(settings.database_url)
    platform = Platform(settings)
    with platform.uow() as uow:
        added = calendar_store.seed_official_years(uow=uow, now=platform.now())
        uow.commit()
    click.echo(f"database at head ({settings.database_url.split('@')[-1]}); "
               f"calendar years seeded: {len(added)}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check BPMN/DMN/form files; one line per problem, `file:line: message`. A city package folder (or a flow
    folder inside one) is checked against the package's own organisation.yaml."""
    settings = Settings.from_env()
    problems = 0
    checked: dict[str, Bundle] = {}
    for group, files, organisation in _in_call_order_with_organisation(paths, settings):
        linked = {}
        for process_id in called_elsewhere(files):
            found = checked.get(process_id) or _sibling_flow(process_id, paths, settings, organisation)
            if found is not None:
                linked[process_id] = found
        try:
            bundle = load_bundle(files, organisation, linked=linked)
        except DeploymentRefused as refused:
            for detail in refused.details:
                click.echo(f"{_where(group, detail)}: {one_line(str(detail['message']))}")
            problems += len(refused.details)
        else:
            checked[bundle.key] = bundle
            click.echo(f"{group}: ok ({bundle.key}: {bundle.name})", err=True)
    problems += _check_notification_templates(paths)
    sys.exit(1 if problems else 0)


def _check_notification_templates(paths: tuple[Path, ...]) -> int:
    """The notification templates of a city package given (PATH/notifications/*.yaml): one line per problem."""
    problems = 0
    for folder in sorted({path / "notifications" for path in paths if (path / "notifications").is_dir()}):
        for template in sorted(folder.glob("*.yaml")):
            try:
                read_template(template)
            except OneStopError as error:
                for detail in error.details or [{"file": str(template), "line": 0, "message": error.message}]:
                    click.echo(f"{printable_file(str(template))}:{detail.get('line', 0)}: "
                               f"{one_line(str(detail['message']))}")
                    problems += 1
        click.echo(f"{folder}: notification templates checked", err=True)
    return problems


def package_organisation(path: Path) -> Path | None:
    """The organisation file of the city package ``path`` is or lies in: PATH/organisation.yaml, else (a flow
    folder or a file inside a package) the one in its folder's parent; None when neither exists."""
    folder = path if path.is_dir() else path.parent
    for candidate in (folder / "organisation.yaml", folder.parent / "organisation.yaml"):
        if candidate.is_file():
            return candidate
    return None


def _organisation_for(path: Path, settings: Settings, cache: dict[Path, Organisation]) -> Organisation:
    found = package_organisation(path) or settings.processes_dir / "organisation.yaml"
    found = found.resolve()
    if found not in cache:
        try:
            cache[found] = Organisation.load(found)
        except OneStopError as error:
            _fail(f"{error.message} (give a city package folder holding organisation.yaml, or set ONESTOP_CITY "
                  "or ONESTOP_PROCESSES_DIR)")
    return cache[found]


def _in_call_order_with_organisation(paths: tuple[Path, ...], settings: Settings,
                                     ) -> list[tuple[str, dict[str, bytes], Organisation]]:
    """The flows of every path in call order, each with the organisation of the package it came from."""
    cache: dict[Path, Organisation] = {}
    groups: dict[str, dict[str, bytes]] = {}
    owners: dict[str, Organisation] = {}
    folders = [path for path in paths if path.is_dir()]
    loose = tuple(path for path in paths if not path.is_dir())  # loose files are one flow, as before
    for batch in [(folder,) for folder in folders] + ([loose] if loose else []):
        organisation = _organisation_for(batch[0], settings, cache)
        for group, files in _groups(batch).items():
            name = group if group not in groups else f"{batch[0]}/{group}"  # two packages both have a gold_card
            groups[name] = files
            owners[name] = organisation
    return [(group, files, owners[group]) for group, files in _in_call_order(groups)]


def _sibling_flow(process_id: str, paths: tuple[Path, ...], settings: Settings,
                  organisation: Organisation) -> Bundle | None:
    """A called flow not given on the command line: its folder beside the given ones, or in processes/."""
    for folder in {*(p.resolve().parent for p in paths), settings.processes_dir.resolve()}:
        candidate = folder / process_id
        if candidate.is_dir():
            try:
                [(_name, files)] = read_paths([candidate]).items()
                return load_bundle(files, organisation, check=False)
            except (DeploymentRefused, ValueError):
                return None
    return None


def _groups(paths: tuple[Path, ...]) -> dict[str, dict[str, bytes]]:
    groups: dict[str, dict[str, bytes]] = {}
    for path in paths:
        if path.is_dir() and not any(path.glob("*.bpmn")):
            groups.update(read_paths(sorted(p for p in path.iterdir() if p.is_dir() and any(p.glob("*.bpmn")))))
        else:
            groups.update(read_paths([path]))
    return groups


def _in_call_order(groups: dict[str, dict[str, bytes]]) -> list[tuple[str, dict[str, bytes]]]:
    """Flows that others call by callActivity come first, so they are checked or deployed before them."""
    defines = {group: defined_processes(files) for group, files in groups.items()}
    needs = {group: {other for other, ids in defines.items() if other != group and ids & called_elsewhere(files)}
             for group, files in groups.items()}
    ordered: list[str] = []
    while len(ordered) < len(groups):
        ready = [g for g in groups if g not in ordered and needs[g] <= set(ordered)]
        ordered.extend(ready or [g for g in groups if g not in ordered])  # a cycle: keep the given order
    return [(group, groups[group]) for group in ordered]


def _where(group: str, detail: dict[str, Any]) -> str:
    """``file:line`` of a problem, on one line whatever the uploaded file was called."""
    file = str(detail.get("file") or group)
    return f"{printable_file(file)}:{detail.get('line', 0)}"


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--force", is_flag=True,
              help="deploy the files even over a newer version deployed through the web designer or the API")
def deploy(paths: tuple[Path, ...], force: bool) -> None:
    """Validate, then deploy each flow as a new version (identical content deploys nothing new). A flow whose
    newest version was deployed through the platform (web designer, API) is left alone unless --force. A city
    package folder (or a flow folder inside one) is checked against the package's own organisation.yaml."""
    platform = _platform()
    actor = Actor(username=f"cli:{getpass.getuser()}", role="admin")
    failed = False
    for group, files, organisation in _in_call_order_with_organisation(paths, platform.settings):
        try:
            with platform.uow() as uow:
                result = deployment.deploy(files, actor=actor, uow=uow, now=platform.now(), source="disk",
                                           force=force, organisation=organisation)
                uow.commit()
        except DeploymentRefused as refused:
            failed = True
            for detail in refused.details:
                click.echo(f"{_where(group, detail)}: {one_line(str(detail['message']))}")
            continue
        except OneStopError as error:
            failed = True
            click.echo(f"{group}: {error.message}")
            continue
        if result.kept_platform_version:
            click.echo(f"{result.key}: left alone — version {result.version} was deployed through the platform "
                       "after the last deployment from disk (--force deploys the files anyway)")
            continue
        state = "deployed" if result.created else "unchanged"
        click.echo(f"{result.key} version {result.version} {state}")
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="web processes  [default: one per CPU]")
@click.option("--threads", default=None, type=click.IntRange(1, 64),
              help="threads per web process  [default: 4]")
@click.option("--no-scheduler", is_flag=True, help="do not fire timers in this process")
@click.option("--no-access-log", is_flag=True, help="do not log each request")
def serve(host: str, port: int, workers: int | None, threads: int | None, no_scheduler: bool,
          no_access_log: bool) -> None:
    """Serve the web UI and API; the timer scheduler runs in-process unless --no-scheduler."""
    from .server import run_server

    run_server(host=host, port=port, workers=workers, threads=threads, scheduler=not no_scheduler,
               access_log=not no_access_log)


@main.command()
@click.option("--once", is_flag=True, help="fire what is due now and exit")
@click.option("--interval", default=5.0, show_default=True, help="seconds between sweeps")
def worker(once: bool, interval: float) -> None:
    """Fire due timers and resume their instances; deliver the messages cases threw that are not delivered yet,
    (with the demo loaded) answer the demo topics' jobs with the simulated outside systems, and send the
    notifications (deadline notices, the outbox)."""
    from .sweeps import SWEEPS

    platform = _platform()
    if once:
        report = scheduler.run_worker(platform, once=True, sweeps=SWEEPS)
        assert report is not None
        click.echo(f"due {report.due}, fired {len(report.fired)}, skipped {len(report.skipped)}, "
                   f"errors {len(report.errors)}")
        click.echo(notification_sweep(platform).summary(), err=True)  # stdout keeps the one-line timer report
        sys.exit(1 if report.errors else 0)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo(f"worker sweeping every {interval:g} s; stop with Ctrl-C")
    notifications = NotificationWorker(platform)
    notifications.start()
    checkpoints = Checkpointer(platform.engine)  # SQLite's WAL, outside the sweeps' commits
    checkpoints.start()
    try:
        scheduler.run_worker(platform, once=False, interval=interval, stop=stop, sweeps=SWEEPS)
    finally:
        checkpoints.stop()
        notifications.stop()


@main.command("external-worker")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="the platform's address")
@click.option("--worker-id", required=True, help="this worker's name in locks and history (e.g. finance-1)")
@click.option("--topic", "topics", multiple=True, required=True, metavar="TOPIC=HANDLER",
              help="a topic and its handler: http (POST the parameters to the job's url), simulated (the demo's "
                   "simulated system of that topic) or module:function; repeat for each topic")
@click.option("--max-tasks", default=1, show_default=True, type=click.IntRange(1, 100))
@click.option("--lock-seconds", default=60, show_default=True, type=click.IntRange(1, 86_400))
@click.option("--retries", default=3, show_default=True, type=click.IntRange(0, 100), help="retries of a job")
@click.option("--allow-host", "allowed_hosts", multiple=True, help="http handler: hosts it may call (default: any)")
@click.option("--timeout", default=10.0, show_default=True, help="http handler: seconds to wait for an answer")
@click.option("--long-poll", default=20.0, show_default=True, type=click.FloatRange(0, 25),
              help="seconds each fetch waits on the platform for a job to come (0: poll with back-off); a stop "
                   "waits for the fetch in flight")
def external_worker(url: str, worker_id: str, topics: tuple[str, ...], max_tasks: int, lock_seconds: int,
                    retries: int, allowed_hosts: tuple[str, ...], timeout: float, long_poll: float) -> None:
    """Fetch and handle external tasks until SIGTERM or Ctrl-C. The worker account's token is read from
    ONESTOP_WORKER_TOKEN (create one with `onestop token create NAME`)."""
    from .external_worker import build_worker

    worker = build_worker(url, worker_id, topics, max_tasks=max_tasks, lock_seconds=lock_seconds, retries=retries,
                          allowed_hosts=set(allowed_hosts) or None, timeout=timeout, long_poll=long_poll)
    worker.install_signal_handlers()
    click.echo(f"worker {worker_id} serving {', '.join(sorted(worker.handlers))} at {url}; stop with Ctrl-C")
    worker.run()


@main.command()
def demo() -> None:
    """Load demo accounts and sample cases (only into an empty database)."""
    from .demo import load_demo

    for line in load_demo(_platform()):
        click.echo(line)


@main.group()
def users() -> None:
    """User accounts."""


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("password", hide_input=True, confirmation_prompt=True))


def _fail_with_details(error: OneStopError) -> None:
    details = "; ".join(f"{d['field']}: {d['message']}" for d in error.details)
    _fail(f"{error.message}" + (f" ({details})" if details else ""))


@users.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--department", default=None, help="department code (staff)")
@click.option("--county", default=None, help="county code (county window staff)")
@click.option("--topics", default=None, help="a worker's topics, comma-separated: the external tasks it fetches "
                                            "and the messages and signals it may send (e.g. finance.payment)")
@click.option("--display-name", default="", help="name shown in the UI")
@click.option("--email", default=None, help="email address for notifications")
@click.option("--mobile", default=None, help="mobile number for SMS notifications")
def users_create(name: str, role: str, department: str | None, county: str | None, topics: str | None,
                 display_name: str, email: str | None, mobile: str | None) -> None:
    """Create a user; the password is read from standard input."""
    password = _read_password()
    platform = _platform()
    topic_list = [t.strip() for t in topics.split(",") if t.strip()] if topics is not None else None
    try:
        with platform.uow() as uow:
            user = create_user(name, password, role=role, department=department, county=county,
                               display_name=display_name, organisation=platform.organisation, uow=uow,
                               now=platform.now(), topics=topic_list)
            set_contact(user, email=email, mobile=mobile)
            uow.commit()
    except OneStopError as error:
        _fail_with_details(error)
    click.echo(f"user {name} created ({role}" + (f": {', '.join(topic_list)}" if topic_list else "") + ")")


@users.command("password")
@click.argument("name")
def users_password(name: str) -> None:
    """Set user NAME's password (read from standard input); their API tokens are revoked."""
    password = _read_password()
    platform = _platform()
    try:
        with platform.uow() as uow:
            set_password(name, password, uow=uow, now=platform.now())
            uow.commit()
    except OneStopError as error:
        _fail_with_details(error)
    click.echo(f"password of {name} changed; their API tokens are revoked")


@main.group()
def token() -> None:
    """API bearer tokens."""


@token.command("create")
@click.argument("name")
@click.option("--days", default=365, show_default=True, help="lifetime in days")
def token_create(name: str, days: int) -> None:
    """Print a new bearer token for user NAME."""
    from datetime import timedelta

    platform = _platform()
    try:
        with platform.uow() as uow:
            value = create_token(name, name="cli", uow=uow, now=platform.now(), lifetime=timedelta(days=days))
            uow.commit()
    except OneStopError as error:
        _fail(error.message)
    click.echo(value)


@token.command("revoke")
@click.argument("name")
def token_revoke(name: str) -> None:
    """Revoke every API token of user NAME."""
    platform = _platform()
    try:
        with platform.uow() as uow:
            count = revoke_tokens(name, uow=uow, now=platform.now())
            uow.commit()
    except OneStopError as error:
        _fail(error.message)
    click.echo(f"{count} token(s) of {name} revoked")


@main.group()
def calendar() -> None:
    """The working-day calendar."""


@calendar.command("check")
@click.argument("year", type=int)
def calendar_check(year: int) -> None:
    """Say whether YEAR has official holiday data; exit 1 when it has none."""
    platform = _platform()
    with platform.uow(write=False) as uow:
        view = calendar_store.year_view(year, uow=uow)
    if view["official"]:
        click.echo(f"{year}: official data ({view['source']}), {len(view['holidays'])} holidays, "
                   f"{len(view['working_days'])} adjusted working days")
        return
    click.echo(f"{year}: NO official data — deadlines fall back to weekends only. "
               f"Enter the State Council's holidays with PUT /api/v1/calendar/{year}.")
    sys.exit(1)


if __name__ == "__main__":
    main()
