"""Reading definition files, keeping the line of every value so errors can point at it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml


class Kind(StrEnum):
    SERVICE = "service"
    FORM = "form"
    WORKFLOW = "workflow"
    DEPARTMENTS = "departments"
    ROLES = "roles"
    ELIGIBILITY = "eligibility"
    BUDGET_HEADS = "budget_heads"


@dataclass(frozen=True)
class DefinitionProblem:
    """One thing wrong with a definition, in words a department admin can act on."""

    file: str
    pointer: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        at = f" at {self.pointer}" if self.pointer else ""
        return f"{where}:{at} {self.message}"


@dataclass
class SourceFile:
    path: Path
    name: str  # the path relative to the definitions root, as people write it
    kind: Kind
    data: Any = None
    lines: dict[str, int] = field(default_factory=dict)
    text: str = ""

    def line_of(self, pointer: str) -> int | None:
        """The line of the value at `pointer`, or of its nearest ancestor that has one."""
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]

    def problem(self, pointer: str, message: str) -> DefinitionProblem:
        return DefinitionProblem(self.name, pointer, message, self.line_of(pointer))


def pointer_join(pointer: str, *parts: str | int) -> str:
    for part in parts:
        pointer += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return pointer


def _line_map(node: yaml.Node, pointer: str, lines: dict[str, int]) -> None:
    lines[pointer] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = pointer_join(pointer, key_node.value)
            _line_map(value_node, child, lines)
            # Point at the key's line: that is where a reader looks for it.
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, pointer_join(pointer, index), lines)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML that refuses duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            hint = (
                "; in {...} a comma starts a new key, so put text containing commas in double quotes"
                if node.flow_style
                else ""
            )
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"the key '{key}' appears twice (first on line {seen[key]}){hint}",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def _second_occurrence_line(text: str, key: str) -> int | None:
    """The line of the second `key` in one mapping, found on the YAML node tree of `text`."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            names = [k.value for k, _v in node.value]
            if names.count(key) > 1:
                second = [k for k, _v in node.value if k.value == key][1]
                return second.start_mark.line + 1
            stack += [v for _k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return None


def read_source(path: Path, name: str, kind: Kind) -> tuple[SourceFile, list[DefinitionProblem]]:
    """Parse one file. A file that does not parse comes back with `data` None and a problem."""
    try:
        return _read_source(path, name, kind)
    except RecursionError:
        # Brackets opened thousands of times: the parsers recurse once a level.
        source = SourceFile(path=path, name=name, kind=kind)
        return source, [DefinitionProblem(name, "", "is nested deeper than any definition can be")]


def _read_source(path: Path, name: str, kind: Kind) -> tuple[SourceFile, list[DefinitionProblem]]:
    source = SourceFile(path=path, name=name, kind=kind)
    try:
        source.text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return source, [DefinitionProblem(name, "", f"is not UTF-8 text ({exc.reason})")]
    if kind is Kind.FORM:
        try:
            source.data = json.loads(source.text, object_pairs_hook=_refuse_duplicates)
        except _DuplicateKey as exc:
            line = _second_occurrence_line(source.text, exc.key)
            return source, [
                DefinitionProblem(
                    name,
                    "",
                    f"the key '{exc.key}' appears twice in one object; JSON keeps only the last, so remove one",
                    line,
                )
            ]
        except json.JSONDecodeError as exc:
            return source, [
                DefinitionProblem(
                    name, "", f"is not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno
                )
            ]
    else:
        try:
            source.data = yaml.load(source.text, Loader=_UniqueKeyLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            context = getattr(exc, "context", None)
            text = f"{context}, {problem}" if context else problem
            if context and "flow" in context:
                text += " (put text that contains , : ? # or quotes inside double quotes)"
            return source, [
                DefinitionProblem(
                    name, "", f"is not valid YAML: {text}", mark.line + 1 if mark else None
                )
            ]
    try:
        # JSON is (nearly) YAML, so one composer maps pointers to lines for both formats.
        node = yaml.compose(source.text, Loader=yaml.SafeLoader)
        if node is not None:
            _line_map(node, "", source.lines)
    except yaml.YAMLError:
        pass
    return source, []
