"""The workflow editor: the workflow's name and first state, a table of its states and one of
its transitions, turned into the workflow file and back."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from django import forms

from seva.workflows.engine import Outcome

from ...draft_checks import DraftProblem
from .common import (
    BaseRowFormSet,
    bilingual,
    code_field,
    dump_yaml,
    offer_roles,
    parse_yaml,
    place_problems,
    row_formset,
    words,
)

OUTCOMES = [outcome.value for outcome in Outcome]


class WorkflowTopForm(forms.Form):
    name_en = forms.CharField(label="Workflow name (English)", required=False)
    name_hi = forms.CharField(label="Workflow name (Hindi)", required=False)
    # The workflow file's `initial`. The form's metaclass takes declared fields out of the
    # class, so this never hides BaseForm.initial; django-stubs cannot know that.
    initial = forms.CharField(  # type: ignore[assignment]
        label="First state", help_text="The state a new application enters"
    )


class StateRowForm(forms.Form):
    code = code_field("State")
    label_en = forms.CharField(label="Label (English)", required=False)
    label_hi = forms.CharField(label="Label (Hindi)", required=False)
    role = forms.ChoiceField(label="Held by (role)", required=False)
    with_citizen = forms.BooleanField(label="With the citizen (clock stops)", required=False)
    sla_days = forms.IntegerField(label="Stage SLA (days)", required=False)
    escalate_to = forms.CharField(label="Escalates to (roles, in order)", required=False)
    sms_on_enter = forms.CharField(label="SMS on entry (events)", required=False)
    outcome = forms.ChoiceField(
        label="Closes as",
        required=False,
        choices=[("", "Open (not closed)")] + [(o, o.title()) for o in OUTCOMES],
    )
    consult = forms.CharField(
        label="Consults (YAML)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "s-code"}),
        help_text=(
            "Offices asked at once while the file is here, one item each: code, label (en, hi), "
            "role, department (if not this one's) and days (after which no answer is deemed no "
            "objection)"
        ),
    )

    other = forms.CharField(
        label="Other settings (YAML)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "s-code"}),
        help_text="sla_variants: other stage deadlines, each an if and its days",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        offer_roles(self, "role", blank="Nobody (closed or with the citizen)")

    def clean_other(self):
        text = self.cleaned_data["other"]
        return parse_yaml(text, "other") if text.strip() else {}

    def clean_consult(self):
        text = self.cleaned_data["consult"]
        return parse_yaml(text, "consult", of=list) if text.strip() else None

    @staticmethod
    def initial_from(code: str, spec: dict) -> dict:
        return {
            "code": code,
            "label_en": (spec.get("label") or {}).get("en", ""),
            "label_hi": (spec.get("label") or {}).get("hi", ""),
            "role": spec.get("role", ""),
            "with_citizen": bool(spec.get("with_citizen")),
            "sla_days": spec.get("sla_days"),
            "escalate_to": ", ".join(spec.get("escalate_to") or []),
            "sms_on_enter": ", ".join(spec.get("sms_on_enter") or []),
            "outcome": spec.get("outcome", ""),
            "consult": dump_yaml(spec["consult"]) if "consult" in spec else "",
            "other": dump_yaml(other) if (other := _state_other(spec)) else "",
        }

    def spec(self) -> dict:
        data = self.cleaned_data
        spec: dict = {"label": bilingual(data["label_en"], data["label_hi"])}
        if data["role"]:
            spec["role"] = data["role"]
        if data["with_citizen"]:
            spec["with_citizen"] = True
        if data["sla_days"] is not None:
            spec["sla_days"] = data["sla_days"]
        if words(data["escalate_to"]):
            spec["escalate_to"] = words(data["escalate_to"])
        if words(data["sms_on_enter"]):
            spec["sms_on_enter"] = words(data["sms_on_enter"])
        if data["outcome"]:
            spec["terminal"], spec["outcome"] = True, data["outcome"]
        if data["consult"] is not None:
            spec["consult"] = data["consult"]
        spec.update(data["other"])
        return spec


_STATE_COLUMNS = {
    "label",
    "role",
    "with_citizen",
    "sla_days",
    "escalate_to",
    "sms_on_enter",
    "terminal",
    "outcome",
    "consult",
}


def _state_other(spec: dict) -> dict:
    """A state's settings the table has no column for (sla_variants), kept as YAML."""
    return {k: v for k, v in spec.items() if k not in _STATE_COLUMNS}


