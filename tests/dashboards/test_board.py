"""The RTS board on a hand-built scenario: every cell of the district board, and who sees
which rows (the CMO, a collector, a head of department, an officer), in the selector and
the API.

Ambala: A1 approved within RTS; A2 approved after its deadline; A3 rejected within RTS; A4
still underway past its deadline; A5 returned to the citizen (clock stopped) and not late
although its date has passed. Hisar: H1 underway within its deadline. The board is read on
23 November 2026, over 1 September to 23 November.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from seva.core.errors import ActionNotAllowed
from seva.dashboards import boards, charts
from seva.dashboards.boards import BoardFilters
from seva.dashboards.charts import weekly_trend
from seva.dashboards.models import RtsStateDaily
from seva.dashboards.selectors import rts_board
from seva.org.models import Jurisdiction
from tests.helpers import ist

TODAY = dt.date(2026, 11, 23)
RANGE = {"start": dt.date(2026, 9, 1), "end": TODAY}


def _cells(rows) -> list[tuple]:
    return [
        (
            row.rank,
            row.name,
            row.received,
            row.completed,
            row.completed_within_pct,
            row.completed_outside_pct,
            row.underway,
            row.underway_within_pct,
            row.underway_beyond_pct,
            row.rejection_pct,
            row.score,
        )
        for row in rows
    ]


D = Decimal


@pytest.mark.django_db
def test_every_cell_of_the_district_board(user, scenario):
    assert scenario["a2"].closed_within_rts is False  # the scenario is what it says
    rows = rts_board(user=user("cmo"), filters=BoardFilters(by="district", **RANGE), today=TODAY)
    assert _cells(rows) == [
        (1, "Hisar", 1, 0, None, None, 1, D("100.0"), D("0.0"), None, D("10.0")),
        # 10 x (0.5 x 2/3 + 0.3 x 1/2 + 0.2 x 2/3) = 6.17
        (2, "Ambala", 5, 3, D("66.7"), D("33.3"), 2, D("50.0"), D("50.0"), D("33.3"), D("6.2")),
    ]
    # Before A2's approval on 2 November, and from the day after A1's: only A3 completed.
    october = rts_board(
        user=user("cmo"),
        filters=BoardFilters(by="district", start=dt.date(2026, 10, 6), end=dt.date(2026, 10, 31)),
        today=TODAY,
    )
    ambala = next(row for row in october if row.name == "Ambala")
    assert (ambala.received, ambala.completed, ambala.rejected) == (2, 1, 1)


@pytest.mark.django_db
def test_the_department_and_tehsil_boards_add_up_the_same_files(user, scenario):
    by_department = rts_board(
        user=user("cmo"), filters=BoardFilters(by="department", **RANGE), today=TODAY
    )
    assert [(r.name, r.received, r.completed, r.underway) for r in by_department] == [
        ("Revenue and Disaster Management", 6, 3, 3)
    ]
    by_tehsil = rts_board(
        user=user("cmo"),
        filters=BoardFilters(by="tehsil", **RANGE),
        today=TODAY,
    )
    assert sorted((r.name, r.received) for r in by_tehsil) == [("Ambala", 5), ("Hisar", 1)]


@pytest.mark.django_db
def test_each_reader_sees_their_own_part(user, scenario):
    def districts(username: str) -> list[str]:
        board = rts_board(user=user(username), filters=BoardFilters(**RANGE), today=TODAY)
        return sorted(row.name for row in board)

    assert districts("cmo") == ["Ambala", "Hisar"]
    assert districts("admin") == ["Ambala", "Hisar"]
    assert districts("dc.ambala") == ["Ambala"]  # the collector: their district
    assert districts("fcr") == ["Ambala", "Hisar"]  # head of revenue: the state
    assert districts("director.sje") == []  # head of social justice: no revenue files
    assert districts("tehsildar.hisar") == ["Hisar"]  # an officer: their own office
    assert districts("registrar.ambala") == []  # another department's office
    with pytest.raises(ActionNotAllowed):
        rts_board(user=user("citizen"), filters=BoardFilters(**RANGE), today=TODAY)


@pytest.mark.django_db
def test_the_api_gives_the_same_board_with_the_same_scope(api, scenario):
    with time_machine.travel(ist(2026, 11, 23, 12), tick=False):
        response = api("dc.ambala").get(
            "/api/v1/dashboard/rts/",
            {"by": "district", "from": "2026-09-01", "to": "2026-11-23"},
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["name"] for row in body["rows"]] == ["Ambala"]
    row = body["rows"][0]
    assert (row["received"], row["completed"], row["underway"]) == (5, 3, 2)
    assert row["completed_within_pct"] == "66.7" and row["score"] == "6.2"

    assert api("citizen").get("/api/v1/dashboard/rts/").status_code == 403
    assert api(None).get("/api/v1/dashboard/rts/").status_code in (401, 403)
    bad = api("cmo").get("/api/v1/dashboard/rts/", {"by": "village", "from": "yesterday"})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"by", "from"}


def _page(client, user, username: str, **params):
    client.force_login(user(username))
    with time_machine.travel(ist(2026, 11, 23, 12), tick=False):
        return client.get(
            "/admin/dashboard/rts/", {"from": "2026-09-01", "to": "2026-11-23", **params}
        )


@pytest.mark.django_db
def test_the_page_shows_the_board_and_drills_down_from_district_to_tehsil(client, user, scenario):
    page = _page(client, user, "cmo")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-code="HR-AMB"' in html and 'data-code="HR-HSR"' in html
    ambala = next(row for row in page.context["rows"] if row.code == "HR-AMB")
    assert ambala.band == "fair" and ambala.drill_url.startswith("?")
    assert "by=tehsil" in ambala.drill_url and "district=HR-AMB" in ambala.drill_url

    tehsils = _page(client, user, "cmo", by="tehsil", district="HR-AMB")
    assert [(r.name, r.received) for r in tehsils.context["rows"]] == [("Ambala", 5)]
    sorted_page = _page(client, user, "cmo", sort="-received")
    assert [r.code for r in sorted_page.context["rows"]] == ["HR-AMB", "HR-HSR"]

    bad = _page(client, user, "cmo", by="village")
    assert bad.status_code == 400 and "Choose one of" in bad.content.decode()


@pytest.mark.django_db
def test_the_xlsx_export_opens_and_matches_the_board_in_the_readers_scope(client, user, scenario):
    import io

    from openpyxl import load_workbook

    client.force_login(user("dc.ambala"))
    with time_machine.travel(ist(2026, 11, 23, 12), tick=False):
        response = client.get(
            "/admin/dashboard/rts/export.xlsx", {"from": "2026-09-01", "to": "2026-11-23"}
        )
        board = rts_board(user=user("dc.ambala"), filters=BoardFilters(**RANGE), today=TODAY)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [list(row) for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert cells == [
        [
            r.rank,
            r.name,
            r.code,
            r.received,
            r.completed,
            float(r.completed_within_pct),
            float(r.completed_outside_pct),
            r.underway,
            float(r.underway_within_pct),
            float(r.underway_beyond_pct),
            float(r.rejection_pct),
            float(r.score),
        ]
        for r in board
    ]
    assert [row[1] for row in cells] == ["Ambala"]  # the collector's district only

    csv_text = client.get("/admin/dashboard/rts/export.csv", {"by": "department"}).content.decode()
    assert "Revenue and Disaster Management" in csv_text
    assert client.get("/admin/dashboard/rts/export.pdf").status_code == 404
    client.force_login(user("citizen"))
    assert client.get("/admin/dashboard/rts/export.csv").status_code in (302, 403)


@pytest.mark.django_db
def test_the_page_draws_the_weekly_trend_and_the_heat_map_from_the_rollups(client, user, scenario):
    page = _page(client, user, "cmo")
    trend = page.context["trend"]
    assert len(trend) == 12 and trend[-1].week == dt.date(2026, 11, 23)
    by_week = {p.week: (p.received, p.disposed, p.beyond) for p in trend}
    assert by_week[dt.date(2026, 11, 16)] == (1, 0, 0)  # H1, filed on the 20th
    assert by_week[dt.date(2026, 11, 2)] == (0, 1, 1)  # A2 approved late on the 2nd
    assert by_week[dt.date(2026, 10, 5)] == (1, 2, 0)  # A3 filed; A1 and A3 decided in time
    html = page.content.decode()
    assert '<svg class="d-chart"' in html and "<polyline" in html

    heat = page.context["heat_map"]
    assert [name for name, _cells in heat.rows()] == ["Ambala", "Hisar"]
    cells = {name: [(c.beyond, c.underway, c.level) for c in row] for name, row in heat.rows()}
    assert cells == {"Ambala": [(1, 2, 4)], "Hisar": [(0, 1, 0)]}
    # The collector's page shows only their district.
    collector = _page(client, user, "dc.ambala")
    assert [name for name, _cells in collector.context["heat_map"].rows()] == ["Ambala"]


@pytest.mark.django_db
def test_files_at_risk_are_those_due_within_the_window_with_the_clock_running(user, scenario):
    from seva.core.errors import ValidationFailed
    from seva.dashboards.risk import applications_at_risk, offices_at_risk

    cmo = user("cmo")
    # A4 is already late and A5 is with the citizen: neither is "at risk". H1 (filed on the
    # 20th, 15 working days, Guru Nanak Jayanti on the 24th) falls due on 14 December: 14
    # working days after the 23rd.
    assert offices_at_risk(user=cmo, filters=BoardFilters(), days=3, today=TODAY) == []
    assert offices_at_risk(user=cmo, filters=BoardFilters(), days=13, today=TODAY) == []
    [hisar] = offices_at_risk(user=cmo, filters=BoardFilters(), days=14, today=TODAY)
    assert (hisar.code, hisar.count, hisar.first_due) == (
        "HR-HSR-HSR-HSR",
        1,
        dt.date(2026, 12, 14),
    )
    assert (
        offices_at_risk(user=user("dc.ambala"), filters=BoardFilters(), days=14, today=TODAY) == []
    )
    listed = applications_at_risk(user=cmo, office_code="HR-HSR-HSR-HSR", days=14, today=TODAY)
    assert [a.office.code for a in listed] == ["HR-HSR-HSR-HSR"]
    assert (
        applications_at_risk(
            user=user("clerk.ambala"), office_code="HR-HSR-HSR-HSR", days=14, today=TODAY
        )
        == []
    )
    with pytest.raises(ValidationFailed):
        offices_at_risk(user=cmo, filters=BoardFilters(), days=31, today=TODAY)


@pytest.mark.django_db
def test_the_at_risk_page_lists_offices_then_an_offices_files(client, user, scenario):
    client.force_login(user("cmo"))
    with time_machine.travel(ist(2026, 11, 23, 12), tick=False):
        offices = client.get("/admin/dashboard/rts/at-risk/", {"days": 14})
        files = client.get(
            "/admin/dashboard/rts/at-risk/", {"days": 14, "office": "HR-HSR-HSR-HSR"}
        )
        bad = client.get("/admin/dashboard/rts/at-risk/", {"days": "many"})
    assert offices.status_code == 200
    assert 'data-code="HR-HSR-HSR-HSR"' in offices.content.decode()
    assert "office=HR-HSR-HSR-HSR" in offices.context["offices"][0].url
    assert files.status_code == 200 and files.content.decode().count("data-reference=") == 1
    assert bad.status_code == 400 and "from 0 to 30" in bad.content.decode()


@pytest.mark.django_db
def test_the_officer_level_shows_who_disposed_of_and_who_holds_the_offices_files(
    client, api, user, scenario
):
    office = "HR-AMB-AMB-AMB"
    filters = BoardFilters(by="officer", office_id=_office_id(office), **RANGE)
    rows = rts_board(user=user("cmo"), filters=filters, today=TODAY)
    tehsildar, clerk = user("tehsildar.ambala"), user("clerk.ambala")
    assert [
        (r.rank, r.code, r.completed, r.completed_within, r.rejected, *_open(r)) for r in rows
    ] == [
        # A1, A2 (late) and A3 (rejected) were decided by the tehsildar: 10 x (0.5 x 2/3 +
        # 0.3 + 0.2 x 2/3) = 7.7. A4 waits with the clerk past its deadline: 10 x (0.5 + 0.2).
        (1, "tehsildar", 3, 2, 1, 0, 0, D("7.7")),
        (2, "revenue_clerk", 0, 0, 0, 1, 1, D("7.0")),
    ]
    assert tehsildar.get_full_name() in rows[0].name and clerk.get_full_name() in rows[1].name
    # The clerk sees their own office; the Hisar clerk sees nothing of Ambala's.
    assert len(rts_board(user=clerk, filters=filters, today=TODAY)) == 2
    assert rts_board(user=user("clerk.hisar"), filters=filters, today=TODAY) == []

    # On the page, an office leads to its officers; the API needs the office.
    client.force_login(user("cmo"))
    offices = client.get("/admin/dashboard/rts/", {"by": "office", "district": "HR-AMB"})
    assert f"by=officer&amp;district=HR-AMB&amp;office={office}" in offices.content.decode()
    page = client.get("/admin/dashboard/rts/", {"by": "officer", "office": office})
    assert page.status_code == 200 and tehsildar.get_full_name() in page.content.decode()
    missing = api("cmo").get("/api/v1/dashboard/rts/", {"by": "officer"})
    assert missing.status_code == 400 and set(missing.json()["errors"]) == {"office"}


def _open(row) -> tuple:
    return (row.underway, row.underway_beyond, row.score)


def _office_id(code: str) -> int:
    return Jurisdiction.objects.get(code=code).pk


@pytest.mark.django_db
def test_the_boards_by_service_tehsil_and_office_read_coarse_tables_with_the_same_figures(
    user, scenario, monkeypatch
):
    cmo = user("cmo")
    scope = boards.board_scope(cmo)
    for by, table in (
        ("service", "RtsServiceTotal"),
        ("tehsil", "RtsPlaceTotal"),
        ("office", "RtsPlaceTotal"),
    ):
        family = boards.coarse_family(BoardFilters(by=by), scope, (boards.GROUPINGS[by],))
        assert family is not None and family.total.__name__ == table
    by_service = rts_board(user=cmo, filters=BoardFilters(by="service", **RANGE), today=TODAY)
    assert _cells(by_service) == [
        # The six income certificates: Ambala's five and Hisar's one.
        (
            1,
            "Income certificate",
            6,
            3,
            D("66.7"),
            D("33.3"),
            3,
            D("66.7"),
            D("33.3"),
            D("33.3"),
            D("6.7"),
        ),
    ]
    by_office = rts_board(user=cmo, filters=BoardFilters(by="office", **RANGE), today=TODAY)
    assert sorted((r.name, r.received, r.completed, r.underway) for r in by_office) == [
        ("Ambala", 5, 3, 2),
        ("Hisar", 1, 0, 1),
    ]
    # Every reader's boards, drilled down, say what the fine tables say.
    ambala = Jurisdiction.objects.get(code="HR-AMB-AMB-AMB")
    for username in ("cmo", "dc.ambala", "fcr", "tehsildar.hisar"):
        for filters in (
            BoardFilters(by="service", **RANGE),
            BoardFilters(by="tehsil"),
            BoardFilters(by="office", tehsil_id=ambala.pk),
            BoardFilters(by="service", start=dt.date(2026, 10, 3), end=dt.date(2026, 11, 4)),
        ):
            coarse = rts_board(user=user(username), filters=filters, today=TODAY)
            monkeypatch.setattr(boards, "coarse_family", lambda *args: None)
            fine = rts_board(user=user(username), filters=filters, today=TODAY)
            monkeypatch.undo()
            assert [vars(r) for r in coarse] == [vars(r) for r in fine], (username, filters)


@pytest.mark.django_db
def test_the_weekly_trend_reads_the_state_table_with_the_same_figures(user, scenario, monkeypatch):
    cmo = user("cmo")
    filters = BoardFilters(**RANGE)
    with CaptureQueriesContext(connection) as queries:
        trend = weekly_trend(user=cmo, filters=filters, today=TODAY)
    assert any(RtsStateDaily._meta.db_table in q["sql"] for q in queries.captured_queries)
    # Twelve weeks to 23 November: from 7 September, so without A2 (filed on 1 September).
    assert sum(p.received for p in trend) == 5 and sum(p.disposed for p in trend) == 3
    monkeypatch.setattr(charts, "STATE_COLUMNS", frozenset())
    assert weekly_trend(user=cmo, filters=filters, today=TODAY) == trend
