"""Structural rules: lower layers never import the web framework, and the schema matches its migrations."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import PG_URL, ROOT
from sqlalchemy import create_engine, text

FORBIDDEN = ("flask", "flask_login", "flask_wtf", "flask_babel", "werkzeug", "ui")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
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


def test_transactions_are_committed_only_where_a_unit_of_work_begins():
    """Requests and commands (ui/), and the engine's own loops that open one unit of work per case
    (timer sweeps, bulk migration) commit; service functions never do."""
    allowed = {"engine/uow.py", "engine/scheduler.py", "engine/migration.py", "engine/identity.py"}
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

    from engine.db import make_engine, upgrade
    from engine.models import Base

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
