"""An officer's hands in the staff workspace (the Wagtail admin): signing in, reading the
queue as the page shows it, opening a file, fetching its documents and taking an action.

`prepare_files` runs on the other side, inside the server's own environment (through
`manage.py shell`): it files applications already part-way through their workflow and
back-dated, so that a queue shows every deadline colour without the test waiting for days.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from seva.demo.accounts import demo_sign_in_mobile
from seva.demo.org import demo_officer_mobiles

from .browser import audit

PASSWORD = "seva-demo"
WORKSPACE_LANGUAGE = "en"  # the workspace is in English for every officer
DESK = {"width": 1280, "height": 900}

# ------------------------------------------------------------------------------
# Files in the server's database
# ------------------------------------------------------------------------------
AMBALA = "HR-AMB-AMB-AMB"
HISAR = "HR-HSR-HSR-HSR"
REPORT = {"facts_verified": True, "verified_annual_income": 180000}
# The documents of every prepared file, named as the citizen's own files would be.
UPLOADS = {
    "photo": "photo.png",
    "identity_proof": "aadhaar-card.pdf",
    "residence_proof": "electricity-bill.pdf",
    "income_proof": "income-proof.pdf",
}


def prepare_files() -> None:
    """File income certificates that wait for a tehsildar's decision, and print their
    references as JSON. In Ambala: one past its deadline (a file of the demo citizen
    Rakesh Kumar), one due within a working day, one within time. In Hisar: four, one of
    each colour and one more within time.

    Run with: manage.py shell -c "from tests.system.officer import prepare_files; prepare_files()"
    """
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from seva.org.models import Jurisdiction
    from seva.queues.selectors import Colour, queue_for

    User = get_user_model()
    now = timezone.now()
    plan = {
        "ambala": [
            (Colour.BREACHED, "citizen2", "Rakesh Kumar"),
            (Colour.DUE_SOON, "citizen", "Kamla Rani"),
            (Colour.WITHIN, "citizen", "Sunita Devi"),
        ],
        "hisar": [
            (Colour.BREACHED, "citizen", "Santosh Kumari"),
            (Colour.DUE_SOON, "citizen", "Om Prakash"),
            (Colour.WITHIN, "citizen", "Bimla Devi"),
            (Colour.WITHIN, "citizen", "Jai Bhagwan"),
        ],
    }
    places = {"ambala": AMBALA, "hisar": HISAR}
    filed: dict[str, list[str]] = {}
    with transaction.atomic():
        for area, files in plan.items():
            office = Jurisdiction.objects.get(code=places[area])
            filed[area] = [
                _file_waiting_for_decision(
                    applicant=User.objects.get(username=username),
                    name=name,
                    office=office,
                    decision_from=_decision_start(colour, office=office, now=now),
                    area=area,
                ).reference
                for colour, username, name in files
            ]
    # What the queue will show is checked here, where a wrong date is easy to explain.
    for area, files in plan.items():
        queue = queue_for(User.objects.get(username=f"tehsildar.{area}"), now=now)
        colours = {app.reference: app.colour for app in queue.items}
        for reference, (colour, _user, _name) in zip(filed[area], files, strict=True):
            assert colours.get(reference) == colour.value, (reference, colour, colours)
    print(json.dumps(filed))


def _decision_start(colour, *, office, now: dt.datetime) -> dt.datetime:
    """When the file should reach the tehsildar's desk for the queue to colour it `colour`
    now: the stage deadline is counted from that day (see applications.services)."""
    from django.utils import timezone

    from seva.applications.services import end_of_day
    from seva.definitions.models import Service
    from seva.definitions.selectors import workflow_for
    from seva.org.selectors import working_calendar_for
    from seva.queues.selectors import Colour, due_soon_boundary, state_calendar
    from seva.workflows.clock import DayType, due_date

    if colour == Colour.WITHIN:
        return now - dt.timedelta(minutes=5)
    version = Service.objects.get(code="income-certificate").current_version
    sla_days = workflow_for(version).state("decision").sla_days
    day_type = DayType(version.service_doc["rts"]["day_type"])
    calendar = working_calendar_for(office)
    boundary = due_soon_boundary(now, state_calendar())
    today = timezone.localdate(now)
    for days_back in range(1, 60):
        start = today - dt.timedelta(days=days_back)
        due = end_of_day(due_date(start=start, days=sla_days, day_type=day_type, calendar=calendar))
        breached = due < now
        due_soon = not breached and due <= boundary
        if (colour == Colour.BREACHED and breached) or (colour == Colour.DUE_SOON and due_soon):
            return timezone.make_aware(dt.datetime.combine(start, dt.time(11, 0)))
    raise AssertionError(f"no start date gives a {colour} decision deadline")


def _file_waiting_for_decision(*, applicant, name, office, decision_from, area):
    """Submitted two days before `decision_from`, forwarded by the clerk, reported on by
    the patwari at `decision_from`: now with the tehsildar."""
    import copy

    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from seva.applications.documents import document_upload
    from seva.applications.services import application_act, application_submit
    from seva.citizens.models import CitizenProfile
    from seva.definitions.models import Service
    from tests.helpers import PDF_BYTES, png_bytes

    User = get_user_model()
    service = Service.objects.get(code="income-certificate")
    form = service.current_version.form_schema
    data = copy.deepcopy(form["examples"][0])
    data["applicant"]["full_name"] = name
    data["applicant"]["mobile"] = CitizenProfile.objects.get(user=applicant).mobile
    data["family_members"][0]["name"] = name
    data["address"]["tehsil"] = office.code
    for field, file_name in UPLOADS.items():
        content, content_type = (
            (png_bytes(), "image/png")
            if file_name.endswith(".png")
            else (PDF_BYTES, "application/pdf")
        )
        spec = form["properties"]["documents"]["properties"][field]["x-file"]
        document = document_upload(
            owner=applicant,
            uploaded_file=SimpleUploadedFile(file_name, content, content_type),
            field=f"documents.{field}",
            accept=spec["accept"],
            max_bytes=spec["max_bytes"],
        )
        data["documents"][field] = document.token
    application = application_submit(
        service=service,
        data=data,
        applicant=applicant,
        at=decision_from - dt.timedelta(days=2),
    )
    application = application_act(
        application=application,
        user=User.objects.get(username=f"clerk.{area}"),
        action="forward_for_verification",
        at=decision_from - dt.timedelta(days=1),
    )
    return application_act(
        application=application,
        user=User.objects.get(username=f"patwari.{area}"),
        action="submit_verification_report",
        remarks="Visited the house; the income stated is correct.",
        inputs=REPORT,
        at=decision_from,
    )


def parse_prepared(output: str) -> dict[str, list[str]]:
    """The references `prepare_files` printed (the last line of the command's output)."""
    return json.loads(output.strip().splitlines()[-1])


# ------------------------------------------------------------------------------
# In the browser
# ------------------------------------------------------------------------------
def audit_workspace(page, name: str) -> None:
    """`audit` for a page of the Wagtail admin, once it is at rest.

    Wagtail fades its messages in (a CSS transition of half a second): caught half-way, the
    white text stands on a paler green than it will, and axe reports a contrast the officer
    never sees. Animations are not waited for: the Help menu's badge pings for 25 seconds.
    And the admin scrolls its content inside <main>, not the page, so the viewport is
    stretched to the content's height for the full-page screenshot to hold all of it."""
    page.evaluate(
        """() => Promise.all(document.getAnimations()
            .filter(a => a instanceof CSSTransition)
            .map(a => a.finished.catch(() => null)))"""
    )
    size = page.viewport_size
    height = page.evaluate(
        "() => Math.max(...[document.documentElement, document.querySelector('main')]"
        ".filter(Boolean).map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    try:
        audit(page, name, language=WORKSPACE_LANGUAGE)
    finally:
        page.set_viewport_size(size)


def sign_in_officer(page, username: str) -> None:
    """Sign in to the workspace, in a fresh session, at a desk's screen: the password, then,
    for an officer who must give a second factor (the demo enrols them by SMS), the code
    read from the demo SMS box."""
    page.context.clear_cookies()
    page.set_viewport_size(DESK)
    page.goto("/admin/login/")
    audit_workspace(page, f"sign-in-{username}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    if "/admin/login/code/" in page.url:
        audit_workspace(page, f"sign-in-code-{username}")
        page.fill("#id_code", officer_sms_code(page, username))
        with page.expect_navigation():
            page.press("#id_code", "Enter")
    assert page.url.endswith("/admin/"), page.url


def officer_sms_code(page, username: str) -> str:
    """The newest sign-in code sent to a demo officer, read from the demo SMS box in a second
    tab: to the mobile on their officer contact, else the demo's shared number."""
    mobile = demo_sign_in_mobile(username, demo_officer_mobiles())
    box = page.context.new_page()
    box.seva_test_name = page.seva_test_name
    box.seva_javascript = page.seva_javascript
    box.seva_screenshots = getattr(page, "seva_screenshots", 0)
    box.goto(f"/demo/sms/?mobile={mobile}")
    audit(box, "demo-sms-box-officer", language=WORKSPACE_LANGUAGE)
    page.seva_screenshots = box.seva_screenshots
    bodies = box.locator(".sms-table tbody .sms-body").all_inner_texts()
    box.close()
    codes = [
        match.group(1)
        for body in bodies
        if "sign in to the Seva staff workspace" in body
        and (match := re.search(r"\b(\d{6})\b", body))
    ]
    assert codes, f"no sign-in code in the SMS to {mobile}: {bodies[:3]!r}"
    return codes[0]


def open_queue(page, name: str = "queue") -> None:
    """Follow the admin menu's "My queue"."""
    with page.expect_navigation():
        page.get_by_role("link", name="My queue").first.click()
    assert page.url.endswith("/admin/queue/"), page.url
    audit_workspace(page, name)


@dataclass(frozen=True)
class QueueRow:
    reference: str
    colour: str  # the row's data-colour
    tag_class: str  # the colour tag's class, q-<colour>
    tag_label: str  # what the tag says
    stage_due: dt.datetime


def queue_rows(page) -> list[QueueRow]:
    """The queue's rows as the page shows them, top to bottom."""
    headers = [h.strip() for h in page.locator("table.q-table thead th").all_inner_texts()]
    due_column, tag_column = headers.index("Stage due"), headers.index("Deadline")
    rows = []
    for row in page.locator("table.q-table tbody tr").all():
        cells = row.locator("td")
        tag = cells.nth(tag_column).locator(".q-tag")
        rows.append(
            QueueRow(
                reference=row.get_attribute("data-reference"),
                colour=row.get_attribute("data-colour"),
                tag_class=next(c for c in tag.get_attribute("class").split() if c != "q-tag"),
                tag_label=tag.inner_text().strip(),
                stage_due=dt.datetime.strptime(
                    cells.nth(due_column).inner_text().strip(), "%d-%m-%Y %H:%M"
                ),
            )
        )
    return rows


def queue_counts(page) -> dict[str, tuple[str, int]]:
    """{colour: (label, count)} from the counts above the queue."""
    counts = {}
    for link in page.locator(".q-counts a").all():
        colour = link.get_attribute("class").removeprefix("q-")
        label, count = re.fullmatch(r"(.+): (\d+)", link.inner_text().strip()).groups()
        counts[colour] = (label, int(count))
    return counts


def open_application(page, reference: str, name: str) -> None:
    """Open a file from the queue by its reference link."""
    with page.expect_navigation():
        page.click(f"tr[data-reference='{reference}'] a[href$='/{reference}/']")
    assert page.url.endswith(f"/admin/queue/{reference}/"), page.url
    audit_workspace(page, name)


def summary_value(page, term: str) -> str:
    """The value beside `term` in the file's summary at the top ("Stage", "Held by")."""
    first_list = "(//dl[contains(@class, 'q-summary')])[1]"
    value = page.locator(
        f"xpath={first_list}/dt[normalize-space()='{term}']/following-sibling::dd[1]"
    )
    return value.inner_text().strip()


def take_action(page, action: str, *, remarks: str = "", inputs: dict | None = None) -> None:
    """Fill one of the action forms (its inputs, then the remarks) and press its button."""
    form = page.locator(f"form:has(button[data-action='{action}'])")
    for name, value in (inputs or {}).items():
        field = form.locator(f"[name='{name}']")
        if field.first.get_attribute("type") == "radio":
            form.locator(f"[name='{name}'][value='{str(value).lower()}']").check()
        else:
            field.fill(str(value))
    if remarks:
        form.locator("textarea[name='remarks']").fill(remarks)
    with page.expect_navigation():
        form.locator(f"button[data-action='{action}']").click()