STATE_PLACES = [
    ("/label", "label_en"),
    ("/role", "role"),
    ("/with_citizen", "with_citizen"),
    ("/sla_days", "sla_days"),
    ("/escalate_to", "escalate_to"),
    ("/sms_on_enter", "sms_on_enter"),
    ("/outcome", "outcome"),
    ("/terminal", "outcome"),
    ("/consult", "consult"),
    ("/sla_variants", "other"),
]
_TRANSITION_COLUMNS = {
    "action",
    "label",
    "from",
    "to",
    "roles",
    "remarks",
    "guards",
    "sms",
    "input_schema",
    "if",
}


class TransitionRowForm(forms.Form):
    action = code_field("Action")
    label_en = forms.CharField(label="Button (English)", required=False)
    label_hi = forms.CharField(label="Button (Hindi)", required=False)
    from_states = forms.CharField(label="From (states)")
    to_state = forms.CharField(label="To (state)")
    roles = forms.CharField(
        label="Who (roles, or citizen)",
        required=False,
        help_text="Leave empty for an automatic action (auto: true and an if, under other settings)",
    )
    remarks = forms.ChoiceField(
        label="Remarks", required=False, choices=[("", "Optional"), ("required", "Required")]
    )
    guards = forms.CharField(label="Conditions (guards)", required=False)
    sms = forms.CharField(label="SMS (events)", required=False)
    input_schema = forms.CharField(
        label="Officer inputs (YAML)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "s-code"}),
        help_text="A JSON Schema of what the officer fills in, written as YAML",
    )
    condition = forms.CharField(
        label="Only if (an expression)",
        required=False,
        help_text=(
            "Offered, or taken by itself, only when this holds, e.g. data.plot_area_sq_m > "
            "500.0 or consultations.objections == 0"
        ),
    )
    other = forms.CharField(
        label="Other settings (YAML)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "s-code"}),
        help_text="auto, after_days, when, bulk, corrects_form, back_to_sender, counts_as",
    )

    def clean_input_schema(self):
        text = self.cleaned_data["input_schema"]
        return parse_yaml(text, "input_schema") if text.strip() else None

    def clean_other(self):
        text = self.cleaned_data["other"]
        return parse_yaml(text, "other") if text.strip() else {}

    @staticmethod
    def initial_from(spec: dict) -> dict:
        sources = spec.get("from")
        other = {k: v for k, v in spec.items() if k not in _TRANSITION_COLUMNS}
        return {
            "action": spec.get("action", ""),
            "label_en": (spec.get("label") or {}).get("en", ""),
            "label_hi": (spec.get("label") or {}).get("hi", ""),
            "from_states": sources if isinstance(sources, str) else ", ".join(sources or []),
            "to_state": spec.get("to", ""),
            "roles": ", ".join(spec.get("roles") or []),
            "remarks": "required" if spec.get("remarks") == "required" else "",
            "guards": ", ".join(spec.get("guards") or []),
            "sms": ", ".join(spec.get("sms") or []),
            "input_schema": dump_yaml(spec["input_schema"]) if "input_schema" in spec else "",
            "condition": spec.get("if", ""),
            "other": dump_yaml(other) if other else "",
        }

    def spec(self) -> dict:
        data = self.cleaned_data
        sources = words(data["from_states"])
        spec: dict = {
            "action": data["action"],
            "label": bilingual(data["label_en"], data["label_hi"]),
            "from": sources[0] if len(sources) == 1 else sources,
            "to": data["to_state"].strip(),
        }
        if words(data["roles"]):  # an automatic action (auto: true, in other) has none
            spec["roles"] = words(data["roles"])
        if data["remarks"]:
            spec["remarks"] = data["remarks"]
        if words(data["guards"]):
            spec["guards"] = words(data["guards"])
        if words(data["sms"]):
            spec["sms"] = words(data["sms"])
        if data["input_schema"] is not None:
            spec["input_schema"] = data["input_schema"]
        if data["condition"].strip():
            spec["if"] = data["condition"].strip()
        spec.update(data["other"])
        return spec


