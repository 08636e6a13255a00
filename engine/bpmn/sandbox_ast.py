"""AST whitelist, static checks and instrumentation behind the restricted expression engine."""

from __future__ import annotations

import ast
import re
import textwrap
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import CodeType
from typing import Literal, TypeVar

Mode = Literal["eval", "exec"]
Problem = tuple[int, str]
T = TypeVar("T")

MAX_SOURCE_CHARS = 100_000

#: The builtins offered to expressions (scripting.py supplies the, partly guarded, implementations).
SAFE_BUILTIN_NAMES = frozenset({
    "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "int", "len", "list", "map",
    "max", "min", "range", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip",
})

#: Names refused outright, whatever the data holds (the builtins offered are only SAFE_BUILTIN_NAMES, so
#: these are refused for a clear message; other unknown names are simply data, e.g. a field named "id").
DENIED_NAMES = frozenset({
    "exec", "eval", "compile", "open", "getattr", "setattr", "delattr", "hasattr", "globals", "locals",
    "vars", "dir", "type", "object", "breakpoint", "input", "help", "memoryview", "super", "exit", "quit",
})

#: Attributes that may be read (not called): plain data of dates, times, timedeltas, numbers and ranges.
SAFE_ATTRIBUTES = frozenset({
    "year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo", "fold",
    "days", "seconds", "microseconds", "real", "imag", "numerator", "denominator", "start", "stop", "step",
})

#: Methods that may be called, by the type they are meant for.  (The name is what is checked.)
SAFE_METHODS_BY_TYPE: dict[str, frozenset[str]] = {
    "str": frozenset({
        "capitalize", "casefold", "center", "count", "endswith", "find", "index", "isalnum", "isalpha",
        "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isspace", "istitle",
        "isupper", "join", "ljust", "lower", "lstrip", "partition", "removeprefix", "removesuffix",
        "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines",
        "startswith", "strip", "swapcase", "title", "upper", "zfill",
    }),
    "list": frozenset({
        "append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort",
    }),
    "dict": frozenset({"clear", "copy", "get", "items", "keys", "pop", "popitem", "setdefault", "update",
                       "values"}),
    "set": frozenset({
        "add", "clear", "copy", "difference", "difference_update", "discard", "intersection",
        "intersection_update", "isdisjoint", "issubset", "issuperset", "pop", "remove",
        "symmetric_difference", "symmetric_difference_update", "union", "update",
    }),
    "tuple": frozenset({"count", "index"}),
    "int/float": frozenset({"as_integer_ratio", "bit_count", "bit_length", "is_integer"}),
    "date/datetime/timedelta": frozenset({
        "astimezone", "ctime", "date", "dst", "isocalendar", "isoformat", "isoweekday", "replace",
        "strftime", "time", "timestamp", "toordinal", "total_seconds", "tzname", "utcoffset", "weekday",
    }),
}
SAFE_METHODS = frozenset().union(*SAFE_METHODS_BY_TYPE.values())
#: Methods that change their object: refused in expressions (evaluation never mutates data).
MUTATING_METHODS = frozenset({
    "append", "clear", "extend", "insert", "pop", "popitem", "remove", "reverse", "sort", "setdefault",
    "update", "add", "discard", "difference_update", "intersection_update", "symmetric_difference_update",
})
#: Methods whose result size depends on their arguments: routed through a runtime guard.
GUARDED_METHODS = frozenset({"center", "join", "ljust", "replace", "rjust", "zfill", "strftime", "extend",
                             "update"})

_INTROSPECTION_PREFIXES = ("gi_", "f_", "tb_", "co_", "cr_", "ag_", "func_", "im_")
_INTROSPECTION_NAMES = frozenset({"mro", "format", "format_map", "with_traceback", "subclasses"})

