"""The grievance columns of the board: action taken reports within the service level,
closures with the citizen's consent, reopenings and average satisfaction, counted from the
rollups of the actions that the grievance workflow marks (`counts_as`) and of ratings.

Ambala, three grievances filed on 4 May 2026 (the L1 stage is 7 working days):
G1: ATR on day 2 (on time); the citizen accepts and rates it 4.
G2: ATR after the stage deadline; the citizen reopens; a second ATR on time; the citizen
    accepts without a rating.
G3: rejected as not actionable; its applicant rates the service 1 afterwards.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from seva.applications.models import Application, Feedback
from seva.applications.services import application_act, application_submit, feedback_give
from seva.dashboards.boards import BoardFilters
from seva.dashboards.selectors import rollups_differences, rts_board
from seva.definitions.models import Service
from tests.helpers import example_with_documents, ist

D = Decimal
ATR = {
    "action_taken": "The pipeline near the temple was repaired and the supply was restored.",
    "action_date": "2026-05-05",
    "resolution": "resolved",
}
RANGE = {"start": dt.date(2026, 5, 1), "end": dt.date(2026, 6, 30)}


def _act(user, application, username, action, at, inputs=None, remarks="Done."):
    return application_act(
        application=Application.objects.get(pk=application.pk),
        user=user(username),
        action=action,
        remarks=remarks,
        inputs=inputs or {},
        at=at,
    )


@pytest.fixture
def grievances(user):
    service = Service.objects.get(code="public-grievance")
    files = [
        application_submit(
            service=service,
            data=example_with_documents(service, user("citizen")),
            applicant=user("citizen"),
            at=ist(2026, 5, 4, 10 + n),
        )
        for n in range(3)
    ]
    g1, g2, g3 = files
    assert g1.district.code == "HR-AMB"
    _act(user, g1, "grievance.l1.ambala", "submit_action_taken_report", ist(2026, 5, 6, 11), ATR)
    _act(user, g1, "citizen", "accept_closure", ist(2026, 5, 7, 9), {"rating": 4})

    late = g2.stage_due_at + dt.timedelta(days=1)
    _act(user, g2, "grievance.l1.ambala", "submit_action_taken_report", late, ATR)
    _act(user, g2, "citizen", "reopen", late + dt.timedelta(days=1), {"reason": "partial_action"})
    _act(
        user,
        g2,
        "grievance.l1.ambala",
        "submit_action_taken_report",
        late + dt.timedelta(days=2),
        ATR,
    )
    _act(user, g2, "citizen", "accept_closure", late + dt.timedelta(days=3), {})

    transition = next(
        t
        for t in g3.service_version.workflow_doc["transitions"]
        if t["action"] == "reject_as_not_actionable"
    )
    _act(
        user,
        g3,
        "grievance.l1.ambala",
        "reject_as_not_actionable",
        ist(2026, 5, 5, 12),
        transition["input_schema"]["examples"][0],
        remarks="A private dispute, not a public service.",
    )
    feedback_give(
        application=Application.objects.get(pk=g3.pk),
        rating=1,
        comment="Nobody came.",
        at=ist(2026, 5, 8, 10),
    )
    return files


@pytest.mark.django_db
def test_the_grievance_columns_count_reports_consents_reopenings_and_ratings(user, grievances):
    assert Feedback.objects.filter(application=grievances[0], rating=4).exists()
    assert rollups_differences() == []
    for reader in ("cmo", "dc.ambala"):
        rows = rts_board(
            user=user(reader), filters=BoardFilters(by="district", kind="grievance", **RANGE)
        )
        ambala = next(row for row in rows if row.name == "Ambala")
        assert (ambala.received, ambala.completed, ambala.atr, ambala.reopened) == (3, 3, 3, 1)
        assert ambala.atr_within_pct == D("66.7")  # G1's and G2's second; not G2's first
        assert ambala.consented_pct == D("66.7")  # G1 and G2 of the three completed
        assert ambala.reopened_pct == D("33.3")  # one of the three reports sent back
        assert ambala.satisfaction == D("2.5")  # (4 + 1) / 2

    # The same from the fine tables (a tehsil's board) and in the XLSX of grievances.
    tehsils = rts_board(
        user=user("cmo"),
        filters=BoardFilters(by="tehsil", kind="grievance", **RANGE),
    )
    assert [(r.atr, r.atr_within, r.consented, r.reopened, r.rated) for r in tehsils] == [
        (3, 2, 2, 1, 2)
    ]


@pytest.mark.django_db
def test_the_grievance_columns_are_on_the_page_and_in_the_export(client, user, grievances):
    client.force_login(user("cmo"))
    params = {"by": "district", "kind": "grievance", "from": "2026-05-01", "to": "2026-06-30"}
    page = client.get(reverse("dashboards:board"), params).content.decode()
    assert "ATR within service level (%)" in page and "Average satisfaction (1-5)" in page
    response = client.get(reverse("dashboards:export", args=["xlsx"]), params)
    sheet = load_workbook(io.BytesIO(response.content)).active
    headings = [cell.value for cell in sheet[2]]
    ambala = next(r for r in sheet.iter_rows(min_row=3, values_only=True) if r[1] == "Ambala")
    assert ambala[headings.index("Reopened (%)")] == 33.3
    assert ambala[headings.index("Average satisfaction (1-5)")] == 2.5
    # Without kind=grievance the board keeps its usual columns.
    plain = client.get(reverse("dashboards:board"), {"by": "district"}).content.decode()
    assert "ATR within service level" not in plain
