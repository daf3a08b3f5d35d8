"""The fees' editor: one row per fee paid through Seva (the service file's `fees`), turned into
the service file's list and back (docs/definitions/service.md#fees-paid-through-seva-fees).

A row offers what the draft allows: the states of its workflow a fee may fall due in, and the
treasury heads its department may credit (its own and those of any department, from
service_definitions/_org/budget_heads.yaml). Whether a state is one the file can wait in, and
whether an amount's expression compiles, the draft's checks say, beside the input."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from typing import Any, cast

from django import forms

from seva.core.money import has_at_most_two_decimals

from ...draft_checks import DraftProblem
from ...fees import BudgetHead
from .common import BaseRowFormSet, bilingual, code_field, place_problems, row_formset

# A fixed amount as typed: rupees, perhaps with paise. Anything else is an expression.
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
# "1,250": rupees written with the grouping people read, which an expression cannot hold.
_GROUPED = re.compile(r"^\d{1,3}(,\d{2,3})+(\.\d+)?$")

REFUND_ON_REJECTION = [
    ("", "Never"),
    (
        "before_processing",
        "Before processing: only if no officer acted on the file after the payment",
    ),
    ("always", "Always"),
]
AMOUNT_HELP = (
    "Rupees (500, 1250.50), or an expression giving them, worked out when the file enters "
    "the state and fixed then. A slab: data.area_sq_m <= 100 ? 500 : 1000. Per square metre: "
    "20 * data.area_sq_m. A late fee by days: data.days_since_marriage > 90 ? 200 : 100. "
    "The names it may read are listed above (a decimal answer is compared and multiplied "
    "with decimals: 12.5 * data.plot_area); write the rule in words in the note."
)


class FeeRowForm(forms.Form):
    code = code_field(
        "Code",
        help_text=(
            "Unique in the service, e.g. connection_charges; a document prints the fee by it "
            "(fees.connection_charges.amount)."
        ),
    )
    name_en = forms.CharField(label="Name in English", max_length=200, required=False)
    name_hi = forms.CharField(label="Name in Hindi", max_length=200, required=False)
    due = forms.ChoiceField(
        label="Due in the state",
        help_text=(
            "The file waits here until the fee is paid: with the citizen (the RTS clock stops; "
            "in the first state the fee is due with the application) or with an officer. An "
            "automatic action out of it must read fees.unpaid (Workflow)."
        ),
    )
    amount = forms.CharField(
        label="Amount (rupees, or an expression giving them)",
        max_length=1000,
        help_text=AMOUNT_HELP,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "s-code"}),
    )
    head = forms.ChoiceField(
        label="Budget head",
        help_text="The treasury's head of account the money is credited to.",
    )
    note_en = forms.CharField(
        label="Note in English (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The rule in words, shown to the citizen with the fee.",
    )
    note_hi = forms.CharField(
        label="Note in Hindi (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    refund_rejected = forms.ChoiceField(
        label="Refunded when the application is rejected",
        choices=REFUND_ON_REJECTION,
        required=False,
        initial="",
    )
    refund_withdrawn_within_days = forms.IntegerField(
        label="Refunded when withdrawn within (days)",
        min_value=1,
        max_value=365,
        required=False,
        help_text="Calendar days from the payment, 1 to 365; empty: not refunded on withdrawal.",
    )

    def __init__(
        self,
        *args: Any,
        states: Sequence[tuple[str, str]] = (),
        heads: Sequence[tuple[str, Sequence[tuple[str, str]]]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        due_choices = list(states)
        shown = self.initial.get("due")
        if shown and shown not in {code for code, _label in due_choices}:
            # Shown as it is, so that the checks' message stands beside it.
            due_choices.append((shown, f"{shown} (not a state a fee can fall due in)"))
        self._choice("due").choices = due_choices
        self._choice("due").initial = due_choices[0][0] if due_choices else None
        head_choices: list[tuple[str, Sequence[tuple[str, str]]]] = [
            group for group in heads if group[1]
        ]
        offered = {code for _group, group in head_choices for code, _label in group}
        shown = self.initial.get("head")
        if shown and shown not in offered:
            head_choices.append(("Not a head this department may use", [(shown, shown)]))
        self._choice("head").choices = head_choices
        first = next((group[0][0] for _name, group in head_choices if group), None)
        self._choice("head").initial = first

    def _choice(self, name: str) -> forms.ChoiceField:
        # `fields` holds copies of the declared fields; django-stubs types them as Field.
        return cast(forms.ChoiceField, self.fields[name])

    def clean_amount(self) -> int | float | str:
        """Rupees as a number (whole, or with paise); anything else is kept as an expression,
        which the draft's checks compile against the form and the officers' inputs."""
        text = self.cleaned_data["amount"].strip().replace("\r\n", "\n")
        if _GROUPED.match(text):
            raise forms.ValidationError("Write the rupees without commas, e.g. 1250 or 1250.50.")
        if not _NUMBER.match(text):
            return text
        if text.startswith("-"):
            raise forms.ValidationError("A fee is 0 rupees or more.")
        if "." not in text:
            return int(text)
        if not has_at_most_two_decimals(text):
            raise forms.ValidationError(
                "Write rupees with at most two decimals (paise), e.g. 1250.50."
            )
        # As a definition file's YAML reads it: the paise are counted once, when the fee
        # falls due (seva.core.money.paise_from_rupees).
        return float(text)

    def fee(self) -> dict[str, Any]:
        """The fee as the service file writes it."""
        data = self.cleaned_data
        fee: dict[str, Any] = {
            "code": data["code"],
            "name": bilingual(data["name_en"], data["name_hi"]),
            "due": data["due"],
            "amount": data["amount"],
            "head": data["head"],
        }
        note = bilingual(data["note_en"], data["note_hi"])
        if any(note.values()):
            fee["note"] = note
        refund: dict[str, Any] = {}
        if data.get("refund_rejected"):
            refund["rejected"] = data["refund_rejected"]
        if data.get("refund_withdrawn_within_days") is not None:
            refund["withdrawn_within_days"] = data["refund_withdrawn_within_days"]
        if refund:
            fee["refund"] = refund
        return fee


class BaseFeeFormSet(BaseRowFormSet[FeeRowForm]):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen = set()
        for form in self.kept_forms():
            code = form.cleaned_data["code"]
            if code in seen:
                form.add_error("code", f"Another fee already has the code '{code}'.")
            seen.add(code)


FeeFormSet = row_formset(FeeRowForm, BaseFeeFormSet, extra=1)


def due_state_choices(workflow_doc: dict) -> list[tuple[str, str]]:
    """The workflow's states a file can wait in, each by its English label and its code: a
    closing (terminal) state is left out, as a closed file pays nothing."""
    states = workflow_doc.get("states") if isinstance(workflow_doc, dict) else None
    if not isinstance(states, dict):
        return []
    choices = []
    for code, state in states.items():
        if isinstance(state, dict) and state.get("terminal"):
            continue
        label = state.get("label") if isinstance(state, dict) else None
        english = label.get("en") if isinstance(label, dict) else None
        choices.append((code, f"{english} ({code})" if english else code))
    return choices


def head_choices(
    heads: Iterable[BudgetHead], department: str
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The heads the department may credit, in two groups: its own, then those of any
    department, each by its code and English name."""
    own: list[tuple[str, str]] = []
    shared: list[tuple[str, str]] = []
    for head in heads:
        if head.department not in (None, department):
            continue
        choice = (head.code, f"{head.code}: {head.name.get('en', '')}")
        (own if head.department == department else shared).append(choice)
    return [("This department's heads", own), ("Heads any department may use", shared)]


