"""A department's service administrator in the staff workspace, in a real browser: the
Services menu lists their department's services; a service shows its versions and
downloads them as definition files. axe-core checks each page."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from .officer import audit_workspace, sign_in_officer

# The revenue department's services, as its folder of definition files holds them.
REVENUE = sorted(
    path.stem
    for path in (Path(__file__).resolve().parents[2] / "service_definitions/revenue").glob("*.yaml")
)


def test_the_service_administrator_browses_and_downloads_their_services(page):
    sign_in_officer(page, "admin.revenue")
    with page.expect_navigation():
        page.get_by_role("link", name="Services").first.click()
    audit_workspace(page, "services")
    codes = page.locator("tr[data-code]").evaluate_all("rows => rows.map(r => r.dataset.code)")
    assert codes == REVENUE and "income-certificate" in codes, codes

    with page.expect_navigation():
        page.get_by_role("link", name="Income certificate").click()
    audit_workspace(page, "service")
    assert page.locator("tr[data-version]").count() >= 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Download v1 files").click()
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    assert "service_definitions/revenue/income-certificate.yaml" in archive.namelist()
