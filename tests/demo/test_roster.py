"""The demo roster staffs every role in roles.yaml: a department that adds a role has demo
and test officers, one in each office of the role's level, with no change to the code or to
the demo data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from seva.org.models import Jurisdiction, Posting

NEW_ROLE = (
    "  - {code: mutation_clerk, level: tehsil, name: {en: Mutation clerk, hi: दाखिल-खारिज लिपिक}}\n"
)


@pytest.fixture
def definitions_with_a_new_role(tmp_path, settings):
    root = Path(settings.SEVA_DEFINITIONS_ROOT)
    for folder in (settings.SEVA_SERVICE_DIR, settings.SEVA_FORM_DIR, settings.SEVA_WORKFLOW_DIR):
        shutil.copytree(root / folder, tmp_path / folder)
    roles = tmp_path / settings.SEVA_SERVICE_DIR / "_org" / "roles.yaml"
    roles.write_text(roles.read_text(encoding="utf-8") + NEW_ROLE, encoding="utf-8")
    settings.SEVA_DEFINITIONS_ROOT = str(tmp_path)
    return tmp_path


@pytest.mark.django_db
def test_a_role_added_to_roles_yaml_has_an_officer_in_every_office_of_its_level(
    definitions_with_a_new_role,
):
    call_command("sync_definitions", verbosity=0)
    call_command("seed_demo", "--quiet")

    tehsils = list(Jurisdiction.objects.filter(level="tehsil"))
    postings = Posting.objects.filter(role__code="mutation_clerk").select_related(
        "user", "jurisdiction"
    )
    assert sorted(p.jurisdiction.code for p in postings) == sorted(t.code for t in tehsils)
    assert {p.user.username for p in postings} == {
        f"mutation_clerk.{t.code.lower()}" for t in tehsils
    }
    # Named as the others, with the demo password, in no department until a service names it.
    officer = get_user_model().objects.get(username=f"mutation_clerk.{tehsils[0].code.lower()}")
    assert officer.check_password("seva-demo")
    assert {p.department_id for p in postings} == {None}


@pytest.mark.django_db
def test_the_roles_already_staffed_get_no_second_officer():
    before = Posting.objects.count()
    call_command("seed_demo", "--quiet")
    assert Posting.objects.count() == before
    assert not get_user_model().objects.filter(username__startswith="revenue_head.").exists()