# Names of the hidden runtime helpers: they start with "_", which user code can never write.
STEP = "_step"
FMT = "_fmt"
CHARGE = "_charge"
METHOD = "_method"
BINOP_HELPERS: dict[type[ast.operator], str] = {
    ast.Add: "_add", ast.Mult: "_mul", ast.Pow: "_pow", ast.LShift: "_lshift", ast.Mod: "_mod",
    ast.BitOr: "_or",
}
AUG_HELPERS: dict[type[ast.operator], str] = {**BINOP_HELPERS, ast.Add: "_iadd", ast.Mult: "_imul",
                                              ast.BitOr: "_ior"}

_ALLOWED_NODES: frozenset[type[ast.AST]] = frozenset({
    ast.Module, ast.Expression, ast.Expr, ast.Assign, ast.AugAssign, ast.For, ast.While, ast.If,
    ast.Break, ast.Continue, ast.Pass, ast.Delete, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.IfExp,
    ast.Dict, ast.Set, ast.List, ast.Tuple, ast.ListComp, ast.SetComp, ast.DictComp, ast.comprehension,
    ast.Compare, ast.Call, ast.keyword, ast.Constant, ast.Attribute, ast.Subscript, ast.Slice, ast.Name,
    ast.Starred, ast.JoinedStr, ast.FormattedValue, ast.NamedExpr,
    ast.Load, ast.Store, ast.Del, ast.And, ast.Or,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift, ast.RShift,
    ast.BitOr, ast.BitXor, ast.BitAnd, ast.Invert, ast.Not, ast.UAdd, ast.USub,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
})
_REFUSED: dict[str, str] = {
    "Import": "import is not allowed", "ImportFrom": "import is not allowed",
    "FunctionDef": "function definitions (def) are not allowed",
    "AsyncFunctionDef": "async function definitions are not allowed",
    "ClassDef": "class definitions are not allowed", "Lambda": "lambda is not allowed",
    "GeneratorExp": "generator expressions are not allowed (use a list comprehension)",
    "Yield": "yield is not allowed", "YieldFrom": "yield is not allowed", "Await": "await is not allowed",
    "Global": "global declarations are not allowed", "Nonlocal": "nonlocal declarations are not allowed",
    "With": "with statements are not allowed", "AsyncWith": "async with is not allowed",
    "AsyncFor": "async for is not allowed", "Try": "try/except is not allowed",
    "TryStar": "try/except is not allowed", "Raise": "raise is not allowed",
    "Assert": "assert is not allowed",
    "Return": "return is not allowed", "Match": "match statements are not allowed",
    "AnnAssign": "annotated assignments are not allowed", "MatMult": "the @ operator is not allowed",
}
# f-string format specs: a simple numeric/alignment spec with small widths, or a strftime-like pattern.
_NUMERIC_SPEC = re.compile(r"(.?[<>=^])?[+\- ]?z?#?0?\d{0,4}[,_]?(\.\d{1,3})?[bcdeEfFgGnosxX%]?", re.S)
_DATE_SPEC = re.compile(r"(?:[^%{}0-9]|%[a-zA-Z%])*")


def _refusal(node: ast.AST) -> str:
    name = type(node).__name__
    return _REFUSED.get(name, f"{name} is not allowed")


def spec_is_safe(spec: str) -> bool:
    """True for the f-string format specs allowed: small widths/precisions or a date pattern."""
    if _NUMERIC_SPEC.fullmatch(spec):
        return True
    return "%" in spec and len(spec) <= 100 and _DATE_SPEC.fullmatch(spec) is not None


def attribute_problem(attr: str) -> str | None:
    """Why reading attribute ``attr`` is refused, or None."""
    if attr.startswith("_"):
        return f"attribute '{attr}' is not allowed: names starting with '_' are private"
    if attr in _INTROSPECTION_NAMES or attr.startswith(_INTROSPECTION_PREFIXES):
        return f"attribute '{attr}' is not allowed: it gives access to interpreter internals"
    return None