def fees_initial(doc: dict) -> list[dict]:
    rows = []
    for fee in doc.get("fees") or ():
        if not isinstance(fee, dict):
            continue
        name, note, refund = (_mapping(fee.get(key)) for key in ("name", "note", "refund"))
        amount = fee.get("amount")
        rows.append(
            {
                "code": fee.get("code", ""),
                "name_en": name.get("en", ""),
                "name_hi": name.get("hi", ""),
                "due": fee.get("due", ""),
                "amount": "" if amount is None else str(amount),
                "head": "" if fee.get("head") is None else str(fee["head"]),
                "note_en": note.get("en", ""),
                "note_hi": note.get("hi", ""),
                "refund_rejected": refund.get("rejected", ""),
                "refund_withdrawn_within_days": refund.get("withdrawn_within_days"),
            }
        )
    return rows


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def fees_from_rows(rows: BaseFeeFormSet, doc: dict) -> dict:
    """The service file with the rows' fees; none left takes `fees` out. Fees paid through
    Seva replace a fee paid outside it (`fee`): a service has one or the other."""
    result = copy.deepcopy(doc)
    fees = [form.fee() for form in rows.kept_forms()]
    if fees:
        result["fees"] = fees
        result.pop("fee", None)
    else:
        result.pop("fees", None)
    return result


# Where a fee's problems go, by the pointer under `/fees/<n>`; a message about the Hindi text
# of a name or note goes to its Hindi input (common.place_problems).
FEE_PLACES = [
    ("/code", "code"),
    ("/name", "name_en"),
    ("/name/en", "name_en"),
    ("/name/hi", "name_hi"),
    ("/due", "due"),
    ("/amount", "amount"),
    ("/head", "head"),
    ("/note", "note_en"),
    ("/note/en", "note_en"),
    ("/note/hi", "note_hi"),
    ("/refund", "refund_rejected"),
    ("/refund/rejected", "refund_rejected"),
    ("/refund/withdrawn_within_days", "refund_withdrawn_within_days"),
]


def place_fee_problems(
    rows: BaseFeeFormSet, problems: Iterable[DraftProblem]
) -> list[DraftProblem]:
    """Each problem under `/fees/<n>` beside its input on the n-th fee; returns the others
    (about the list itself, or a fee no row shows)."""
    kept = [f for f in rows.kept_forms() if hasattr(f, "cleaned_data")]
    left = []
    for problem in problems:
        parts = problem.pointer.split("/")
        if len(parts) >= 3 and parts[1] == "fees" and parts[2].isdigit():
            index = int(parts[2])
            if index < len(kept):
                rest = "/" + "/".join(parts[3:]) if len(parts) > 3 else ""
                place_problems(
                    kept[index],
                    [DraftProblem(problem.part, rest, problem.message)],
                    FEE_PLACES,
                    "code",
                )
                continue
        left.append(problem)
    return left
