"""The corpus of sandbox escapes and resource attacks placed in deployed diagrams (test_sandbox_escapes.py).

tests/test_sandbox.py runs its own corpus against the expression engine directly; this one adds further
escapes and runs every entry through a real deployment and a real case: as a script, a gateway condition and a
timer expression. An ``expression`` entry goes into all three; a ``statement`` entry is a script only."""

from __future__ import annotations

from typing import NamedTuple


class Escape(NamedTuple):
    id: str
    source: str
    kind: str = "expression"  # or "statement"


ESCAPES: list[Escape] = [
    # --- attribute walks to the interpreter, spelled in ways a name check could miss --------------------
    Escape("fullwidth-dunder", "().\uff3f\uff3fclass\uff3f\uff3f"),  # NFKC makes it __class__
    Escape("fullwidth-eval", "\uff45val('1')"),
    Escape("tuple-mro-subclasses", "().__class__.__mro__[1].__subclasses__()"),
    Escape("bool-base-subclasses", "True.__class__.__base__.__subclasses__()"),
    Escape("comprehension-class", "[x for x in [1]].__class__"),
    Escape("dict-attribute", "now.__dict__"),
    Escape("getattribute", "s.__getattribute__('__class__')"),
    Escape("reduce-ex", "[].__reduce_ex__(2)"),
    Escape("init-subclass", "int.__init_subclass__"),
    Escape("bound-method-self", "now.__self__.calendar"),
    Escape("function-code", "working_days.__code__.co_consts"),
    Escape("method-func-globals", "now.__func__.__globals__"),
    Escape("wrapped", "working_days.__wrapped__"),
    # --- frames, generators, coroutines --------------------------------------------------------------
    Escape("gi-code", "(i for i in []).gi_code"),
    Escape("cr-frame", "x.cr_frame.f_globals"),
    Escape("ag-frame", "x.ag_frame"),
    Escape("f-back-chain", "x.f_back.f_back.f_builtins"),
    Escape("tb-next", "x.tb_next.tb_frame"),
    Escape("f-locals-in-comprehension", "[y.f_locals for y in [x]]"),
    # --- format-string tricks ---------------------------------------------------------------------------
    Escape("format-index-walk", "'{0.__class__.__base__.__subclasses__}'.format(1)"),
    Escape("format-via-str-type", "str.format('{0.__class__}', 1)"),
    Escape("format-map-via-map", "list(map(str.format, ['{0.__class__}'], [1]))"),
    Escape("format-as-sort-key", "sorted(['{0.__class__}'], key=str.format_map)"),
    Escape("fstring-conversion-nested-spec", "f'{s!r:{s}}'"),
    Escape("fstring-dunder", "f'{now.__globals__}'"),
    Escape("fstring-width-from-data", "f'{s:>{n}}'"),
    # --- builtins games -----------------------------------------------------------------------------
    Escape("builtins-attribute", "__builtins__.__import__('os')"),
    Escape("builtins-in-globals", "globals()['__builtins__']"),
    Escape("getattr-computed-name", "getattr(s, '_' + '_class_' + '_')"),
    Escape("vars-of-function", "vars(now)"),
    Escape("dir-of-function", "dir(working_days)"),
    Escape("type-three-args", "type('A', (), {})"),
    Escape("walrus-builtin-helper", "(_mul := len)"),
    Escape("del-builtins", "del __builtins__", "statement"),
    Escape("shadow-builtin-in-for", "for str in [1]:\n    pass", "statement"),
    Escape("shadow-builtin-in-comprehension", "[range for range in [1]]"),
    Escape("starred-assign-builtin", "a, *len = [1, 2]", "statement"),
    Escape("operator-attrgetter", "import operator\ny = operator.attrgetter('__class__')(1)", "statement"),
    Escape("importlib", "from importlib import import_module\nimport_module('os')", "statement"),
    # --- definitions -------------------------------------------------------------------------------------
    Escape("decorator-class", "@dataclass\nclass A:\n    pass", "statement"),
    Escape("metaclass", "class A(type):\n    pass", "statement"),
    Escape("lambda-default-builtins", "f = lambda b=__builtins__: b", "statement"),
    Escape("lambda-closure", "(lambda: now)()"),
    Escape("try-traceback", "try:\n    1 / 0\nexcept Exception as e:\n    t = e.__traceback__", "statement"),
    Escape("with-context", "with x:\n    pass", "statement"),
    Escape("recursive-def", "def f(n):\n    return f(n + 1)\ny = f(0)", "statement"),
    # --- resources: size, time, depth ------------------------------------------------------------------
    Escape("power-tower", "10 ** 10 ** 10"),
    Escape("big-string", "'a' * 10 ** 12"),
    Escape("big-list", "[0] * 10 ** 9"),
    Escape("repeat-a-repeat", "('a' * 10 ** 6) * 10 ** 4"),
    Escape("set-of-huge-range", "set(range(10 ** 12))"),
    Escape("max-of-huge-range", "max(range(10 ** 12))"),
    Escape("int-of-long-text", "int('9' * 5000)"),
    Escape("function-in-a-loop", "[working_days(3660) for i in range(100000)]"),
    Escape("dict-of-big-strings", "{i: 'x' * 10 ** 6 for i in range(10 ** 5)}"),
    Escape("many-big-lines", "\n".join(f"a{i} = 'a' * 10 ** 7" for i in range(120)), "statement"),
    Escape("many-big-fstrings", "a = 'a' * 10 ** 7\n" + "\n".join(f"b{i} = f'{{a}}{{a}}{{a}}'" for i in range(40)),
           "statement"),
    Escape("many-big-method-results", "a = 'a' * 10 ** 7\n" + "\n".join(f"b{i} = a.upper()" for i in range(120)),
           "statement"),
    Escape("many-big-copies", "a = 'a' * 10 ** 6\n" + "\n".join(f"b{i} = list(a)" for i in range(60)), "statement"),
    Escape("infinite-loop", "while True:\n    y = 1", "statement"),
    Escape("nested-loops", "for a in range(100000):\n    for b in range(100000):\n        pass", "statement"),
    Escape("deep-parentheses", "(" * 300 + "1" + ")" * 300),
    Escape("deep-unary", "-" * 30000 + "1"),
    Escape("deep-lists", "[" * 300 + "]" * 300),
    Escape("working-days-too-many", "working_days(10 ** 10)"),
]
