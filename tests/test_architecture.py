"""Structural rules: lower layers never import the web framework, and the schema matches its migrations."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import PG_URL, ROOT
from sqlalchemy import create_engine, text

FORBIDDEN = ("flask", "flask_login", "flask_wtf", "flask_babel", "werkzeug", "ui")


def imported_modules(path: Path, *, runtime_only: bool = False) -> set[str]:
    """Modules ``path`` imports; with ``runtime_only``, not those imported for type annotations only."""
    tree = ast.parse(path.read_text(), filename=str(path))
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                node.body = []
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["engine", "tasks"])
def test_engine_and_tasks_import_nothing_from_flask_or_the_ui(package):
    offenders = []
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no modules in {package}"
    for path in files:
        for module in imported_modules(path):
            if module.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_engine_does_not_import_tasks():
    offenders = [f"{p.relative_to(ROOT)} imports {m}" for p in sorted((ROOT / "engine").rglob("*.py"))
                 for m in imported_modules(p) if m.split(".")[0] == "tasks"]
    assert offenders == []


# The engine's parts, lowest first: a module may import its own part, any lower rank, and a peer of its rank
# (bpmn reads the organisation's lanes and the calendar), never a higher rank.
ENGINE_RANKS = {
    "errors": 0, "config": 0, "clock": 0,
    "store": 1,
    "bpmn": 2, "people": 2, "calendar": 2, "notify": 2, "sandbox": 2,
    "cases": 3,
    "services": 4, "integration": 4,
    "platform": 5,
}


def _engine_part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "engine" else None


def test_engine_parts_import_one_way():
    offenders = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        relative = path.relative_to(ROOT / "engine")
        own = relative.parts[0].removesuffix(".py")
        if own == "__init__":
            continue
        assert own in ENGINE_RANKS, f"engine/{own} has no rank in ENGINE_RANKS: say where it sits"
        # A unit of work is typed with the composition root that made it; that is an annotation, not an import.
        for module in imported_modules(path, runtime_only=True):
            part = _engine_part(module)
            if part is None or part == own:
                continue
            if ENGINE_RANKS.get(part, 99) > ENGINE_RANKS[own]:
                offenders.append(f"engine/{relative} ({own}) imports {module} ({part})")
    assert offenders == []


def test_engine_is_grouped_into_parts():
    """The folder tree is the architecture: besides the composition root and the basics every part uses,
    engine/ holds only its parts' packages."""
    loose = sorted(p.name for p in (ROOT / "engine").glob("*.py")
                   if p.stem not in ("__init__", "errors", "config", "clock", "platform"))
    assert loose == []
    for package in (ROOT / "engine").iterdir():
        if package.is_dir() and package.name != "__pycache__":
            init = package / "__init__.py"
            assert init.exists() and ast.get_docstring(ast.parse(init.read_text())), f"{package} says what it is"


def test_transactions_are_committed_only_where_a_unit_of_work_begins():
    """Requests and commands (ui/), and the engine's own loops that open one unit of work per case
    (timer sweeps, bulk migration, the console's bulk actions) commit; service functions never do."""
    allowed = {"engine/store/uow.py", "engine/cases/scheduler.py", "engine/cases/migration.py",
               "engine/people/identity.py", "engine/notify/delivery.py", "engine/notify/reminders.py",
               "engine/services/bulk.py",
               # a message or signal reaches each case in a unit of work of its own, as the timer sweep fires them
               "engine/integration/delivery.py", "engine/integration/messages.py"}
    callers = set()
    for path in sorted(list((ROOT / "engine").rglob("*.py")) + list((ROOT / "tasks").rglob("*.py"))):
        if ".commit()" in path.read_text():
            callers.add(str(path.relative_to(ROOT)))
    assert callers <= allowed, callers - allowed


def _fresh_url(tmp_path: Path) -> str:
    if PG_URL is None:
        return f"sqlite:///{tmp_path}/migrated.db"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS onestop_migrations"))
        connection.execute(text("CREATE DATABASE onestop_migrations"))
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/onestop_migrations"


def test_migrations_from_empty_produce_exactly_the_models_schema(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from engine.store.db import make_engine, upgrade
    from engine.store.models import Base

    url = _fresh_url(tmp_path)
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        version = connection.execute(text("select version_num from alembic_version")).scalar()
    engine.dispose()
    assert diff == []
    assert version is not None
    upgrade(url)  # at head already: a no-op


def _revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    from engine.store.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]  # oldest first


def test_there_is_one_line_of_revisions_from_empty_to_head():
    from alembic.script import ScriptDirectory

    from engine.store.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1 and len(script.get_bases()) == 1
    assert len(_revisions()) >= 2


@pytest.mark.parametrize("revision", _revisions()[:-1])
def test_a_database_at_an_earlier_revision_upgrades_to_the_models_schema_and_keeps_its_rows(tmp_path, revision):
    """A deployment running an older release: its schema at ``revision`` with data in it, then `onestop db
    upgrade`. The rows stay, the schema becomes exactly the models', and downgrading back and up again works."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from engine.store.db import alembic_config, make_engine, upgrade
    from engine.store.models import Base

    url = _fresh_url(tmp_path)
    upgrade(url, revision)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (username, display_name, role, password_hash, active, failed_logins, created_at) "
            "VALUES ('wang', '王', 'staff', 'x', true, 0, '2026-10-01 10:00:00')"))
        connection.execute(text(
            "INSERT INTO process_models (key, version, name, content_hash, links, deployed_by, deployed_at) "
            "VALUES ('flow', 1, 'flow', 'h', '{}', 'designer', '2026-10-01 10:00:00')"))
    engine.dispose()

    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        users = connection.execute(text("SELECT username FROM users")).scalars().all()
        models = connection.execute(text("SELECT key, version FROM process_models")).all()
    engine.dispose()
    assert diff == []
    assert users == ["wang"] and [tuple(m) for m in models] == [("flow", 1)]

    config = alembic_config(url)
    command.downgrade(config, revision)
    command.upgrade(config, "head")
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 1
    engine.dispose()
