"""Restricted evaluation of BPMN/DMN expressions and scripts: AST whitelist, guarded builtins, budgets."""

from __future__ import annotations

import builtins
import importlib
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sized
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any, Literal

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.bpmn.case_data import UnstorableValue, check_value
from engine.bpmn.sandbox_ast import (
    BARE,
    CALLED,
    CHARGE,
    FMT,
    METHOD,
    PASSED,
    SAFE_BUILTIN_NAMES,
    STEP,
    STORED,
    Compiled,
    RefusedSource,
    compile_restricted,
)
from engine.bpmn.sandbox_ast import check_source as check_source
from engine.errors import ExpressionError, ExpressionTimeout
from engine.sandbox.child import report_progress

__all__ = ["RestrictedScriptEngine", "check_source", "evaluate_expression", "execute_script"]

DEFAULT_MAX_STEPS = 100_000
DEFAULT_TIMEOUT_SECONDS = 1.0
MAX_SIZE = 10_000_000  # elements or characters of one result
MAX_RANGE = 100_000  # numbers in one range()
MAX_INT_BITS = 4096  # size of an integer made by *, ** or <<
MAX_ROUND_DIGITS = 1000
MAX_FANOUT = 100  # sequences zip() or map() may walk in step
MAX_NESTING = 100  # levels of nested containers a value may have to be shown as text or repeated
MAX_MEMORY_GROWTH = 256 * 2**20  # bytes of resident memory a looping script may add
MEMORY_CHECK_INTERVAL = 0.005  # seconds between memory checks inside loops
MAX_CACHED = 10_000  # compiled sources kept per mode
MAX_RUN_ALLOCATION = MAX_MEMORY_GROWTH  # bytes of large values (strings, lists...) one run may make
LARGE_VALUE = 64 * 1024  # bytes from which a value made by an operator or method counts against that

_NO_FUNCTIONS: Mapping[str, Callable[..., Any]] = MappingProxyType({})
_MISSING = object()
_SEQUENCES = (str, bytes, list, tuple)
_CONTAINERS = (list, tuple, set, frozenset, dict)
_STRFTIME = re.compile(r"(?:[^%]|%[a-zA-Z%])*")


def _too_big(what: str) -> ExpressionError:
    return ExpressionError(f"{what} would be too large (limit {MAX_SIZE:,} elements or characters)")


def _logical_size(obj: object, budget: int) -> int:
    """Elements and string characters reachable from ``obj``, counting a shared part each time it appears
    (as its text, a comparison or a join would); more than ``budget`` when too big or too deep."""
    memo: dict[int, int] = {}
    active: set[int] = set()
    heavy = (*_CONTAINERS, str, bytes)

    def size(item: object, depth: int) -> int:
        if isinstance(item, str | bytes):
            return len(item)
        if not isinstance(item, list | tuple | set | frozenset | dict):
            return 0
        key = id(item)
        if key in memo:
            return memo[key]
        if key in active:
            return 1  # a cycle: its text shows "[...]"
        if depth > MAX_NESTING:
            return budget + 1
        total = len(item)
        children: list[Any] = [*item.keys(), *item.values()] if isinstance(item, dict) else list(item)
        kinds = set(map(type, children))
        if kinds <= {str}:
            total += sum(map(len, children))
        elif any(issubclass(kind, heavy) for kind in kinds):
            active.add(key)
            for child in children:
                if total > budget:
                    break
                if isinstance(child, heavy):
                    total += size(child, depth + 1)
            active.discard(key)
        memo[key] = total
        return total

    return size(obj, 0)


def _check_repr(value: object) -> None:
    if isinstance(value, _CONTAINERS) and _logical_size(value, MAX_SIZE) > MAX_SIZE:
        raise _too_big("the text of this value")


