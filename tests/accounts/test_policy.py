"""Who must give a second factor: every role that can approve or reject a file in some
service, and the state admin, unless roles.yaml (or the state admin, on the role) says
otherwise for a role; nobody else, unless they enrolled a device of their own accord."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from seva.accounts.selectors import deciding_roles, second_factor_required
from seva.definitions.draft_checks import bundle_problems
from seva.definitions.lint import load_definitions
from seva.definitions.models import Service
from seva.definitions.services import definitions_sync
from seva.org.models import Role

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
ORG = f"{settings.SEVA_SERVICE_DIR}/_org"
ROLES_FILE = f"{ORG}/roles.yaml"
INCOME = (
    f"{settings.SEVA_SERVICE_DIR}/revenue/income-certificate.yaml",
    f"{settings.SEVA_FORM_DIR}/revenue/income_certificate.json",
    f"{settings.SEVA_WORKFLOW_DIR}/certificate_verification.yaml",
)


def test_a_role_that_approves_or_rejects_needs_a_second_factor_by_default(user):
    assert {"tehsildar", "sdm", "dswo", "afso", "grievance_l1"} <= deciding_roles()
    assert not {"revenue_clerk", "patwari", "cmo", "service_admin"} & deciding_roles()
    assert second_factor_required(user("tehsildar.ambala"))
    assert second_factor_required(user("grievance.l1.ambala"))  # rejects a grievance
    assert not second_factor_required(user("patwari.ambala"))
    assert not second_factor_required(user("clerk.ambala"))
    assert not second_factor_required(user("cmo"))
    assert not second_factor_required(user("citizen"))


def test_roles_yaml_can_turn_it_off_for_a_deciding_role_and_on_for_another(user):
    Role.objects.filter(code="tehsildar").update(second_factor=False)
    Role.objects.filter(code="patwari").update(second_factor=True)
    assert not second_factor_required(_without_devices(user("tehsildar.ambala")))
    assert second_factor_required(user("patwari.ambala"))


def test_an_officer_with_two_postings_needs_it_if_either_role_does(user):
    from seva.org.models import Posting

    clerk = user("clerk.ambala")
    posting = Posting.objects.get(user=clerk)
    Posting.objects.create(
        user=clerk,
        role=Role.objects.get(code="tehsildar"),
        department=posting.department,
        jurisdiction=posting.jurisdiction,
        kind="additional_charge",
        starts_on=posting.starts_on,
    )
    assert second_factor_required(clerk)


def test_the_state_admin_needs_a_second_factor_unless_the_setting_turns_it_off(user):
    admin = _without_devices(user("admin"))
    assert admin.is_superuser
    assert second_factor_required(admin)
    with override_settings(SEVA_SECOND_FACTOR_FOR_SUPERUSERS=False):
        assert not second_factor_required(admin)


def test_an_officer_who_enrolled_of_their_own_accord_is_asked_too(user):
    clerk = user("clerk.ambala")
    assert not second_factor_required(clerk)
    TOTPDevice.objects.create(user=clerk, name="Phone", confirmed=True)
    assert second_factor_required(clerk)


def _without_devices(officer):
    from seva.accounts.models import SmsDevice

    SmsDevice.objects.filter(user=officer).delete()
    TOTPDevice.objects.filter(user=officer).delete()
    return officer


# ------------------------------------------------------------------------------
# roles.yaml: the key, its checks and its way into the database and back out
# ------------------------------------------------------------------------------
@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(REPO / ORG, tmp_path / ORG)
    for rel in INCOME:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, tmp_path / rel)
    return tmp_path


def _set_second_factor(root: Path, values: dict[str, object]) -> None:
    path = root / ROLES_FILE
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for item in doc["roles"]:
        if item["code"] in values:
            item["second_factor"] = values[item["code"]]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_check_definitions_names_the_file_and_place_of_a_bad_second_factor(root: Path):
    _set_second_factor(root, {"tehsildar": "maybe"})
    problems = load_definitions(root)[1]
    codes = [r["code"] for r in yaml.safe_load((root / ROLES_FILE).read_text())["roles"]]
    pointer = f"/roles/{codes.index('tehsildar')}/second_factor"
    found = [p for p in problems if p.file == ROLES_FILE and p.pointer == pointer]
    assert found, "\n".join(str(p) for p in problems)
    assert "true or false" in found[0].message
    assert found[0].line  # the line of the file, for the command line's report


def test_the_key_is_loaded_onto_the_role_both_ways_and_left_empty_when_absent(root: Path):
    _set_second_factor(root, {"tehsildar": False, "patwari": True})
    _dset, problems = load_definitions(root)
    assert not problems, "\n".join(str(p) for p in problems)
    definitions_sync(root=root)
    assert Role.objects.get(code="tehsildar").second_factor is False
    assert Role.objects.get(code="patwari").second_factor is True
    assert Role.objects.get(code="sdm").second_factor is None


def test_a_draft_check_writes_the_key_back_out_like_oversees():
    Role.objects.filter(code="tehsildar").update(second_factor=False)
    Role.objects.filter(code="patwari").update(second_factor=True)
    version = Service.objects.get(code="income-certificate").current_version
    problems = bundle_problems(
        service_doc=version.service_doc,
        form_schema=version.form_schema,
        workflow_doc=version.workflow_doc,
    )
    assert not [p for p in problems if "second_factor" in p.message], problems


def test_the_state_admin_sets_it_on_the_role_in_the_admin(client, user):
    client.force_login(user("admin"))
    role = Role.objects.get(code="patwari")
    edit = f"/admin/snippets/org/role/edit/{role.pk}/"
    page = client.get(edit).content.decode()
    assert 'name="second_factor"' in page
    response = client.post(
        edit,
        {
            "code": role.code,
            "name_en": role.name_en,
            "name_hi": role.name_hi,
            "level": role.level,
            "oversees": "",
            "second_factor": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    role.refresh_from_db()
    assert role.second_factor is True
    assert second_factor_required(user("patwari.ambala"))