TRANSITION_PLACES = [
    ("/action", "action"),
    ("/label", "label_en"),
    ("/from", "from_states"),
    ("/to", "to_state"),
    ("/roles", "roles"),
    ("/remarks", "remarks"),
    ("/guards", "guards"),
    ("/sms", "sms"),
    ("/input_schema", "input_schema"),
    ("/if", "condition"),
]


class BaseStateFormSet(BaseRowFormSet[StateRowForm]):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen = set()
        for form in self.kept_forms():
            code = form.cleaned_data["code"]
            if code in seen:
                form.add_error("code", f"State '{code}' is listed twice.")
            seen.add(code)


StateFormSet = row_formset(StateRowForm, BaseStateFormSet, extra=1)
TransitionFormSet = row_formset(TransitionRowForm, BaseRowFormSet, extra=1)


def workflow_initial(doc: dict) -> tuple[dict, list[dict], list[dict]]:
    top = {
        "name_en": (doc.get("name") or {}).get("en", ""),
        "name_hi": (doc.get("name") or {}).get("hi", ""),
        "initial": doc.get("initial", ""),
    }
    states = [
        StateRowForm.initial_from(code, spec or {})
        for code, spec in (doc.get("states") or {}).items()
    ]
    transitions = [
        TransitionRowForm.initial_from(spec or {}) for spec in doc.get("transitions") or []
    ]
    return top, states, transitions


def workflow_from_tables(
    top: WorkflowTopForm, states: BaseStateFormSet, transitions: BaseRowFormSet, previous: dict
) -> dict:
    doc = {
        k: copy.deepcopy(v)
        for k, v in previous.items()
        if k not in ("name", "initial", "states", "transitions")
    }
    doc["name"] = bilingual(top.cleaned_data["name_en"], top.cleaned_data["name_hi"])
    doc["initial"] = top.cleaned_data["initial"].strip()
    doc["states"] = {form.cleaned_data["code"]: form.spec() for form in states.kept_forms()}
    doc["transitions"] = [form.spec() for form in transitions.kept_forms()]
    ordered = {k: doc[k] for k in ("code", "name", "initial") if k in doc}
    return {**ordered, **doc}


def _named_key(message: str, places: list[tuple[str, str]]) -> str:
    """For a problem about a whole row, the pointer of the key its message names ("needs
    sla_days" -> "/sla_days"), so that it is shown beside that input; else the row's."""
    for pointer, _field in places:
        if pointer.lstrip("/") in message:
            return pointer
    return ""


def place_workflow_problems(
    top: WorkflowTopForm,
    states: BaseStateFormSet,
    transitions: BaseRowFormSet,
    problems: Iterable[DraftProblem],
) -> list[DraftProblem]:
    by_code = {
        f.cleaned_data.get("code"): f for f in states.kept_forms() if hasattr(f, "cleaned_data")
    }
    rows = transitions.kept_forms()
    left = []
    for problem in problems:
        parts = problem.pointer.split("/")
        rest = "/" + "/".join(parts[3:]) if len(parts) > 3 else ""
        if len(parts) >= 3 and parts[1] == "states" and parts[2] in by_code:
            rest = rest or _named_key(problem.message, STATE_PLACES)
            place_problems(
                by_code[parts[2]],
                [DraftProblem(problem.part, rest, problem.message)],
                STATE_PLACES,
                "code",
            )
        elif (
            len(parts) >= 3
            and parts[1] == "transitions"
            and parts[2].isdigit()
            and int(parts[2]) < len(rows)
        ):
            place_problems(
                rows[int(parts[2])],
                [DraftProblem(problem.part, rest, problem.message)],
                TRANSITION_PLACES,
                "other",
            )
        else:
            left += place_problems(
                top, [problem], [("/initial", "initial"), ("/name", "name_en")], None
            )
    return left
