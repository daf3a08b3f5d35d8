"""System checks: definition files may only name registered guards, widgets, formats,
SMS variables and eligibility questions (those of service_definitions/_org/eligibility.yaml).
A typo fails `manage.py check` (and so every deploy), not a citizen's submission."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.checks import Error, register

from seva.formschemas.formats import SUPPORTED_FORMATS
from seva.formschemas.widgets import WIDGETS
from seva.workflows.guards import GUARDS

from .eligibility import eligibility_facts
from .sms import SMS_VARIABLES, is_expression


def _load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError):
        return None  # check_definitions reports files that do not parse


def _walk(node: Any) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


@register("seva")
def definitions_use_registered_names(app_configs=None, **kwargs) -> list[Error]:
    root = Path(settings.SEVA_DEFINITIONS_ROOT)
    errors: list[Error] = []

    def unknown(kind: str, name: Any, path: Path, known: list[str]) -> None:
        errors.append(
            Error(
                f"{path.relative_to(root)} names {kind} '{name}', which is not registered.",
                hint=f"Known: {', '.join(known)}",
                id="seva.E001",
            )
        )

    for path in sorted((root / settings.SEVA_WORKFLOW_DIR).rglob("*.y*ml")):
        doc = _load(path) or {}
        for transition in doc.get("transitions") or [] if isinstance(doc, dict) else []:
            for guard in (transition or {}).get("guards") or []:
                if guard not in GUARDS:
                    unknown("guard", guard, path, GUARDS.names())
    for path in sorted((root / settings.SEVA_SERVICE_DIR).glob("*/*.y*ml")):
        doc = _load(path)
        if not isinstance(doc, dict):
            continue
        for per_language in (doc.get("sms") or {}).values():
            for template in (per_language or {}).values():
                for name in (template or {}).get("variables") or []:
                    if isinstance(name, str) and is_expression(name):
                        continue  # an expression: check_definitions compiles it against the form
                    if name not in SMS_VARIABLES:
                        unknown("SMS variable", name, path, SMS_VARIABLES.names())
        facts = eligibility_facts(root)
        for rule in (doc.get("eligibility") or {}).get("rules") or []:
            if not isinstance(rule, dict) or "fact" not in rule:
                continue  # an expression (`if`): check_definitions compiles it against the facts
            if facts and rule["fact"] not in facts:
                unknown("eligibility question", rule["fact"], path, list(facts))
    for path in sorted((root / settings.SEVA_FORM_DIR).rglob("*.json")):
        for node in _walk(_load(path)):
            if "x-widget" in node and node["x-widget"] not in WIDGETS:
                unknown("widget", node["x-widget"], path, WIDGETS.names())
            if isinstance(node.get("format"), str) and node["format"] not in SUPPORTED_FORMATS:
                unknown("format", node["format"], path, sorted(SUPPORTED_FORMATS))
    return errors
