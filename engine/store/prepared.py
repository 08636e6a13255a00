"""The hot path's statements, compiled once per database kind and run on the unit's own DBAPI connection.

A case's requests run the same dozen Core statements over and over (the case row, its task rows, its history,
the notifications, the task list). SQLAlchemy builds them; what it does again at every call — look the compiled
form up, set up an execution context, build result metadata, walk its event and ORM layers — cost more than the
database's own work (issue 18's profile). Here a statement is compiled once for each set of parameter names, its
type conversions are taken from SQLAlchemy (so values are stored exactly as the ORM stores and reads them), and
each call does only: convert the parameters, execute on the session's connection (inside the unit's transaction,
its write lock taken as before), convert the rows.

What stays the same: the engine's ``before_cursor_execute`` / ``after_cursor_execute`` listeners are called for
every statement (SQLite's guard against an optimistic unit writing without the lock, PostgreSQL's statement
deadline, the statement counts of tests/test_request_cost.py), and a database error is raised as SQLAlchemy's
exception of the same kind. A statement this module cannot run exactly as SQLAlchemy would (an ``IN`` list that
expands, a column default computed in Python, a value computed at execution) goes through ``session.execute``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect

from engine.store.uow import UnitOfWork

#: Compiled forms kept (statement × database kind × parameter names); past it the cache starts again.
MAX_COMPILED = 512
#: Parameters one SQLite statement may hold (SQLite's own limit is 32,766): an INSERT of more rows than fit goes
#: through SQLAlchemy, which splits it.
SQLITE_MAX_PARAMETERS = 32_000
_MISSING = object()


class _NotPrepared(Exception):
    """The statement needs something only SQLAlchemy's own execution does: run it through the session."""


class Row(tuple):  # type: ignore[type-arg]
    """A result row: a tuple with its values by column name as attributes and in ``_mapping`` (like
    SQLAlchemy's Row, for the callers' purposes)."""

    __slots__ = ()
    _names: tuple[str, ...] = ()
    _index: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self._index[name]]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self) -> dict[str, Any]:
        return dict(zip(self._names, self, strict=True))


def _row_class(names: Sequence[str]) -> type[Row]:
    attributes: dict[str, Any] = {"__slots__": (), "_names": tuple(names),
                                  "_index": {name: i for i, name in enumerate(names)}}
    for i, name in enumerate(names):  # a property per column: read at C speed, not through __getattr__
        if name.isidentifier() and not name.startswith("_") and not hasattr(tuple, name):
            attributes[name] = property(itemgetter(i))
    return type("Row", (Row,), attributes)


class _Compiled:
    """One statement compiled for one database kind and one set of parameter names."""

    def __init__(self, statement: Any, dialect: Dialect, keys: Sequence[str] | None) -> None:
        compiled: Any = statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
        if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
            raise _NotPrepared("a column default computed in Python")
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        escaped = getattr(compiled, "escaped_bind_names", None) or {}
        order = list(compiled.positiontup or ()) if self.positional else list(compiled.binds)
        self.binds: list[tuple[str, str, Any, Any]] = []  # (name in SQL, parameter key, default, converter)
        for name in order:
            bind = compiled.binds[name]
            if bind.expanding or bind.literal_execute or bind.callable is not None:
                raise _NotPrepared("a parameter SQLAlchemy renders at execution")
            default = _MISSING if bind.required or (keys is not None and bind.key in keys) else bind.value
            self.binds.append((escaped.get(name, name), bind.key, default,
                               bind.type._cached_bind_processor(dialect)))  # noqa: SLF001 — SQLAlchemy's own
        columns: list[Any] = list(getattr(statement, "selected_columns", None)
                                 or getattr(statement, "exported_columns", None) or ())
        self.columns = [(column.key if column.key is not None else f"_{i}", column.type)  # unnamed: by position
                        for i, column in enumerate(columns)]
        self.row_class = _row_class([key for key, _type in self.columns]) if columns else None
        # (position, converter) of the columns whose values need converting: known at the first execution (a
        # converter may depend on the type the database says it answered).
        self.results: list[tuple[int, Any]] | None = None
        self.dialect = dialect

    def parameters(self, given: Mapping[str, Any]) -> Any:
        values = []
        for _name, key, default, convert in self.binds:
            value = given.get(key, default)
            if value is _MISSING:
                raise exc.ArgumentError(f"a value is required for the parameter {key!r}")
            values.append(convert(value) if convert is not None else value)
        if self.positional:
            return tuple(values)
        return {name: value for (name, _key, _default, _convert), value in zip(self.binds, values, strict=True)}

    def rows(self, raw: Iterable[Sequence[Any]], description: Any) -> list[Row]:
        assert self.row_class is not None
        if self.results is None:
            found = [column_type._cached_result_processor(self.dialect, described[1])  # noqa: SLF001
                     for (_key, column_type), described in zip(self.columns, description, strict=True)]
            self.results = [(i, convert) for i, convert in enumerate(found) if convert is not None]
        converters = self.results
        made = self.row_class
        out = []
        for values in raw:
            if converters:
                values = list(values)
                for i, convert in converters:
                    values[i] = convert(values[i])
            out.append(made(values))
        return out


