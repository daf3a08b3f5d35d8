"""Officers' alerts and the daily digest.

- Queue alerts (`officer_alerts_send`, every half hour in office hours): each officer hears,
  in one message, how many files are new in their queue, how many are nearing their stage
  deadline (the workflow's `alerts.remind_before_days` working days before it) and how many
  have passed it (`alerts.on_breach`). Each file's stage is counted once per kind
  (`StageAlert`), whichever run gets there first; a file is only counted on a working day
  of its office.
- The daily digest (`digests_send`, at `SEVA_DIGEST_TIME` on working days): each collector
  and head of department (a posting whose role `oversees`) gets what was received and
  disposed of in their area since the last working day's digest, and what is pending and
  pending beyond the RTS deadline.

Both go by SMS (DLT templates in `SEVA_ALERT_SMS`) to the officer's mobile and by e-mail to
their address, in the language they chose (`org.OfficerProfile`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from seva.applications.models import Application
from seva.definitions.selectors import workflow_for
from seva.org.models import Jurisdiction, OfficerProfile, Oversight, Posting
from seva.org.routing import postings_present
from seva.org.selectors import district_of, working_calendar_for
from seva.workflows.clock import DayType, WorkingCalendar, days_used

from .dlt import MAX_VALUE_CHARS
from .models import AlertKind, Channel, StageAlert
from .selectors import DigestCounts, digest_counts
from .services import outbox_enqueue
from .sms import fill_template

# A file is "new" in a queue for a week: long enough to cover a long weekend of holidays
# after it arrived, short enough that switching alerts on does not announce old files.
NEW_FOR = dt.timedelta(days=7)
# Files due further ahead than this cannot be within any workflow's reminder window
# (at most 10 working days).
REMINDER_HORIZON = dt.timedelta(days=31)


def _local(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


@dataclass(frozen=True)
class AlertContent:
    sms_values: dict[str, str]  # the value of each variable of the SMS template
    email_context: dict  # for notifications/email/<event>.txt and <event>_subject.txt


def officer_notify(
    *,
    user,
    event: str,
    content: Callable[[], AlertContent],
    key: str,
    at: dt.datetime,
) -> int:
    """Queue `event` for an officer: an SMS to their mobile and an e-mail to their address,
    whichever they have, in their language (`content` is called with it active). Returns
    how many messages were queued."""
    try:
        profile = user.officer_profile  # fetched with the user by the callers below
    except OfficerProfile.DoesNotExist:
        profile = None
    language = profile.language if profile and profile.language in settings.SEVA_LANGUAGES else "en"
    queued = 0
    with translation.override(language):
        made = content()
        subject = render_to_string(f"notifications/email/{event}_subject.txt", made.email_context)
        body = render_to_string(f"notifications/email/{event}.txt", made.email_context)
    if profile and profile.mobile:
        template = settings.SEVA_ALERT_SMS[event][language]
        values = [made.sms_values[name][:MAX_VALUE_CHARS] for name in template["variables"]]
        queued += bool(
            outbox_enqueue(
                channel=Channel.SMS,
                recipient=profile.mobile,
                user=user,
                language=language,
                event=event,
                dlt_template_id=template["dlt_template_id"],
                body=fill_template(template["text"], values),
                idempotency_key=f"{key}:sms",
                at=at,
            )
        )
    if user.email:
        queued += bool(
            outbox_enqueue(
                channel=Channel.EMAIL,
                recipient=user.email,
                user=user,
                language=language,
                event=event,
                subject=" ".join(subject.split())[:200],
                body=body,
                idempotency_key=f"{key}:email",
                at=at,
            )
        )
    return queued


# ------------------------------------------------------------------------------
# Queue alerts
# ------------------------------------------------------------------------------
@dataclass
class _QueueNews:
    alert_ids: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    references: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _alert_kinds(app: Application, *, now: dt.datetime, today: dt.date, calendar) -> list[str]:
    kinds = []
    if app.stage_started_at >= now - NEW_FOR:
        kinds.append(AlertKind.NEW)
    if app.stage_due_at is None:
        return kinds
    alerts = workflow_for(app.service_version).alerts
    if now > app.stage_due_at:
        if alerts.on_breach:
            kinds.append(AlertKind.BREACH)
    elif alerts.remind_before_days is not None:
        due_day = timezone.localdate(app.stage_due_at)
        left = days_used(start=today, until=due_day, day_type=DayType.WORKING, calendar=calendar)
        if left <= alerts.remind_before_days:
            kinds.append(AlertKind.REMINDER)
    return kinds


def _queue_alert(officer, item: _QueueNews) -> AlertContent:
    return AlertContent(
        sms_values={
            "new_count": str(item.counts[AlertKind.NEW]),
            "reminder_count": str(item.counts[AlertKind.REMINDER]),
            "breach_count": str(item.counts[AlertKind.BREACH]),
        },
        email_context={
            "officer": officer,
            "new": item.references[AlertKind.NEW],
            "reminder": item.references[AlertKind.REMINDER],
            "breach": item.references[AlertKind.BREACH],
            "workspace_url": _workspace_url(),
        },
    )


def _workspace_url() -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/admin/"


def officer_alerts_send(*, now: dt.datetime | None = None) -> int:
    """Tell each officer what is new, nearing its deadline or past it in their queue, in one
    message. Outside office hours it does nothing (the next run in office hours catches up).
    Returns how many officers were alerted."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    opens, closes = settings.SEVA_OFFICER_ALERT_HOURS
    if not opens <= local.time() < closes:
        return 0
    today = local.date()
    candidates = list(
        Application.objects.open()
        .filter(holder_role__isnull=False, stage_started_at__lte=now)
        .filter(
            Q(stage_started_at__gte=now - NEW_FOR) | Q(stage_due_at__lte=now + REMINDER_HORIZON)
        )
        .select_related("service_version", "holder_role")
        .only(
            "pk",
            "reference",
            "department_id",
            "office_id",
            "place_path",
            "held_at_path",
            "stage_started_at",
            "stage_due_at",
            "holder_role__code",
            "service_version__id",
            "service_version__content_hash",
        )
        .order_by("stage_due_at", "pk")
    )
    told = set(
        StageAlert.objects.filter(application_id__in=[a.pk for a in candidates]).values_list(
            "application_id", "stage_started_at", "kind"
        )
    )
    calendars: dict[int, WorkingCalendar] = {}
    holders: dict[tuple, list[int]] = {}
    news: dict[int, _QueueNews] = defaultdict(_QueueNews)
    with transaction.atomic():
        for app in candidates:
            if app.office_id not in calendars:
                calendars[app.office_id] = working_calendar_for(
                    Jurisdiction.objects.get(pk=app.office_id)
                )
            calendar = calendars[app.office_id]
            if not calendar.is_working_day(today):
                continue  # told on the office's next working day
            for kind in _alert_kinds(app, now=now, today=today, calendar=calendar):
                if (app.pk, app.stage_started_at, kind) in told:
                    continue
                alert, created = StageAlert.objects.get_or_create(
                    application=app,
                    stage_started_at=app.stage_started_at,
                    kind=kind,
                    defaults={"created_at": now},
                )
                if not created:  # another run counted it a moment ago
                    continue
                key = (app.holder_role.code, app.department_id, app.held_at_path or app.place_path)
                if key not in holders:
                    holders[key] = sorted(
                        {
                            p.user_id
                            for p in postings_present(
                                role_code=key[0], department_id=key[1], place_path=key[2], on=today
                            )
                        }
                    )
                for user_id in holders[key]:
                    item = news[user_id]
                    item.alert_ids.append(alert.pk)
                    item.counts[kind] += 1
                    item.references[kind].append(app.reference)
        users = get_user_model().objects.select_related("officer_profile").in_bulk(list(news))
        for user_id, item in news.items():
            officer_notify(
                user=users[user_id],
                event="queue_alert",
                content=lambda item=item, officer=users[user_id]: _queue_alert(officer, item),
                # The first alert of the batch was made by this run alone: the key is unique
                # to this batch, and the same batch can never be queued twice.
                key=f"alert:queue:{user_id}:{min(item.alert_ids)}",
                at=now,
            )
    return len(news)


