"""Eligibility questions ("facts") a service's rules may test. The portal asks these once
and shows each service whose rules all hold, with the rules as the reason."""

from dataclasses import dataclass
from typing import Any

from seva.core.registry import Registry


@dataclass(frozen=True)
class Fact:
    name: str
    question: dict[str, str]
    schema: dict[str, Any]


FACTS: Registry[Fact] = Registry("eligibility question")


def _fact(name: str, question: dict[str, str], schema: dict[str, Any]) -> None:
    FACTS.register(name)(Fact(name, question, schema))


_fact(
    "age",
    {"en": "Your age in years", "hi": "आपकी आयु (वर्षों में)"},
    {"type": "integer", "minimum": 0, "maximum": 130},
)
_fact(
    "annual_family_income",
    {"en": "Your family's yearly income in rupees", "hi": "आपके परिवार की वार्षिक आय (रुपये में)"},
    {"type": "integer", "minimum": 0},
)
_fact(
    "years_resident",
    {"en": "Years you have lived in the state", "hi": "आप राज्य में कितने वर्षों से रह रहे हैं"},
    {"type": "integer", "minimum": 0, "maximum": 130},
)
_fact(
    "gender",
    {"en": "Gender", "hi": "लिंग"},
    {"enum": ["female", "male", "transgender"]},
)
_fact(
    "category",
    {"en": "Social category", "hi": "सामाजिक श्रेणी"},
    {"enum": ["general", "sc", "st", "bc_a", "bc_b"]},
)
_fact(
    "has_property_in_area",
    {
        "en": "Do you own or rent the property where you need it?",
        "hi": "क्या आप उस संपत्ति के मालिक या किरायेदार हैं?",
    },
    {"type": "boolean"},
)
