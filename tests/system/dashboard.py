"""Files for the dashboard's browser test, made straight in the server's database: income
certificates in two tehsils of Kurukshetra (a district the other browser tests leave alone),
one of them approved.

Run with: manage.py shell -c "from tests.system.dashboard import prepare_board; prepare_board()"
"""

from __future__ import annotations


def prepare_board() -> None:
    from django.contrib.auth import get_user_model

    from seva.applications.services import application_act, application_submit
    from seva.definitions.models import Service
    from tests.helpers import example_with_documents

    User = get_user_model()
    citizen = User.objects.get(username="citizen")
    service = Service.objects.get(code="income-certificate")
    filed = []
    for tehsil in ("HR-KKR-THN-THN", "HR-KKR-THN-THN", "HR-KKR-PHW-PHW"):
        data = example_with_documents(service, citizen)
        data["address"]["tehsil"] = tehsil
        filed.append(application_submit(service=service, data=data, applicant=citizen))
    first = filed[0]
    for username, action, inputs in (
        ("revenue_clerk.hr-kkr-thn-thn", "forward_for_verification", {}),
        (
            "patwari.hr-kkr-thn-thn",
            "submit_verification_report",
            {"facts_verified": True, "verified_annual_income": 180000},
        ),
        ("tehsildar.hr-kkr-thn-thn", "approve", {}),
    ):
        first = application_act(
            application=first,
            user=User.objects.get(username=username),
            action=action,
            remarks="Checked.",
            inputs=inputs,
        )
    # A grievance in Thanesar: the L1 officer reports the action taken; the citizen accepts.
    grievances = Service.objects.get(code="public-grievance")
    data = example_with_documents(grievances, citizen)
    data["location"]["tehsil"] = "HR-KKR-THN-THN"
    grievance = application_submit(service=grievances, data=data, applicant=citizen)
    report = {
        "action_taken": "The handpump was repaired by the PHED team the same afternoon.",
        "action_date": grievance.submitted_at.date().isoformat(),
        "resolution": "resolved",
    }
    for username, action, inputs in (
        ("grievance_l1.hr-kkr-thn-thn", "submit_action_taken_report", report),
        ("citizen", "accept_closure", {"rating": 5}),
    ):
        grievance = application_act(
            application=grievance,
            user=User.objects.get(username=username),
            action=action,
            remarks="Done.",
            inputs=inputs,
        )
    print(first.reference)
