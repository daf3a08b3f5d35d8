"""Compiling and evaluating a definition's expressions.

An expression is compiled once against the names it may read and their types (`Variables`):
the CEL checker refuses a name that is not declared, a function that is not registered and
an operator applied to the wrong types (a string compared with a number), so a rule that
passed `check_definitions` cannot fail for those reasons on a citizen's answers. Compiled
expressions are kept for the process's life, keyed by their text and variables.

Evaluation reads only the values it is given: no database, no network, no clock but
`today()`. CEL bounds every comprehension (`all`, `exists`, `map`, `filter`) by an iteration
budget, and a source longer than MAX_SOURCE_CHARS is refused. A value that is not given (an
unanswered field) raises `NotAnswered`; any other failure (a date that is not a date, a
division by zero) raises `ExpressionFailed`. Neither is ever a server error."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cel_expr_python import cel
from django.utils import timezone

from seva.core.registry import Registry

MAX_SOURCE_CHARS = 1000

# The types a definition's values have, by name.
TYPES: dict[str, cel.Type] = {
    "int": cel.Type.INT,
    "double": cel.Type.DOUBLE,
    "string": cel.Type.STRING,
    "bool": cel.Type.BOOL,
    "dyn": cel.Type.DYN,
    "list(string)": cel.Type.List(cel.Type.STRING),
    "list(int)": cel.Type.List(cel.Type.INT),
    "list(double)": cel.Type.List(cel.Type.DOUBLE),
    "list(map)": cel.Type.List(cel.Type.Map(cel.Type.STRING, cel.Type.DYN)),
    "list(dyn)": cel.Type.List(cel.Type.DYN),
    "map": cel.Type.Map(cel.Type.STRING, cel.Type.DYN),
}
# CEL's own names for what an expression gives (Expression.return_type().name()).
_RESULT_NAMES = {"INT": "int", "DOUBLE": "double", "STRING": "string", "BOOL": "bool"}


class ExpressionError(Exception):
    """An expression that cannot be compiled, or failed when evaluated."""

    def __init__(self, message: str, source: str = "") -> None:
        self.message = message
        self.source = source
        super().__init__(message)


class NotAnswered(ExpressionError):
    """A value the expression reads was not given (an unanswered, optional field)."""


class ExpressionFailed(ExpressionError):
    """The expression could not be evaluated on these values."""


# ------------------------------------------------------------------------------
# Functions an expression may call, besides CEL's own (size, int, double, string,
# contains, startsWith, matches, all, exists, map, filter, ...). Each is documented in
# docs/definitions/expressions.md.
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Function:
    name: str
    parameters: tuple[str, ...]  # type names (TYPES)
    returns: str
    impl: Callable[..., Any]
    doc: str


FUNCTIONS: Registry[Function] = Registry("expression function")


def _function(name: str, parameters: tuple[str, ...], returns: str, doc: str):
    def register(impl: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS.register(name)(Function(name, parameters, returns, impl, doc))
        return impl

    return register


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(text: str) -> dt.date:
    if not _DATE.fullmatch(text):
        raise ValueError(f"'{text}' is not a date written YYYY-MM-DD")
    return dt.date.fromisoformat(text)


def _whole_years(start: dt.date, end: dt.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


@_function("today", (), "string", "today's date in India (Asia/Kolkata), as YYYY-MM-DD")
def _today() -> str:
    return timezone.localdate().isoformat()


@_function("age", ("string",), "int", "whole years from a date (a date of birth) to today")
def _age(born: str) -> int:
    return _whole_years(_date(born), timezone.localdate())


@_function("years_between", ("string", "string"), "int", "whole years from one date to another")
def _years_between(start: str, end: str) -> int:
    return _whole_years(_date(start), _date(end))


@_function("days_between", ("string", "string"), "int", "calendar days from one date to another")
def _days_between(start: str, end: str) -> int:
    return (_date(end) - _date(start)).days


@_function("sum", ("list(dyn)",), "dyn", "the sum of a list of numbers (0 for an empty list)")
def _sum(values: list) -> int | float:
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise ValueError("sum() adds numbers only")
    return sum(values)


# ------------------------------------------------------------------------------
# Compiling and evaluating
# ------------------------------------------------------------------------------
# The names an expression may read and their types, as a hashable key: (("data.age", "int"),)
Variables = tuple[tuple[str, str], ...]


@lru_cache(maxsize=256)
def _environment(variables: Variables) -> Any:
    functions = [FUNCTIONS.get(name) for name in FUNCTIONS.names()]
    declarations = [
        cel.FunctionDecl(
            f.name,
            [cel.Overload(f"seva_{f.name}", TYPES[f.returns], [TYPES[p] for p in f.parameters])],
        )
        for f in functions
    ]
    return cel.NewEnv(
        variables={name: TYPES[kind] for name, kind in variables},
        functions=declarations,
        function_impls={f"seva_{f.name}": f.impl for f in functions},
    )


@dataclass(frozen=True)
class Compiled:
    source: str
    returns: str  # int, double, string, bool, or dyn (anything else CEL names)
    _program: Any

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """The expression's value on `values` (name -> value; a name left out is not
        answered). Raises NotAnswered or ExpressionFailed."""
        try:
            result = self._program.eval(data=dict(values))
        except RuntimeError as exc:  # the iteration budget, or the runtime refusing input
            raise ExpressionFailed(_first_line(str(exc)), self.source) from None
        if result.type().name() == "ERROR":
            message = str(result.value())
            # A name not given, or a row without the field read (a repeatable group's
            # optional answer): not answered, as opposed to failing.
            if "No value with name" in message or message.startswith("NOT_FOUND: Key not found"):
                raise NotAnswered(_first_line(message), self.source)
            raise ExpressionFailed(_first_line(message), self.source)
        return result.plain_value()


def compile_expression(source: Any, variables: Variables) -> Compiled:
    """`source` compiled against `variables`; raises ExpressionError saying what is wrong."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("an expression must be a non-empty string", str(source))
    if len(source) > MAX_SOURCE_CHARS:
        raise ExpressionError(
            f"an expression may have at most {MAX_SOURCE_CHARS} characters", source
        )
    return _compiled(source, variables)


