"""A form's pages (x-steps), its title and its declaration, in the language asked for."""

from __future__ import annotations

from dataclasses import dataclass

from .fields import text


@dataclass(frozen=True)
class Step:
    id: str
    title: str  # in the requested language
    fields: list[str]  # top-level property names


def form_steps(schema: dict, language: str) -> list[Step]:
    """The pages of the form, from x-steps; without it, one step "main" with every field."""
    declared = schema.get("x-steps")
    if isinstance(declared, list) and declared:
        return [
            Step(
                id=str(step.get("id")),
                title=text(step.get("title"), language),
                fields=list(step.get("fields") or []),
            )
            for step in declared
            if isinstance(step, dict)
        ]
    return [
        Step(
            id="main",
            title=form_title(schema, language),
            fields=list(schema.get("properties") or {}),
        )
    ]


def form_title(schema: dict, language: str) -> str:
    return text(schema.get("x-title"), language) or str(schema.get("title") or "")


def form_declaration(schema: dict, language: str) -> str:
    return text(schema.get("x-declaration"), language)