# ------------------------------------------------------------------------------
# The daily digest
# ------------------------------------------------------------------------------
def _previous_working_day(day: dt.date, calendar: WorkingCalendar) -> dt.date:
    previous = day - dt.timedelta(days=1)
    for _day in range(366):
        if calendar.is_working_day(previous):
            return previous
        previous -= dt.timedelta(days=1)
    raise ValueError(f"no working day in the year before {day}")


def digest_scope_name(posting: Posting, language: str) -> str:
    place = posting.jurisdiction.name_hi if language == "hi" else posting.jurisdiction.name_en
    if posting.role.oversees == Oversight.DEPARTMENT and posting.department:
        department = posting.department.name_hi if language == "hi" else posting.department.name_en
        return f"{department}, {place}"
    return place


def digests_send(*, now: dt.datetime | None = None) -> int:
    """Send each collector and head of department their digest for the working day that
    ends now. Before `SEVA_DIGEST_TIME`, or on a day that is not a working day where they
    are posted, it sends nothing: the next working day's digest covers the days between.
    Returns how many officers got one."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    digest_time = settings.SEVA_DIGEST_TIME
    period_end = _local(today, digest_time)
    if now < period_end:
        return 0
    postings = (
        Posting.objects.active_on(today)
        .exclude(role__oversees="")
        .select_related("role", "department", "jurisdiction", "user__officer_profile")
        .order_by("pk")
    )
    calendars: dict[int | None, WorkingCalendar] = {}
    sent = 0
    for posting in postings:
        district = district_of(posting.jurisdiction)
        key = district.pk if district else None
        if key not in calendars:
            calendars[key] = working_calendar_for(posting.jurisdiction)
        calendar = calendars[key]
        if not calendar.is_working_day(today):
            continue
        period_start = _local(_previous_working_day(today, calendar), digest_time)
        department_id = (
            posting.department_id if posting.role.oversees == Oversight.DEPARTMENT else None
        )
        counts = digest_counts(
            place_path=posting.jurisdiction.path,
            department_id=department_id,
            start=period_start,
            end=period_end,
        )
        with transaction.atomic():
            sent += bool(
                officer_notify(
                    user=posting.user,
                    event="daily_digest",
                    content=lambda posting=posting, counts=counts, start=period_start: _digest(
                        posting, counts, start, period_end
                    ),
                    key=f"digest:{posting.pk}:{today.isoformat()}",
                    at=now,
                )
            )
    return sent


def _digest(
    posting: Posting, counts: DigestCounts, start: dt.datetime, end: dt.datetime
) -> AlertContent:
    return AlertContent(
        sms_values={
            "received": str(counts.received),
            "disposed": str(counts.disposed),
            "pending_beyond_rts": _("%(pending)s (%(beyond)s beyond RTS)")
            % {"pending": counts.pending, "beyond": counts.beyond_rts},
        },
        email_context={
            "officer": posting.user,
            "scope": digest_scope_name(posting, translation.get_language() or "en"),
            "counts": counts,
            "start": timezone.localtime(start),
            "end": timezone.localtime(end),
            "workspace_url": _workspace_url(),
        },
    )
