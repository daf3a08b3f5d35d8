"""Monthly score snapshots: a month's scores and ranks are stored when it closes and stay as
they were when old files are disposed of later; the CMO's board shows them beside today's,
in the page, the API and the exports; a collector's board does not (the snapshot ranks the
state, not their district)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.urls import reverse
from openpyxl import load_workbook

from seva.applications.models import Application
from seva.dashboards.boards import BoardFilters, board_rows
from seva.dashboards.models import ScoreSnapshot
from seva.dashboards.selectors import rts_board
from seva.dashboards.snapshots import scores_snapshot
from tests.dashboards.conftest import decide_income
from tests.helpers import ist

OCTOBER = dt.date(2026, 10, 1)
DECEMBER = dt.date(2026, 12, 15)
D = Decimal


def _scores(by: str) -> dict[str, tuple]:
    return {
        s.name: (s.received, s.completed, s.underway, s.underway_beyond, s.score, s.rank)
        for s in ScoreSnapshot.objects.filter(month=OCTOBER, by=by)
    }


@pytest.mark.django_db
def test_a_months_scores_are_kept_as_they_were_when_old_files_close_later(user, scenario):
    written = scores_snapshot(OCTOBER, at=ist(2026, 11, 1, 0, 30))
    assert written == ScoreSnapshot.objects.filter(month=OCTOBER).count() > 0
    # Ambala in October: A1, A3, A5 received; A1 and A3 completed within RTS, A3 rejected;
    # underway at the month's end A4 (late) and A5 (with the citizen).
    # 10 x (0.5 x 1 + 0.3 x 1/2 + 0.2 x 1/2) = 7.5. Hisar: H1 underway, on time.
    october = {"Ambala": (3, 2, 2, 1, D("7.5"), 2), "Hisar": (0, 0, 1, 0, D("10.0"), 1)}
    assert _scores("district") == october
    assert set(ScoreSnapshot.objects.filter(month=OCTOBER).values_list("by", flat=True)) == {
        "district",
        "department",
        "service",
    }

    # A4, filed in September, is disposed of in December: October's live board changes...
    a4 = Application.objects.filter(closed_at__isnull=True, clock_paused_at__isnull=True).get(
        district__code="HR-AMB"
    )
    decide_income(user, a4, ist(2026, 12, 1, 11), approve=True)
    live = board_rows(
        BoardFilters(by="district", start=OCTOBER, end=dt.date(2026, 10, 31)),
        Q(),
        DECEMBER,
        "en",
    )
    assert next(r for r in live if r.name == "Ambala").score == D("9.0")
    # ... and the snapshot does not: a second run leaves it as it was.
    assert scores_snapshot(OCTOBER, at=ist(2026, 12, 2, 0, 30)) == 0
    assert _scores("district") == october

    rows = rts_board(user=user("cmo"), filters=BoardFilters(by="district"), today=DECEMBER)
    ambala = next(r for r in rows if r.name == "Ambala")
    assert ambala.history == [
        (dt.date(2026, 9, 1), None, None),
        (OCTOBER, D("7.5"), 2),
        (dt.date(2026, 11, 1), None, None),
    ]
    collector = rts_board(
        user=user("dc.ambala"), filters=BoardFilters(by="district"), today=DECEMBER
    )
    assert [r.history for r in collector] == [[]]


@pytest.mark.django_db
def test_the_monthly_scores_are_in_the_api_and_the_xlsx(client, api, user, scenario):
    call_command("snapshot_scores", "--month", "2026-10")
    with time_machine.travel(ist(2026, 12, 15, 10), tick=False):
        body = api("cmo").get("/api/v1/dashboard/rts/", {"by": "district"}).json()
        client.force_login(user("cmo"))
        response = client.get(reverse("dashboards:export", args=["xlsx"]), {"by": "district"})
        page = client.get(reverse("dashboards:board"), {"by": "district"}).content.decode()
    hisar = next(r for r in body["rows"] if r["name"] == "Hisar")
    assert hisar["monthly_scores"][1] == {"month": "2026-10", "score": "10.0", "rank": 1}

    sheet = load_workbook(io.BytesIO(response.content)).active
    headings = [cell.value for cell in sheet[2]]
    assert "Score Oct 2026" in headings and "Rank Oct 2026" in headings
    by_name = {row[1]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert by_name["Ambala"][headings.index("Score Oct 2026")] == 7.5
    assert by_name["Ambala"][headings.index("Rank Oct 2026")] == 2
    assert "Score Oct 2026 (rank)" in page and "7.5 (2)" in page


@pytest.mark.django_db
def test_a_month_not_yet_ended_cannot_be_stored(user):
    with pytest.raises(ValueError, match="has not ended"):
        scores_snapshot(dt.date(2026, 11, 1), at=ist(2026, 11, 30, 23))
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("snapshot_scores", "--month", "October")
