"""A department adds a brand-new service by writing three new files, in a folder of its own,
and it works end to end with no code change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from seva.definitions.lint import load_definitions
from seva.definitions.services import definitions_sync
from seva.notifications.models import OutboxMessage

REPO = Path(__file__).resolve().parents[2]

SERVICE = """
code: arms-licence-renewal
reference_code: ALR
department: revenue
kind: service
name: {en: Renewal of an arms licence, hi: शस्त्र लाइसेंस का नवीनीकरण}
short_name: {en: Arms licence renewal, hi: शस्त्र लाइसेंस नवीनीकरण}
description:
  en: Renew an arms licence before it expires.
  hi: शस्त्र लाइसेंस की समाप्ति से पहले नवीनीकरण कराएँ।
fee: {amount: 300}
rts:
  days: 10
  day_type: working
  act: {en: "Haryana Right to Service Act, 2014", hi: "हरियाणा सेवा का अधिकार अधिनियम, 2014"}
  designated_officer: deputy_commissioner
  first_appellate_authority: deputy_commissioner
  second_appellate_authority: deputy_commissioner
processing_level: district
form: revenue/arms_licence_renewal.json
workflow: single_decision
applicant:
  name_field: name
  mobile_field: mobile
  jurisdiction_field: tehsil
sms:
  decided:
    en:
      dlt_template_id: "1107169999900000001"
      text: "Application {#var#} is decided. -HRSEVA"
      variables: [reference]
    hi:
      dlt_template_id: "1107169999900000002"
      text: "आवेदन {#var#} पर निर्णय हो गया है। -HRSEVA"
      variables: [reference]
"""

WORKFLOW = """
code: single_decision
name: {en: One decision, hi: एक निर्णय}
initial: pending
states:
  pending:
    label: {en: With the Deputy Commissioner, hi: उपायुक्त के पास}
    role: deputy_commissioner
    sla_days: 10
  renewed:
    label: {en: Renewed, hi: नवीनीकृत}
    terminal: true
    outcome: approved
    sms_on_enter: [decided]
  refused:
    label: {en: Refused, hi: अस्वीकृत}
    terminal: true
    outcome: rejected
    sms_on_enter: [decided]
transitions:
  - action: renew
    label: {en: Renew, hi: नवीनीकरण करें}
    from: pending
    to: renewed
    roles: [deputy_commissioner]
  - action: refuse
    label: {en: Refuse, hi: अस्वीकार करें}
    from: pending
    to: refused
    roles: [deputy_commissioner]
    remarks: required
