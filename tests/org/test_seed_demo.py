"""The demo state: a tree of 20+ districts, an officer for every role the samples use, and a
seed command that can be run again without changing anything."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from seva.definitions.lint import load_definitions
from seva.org.models import Holiday, Jurisdiction, Posting
from seva.workflows.engine import compile_workflow


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_the_logins_as_json(capsys):
    def counts():
        return (
            Jurisdiction.objects.count(),
            Posting.objects.count(),
            Holiday.objects.count(),
            get_user_model().objects.count(),
        )

    before = counts()
    call_command("seed_demo", "--json")
    logins = json.loads(capsys.readouterr().out)
    assert counts() == before
    by_name = {login["username"]: login for login in logins}
    assert by_name["citizen"]["password"] == "seva-demo"
    assert by_name["cmo"]["roles"] == [{"role": "cmo", "department": None, "jurisdiction": "HR"}]
    assert by_name["tehsildar.ambala"]["roles"] == [
        {"role": "tehsildar", "department": "revenue", "jurisdiction": "HR-AMB-AMB-AMB"}
    ]
    assert all(set(login) == {"username", "password", "roles"} for login in logins)


@pytest.mark.django_db
def test_every_demo_login_works_with_the_demo_password():
    User = get_user_model()
    for user in User.objects.filter(username__in=["citizen", "cmo", "admin", "clerk.ambala"]):
        assert user.check_password("seva-demo")


@pytest.mark.django_db
def test_the_state_has_twenty_districts_each_with_subdivisions_and_tehsils():
    districts = Jurisdiction.objects.filter(level="district")
    assert districts.count() >= 20
    for district in districts:
        subdivisions = district.children.filter(level="subdivision")
        assert subdivisions.exists(), district
        for subdivision in subdivisions:
            assert subdivision.children.filter(level="tehsil").exists(), subdivision
    for node in Jurisdiction.objects.exclude(level="state").select_related("parent"):
        assert node.path == f"{node.parent.path}{node.code}/"
        assert node.name_hi


@pytest.mark.django_db
def test_every_role_a_sample_workflow_uses_has_a_demo_officer():
    dset, _problems = load_definitions()
    used: set[str] = set()
    for bundle in (dset.bundle(code) for code in dset.services):
        used |= compile_workflow(bundle["workflow"]).roles_used()
        used |= {bundle["service"]["rts"]["designated_officer"]}
    posted = set(Posting.objects.values_list("role__code", flat=True))
    assert used <= posted, used - posted
    assert "cmo" in posted
