"""What the builder's editors share: each editor turns one part of a draft (the service's
details, its form, its workflow, its SMS templates) into inputs and back, and puts each problem
the definition checks find beside the input it is about.

Every editor but the SMS one also has the part as raw text (YAML or JSON) for what the tables
do not cover; both are views of the same document, so saving either shows the other updated."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Generic, TypeVar, cast

import yaml
from django import forms
from django.forms import formset_factory

from seva.core.oddinput import MAX_JSON_DEPTH, OddInput, json_loads_checked
from seva.org.models import Role

from ...draft_checks import DraftProblem

LANGUAGES = [("en", "English"), ("hi", "Hindi")]


def role_choices(blank: str | None = None) -> list[tuple[str, str]]:
    choices = [(r.code, f"{r.name_en} ({r.code})") for r in Role.objects.order_by("name_en")]
    return ([("", blank)] if blank is not None else []) + choices


def offer_roles(form: forms.BaseForm, *names: str, blank: str | None = None) -> None:
    """The roles as the choices of the fields `names`, read when the form is made."""
    for name in names:
        # `form.fields` holds copies of the declared fields, each a ChoiceField here;
        # django-stubs types the mapping as plain Field.
        cast(forms.ChoiceField, form.fields[name]).choices = role_choices(blank)


def code_field(label: str, *, help_text: str = "", shortest: int = 2) -> forms.RegexField:
    """A name stored in the documents (a field, state, action or SMS event): lower_case."""
    return forms.RegexField(
        regex=rf"^[a-z][a-z0-9_]{{{shortest - 1},39}}$",
        label=label,
        help_text=help_text,
        error_messages={"invalid": "Use lower-case letters, digits and _, starting with a letter."},
    )


def words(text: str) -> list[str]:
    """'a, b c' -> ['a', 'b', 'c']"""
    return [w for w in text.replace(",", " ").split() if w]


def pipe_lines(text: str) -> list[list[str]]:
    return [
        [part.strip() for part in line.split("|")] for line in text.splitlines() if line.strip()
    ]


def bilingual(en: str, hi: str) -> dict[str, str]:
    return {"en": en.strip(), "hi": hi.strip()}


# Definitions typed here (a form's schema, a field's own JSON Schema) may nest deeper than
# the answers they collect.
DEFINITION_DEPTH = 2 * MAX_JSON_DEPTH


def dump_yaml(doc: Any) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def dump_json(doc: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


def parse_yaml(text: str, field: str, *, of: type = dict) -> Any:
    """`text` read as YAML, which must give a mapping (or, with of=list, a list of items)."""
    try:
        doc = yaml.safe_load(text)
    except RecursionError:
        raise forms.ValidationError(
            f"This YAML is nested more than any definition needs (over {DEFINITION_DEPTH} levels)."
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise forms.ValidationError(
            f"This is not valid YAML{where}: {getattr(exc, 'problem', exc)}"
        ) from exc
    if of is list and not isinstance(doc, list):
        raise forms.ValidationError("Write a list here: one item a line, each starting with '- '.")
    if of is dict and not isinstance(doc, dict):
        raise forms.ValidationError("Write a mapping (key: value lines) here.")
    return doc


def parse_json(text: str) -> dict:
    try:
        doc = json_loads_checked(text, what="This JSON", max_depth=DEFINITION_DEPTH)
    except OddInput as exc:
        raise forms.ValidationError(str(exc)) from exc
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            f"This is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from exc
    if not isinstance(doc, dict):
        raise forms.ValidationError("Write a JSON object ({ ... }) here.")
    return doc


def place_problems(
    form: forms.Form,
    problems: Iterable[DraftProblem],
    places: list[tuple[str, str]],
    fallback: str | None,
) -> list[DraftProblem]:
    """Add each problem to the input of the longest matching pointer in `places`
    ([(pointer, field name)]); a message about the Hindi text goes to the `_hi` input.
    Returns the problems no input took (shown with the raw text)."""
    left = []
    ordered = sorted(places, key=lambda p: len(p[0]), reverse=True)
    for problem in problems:
        target = next(
            (
                name
                for pointer, name in ordered
                if problem.pointer == pointer or problem.pointer.startswith(pointer + "/")
            ),
            None,
        )
        if target and target.endswith("_en") and "Hindi (hi)" in problem.message:
            target = target[:-3] + "_hi"
        if target is None and fallback is not None:
            target = fallback
        if target is None:
            left.append(problem)
            continue
        where = "" if target != fallback else f"{problem.pointer or '(whole document)'}: "
        form.add_error(target, f"{where}{problem.message}")
    return left


class RawTextForm(forms.Form):
    """A whole document as text: YAML (service file, workflow) or JSON (form)."""

    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "s-code"})
    )

    def __init__(self, *args, language: str, label: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.language = language
        self.fields["text"].label = label

    def clean_text(self) -> dict:
        text = self.cleaned_data["text"]
        return parse_json(text) if self.language == "json" else parse_yaml(text, "text")

    @staticmethod
    def dump(doc: Any, language: str) -> str:
        return dump_json(doc) if language == "json" else dump_yaml(doc)


_Row = TypeVar("_Row", bound=forms.Form)
_RowSet = TypeVar("_RowSet", bound="BaseRowFormSet")


# Generic beside the (unsubscriptable at run time) BaseFormSet, so that a table's rows are
# typed as its own row form.
class BaseRowFormSet(forms.BaseFormSet, Generic[_Row]):
    def kept_forms(self) -> list[_Row]:
        """The rows that make the document: those shown from it and those filled in, less
        those marked for deletion (unbound: the document's rows)."""
        if not self.is_bound:
            return [f for f in self.forms if f.initial]
        return [
            f
            for f in self.forms
            if (f.has_changed() or f.initial)
            # django-stubs leaves out `_should_delete_form`, the test Django's own form sets
            # use for a row marked for deletion.
            and not (self.can_delete and self._should_delete_form(f))  # type: ignore[attr-defined]
        ]


def row_formset(form: type[_Row], formset: type[_RowSet], *, extra: int) -> type[_RowSet]:
    """A table of rows that may be deleted. `formset_factory` makes a subclass of `formset`,
    which django-stubs types as the plain BaseFormSet."""
    return cast(type[_RowSet], formset_factory(form, formset=formset, extra=extra, can_delete=True))