"""

FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "mobile", "tehsil", "licence_number", "declaration"],
    "properties": {
        "name": {
            "type": "string",
            "minLength": 2,
            "maxLength": 100,
            "x-label": {"en": "Name", "hi": "नाम"},
        },
        "mobile": {
            "type": "string",
            "format": "mobile",
            "x-label": {"en": "Mobile", "hi": "मोबाइल"},
        },
        "tehsil": {
            "type": "string",
            "format": "jurisdiction",
            "x-widget": "jurisdiction",
            "x-jurisdiction-level": "tehsil",
            "x-label": {"en": "Tehsil", "hi": "तहसील"},
        },
        "licence_number": {
            "type": "string",
            "pattern": "^[A-Z]{2}/[0-9]{4,8}$",
            "x-label": {"en": "Licence number", "hi": "लाइसेंस संख्या"},
        },
        "declaration": {
            "type": "boolean",
            "const": True,
            "x-label": {"en": "I confirm", "hi": "मैं पुष्टि करता हूँ"},
        },
    },
    "examples": [
        {
            "name": "Ram Singh",
            "mobile": "9812312345",
            "tehsil": "HR-AMB-NRG-SZP",
            "licence_number": "AM/20417",
            "declaration": True,
        }
    ],
}


@pytest.fixture
def root(tmp_path) -> Path:
    for folder in (settings.SEVA_SERVICE_DIR, settings.SEVA_FORM_DIR, settings.SEVA_WORKFLOW_DIR):
        shutil.copytree(REPO / folder, tmp_path / folder)
    (tmp_path / "service_definitions/revenue/arms-licence-renewal.yaml").write_text(SERVICE)
    (tmp_path / "workflows_yaml/single_decision.yaml").write_text(WORKFLOW)
    (tmp_path / "form_schemas/revenue/arms_licence_renewal.json").write_text(
        json.dumps(FORM, ensure_ascii=False)
    )
    return tmp_path


@pytest.mark.django_db
def test_a_new_service_from_new_files_only_works_end_to_end(root, api, capsys):
    _dset, problems = load_definitions(root)
    assert problems == []
    call_command(
        "check_definitions", str(root / "service_definitions/revenue/arms-licence-renewal.yaml")
    )
    assert "OK" in capsys.readouterr().out

    report = definitions_sync(root=root)
    assert report.created == ["arms-licence-renewal v1"]

    listed = api(None).get("/api/v1/services/").json()["results"]
    assert "arms-licence-renewal" in [s["code"] for s in listed]
    form = api(None).get("/api/v1/services/arms-licence-renewal/form/").json()
    assert form["schema"]["properties"]["licence_number"]["pattern"] == "^[A-Z]{2}/[0-9]{4,8}$"

    bad = api("citizen").post(
        "/api/v1/applications/",
        {
            "service": "arms-licence-renewal",
            "data": {**FORM["examples"][0], "licence_number": "20417"},
        },
        format="json",
    )
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["data.licence_number"]

    created = api("citizen").post(
        "/api/v1/applications/",
        {"service": "arms-licence-renewal", "data": FORM["examples"][0]},
        format="json",
    )
    assert created.status_code == 201
    reference = created.json()["reference"]
    assert reference.startswith("HR-REV-ALR-")

    # Routed to the district of the tehsil given (Shahzadpur is in Ambala).
    detail = api("dc.ambala").get(f"/api/v1/applications/{reference}/").json()
    assert detail["holder"]["office"]["code"] == "HR-AMB"
    assert detail["holder"]["role"]["code"] == "deputy_commissioner"
    actions = api("dc.ambala").get(f"/api/v1/applications/{reference}/actions/").json()["actions"]
    assert {a["action"] for a in actions} == {"renew", "refuse"}

    done = api("dc.ambala").post(
        f"/api/v1/applications/{reference}/actions/", {"action": "renew"}, format="json"
    )
    assert done.status_code == 200
    body = done.json()
    assert body["state"]["code"] == "renewed" and body["outcome"] == "approved"
    assert body["closed_within_rts"] is True
    sms = OutboxMessage.objects.get(application__reference=reference, event="decided")
    assert sms.body == f"Application {reference} is decided. -HRSEVA"
    assert sms.dlt_template_id == "1107169999900000001"


@pytest.mark.django_db
def test_an_aadhaar_number_an_officer_enters_is_stored_masked(root, api):
    workflow = root / "workflows_yaml/single_decision.yaml"
    workflow.write_text(
        WORKFLOW.replace(
            "    roles: [deputy_commissioner]\n  - action: refuse",
            """    roles: [deputy_commissioner]
    input_schema:
      type: object
      additionalProperties: false
      required: [holder_aadhaar]
      properties:
        holder_aadhaar:
          type: string
          format: aadhaar
          x-label: {en: Licence holder's Aadhaar, hi: लाइसेंसधारी का आधार}
      examples:
        - {holder_aadhaar: "234567890124"}
  - action: refuse""",
        )
    )
    definitions_sync(root=root)
    created = api("citizen").post(
        "/api/v1/applications/",
        {"service": "arms-licence-renewal", "data": FORM["examples"][0]},
        format="json",
    )
    reference = created.json()["reference"]
    response = api("dc.ambala").post(
        f"/api/v1/applications/{reference}/actions/",
        {"action": "renew", "data": {"holder_aadhaar": "234567890124"}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["history"][-1]["data"] == {"holder_aadhaar": "XXXXXXXX0124"}