class _Checker(ast.NodeVisitor):
    """Collects every problem of a tree; ``functions`` None or empty: not known yet, checked at run time."""

    def __init__(self, mode: Mode, functions: frozenset[str] | None) -> None:
        self.mode = mode
        self.functions = functions
        self.problems: list[Problem] = []

    def problem(self, node: ast.AST, message: str) -> None:
        self.problems.append((getattr(node, "lineno", 1), message))

    def visit(self, node: ast.AST) -> None:
        if type(node) not in _ALLOWED_NODES:
            self.problem(node, _refusal(node))
            return
        super().visit(node)

    def check_name(self, node: ast.Name, *, usage: str) -> None:
        name = node.id
        if name.startswith("_"):
            self.problem(node, f"name '{name}' is not allowed: names starting with '_' are reserved")
        elif name in DENIED_NAMES:
            self.problem(node, f"'{name}' is not available")
        elif usage == "store" and (name in SAFE_BUILTIN_NAMES or name in (self.functions or ())):
            self.problem(node, f"cannot assign to '{name}': it is a function")
        elif usage == "bare" and name in SAFE_BUILTIN_NAMES:
            self.problem(node, f"function '{name}' can only be called or passed as an argument")
        elif usage == "call" and self.functions and name not in SAFE_BUILTIN_NAMES \
                and name not in self.functions:
            self.problem(node, f"'{name}' is not a known function")

    def visit_Name(self, node: ast.Name) -> None:
        self.check_name(node, usage="bare" if isinstance(node.ctx, ast.Load) else "store")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        reason = attribute_problem(node.attr)
        if reason:
            self.problem(node, reason)
        elif not isinstance(node.ctx, ast.Load):
            self.problem(node, f"assigning to attribute '{node.attr}' is not allowed")
        elif node.attr in SAFE_METHODS and node.attr not in SAFE_ATTRIBUTES:
            self.problem(node, f"method '{node.attr}' can only be called")
        elif node.attr not in SAFE_ATTRIBUTES:
            self.problem(node, f"attribute '{node.attr}' is not allowed")
        self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            self.check_name(func, usage="call")
        elif isinstance(func, ast.Attribute):
            reason = attribute_problem(func.attr)
            if reason:
                self.problem(func, reason)
            elif func.attr not in SAFE_METHODS:
                self.problem(func, f"method '{func.attr}' is not allowed")
            elif self.mode == "eval" and func.attr in MUTATING_METHODS:
                self.problem(func, f"method '{func.attr}' changes data: not allowed in an expression")
            self.visit(func.value)
        else:
            self.problem(node, "only functions and methods can be called (not the result of an expression)")
            self.visit(func)
        for arg in node.args:
            value = arg.value if isinstance(arg, ast.Starred) else arg
            if isinstance(value, ast.Name):
                self.check_name(value, usage="arg")
            else:
                self.visit(value)
        for kw in node.keywords:
            if kw.arg is None:
                self.problem(kw.value, "**-unpacking in calls is not allowed")
            elif kw.arg.startswith("_"):
                self.problem(kw.value, f"keyword '{kw.arg}' is not allowed: '_' names are reserved")
            if isinstance(kw.value, ast.Name):
                self.check_name(kw.value, usage="arg")
            else:
                self.visit(kw.value)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        if isinstance(node.target, ast.Name):
            self.check_name(node.target, usage="store")
        self.visit(node.value)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        if node.is_async:
            self.problem(node.target, "async comprehensions are not allowed")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if not isinstance(node.target, ast.Name | ast.Subscript):
            self.problem(node, "augmented assignment works on names and subscripts only")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) \
                and isinstance(node.left.value, str | bytes):
            self.problem(node, "%-formatting of strings is not allowed (use an f-string)")
        self.generic_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            if not all(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in parts):
                self.problem(node, "f-string format specs may not contain expressions")
            else:
                text = "".join(str(p.value) for p in parts if isinstance(p, ast.Constant))
                if not spec_is_safe(text):
                    self.problem(node, f"f-string format spec '{text}' is not allowed (widths up to 9999)")
        self.visit(node.value)


