"""The hand-built scenario of the board tests (see test_board.py), as a fixture for every
dashboard test."""

from __future__ import annotations

import datetime as dt

import pytest

from seva.applications.models import Application
from seva.applications.services import application_act, application_submit
from seva.definitions.models import Service
from tests.helpers import example_with_documents, ist


def file_income(user, tehsil: str, at: dt.datetime) -> Application:
    service = Service.objects.get(code="income-certificate")
    data = example_with_documents(service, user("citizen"))
    data["address"]["tehsil"] = tehsil
    return application_submit(service=service, data=data, applicant=user("citizen"), at=at)


def decide_income(user, app: Application, at: dt.datetime, *, approve: bool, place: str = "ambala"):
    steps = [
        (f"clerk.{place}", "forward_for_verification", {}),
        (
            f"patwari.{place}",
            "submit_verification_report",
            {"facts_verified": True, "verified_annual_income": 180000},
        ),
        (
            f"tehsildar.{place}",
            "approve" if approve else "reject",
            {} if approve else {"reason": "facts_not_verified"},
        ),
    ]
    for hour, (officer, action, inputs) in enumerate(steps):
        application_act(
            application=Application.objects.get(pk=app.pk),
            user=user(officer),
            action=action,
            remarks="Checked.",
            inputs=inputs,
            at=at + dt.timedelta(hours=hour),
        )


@pytest.fixture
def scenario(user):
    ambala, hisar = "HR-AMB-AMB-AMB", "HR-HSR-HSR-HSR"
    a1 = file_income(user, ambala, ist(2026, 10, 1, 10))
    decide_income(user, a1, ist(2026, 10, 5, 11), approve=True)
    a2 = file_income(user, ambala, ist(2026, 9, 1, 10))
    decide_income(user, a2, ist(2026, 11, 2, 11), approve=True)
    a3 = file_income(user, ambala, ist(2026, 10, 6, 10))
    decide_income(user, a3, ist(2026, 10, 8, 11), approve=False)
    file_income(user, ambala, ist(2026, 9, 10, 10))  # A4: nobody acts
    a5 = file_income(user, ambala, ist(2026, 10, 20, 10))
    application_act(
        application=Application.objects.get(pk=a5.pk),
        user=user("clerk.ambala"),
        action="return_for_correction",
        remarks="Income proof unsigned.",
        inputs={"correction_needed": "Sign the income proof."},
        at=ist(2026, 10, 21, 11),
    )
    file_income(user, hisar, ist(2026, 11, 20, 10))  # H1
    return {"a2": Application.objects.get(pk=a2.pk)}
