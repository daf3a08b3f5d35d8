"""`manage.py check` fails when a definition names something that is not registered."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from seva.definitions.checks import definitions_use_registered_names

REPO = Path(__file__).resolve().parents[2]


def _copy(tmp_path: Path) -> Path:
    for folder in (settings.SEVA_SERVICE_DIR, settings.SEVA_FORM_DIR, settings.SEVA_WORKFLOW_DIR):
        shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


def test_the_repository_names_only_registered_things():
    assert definitions_use_registered_names() == []


def test_an_unknown_guard_fails_the_system_check(tmp_path):
    root = _copy(tmp_path)
    path = root / "workflows_yaml/certificate_verification.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["transitions"][0]["guards"] = ["officer_has_coffee"]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    with override_settings(SEVA_DEFINITIONS_ROOT=root):
        errors = definitions_use_registered_names()
        assert [e.id for e in errors] == ["seva.E001"]
        assert (
            "officer_has_coffee" in errors[0].msg
            and "certificate_verification.yaml" in errors[0].msg
        )
        try:
            call_command("check")
        except SystemCheckError as exc:
            assert "officer_has_coffee" in str(exc)
        else:
            raise AssertionError("manage.py check passed with an unknown guard")


def test_an_unknown_sms_variable_and_widget_fail_the_system_check(tmp_path):
    root = _copy(tmp_path)
    service = root / "service_definitions/revenue/income-certificate.yaml"
    doc = yaml.safe_load(service.read_text())
    doc["sms"]["received"]["en"]["variables"][0] = "officer_phone"
    service.write_text(yaml.safe_dump(doc, allow_unicode=True))
    form = root / "form_schemas/revenue/income_certificate.json"
    form.write_text(
        form.read_text()
        .replace('"x-widget": "textarea"', '"x-widget": "rich-editor"')
        .replace('"x-widget": "select"', '"x-widget": "slider"', 1)
    )
    with override_settings(SEVA_DEFINITIONS_ROOT=root):
        messages = " ".join(e.msg for e in definitions_use_registered_names())
    assert "officer_phone" in messages and "slider" in messages
