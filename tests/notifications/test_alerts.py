"""Officers' alerts and the daily digest over a simulated week with holidays.

Thursday 5 to Friday 13 November 2026: Saturday, Sunday (Diwali) and Monday 9 (a state
holiday) are off everywhere; Wednesday 11 is a local holiday in Ambala only. The alert sweep
runs every half hour, day and night, twice each time (the service, then the Celery task);
the digest runs at 18:00 (too early), 18:30 and 19:00. The escalation sweep, tested on its
own, does not run here, so the files stay with the officers they reached.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from seva.applications.models import Application
from seva.applications.services import application_act, application_submit
from seva.definitions.models import Service
from seva.notifications.alerts import digests_send, officer_alerts_send
from seva.notifications.models import Channel, OutboxMessage, OutboxStatus
from seva.notifications.services import outbox_deliver_pending
from seva.notifications.tasks import send_daily_digests, send_officer_alerts
from seva.org.models import Holiday, Jurisdiction
from tests.helpers import example_with_documents, ist

FIRST_DAY, LAST_DAY = dt.date(2026, 11, 5), dt.date(2026, 11, 13)
AMBALA_FAIR = dt.date(2026, 11, 11)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return ist(day.year, day.month, day.day, hour, minute)


def _file(user, service_code: str, *, tehsil: str = "HR-AMB-AMB-AMB") -> Application:
    service = Service.objects.get(code=service_code)
    citizen = user("citizen")
    data = example_with_documents(service, citizen)
    if "address" in data and "tehsil" in data["address"]:
        data["address"]["tehsil"] = tehsil
    return application_submit(service=service, data=data, applicant=citizen)


def _act(application: Application, officer, action: str, inputs: dict | None = None) -> dict:
    application_act(
        application=Application.objects.get(pk=application.pk),
        user=officer,
        action=action,
        inputs=inputs or {},
    )
    return {}


def _sections(body: str) -> tuple[list[str], list[str], list[str]]:
    """The references under each heading of a queue alert e-mail."""
    found: dict[str, list[str]] = defaultdict(list)
    heading = ""
    for line in body.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            heading = line
        elif line.startswith("  ") and heading:
            found[heading].append(line.strip())
    return (
        sorted(found["New in your queue:"]),
        sorted(found["Nearing the stage deadline:"]),
        sorted(found["Past the stage deadline:"]),
    )


def _alerts(username: str) -> list[tuple[dt.datetime, list, list, list]]:
    messages = OutboxMessage.objects.filter(
        user__username=username, event="queue_alert", channel=Channel.EMAIL
    ).order_by("created_at", "id")
    return [(timezone.localtime(m.created_at), *_sections(m.body)) for m in messages]


def _digests(username: str) -> list[tuple[dt.date, str]]:
    messages = OutboxMessage.objects.filter(
        user__username=username, event="daily_digest", channel=Channel.EMAIL
    ).order_by("created_at", "id")
    # Received, disposed of, pending, beyond RTS: the four counted lines, in any language.
    return [
        (
            timezone.localdate(m.created_at),
            "/".join(re.findall(r"^  .+: (\d+)$", m.body, flags=re.MULTILINE)),
        )
        for m in messages
    ]


@pytest.mark.django_db
def test_a_week_of_alerts_and_digests_keeps_to_working_days_office_hours_and_each_once(user):
    ambala = Jurisdiction.objects.get(code="HR-AMB")
    Holiday.objects.create(
        date=AMBALA_FAIR, name_en="Local fair", name_hi="स्थानीय मेला", district=ambala
    )
    # Before the week: a file long past its RTS deadline, still in the clerk's queue.
    with time_machine.travel(_at(dt.date(2026, 10, 5), 11), tick=False):
        old = _file(user, "income-certificate")

    actions = {
        # Filed in the morning: the clerk's stage is due on Thursday 12 (Friday, Tuesday and
        # Thursday count; Ambala's fair on Wednesday does not).
        _at(FIRST_DAY, 10, 45): lambda: {
            "one": _file(user, "income-certificate"),
            "two": _file(user, "income-certificate"),
            "birth": _file(user, "birth-registration"),
            "hisar": _file(user, "income-certificate", tehsil="HR-HSR-HSR-HSR"),
        },
        # After office hours, and on a Saturday: due Friday 13.
        _at(dt.date(2026, 11, 6), 20): lambda: {"three": _file(user, "income-certificate")},
        _at(dt.date(2026, 11, 7), 10): lambda: {"four": _file(user, "income-certificate")},
        # The clerk forwards one to the patwari; the registrar registers the birth.
        _at(dt.date(2026, 11, 10), 15, 10): lambda: _act(
            files["two"], user("clerk.ambala"), "forward_for_verification"
        ),
        _at(dt.date(2026, 11, 12), 12): lambda: _act(
            files["birth"],
            user("registrar.ambala"),
            "register",
            {"registration_number": "B-2026-AMB-0000042", "registration_date": "2026-11-12"},
        ),
    }
    files: dict[str, Application] = {"old": old}
    runs: list[tuple[dt.datetime, int, int]] = []
    digest_runs: list[tuple[dt.datetime, int, int]] = []
    moment = _at(FIRST_DAY, 0)
    while moment <= _at(LAST_DAY, 23, 30):
        for at in sorted(a for a in actions if moment - dt.timedelta(minutes=30) < a <= moment):
            with time_machine.travel(at, tick=False):
                files.update(actions[at]() or {})
        with time_machine.travel(moment, tick=False):
            first = officer_alerts_send(now=timezone.now())
            again = send_officer_alerts.delay().get(disable_sync_subtasks=False)
            if first or again:
                runs.append((timezone.localtime(moment), first, again))
            if moment.time() in (dt.time(18), dt.time(18, 30), dt.time(19)):
                sent = digests_send(now=timezone.now())
                sent_again = send_daily_digests.delay().get(disable_sync_subtasks=False)
                digest_runs.append((timezone.localtime(moment), sent, sent_again))
        moment += dt.timedelta(minutes=30)

    ref = {name: app.reference for name, app in files.items()}
    day = {n: dt.date(2026, 11, n) for n in range(5, 14)}

    # Every run that told anybody anything was the first at that moment; the repeat found
    # nothing left to tell. Nothing went out at night, on a weekend or on Monday's holiday.
    assert runs and all(again == 0 for _at_, _first, again in runs)
    for when, _first, _again in runs:
        assert dt.time(9) <= when.time() < dt.time(18)
        assert when.date() not in (day[7], day[8], day[9])

    # The clerk of Ambala: the old file's breach as soon as office opens on Thursday; the
    # morning's files at the next run; the weekend's files and the first reminders when
    # office reopens on Tuesday; nothing on Ambala's holiday; the next reminders on Thursday
    # (the weekend files' stage is due Friday) and the first breach on Friday.
    assert [(when, new, near, late) for when, new, near, late in _alerts("clerk.ambala")] == [
        (_at(day[5], 9), [], [], [ref["old"]]),
        (_at(day[5], 11), sorted([ref["one"], ref["two"]]), [], []),
        (
            _at(day[10], 9),
            sorted([ref["three"], ref["four"]]),
            sorted([ref["one"], ref["two"]]),
            [],
        ),
        (_at(day[12], 9), [], sorted([ref["three"], ref["four"]]), []),
        (_at(day[13], 9), [], [], [ref["one"]]),
    ]
    # Hisar has no fair: its clerk's file is due on Wednesday, reminded on Tuesday, and past
    # its deadline on Thursday.
    assert _alerts("clerk.hisar") == [
        (_at(day[5], 11), [ref["hisar"]], [], []),
        (_at(day[10], 9), [], [ref["hisar"]], []),
        (_at(day[12], 9), [], [], [ref["hisar"]]),
    ]
    # The patwari hears of the forwarded file at the first run after it arrived.
    assert _alerts("patwari.ambala")[0] == (_at(day[10], 15, 30), [ref["two"]], [], [])
    # Nobody else holds these files: no one else in the revenue offices was told.
    revenue_told = set(
        OutboxMessage.objects.filter(event="queue_alert", application__isnull=True)
        .filter(user__postings__department__code="revenue")
        .values_list("user__username", flat=True)
    )
    assert revenue_told == {"clerk.ambala", "clerk.hisar", "patwari.ambala"}

    # The clerk has a mobile: the same alerts by SMS, in the DLT template, word for word.
    sms = OutboxMessage.objects.filter(
        user__username="clerk.ambala", event="queue_alert", channel=Channel.SMS
    ).order_by("created_at", "id")
    assert [(timezone.localtime(m.created_at), m.body) for m in sms] == [
        (
            when,
            f"Seva queue: {len(new)} new, {len(near)} nearing deadline, {len(late)} past "
            "deadline. Act at https://seva.haryana.gov.in/admin/ -HRSEVA",
        )
        for when, new, near, late in _alerts("clerk.ambala")
    ]
    assert {m.dlt_template_id for m in sms} == {"1107161234500009011"}

    # The digest runs at 18:30 only (18:00 is too early; 19:00 finds it sent). The collector
    # of Ambala (every department, Ambala's calendar) gets none on the weekend, Monday's
    # holiday or Ambala's fair; Tuesday's covers Friday evening to Tuesday, Thursday's
    # Tuesday evening to Thursday. Received/disposed of/pending/beyond RTS:
    assert _digests("dc.ambala") == [
        (day[5], "3/0/4/1"),  # the two certificates and the birth; the old file is late
        (day[6], "0/0/4/1"),  # Friday's 20:00 file is after the digest
        (day[10], "2/0/6/1"),  # Friday evening's and Saturday's
        (day[12], "0/1/5/1"),  # the birth registered
        (day[13], "0/0/5/1"),
    ]
    # The head of revenue (the state; the revenue department only; the state's calendar, so
    # Wednesday too) also counts Hisar's file and not the birth.
    assert _digests("fcr") == [
        (day[5], "3/0/4/1"),
        (day[6], "0/0/4/1"),
        (day[10], "2/0/6/1"),
        (day[11], "0/0/6/1"),
        (day[12], "0/0/6/1"),
        (day[13], "0/0/6/1"),
    ]
    assert all(sent == 0 for when, sent, _again in digest_runs if when.time() != dt.time(18, 30))
    assert all(again == 0 for _when, _sent, again in digest_runs)
    # The collector chose Hindi: the SMS digest is in the Hindi template.
    hindi = OutboxMessage.objects.filter(
        user__username="dc.ambala", event="daily_digest", channel=Channel.SMS
    ).order_by("created_at")
    assert hindi.first().body == (
        "सेवा दैनिक रिपोर्ट: प्राप्त 3, निपटाए 0, लंबित 4 (1 आरटीएस पार)। -HRSEVA"
    )
    assert {m.dlt_template_id for m in hindi} == {"1107161234500009022"}

    # Delivered: every e-mail leaves through Django's e-mail backend, once.
    mail.outbox.clear()
    with time_machine.travel(_at(LAST_DAY, 23, 59), tick=False):
        outbox_deliver_pending(now=timezone.now(), limit=10_000)
    emails = OutboxMessage.objects.filter(channel=Channel.EMAIL)
    assert set(emails.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert len(mail.outbox) == emails.count()
    clerk_mail = [m for m in mail.outbox if m.to == ["clerk.ambala@seva.example"]]
    assert [m.subject for m in clerk_mail][:2] == [
        "Seva: 0 new files in your queue, 0 nearing and 1 past the deadline",
        "Seva: 2 new files in your queue",
    ]