def _check_repeat(seq: Any, times: int) -> None:
    if times <= 1:
        return
    if len(seq) * times > MAX_SIZE:
        raise _too_big(f"repeating a {type(seq).__name__} {times:,} times")
    nested = isinstance(seq, list | tuple) and _logical_size(seq, MAX_SIZE // times)
    if nested and nested * times > MAX_SIZE:
        raise _too_big(f"repeating a nested {type(seq).__name__} {times:,} times")


# The bytes of large values made so far by the current run: without a loop no memory check runs, so a script
# of many lines each making a 10 MB string would otherwise grow the process without bound.
_ALLOCATED: ContextVar[list[int] | None] = ContextVar("onestop_sandbox_allocated", default=None)


def _charged(value: Any) -> Any:
    if isinstance(value, str | bytes | list | tuple | set | frozenset | dict):
        size = sys.getsizeof(value)
        spent = _ALLOCATED.get() if size >= LARGE_VALUE else None
        if spent is not None:
            spent[0] += size
            if spent[0] > MAX_RUN_ALLOCATION:
                raise ExpressionError(f"stopped after making {MAX_RUN_ALLOCATION >> 20} MiB of large values "
                                      "(the limit)")
    return value


def _check_int_bits(bits: int, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise ExpressionError(f"{what} would give a number over {MAX_INT_BITS} bits")


# --- guarded operators (the instrumenter rewrites a*b into _mul(a, b) and so on) -------------------------

def _mul(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        _check_int_bits(a.bit_length() + b.bit_length(), "multiplication")
    elif isinstance(a, _SEQUENCES) and isinstance(b, int):
        _check_repeat(a, b)
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        _check_repeat(b, a)
    return _charged(a * b)


def _imul(a: Any, b: Any) -> Any:
    if isinstance(a, list) and isinstance(b, int):
        _check_repeat(a, b)
        a *= b
        return a
    return _mul(a, b)


def _sized_sum(a: Any, b: Any, kinds: tuple[type[Sized], ...]) -> None:
    if isinstance(a, kinds) and isinstance(b, kinds) and len(a) + len(b) > MAX_SIZE:
        raise _too_big(f"joining two {type(a).__name__}s")


def _add(a: Any, b: Any) -> Any:
    _sized_sum(a, b, _SEQUENCES)
    return _charged(a + b)


def _iadd(a: Any, b: Any) -> Any:
    _sized_sum(a, b, (*_SEQUENCES, set, dict, range))
    result = a
    result += b
    return result if result is a else _charged(result)  # a list grown in place is not a new value


def _or(a: Any, b: Any) -> Any:
    _sized_sum(a, b, (set, frozenset, dict))
    return _charged(a | b)


def _ior(a: Any, b: Any) -> Any:
    _sized_sum(a, b, (set, frozenset, dict))
    result = a
    result |= b
    return result if result is a else _charged(result)


def _pow(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        _check_int_bits(a.bit_length() * b, "power")
    return a**b


def _lshift(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        _check_int_bits(a.bit_length() + b, "shift")
    return a << b


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, str | bytes):
        raise ExpressionError("%-formatting of strings is not allowed (use an f-string)")
    return a % b


def _fmt(value: Any) -> Any:
    _check_repr(value)
    return value


# --- guarded methods: obj.join(x) becomes _method(obj, "join", x) for the names in GUARDED_METHODS ----------

def _guard_pad(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    if isinstance(obj, str | bytes) and args and isinstance(args[0], int) and args[0] > MAX_SIZE:
        raise _too_big("padding a string")
    return args


def _guard_replace(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    if isinstance(obj, str) and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        old, new = args[0], args[1]
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        hits = obj.count(old) if old else len(obj) + 1
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        if len(obj) + hits * (len(new) - len(old)) > MAX_SIZE:
            raise _too_big("replace()")
    return args


def _guard_join(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    if isinstance(obj, str) and len(args) == 1:
        items = list(args[0])
        try:
            size = sum(map(len, items)) + len(obj) * max(len(items) - 1, 0)
        except TypeError:
            size = 0  # join() itself will refuse the non-strings
        if size > MAX_SIZE:
            raise _too_big("join()")
        return (items,)
    return args


def _guard_strftime(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    pattern = args[0] if args else kwargs.get("format")
    if isinstance(pattern, str) and (len(pattern) > 200 or not _STRFTIME.fullmatch(pattern)):
        raise ExpressionError("strftime() formats may hold plain text and %-letter codes only (no widths)")
    return args


def _guard_grow(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    if isinstance(obj, list | set | dict):
        items = tuple(arg if isinstance(arg, list | tuple | set | frozenset | dict | str) else list(arg)
                      for arg in args)
        if len(obj) + sum(map(len, items)) + len(kwargs) > MAX_SIZE:
            raise _too_big(f"{type(obj).__name__} after adding")
        return items
    return args


_METHOD_GUARDS: dict[str, Callable[[Any, tuple[Any, ...], dict[str, Any]], tuple[Any, ...]]] = {
    "center": _guard_pad, "ljust": _guard_pad, "rjust": _guard_pad, "zfill": _guard_pad,
    "replace": _guard_replace, "join": _guard_join, "strftime": _guard_strftime,
    "extend": _guard_grow, "update": _guard_grow,
}


def _method(obj: Any, name: str, /, *args: Any, **kwargs: Any) -> Any:
    if isinstance(obj, type | _CountedBuiltin):
        raise ExpressionError(f"call {name}() on a value, not on a type")
    guard = _METHOD_GUARDS.get(name)
    if guard is not None:
        args = guard(obj, args, kwargs)
    result = getattr(obj, name)(*args, **kwargs)
    # A method that changes its object in place (append, extend...) returns None: loops that grow a list are
    # bounded by the memory check of their steps instead of being charged the whole list at every call.
    return result if result is None or result is obj else _charged(result)


# --- guarded builtins ---------------------------------------------------------------------------------------

def _range(*args: Any) -> range:
    numbers = range(*args)
    try:
        length = len(numbers)
    except OverflowError:
        length = MAX_RANGE + 1
    if length > MAX_RANGE:
        raise ExpressionError(f"range() is limited to {MAX_RANGE:,} numbers")
    return numbers


def _round(number: Any, ndigits: Any = None) -> Any:
    if ndigits is None:
        return round(number)
    if isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise ExpressionError(f"round() takes at most {MAX_ROUND_DIGITS} digits")
    return round(number, ndigits)


def _str(*args: Any, **kwargs: Any) -> str:
    _check_repr(args[0] if args else kwargs.get("object"))
    return str(*args, **kwargs)


def _check_fanout(name: str, iterables: tuple[Any, ...]) -> None:
    lengths = [len(it) for it in iterables if isinstance(it, Sized)]
    if len(iterables) > MAX_FANOUT or (lengths and len(iterables) * min(lengths) > MAX_SIZE):
        raise ExpressionError(f"{name}() over {len(iterables)} sequences would be too large")


def _zip(*iterables: Any, strict: bool = False) -> Any:
    _check_fanout("zip", iterables)
    return zip(*iterables, strict=strict)


def _map(function: Callable[..., Any], /, *iterables: Any) -> Any:
    _check_fanout("map", iterables)
    return map(function, *iterables)


def _sum(iterable: Iterable[Any], /, start: Any = 0) -> Any:
    if not isinstance(start, int | float):
        raise ExpressionError("sum() adds numbers only")
    return sum(iterable, start)


def _internal_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
                     level: int = 0) -> Any:
    """``__import__`` as seen by C code running in a sandbox frame (date formatting imports ``time``).

    User code can never name it (``_`` names are refused); only these modules are handed out."""
    if level == 0 and name in _INTERNAL_IMPORTS:
        return importlib.import_module(name)
    raise ImportError(f"import of {name!r} is not allowed")


class _CountedBuiltin:
    """A builtin that copies (list(), sorted()...), its result counted against the run's allocation; like the
    type it stands for, it has no methods to call."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[..., Any]) -> None:
        self.make = make

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _charged(self.make(*args, **kwargs))


_INTERNAL_IMPORTS = frozenset({"time", "_strptime", "datetime", "_datetime"})
_SAFE_BUILTINS: dict[str, Any] = {
    **{name: getattr(builtins, name) for name in SAFE_BUILTIN_NAMES},
    "range": _range, "round": _round, "str": _str, "sum": _sum, "zip": _zip, "map": _map,
    "_add": _add, "_iadd": _iadd, "_mul": _mul, "_imul": _imul, "_pow": _pow, "_lshift": _lshift,
    "_mod": _mod, "_or": _or, "_ior": _ior, FMT: _fmt, METHOD: _method, CHARGE: _charged,
    "__import__": _internal_import,
    **{name: _CountedBuiltin(getattr(builtins, name)) for name in ("list", "tuple", "set", "dict", "sorted")},
}


# --- step and time budget --------------------------------------------------------------------------------

def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class _Budget:
    """Counts loop iterations (``_step()`` is inserted into every loop body and comprehension)."""

    __slots__ = ("steps", "max_steps", "timeout", "deadline", "next_memory_check", "memory_start")

    def __init__(self, max_steps: int, timeout: float) -> None:
        now = time.monotonic()
        self.steps, self.max_steps, self.timeout = 0, max_steps, timeout
        self.deadline = now + timeout
        self.next_memory_check = now + MEMORY_CHECK_INTERVAL
        self.memory_start = -1

    def step(self) -> bool:
        self.steps += 1
        if self.steps > self.max_steps:
            raise ExpressionTimeout(f"stopped after {self.max_steps:,} loop steps (the limit)")
        now = time.monotonic()
        if now > self.deadline:
            raise ExpressionTimeout(f"stopped after running {self.timeout:g} s (the limit)")
        if now >= self.next_memory_check:
            self.next_memory_check = now + MEMORY_CHECK_INTERVAL
            resident = _resident_bytes()
            if self.memory_start < 0:
                self.memory_start = resident
            elif resident - self.memory_start > MAX_MEMORY_GROWTH:
                raise ExpressionError(f"stopped after using {MAX_MEMORY_GROWTH >> 20} MiB more memory")
        return True


# --- compile cache and namespaces ------------------------------------------------------------------------

_CACHES: dict[str, dict[str, Compiled]] = {"eval": {}, "exec": {}}
_EVAL_CACHE, _EXEC_CACHE = _CACHES["eval"], _CACHES["exec"]


def _compiled(source: str, mode: Literal["eval", "exec"]) -> Compiled:
    if not isinstance(source, str):
        raise ExpressionError(f"expected the text of an expression, got {type(source).__name__}")
    try:
        entry = compile_restricted(source, mode)
    except RefusedSource as err:
        details = [{"line": line, "message": message} for line, message in err.problems]
        raise ExpressionError(err.problems[0][1], line=err.problems[0][0], details=details) from None
    except SyntaxError as err:
        raise ExpressionError(f"syntax error: {err.msg}", line=err.lineno) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the source is nested too deeply", line=1) from None
    cache = _CACHES[mode]
    if len(cache) >= MAX_CACHED:
        cache.clear()
    cache[source] = entry
    return entry


def _counted(function: Callable[..., Any], step: Callable[[], bool]) -> Callable[..., Any]:
    """A provided function passed to map(), sorted(key=...) and the like: each call is a loop step."""
    def counted(*args: Any, **kwargs: Any) -> Any:
        step()
        return function(*args, **kwargs)
    return counted


def _namespace(entry: Compiled, data: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]],
               external: Mapping[str, Any] | None, max_steps: int, timeout: float) -> dict[str, Any]:
    """Globals for one run: the names the code uses, functions first, then data, then external context."""
    namespace: dict[str, Any] = {"__builtins__": _SAFE_BUILTINS}
    step: Callable[[], bool] | None = _Budget(max_steps, timeout).step if entry.has_loops else None
    for name, flags, line in entry.names:
        if name in functions:
            if flags & STORED:
                raise ExpressionError(f"cannot assign to '{name}': it is a function", line=line)
            if flags & BARE:
                raise ExpressionError(f"function '{name}' can only be called or passed as an argument",
                                      line=line)
            function = functions[name]
            if flags & PASSED:
                step = step or _Budget(max_steps, timeout).step
                function = _counted(function, step)
            namespace[name] = function
        elif name in _SAFE_BUILTINS:
            continue  # builtins come from __builtins__ only: a data key of that name changes nothing
        elif flags & CALLED:
            raise ExpressionError(f"'{name}' is not a known function", line=line)
        elif name in data:
            namespace[name] = data[name]
        elif external is not None and name in external:
            namespace[name] = external[name]
    if step is not None:
        namespace[STEP] = step
    return namespace


def _error_line(err: BaseException) -> int | None:
    """The line of the user's source where ``err`` happened, if known."""
    if isinstance(err, ExpressionError) and err.line:
        return err.line
    if isinstance(err, SyntaxError):
        return err.lineno
    frames = traceback.extract_tb(err.__traceback__)
    lines = [frame.lineno for frame in frames if frame.filename == "<string>"]
    return lines[-1] if lines else None


def evaluate_expression(expression: str, data: Mapping[str, Any],
                        functions: Mapping[str, Callable[..., Any]] = _NO_FUNCTIONS, *,
                        external_context: Mapping[str, Any] | None = None,
                        max_steps: int = DEFAULT_MAX_STEPS,
                        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> Any:
    """Value of ``expression`` with ``data`` readable by name; never changes ``data``.

    Refused or over-budget code raises ExpressionError/ExpressionTimeout; other runtime errors (NameError,
    ZeroDivisionError, ...) propagate unchanged."""
    entry = _EVAL_CACHE.get(expression) or _compiled(expression, "eval")
    namespace = _namespace(entry, data, functions, external_context, max_steps, timeout_seconds)
    allocated = _ALLOCATED.set([0])
    try:
        # Safe: the code passed the AST whitelist and runs with the guarded builtins only.
        return eval(entry.code, namespace)  # noqa: S307
    except ExpressionError as err:
        err.line = err.line or _error_line(err)
        raise
    finally:
        _ALLOCATED.reset(allocated)


def execute_script(script: str, data: dict[str, Any],
                   functions: Mapping[str, Callable[..., Any]] = _NO_FUNCTIONS, *,
                   external_context: Mapping[str, Any] | None = None,
                   max_steps: int = DEFAULT_MAX_STEPS,
                   timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
    """Run ``script`` and store its assignments (and deletions) in ``data``; nothing else is added.

    On an error ``data`` keeps its keys (objects changed in place before the error stay changed)."""
    entry = _EXEC_CACHE.get(script) or _compiled(script, "exec")
    namespace = _namespace(entry, data, functions, external_context, max_steps, timeout_seconds)
    before = dict(namespace)
    allocated = _ALLOCATED.set([0])
    try:
        # Safe: the code passed the AST whitelist and runs with the guarded builtins only.
        exec(entry.code, namespace)  # noqa: S102
    except ExpressionError as err:
        err.line = err.line or _error_line(err)
        raise
    finally:
        _ALLOCATED.reset(allocated)
    updates: dict[str, Any] = {}
    for name, value in namespace.items():
        if name.startswith("_") or name in functions or before.get(name, _MISSING) is value:
            continue
        if callable(value):
            raise ExpressionError(f"'{name}' would hold a function, which task data cannot")
        updates[name] = value
    removed = [name for name in before if name not in namespace and name in data]
    data.update(updates)
    for name in removed:
        del data[name]


# --- the SpiffWorkflow engine ------------------------------------------------------------------------------

def _report(task: Any) -> None:
    """Say which element's code runs now: if the run is killed at its limit, the error names it."""
    spec = getattr(task, "task_spec", None)
    if spec is not None:
        name = getattr(spec, "bpmn_name", None)
        report_progress(f"{spec.name} ({name})" if name else str(spec.name))


def _check_results(data: Mapping[str, Any], before: Mapping[str, int]) -> None:
    """What a script stored must be case data (engine/bpmn/case_data.py): a `range`, `1j` or a list holding
    itself is refused here, naming the variable, instead of breaking the save and every later view."""
    for name, value in data.items():
        if before.get(name) != id(value):
            try:
                check_value(name, value)
            except UnstorableValue as err:
                raise ExpressionError(f"the script stored {err}") from None


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Spiff's environment interface (used directly by process completion conditions and correlations)."""

    def __init__(self, engine: RestrictedScriptEngine) -> None:
        super().__init__()
        self.engine = engine

    def evaluate(self, expression: str, context: Mapping[str, Any],
                 external_context: Mapping[str, Any] | None = None) -> Any:
        engine = self.engine
        return evaluate_expression(expression, context, engine.functions, external_context=external_context,
                                   max_steps=engine.max_steps, timeout_seconds=engine.timeout_seconds)

    def execute(self, script: str, context: dict[str, Any],
                external_context: Mapping[str, Any] | None = None) -> bool:
        engine = self.engine
        execute_script(script, context, engine.functions, external_context=external_context,
                       max_steps=engine.max_steps, timeout_seconds=engine.timeout_seconds)
        return True

    def call_service(self, context: Mapping[str, Any], **kwargs: Any) -> Any:
        raise ExpressionError("the engine calls no service itself: a service task waits for an external worker")


class RestrictedScriptEngine(PythonScriptEngine):
    """Spiff script engine running diagram expressions and scripts in the restricted sandbox."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None, *,
                 max_steps: int = DEFAULT_MAX_STEPS,
                 timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        super().__init__(environment=RestrictedEnvironment(self))
        self.functions: dict[str, Callable[..., Any]] = dict(functions or {})
        self.max_steps = max_steps
        self.timeout_seconds = timeout_seconds

    def evaluate(self, task: Any, expression: str, external_context: Mapping[str, Any] | None = None) -> Any:
        _report(task)
        try:
            return evaluate_expression(expression, task.data, self.functions,
                                       external_context=external_context, max_steps=self.max_steps,
                                       timeout_seconds=self.timeout_seconds)
        except SpiffWorkflowException as err:  # raised by a provided function
            err.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as err:
            raise WorkflowTaskException(f"Error evaluating expression '{expression}': {_describe(err)}",
                                        task=task, exception=err, line_number=_error_line(err)) from err

    def execute(self, task: Any, script: str, external_context: Mapping[str, Any] | None = None) -> bool:
        _report(task)
        try:
            before = {name: id(value) for name, value in task.data.items()}
            execute_script(script, task.data, self.functions, external_context=external_context,
                           max_steps=self.max_steps, timeout_seconds=self.timeout_seconds)
            _check_results(task.data, before)
        except SpiffWorkflowException as err:
            raise self.create_task_exec_exception(task, script, err)  # noqa: B904 - it is err itself
        except Exception as err:
            raise self.create_task_exec_exception(task, script, err) from err
        return True

    def create_task_exec_exception(self, task: Any, script: str, err: Exception) -> Exception:
        line = _error_line(err)
        lines = script.splitlines()
        error_line = lines[line - 1] if line and 0 < line <= len(lines) else ""
        if isinstance(err, SpiffWorkflowException):
            err.line_number, err.error_line = line, error_line  # type: ignore[attr-defined]
            err.add_note(f"Python script error on line {line}: '{error_line}'")
            return err
        return WorkflowTaskException(_describe(err), task=task, exception=err, line_number=line,
                                     error_line=error_line)

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        # Never reached by the platform's service tasks (engine/bpmn/service_tasks.py), which wait for a worker.
        err = ExpressionError("the engine calls no service itself: a service task waits for an external worker")
        raise WorkflowTaskException(_describe(err), task=task, exception=err) from err