def _strict(build: Callable[[], T]) -> T:
    """Run the parser or compiler with its warnings (invalid escapes, ``is`` with a literal) as errors,
    so a source is accepted or refused the same way whatever the process's warning filters are."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return build()


def _parse(source: str, mode: Mode) -> ast.Expression | ast.Module:
    if len(source) > MAX_SOURCE_CHARS:
        raise SyntaxError(f"source longer than {MAX_SOURCE_CHARS} characters", ("<string>", 1, 0, "", 1, 0))
    if mode == "eval":
        body = source.lstrip().rstrip()
        offset = source[: len(source) - len(body)].count("\n")
        try:
            expression = _strict(lambda: ast.parse(body, "<string>", mode="eval"))
        except SyntaxError as error:
            if error.lineno is not None:
                error.lineno += offset
            raise
        return ast.increment_lineno(expression, offset) if offset else expression
    try:
        return _strict(lambda: ast.parse(source, "<string>", mode="exec"))
    except IndentationError:  # scripts copied from an indented XML element: dedent keeps the line numbers
        return _strict(lambda: ast.parse(textwrap.dedent(source), "<string>", mode="exec"))


def _problems(tree: ast.AST, mode: Mode, functions: frozenset[str] | None) -> list[Problem]:
    checker = _Checker(mode, functions)
    try:
        checker.visit(tree)
    except RecursionError:
        return [(1, "the source is nested too deeply")]
    return sorted(checker.problems, key=lambda problem: problem[0])


def check_source(source: str, mode: Mode, *, reserved: Iterable[str] = ()) -> list[Problem]:
    """Every problem of ``source`` as (line, message), empty when acceptable.

    ``reserved`` names (the functions offered at run time) may not be assigned to; when given, calling
    a name that is neither reserved nor a builtin is reported too."""
    try:
        tree = _parse(source, mode)
    except SyntaxError as err:
        return [(err.lineno or 1, f"syntax error: {err.msg}")]
    except (RecursionError, MemoryError):
        return [(1, "the source is nested too deeply")]
    problems = _problems(tree, mode, frozenset(reserved))
    if not problems:
        try:  # the compiler finds a few more, such as 'break' outside a loop
            _strict(lambda: compile(tree, "<string>", mode))
        except SyntaxError as err:
            return [(err.lineno or 1, f"syntax error: {err.msg}")]
        except (RecursionError, MemoryError):
            return [(1, "the source is nested too deeply")]
    return problems


# --- instrumentation ------------------------------------------------------------------------------------

def _call(name: str, args: list[ast.expr], like: ast.AST,
          keywords: list[ast.keyword] | None = None) -> ast.Call:
    return ast.copy_location(ast.Call(ast.Name(name, ast.Load()), args, keywords or []), like)


class _Instrumenter(ast.NodeTransformer):
    """Rewrites sized operations into guarded helpers and counts loop iterations with ``_step()``."""

    def __init__(self) -> None:
        self.has_loops = False
        self.temps = 0

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        helper = BINOP_HELPERS.get(type(node.op))
        if helper is None or (isinstance(node.op, ast.Add) and _is_number(node.left, node.right)) \
                or (isinstance(node.op, ast.Mod) and _is_number(node.left)):
            return node
        return _call(helper, [node.left, node.right], node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.stmt | list[ast.stmt]:
        self.generic_visit(node)
        helper = AUG_HELPERS.get(type(node.op))
        if helper is None:
            return node
        target = node.target
        if isinstance(target, ast.Name):
            value = _call(helper, [ast.Name(target.id, ast.Load()), node.value], node)
            return ast.copy_location(ast.Assign([ast.Name(target.id, ast.Store())], value), node)
        assert isinstance(target, ast.Subscript)
        prelude: list[ast.stmt] = []
        container, index = self.hoist(target.value, prelude, node), target.slice
        if not isinstance(index, ast.Slice):
            index = self.hoist(index, prelude, node)
        current = ast.Subscript(container, index, ast.Load())
        store = ast.Subscript(container, index, ast.Store())
        assign = ast.Assign([store], _call(helper, [current, node.value], node))
        return [*prelude, ast.copy_location(assign, node)]

    def hoist(self, expr: ast.expr, prelude: list[ast.stmt], like: ast.AST) -> ast.expr:
        """Evaluate ``expr`` once into a hidden temporary (so ``a[f()] += 1`` calls f once)."""
        if isinstance(expr, ast.Name | ast.Constant):
            return expr
        self.temps += 1
        name = f"_tmp{self.temps}"
        prelude.append(ast.copy_location(ast.Assign([ast.Name(name, ast.Store())], expr), like))
        return ast.Name(name, ast.Load())

    def visit_loop(self, node: ast.For | ast.While) -> ast.stmt:
        self.generic_visit(node)
        self.has_loops = True
        node.body.insert(0, ast.copy_location(ast.Expr(_call(STEP, [], node)), node))
        return node

    visit_For = visit_While = visit_loop

    def visit_comprehension(self, node: ast.comprehension) -> ast.comprehension:
        self.generic_visit(node)
        self.has_loops = True
        node.ifs.insert(0, _call(STEP, [], node.target))
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.FormattedValue:
        # The format spec is left alone: it is constant text (checked) and must stay an f-string part.
        node.value = _call(FMT, [self.visit(node.value)], node.value)
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.expr:
        self.generic_visit(node)
        return _call(CHARGE, [node], node)  # an f-string can be large: it counts against the run's allocation

    def visit_Call(self, node: ast.Call) -> ast.Call:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute):  # every method: guarded by name, and its result counted
            return _call(METHOD, [func.value, ast.Constant(func.attr), *node.args], node, node.keywords)
        return node


def _is_number(*nodes: ast.expr) -> bool:
    return any(isinstance(n, ast.Constant) and type(n.value) in (int, float) for n in nodes)


# --- compiled form ---------------------------------------------------------------------------------------

CALLED, STORED, BARE, PASSED = 1, 2, 4, 8  # called / assigned / used as a value / passed as an argument


@dataclass(frozen=True, slots=True)
class Compiled:
    """A checked, instrumented code object and what the runtime must know about its names."""

    code: CodeType
    names: tuple[tuple[str, int, int], ...]  # every name used: (name, CALLED|STORED|BARE|PASSED, first line)
    has_loops: bool


def _name_flags(tree: ast.AST) -> tuple[tuple[str, int, int], ...]:
    flags: dict[str, int] = {}
    lines: dict[str, int] = {}
    positions: dict[int, int] = {}  # id of a Name node -> CALLED or PASSED
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            positions[id(node.func)] = CALLED
            for arg in [*node.args, *(kw.value for kw in node.keywords)]:
                positions[id(arg.value if isinstance(arg, ast.Starred) else arg)] = PASSED
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            flag = STORED if not isinstance(node.ctx, ast.Load) else positions.get(id(node), BARE)
            flags[node.id] = flags.get(node.id, 0) | flag
            lines[node.id] = min(lines.get(node.id, node.lineno), node.lineno)
    return tuple((name, flags[name], lines[name]) for name in sorted(flags))


def compile_restricted(source: str, mode: Mode) -> Compiled:
    """Check and instrument ``source``; raises SyntaxError, or RefusedSource with every problem."""
    tree = _parse(source, mode)
    problems = _problems(tree, mode, None)
    if problems:
        raise RefusedSource(problems)
    names = _name_flags(tree)
    instrumenter = _Instrumenter()
    tree = ast.fix_missing_locations(instrumenter.visit(tree))
    code = _strict(lambda: compile(tree, "<string>", mode))
    return Compiled(code, names, instrumenter.has_loops)


class RefusedSource(Exception):
    """The static check found problems (list of (line, message))."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0][1])
        self.problems = problems