_CACHE: dict[tuple[int, str, tuple[str, ...] | None], _Compiled | None] = {}
_KEEP: dict[int, Any] = {}  # the statements cached, so an id is never reused while cached
_LOCK = threading.Lock()


def _compiled(statement: Any, dialect: Dialect, keys: tuple[str, ...] | None) -> _Compiled | None:
    key = (id(statement), dialect.name, keys)
    found = _CACHE.get(key, _MISSING)
    if found is not _MISSING:
        return found  # type: ignore[return-value]
    try:
        made: _Compiled | None = _Compiled(statement, dialect, keys)
    except _NotPrepared:
        made = None
    with _LOCK:
        if len(_CACHE) >= MAX_COMPILED:
            _CACHE.clear()
            _KEEP.clear()
        _CACHE[key] = made
        _KEEP[id(statement)] = statement
    return made


def _keys(statement: Any, params: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    """The parameter names that decide an INSERT's or UPDATE's columns (SQLAlchemy compiles those per name set)."""
    if params is None or not getattr(statement, "is_dml", False):
        return None
    return tuple(sorted(params))


def _run(uow: UnitOfWork, compiled: _Compiled, parameters: Any, *, many: bool,
         returning: bool = False) -> tuple[Any, Any, int]:
    """Execute on the unit's connection, with the engine's cursor listeners; (rows or None, description,
    rowcount)."""
    connection: Connection = uow.connection()
    proxied = connection.connection
    cursor = proxied.cursor()
    dispatch = connection.dispatch
    listened = connection._has_events or connection.engine._has_events  # noqa: SLF001
    try:
        if listened:
            dispatch.before_cursor_execute(connection, cursor, compiled.sql, parameters, None, many)
        try:
            if returning:  # psycopg: the rows of each execution, one result set each
                cursor.executemany(compiled.sql, parameters, returning=True)  # type: ignore[call-arg]
                raw: Any = []
                while True:
                    raw += cursor.fetchall()
                    if not cursor.nextset():
                        break
            else:
                if many:
                    cursor.executemany(compiled.sql, parameters)
                else:
                    cursor.execute(compiled.sql, parameters)
                raw = cursor.fetchall() if cursor.description is not None else None
        except compiled.dialect.loaded_dbapi.Error as error:
            raise exc.DBAPIError.instance(compiled.sql, parameters, error,
                                          compiled.dialect.loaded_dbapi.Error) from error
        finally:
            if listened:
                dispatch.after_cursor_execute(connection, cursor, compiled.sql, parameters, None, many)
        return raw, cursor.description, cursor.rowcount
    finally:
        cursor.close()


def rows(uow: UnitOfWork, statement: Any, params: Mapping[str, Any] | None = None) -> list[Any]:
    """The rows a SELECT (or a statement with RETURNING) answers."""
    compiled = _compiled(statement, uow.platform.engine.dialect, _keys(statement, params))
    if compiled is None or compiled.row_class is None:
        return list(uow.session.execute(statement, params).all())
    raw, description, _count = _run(uow, compiled, compiled.parameters(params or {}), many=False)
    return compiled.rows(raw or (), description)


def first(uow: UnitOfWork, statement: Any, params: Mapping[str, Any] | None = None) -> Any:
    """The first row, or None."""
    found = rows(uow, statement, params)
    return found[0] if found else None


def scalar(uow: UnitOfWork, statement: Any, params: Mapping[str, Any] | None = None) -> Any:
    """The one value of the one row a statement answers (an error if there is none)."""
    found = rows(uow, statement, params)
    if not found:
        raise exc.NoResultFound("no row was found when one was required")
    return found[0][0]


def execute(uow: UnitOfWork, statement: Any, params: Mapping[str, Any] | None = None) -> int:
    """Run a statement that answers no rows; the number of rows it changed."""
    compiled = _compiled(statement, uow.platform.engine.dialect, _keys(statement, params))
    if compiled is None:
        return int(uow.session.execute(statement, params).rowcount)  # type: ignore[attr-defined]
    _raw, _description, count = _run(uow, compiled, compiled.parameters(params or {}), many=False)
    return int(count)


def execute_many(uow: UnitOfWork, statement: Any, params: Sequence[Mapping[str, Any]]) -> None:
    """Run a statement that answers no rows once for each parameter set, in one call to the database driver.
    Every set must name the same parameters."""
    if not params:
        return
    compiled = _compiled(statement, uow.platform.engine.dialect, _keys(statement, params[0]))
    if compiled is None or any(p.keys() != params[0].keys() for p in params):
        uow.session.execute(statement, list(params))
        return
    _run(uow, compiled, [compiled.parameters(p) for p in params], many=True)


def _many_values(compiled: _Compiled, count: int) -> tuple[str, int] | None:
    """SQLite: the SQL of ``compiled`` (an INSERT of one row) with ``count`` rows in its VALUES, and how many
    parameters a row has; None if its VALUES is not a plain list of parameters."""
    start = compiled.sql.find(" VALUES (")
    end = compiled.sql.find(")", start)
    if start < 0 or end < 0 or compiled.sql.find(" VALUES (", end) >= 0 or "?" in compiled.sql[:start]:
        return None
    group = compiled.sql[start + 8:end + 1]
    width = group.count("?")
    if group != "(" + ", ".join(["?"] * width) + ")" or width * count + len(compiled.binds) > SQLITE_MAX_PARAMETERS or \
            any(default is _MISSING for _name, _key, default, _convert in compiled.binds[width:]):
        return None
    return compiled.sql[:start + 8] + ", ".join([group] * count) + compiled.sql[end + 1:], width


def returning_many(uow: UnitOfWork, statement: Any, params: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The rows an INSERT ... RETURNING answers for several rows, in one statement (SQLite: one INSERT with
    many VALUES; PostgreSQL: the driver's executemany with RETURNING). Every set must name the same parameters."""
    if not params:
        return []
    dialect = uow.platform.engine.dialect
    compiled = _compiled(statement, dialect, _keys(statement, params[0]))
    if compiled is None or compiled.row_class is None or any(p.keys() != params[0].keys() for p in params):
        return list(uow.session.execute(statement, list(params)).all())
    if len(params) == 1:
        raw, description, _count = _run(uow, compiled, compiled.parameters(params[0]), many=False)
        return compiled.rows(raw or (), description)
    converted = [compiled.parameters(p) for p in params]
    if dialect.name == "sqlite":
        many = _many_values(compiled, len(params))
        if many is None:
            return list(uow.session.execute(statement, list(params)).all())
        sql, width = many
        flat = [value for row in converted for value in row[:width]] + list(converted[0][width:])
        raw, description, _count = _run(uow, _Variant(compiled, sql), tuple(flat), many=False)
        return compiled.rows(raw or (), description)
    raw, description, _count = _run(uow, compiled, converted, many=True, returning=True)
    return compiled.rows(raw or (), description)


class _Variant(_Compiled):
    """A compiled statement with other SQL (the many-rows form of an INSERT), sharing its conversions."""

    def __init__(self, base: _Compiled, sql: str) -> None:  # noqa: D107 — no compile: a copy with new SQL
        self.__dict__.update(base.__dict__)
        self.sql = sql