@lru_cache(maxsize=8192)
def _compiled(source: str, variables: Variables) -> Compiled:
    try:
        program = _environment(variables).compile(source)
    except RuntimeError as exc:
        raise ExpressionError(_checker_message(str(exc)), source) from None
    kind = program.return_type().name()
    return Compiled(source, _RESULT_NAMES.get(kind, "dyn"), program)


def compiled_clear() -> None:
    """Forget every compiled expression (a benchmark measuring the first compile)."""
    _compiled.cache_clear()


def _first_line(message: str) -> str:
    return re.sub(r"^[A-Z_]+: ", "", message.splitlines()[0]).replace(" [INVALID_ARGUMENT]", "")


def _checker_message(message: str) -> str:
    """The CEL checker's findings, without its status prefixes, with advice where the
    mistake is a common one."""
    found = re.findall(r"ERROR: <input>:(\d+):(\d+): ([^\n]+)", message)
    if not found:
        return _first_line(message)
    parts = []
    for _line, column, text in found:
        text = text.replace(" (in container '')", "")
        if "undeclared reference to" in text:
            text = text.replace("undeclared reference to", "unknown name or function")
        if "'(double, int)'" in text or "'(int, double)'" in text:
            text += " (a decimal field is compared with decimals: write 100.0, not 100)"
        parts.append(f"at character {column}: {text}")
    return "; ".join(parts)


def result_fits(returns: str, wanted: str) -> bool:
    """Whether an expression giving `returns` may fill a value of type `wanted`."""
    if returns == "dyn" or returns == wanted:
        return True
    return wanted == "double" and returns == "int"
