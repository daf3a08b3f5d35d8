"""The CMO at the RTS dashboard, in a real browser: the board by district, a drill-down to
the district's tehsils and on to the offices, the weekly chart, the XLSX download (which
opens with openpyxl and says what the page says), and the files at risk of breaching RTS.
axe-core checks every page."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from .officer import audit_workspace, sign_in_officer

PREPARE = "from tests.system.dashboard import prepare_board; prepare_board()"


def _table(page) -> list[list[str]]:
    return (
        page.locator("table.d-table")
        .first.locator("tbody tr")
        .evaluate_all("rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")
    )


def test_the_cmo_drills_down_twice_sees_the_chart_and_downloads_the_board(page, site_manage):
    site_manage("shell", "-c", PREPARE)
    sign_in_officer(page, "cmo")
    with page.expect_navigation():
        page.get_by_role("link", name="RTS dashboard").first.click()
    assert "/admin/dashboard/rts/" in page.url, page.url
    audit_workspace(page, "dashboard-districts")
    districts = {row[1]: row for row in _table(page)}
    assert "Kurukshetra" in districts, districts

    with page.expect_navigation():
        page.get_by_role("link", name="Kurukshetra", exact=True).click()
    audit_workspace(page, "dashboard-tehsils")
    tehsils = {row[1]: row for row in _table(page)}
    assert set(tehsils) == {"Thanesar", "Pehowa"}, tehsils
    # Received, completed: two income certificates (one approved) and a grievance, closed.
    assert (tehsils["Thanesar"][3], tehsils["Thanesar"][4]) == ("3", "2")

    with page.expect_navigation():
        page.get_by_role("link", name="Thanesar", exact=True).click()
    audit_workspace(page, "dashboard-offices")
    offices = _table(page)
    assert [row[1] for row in offices] == ["Thanesar"], offices
    assert page.locator("svg.d-chart polyline").count() == 3
    assert page.locator("svg.d-chart").is_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [[str(v) if v is not None else "—" for v in row[:5]] for row in rows] == [
        row[:5] for row in offices
    ]

    # The office leads to its officers; the grievance board has its own columns.
    with page.expect_navigation():
        page.get_by_role("link", name="Thanesar", exact=True).click()
    audit_workspace(page, "dashboard-officers")
    assert all(row[1] for row in _table(page)), _table(page)
    page.goto("/admin/dashboard/rts/?by=district&kind=grievance")
    audit_workspace(page, "dashboard-grievances")
    assert page.get_by_role("columnheader", name="Reopened (%)").is_visible()
    kurukshetra = next(row for row in _table(page) if row[1] == "Kurukshetra")
    assert kurukshetra[-5:] == ["1", "100.0", "100.0", "0.0", "5.0"], kurukshetra

    # Files at risk: the Kurukshetra files reach their RTS date within 30 working days.
    page.goto("/admin/dashboard/rts/at-risk/?days=30&district=HR-KKR")
    audit_workspace(page, "dashboard-at-risk")
    assert page.locator('tr[data-code="HR-KKR-THN-THN"]').count() == 1, page.inner_text("main")
    with page.expect_navigation():
        page.locator('tr[data-code="HR-KKR-THN-THN"] a').click()
    audit_workspace(page, "dashboard-at-risk-office")
    assert page.locator("tr[data-reference]").count() == 1  # one of the two was approved
