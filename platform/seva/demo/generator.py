"""Realistic volumes for the dashboards, on PostgreSQL: a state of 22 districts, 40
departments and 550 services, and any number of applications spread over three years, with
the mix a real state sees (most disposed of within RTS, some late, a few rejected or
withdrawn, files sent back to the citizen with the clock stopped, and a backlog still
underway past its deadline), each district and service with its own quality.

Used by the `generate_applications` command (and its test), never by the application. The
applications are made by the database itself, one INSERT ... SELECT per batch, inside one
transaction: a run that fails or is interrupted leaves nothing behind. Generated
applications have references starting GEN-, generated departments and services codes
starting gen-. They carry no events, documents or form data: they are for counting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from seva.applications.models import Application
from seva.dashboards.services import rollups_rebuild
from seva.definitions.models import Service, ServiceKind, ServiceVersion, VersionSource
from seva.definitions.selectors import workflow_for
from seva.definitions.services import service_version_create
from seva.org.models import Department, Jurisdiction, JurisdictionLevel, Role

PREFIX = "GEN-"
DEPARTMENTS = 40
SERVICES = 550
YEARS = 3
# Above this many applications in one run, the table's secondary indexes are dropped for the
# load and built again after it (much faster than keeping them current row by row).
REINDEX_FROM = 100_000
# Of the files that would have been disposed of by now, the share still underway.
BACKLOG = 0.012
PAUSED_SHARE = 0.08  # files sent back to the citizen once
WITHDRAWN_SHARE = 0.02

# (English, Hindi) names of the generated departments: the state's other departments.
DEPARTMENT_NAMES = [
    ("Agriculture and Farmers Welfare", "कृषि एवं किसान कल्याण"),
    ("Animal Husbandry and Dairying", "पशुपालन एवं डेयरी"),
    ("Architecture", "वास्तुकला"),
    ("Archives", "अभिलेखागार"),
    ("Cooperation", "सहकारिता"),
    ("Development and Panchayats", "विकास एवं पंचायत"),
    ("Elementary Education", "मौलिक शिक्षा"),
    ("Employment", "रोज़गार"),
    ("Environment and Climate Change", "पर्यावरण एवं जलवायु परिवर्तन"),
    ("Excise and Taxation", "आबकारी एवं कराधान"),
    ("Fisheries", "मत्स्य पालन"),
    ("Forests and Wildlife", "वन एवं वन्यजीव"),
    ("Higher Education", "उच्चतर शिक्षा"),
    ("Horticulture", "बागवानी"),
    ("Home", "गृह"),
    ("Housing for All", "सभी के लिए आवास"),
    ("Industries and Commerce", "उद्योग एवं वाणिज्य"),
    ("Irrigation and Water Resources", "सिंचाई एवं जल संसाधन"),
    ("Labour", "श्रम"),
    ("Mines and Geology", "खान एवं भूविज्ञान"),
    ("New and Renewable Energy", "नवीन एवं नवीकरणीय ऊर्जा"),
    ("Power", "बिजली"),
    ("Public Works (Buildings and Roads)", "लोक निर्माण (भवन एवं सड़कें)"),
    ("School Education", "विद्यालय शिक्षा"),
    ("Science and Technology", "विज्ञान एवं प्रौद्योगिकी"),
    ("Skill Development and Industrial Training", "कौशल विकास एवं औद्योगिक प्रशिक्षण"),
    ("Sports", "खेल"),
    ("Technical Education", "तकनीकी शिक्षा"),
    ("Town and Country Planning", "नगर एवं ग्राम आयोजना"),
    ("Tourism", "पर्यटन"),
    ("Transport", "परिवहन"),
    ("Urban Local Bodies", "शहरी स्थानीय निकाय"),
    ("Welfare of Scheduled Castes and Backward Classes", "अनुसूचित जाति एवं पिछड़ा वर्ग कल्याण"),
    ("Women and Child Development", "महिला एवं बाल विकास"),
]
# What a generated service is called, by kind: (English, Hindi).
KIND_WORDS = {
    ServiceKind.SERVICE: ("service", "सेवा"),
    ServiceKind.SCHEME: ("scheme", "योजना"),
    ServiceKind.GRIEVANCE: ("grievance", "शिकायत"),
}
RTS_DAYS = (3, 7, 7, 10, 15, 15, 21, 30, 30, 45, 60)


@dataclass
class Generated:
    departments: int
    services: int
    applications: int
    seconds: float


# ------------------------------------------------------------------------------
# The state: departments and services
# ------------------------------------------------------------------------------
def departments_ensure() -> list[Department]:
    """The state's departments, topped up with generated ones to DEPARTMENTS."""
    departments = list(Department.objects.order_by("code"))
    names = iter(DEPARTMENT_NAMES)
    number = 0
    while len(departments) < DEPARTMENTS:
        number += 1
        code = f"gen-{number:02d}"
        name_en, name_hi = next(names)
        department, created = Department.objects.get_or_create(
            code=code,
            defaults={"short_code": f"G{number:02d}", "name_en": name_en, "name_hi": name_hi},
        )
        if created:
            departments.append(department)
    return departments


def _kind_for(number: int) -> str:
    """Three in four services, one in seven schemes, the rest grievance types."""
    slot = number % 28
    if slot < 21:
        return ServiceKind.SERVICE
    return ServiceKind.SCHEME if slot < 25 else ServiceKind.GRIEVANCE


def services_ensure(departments: list[Department], rng: random.Random) -> list[Service]:
    """The state's services, topped up with generated ones to SERVICES, spread over the
    departments. Each is a copy of a real service of its kind (form and workflow), with its
    own name, department and RTS days."""
    services = list(Service.objects.filter(current_version__isnull=False))
    templates: dict[str, list[ServiceVersion]] = {}
    for service in Service.objects.exclude(code__startswith="gen-").select_related(
        "current_version"
    ):
        if service.current_version:
            templates.setdefault(service.kind, []).append(service.current_version)
    now = timezone.now()
    number = Service.objects.filter(code__startswith="gen-").count()
    while len(services) < SERVICES:
        number += 1
        department = departments[number % len(departments)]
        kind = _kind_for(number)
        template = templates.get(kind) or templates[ServiceKind.SERVICE]
        source = template[number % len(template)]
        word_en, word_hi = KIND_WORDS[kind]
        doc = json.loads(json.dumps(source.service_doc))
        doc.update(
            code=f"gen-{number:03d}",
            department=department.code,
            kind=kind,
            reference_code=f"G{number:03d}",
            name={
                "en": f"{department.name_en}: {word_en} {number}",
                "hi": f"{department.name_hi}: {word_hi} {number}",
            },
        )
        doc["short_name"] = doc["name"]
        doc["rts"] = {**doc["rts"], "days": rng.choice(RTS_DAYS)}
        service = Service.objects.create(
            code=doc["code"],
            department=department,
            kind=kind,
            reference_code=doc["reference_code"],
        )
        digest = hashlib.sha256(
            json.dumps([doc, source.form_schema, source.workflow_doc], sort_keys=True).encode()
        ).hexdigest()
        version = service_version_create(
            service=service,
            content_hash=digest,
            service_doc=doc,
            form_schema=source.form_schema,
            workflow_doc=source.workflow_doc,
            source=VersionSource.ADMIN,
            created_at=now,
        )
        service.current_version = version
        service.save(update_fields=["current_version"])
        services.append(service)
    return services


# ------------------------------------------------------------------------------
# The applications
# ------------------------------------------------------------------------------
def _service_arrays(services: list[Service], rng: random.Random) -> dict[str, list]:
    """Per service (1-based in SQL): what an application of it looks like."""
    roles = dict(Role.objects.values_list("code", "id"))
    levels = {"tehsil": 1, "subdivision": 2, "district": 3}
    arrays: dict[str, list] = {
        name: []
        for name in (
            "service",
            "version",
            "department",
            "level",
            "rts_days",
            "quality",
            "rejection",
            "open_state",
            "open_role",
            "citizen_state",
            "done_state",
            "done_outcome",
            "rejected_state",
            "withdrawn_state",
            "withdrawn_share",
        )
    }
    for service in services:
        version = service.current_version
        workflow = workflow_for(version)
        initial = workflow.states[workflow.initial]
        citizen = next((s.code for s in workflow.states.values() if s.with_citizen), initial.code)
        ends = {s.outcome: s.code for s in workflow.states.values() if s.terminal}
        done = next(outcome for outcome in ends if outcome not in ("rejected", "withdrawn"))
        arrays["service"].append(service.pk)
        arrays["version"].append(version.pk)
        arrays["department"].append(service.department_id)
        arrays["level"].append(levels.get(version.spec.processing_level, 1))
        arrays["rts_days"].append(version.spec.rts.days)
        arrays["quality"].append(round(rng.uniform(0.72, 1.0), 3))
        arrays["rejection"].append(round(rng.uniform(0.03, 0.2), 3))
        arrays["open_state"].append(initial.code)
        arrays["open_role"].append(roles.get(initial.role))
        arrays["citizen_state"].append(citizen)
        arrays["done_state"].append(ends[done])
        arrays["done_outcome"].append(str(done))
        arrays["rejected_state"].append(ends["rejected"])
        # A workflow with no way to withdraw has no withdrawn files.
        arrays["withdrawn_state"].append(ends.get("withdrawn", ends["rejected"]))
        arrays["withdrawn_share"].append(WITHDRAWN_SHARE if "withdrawn" in ends else 0.0)
    return arrays


def _tehsil_arrays(rng: random.Random) -> dict[str, list]:
    """Per tehsil (1-based in SQL): where its applicants' files go, and how good its
    district is at meeting deadlines."""
    districts = {d.path: d for d in Jurisdiction.objects.filter(level=JurisdictionLevel.DISTRICT)}
    quality = {path: round(rng.uniform(0.8, 0.99), 3) for path in sorted(districts)}
    subdivisions = {
        s.path: s.pk for s in Jurisdiction.objects.filter(level=JurisdictionLevel.SUBDIVISION)
    }
    arrays: dict[str, list] = {n: [] for n in ("id", "path", "subdivision", "district", "quality")}
    for tehsil in Jurisdiction.objects.filter(level=JurisdictionLevel.TEHSIL).order_by("path"):
        district_path = next(p for p in districts if tehsil.path.startswith(p))
        subdivision = next(
            (pk for path, pk in subdivisions.items() if tehsil.path.startswith(path)),
            districts[district_path].pk,
        )
        arrays["id"].append(tehsil.pk)
        arrays["path"].append(tehsil.path)
        arrays["subdivision"].append(subdivision)
        arrays["district"].append(districts[district_path].pk)
        arrays["quality"].append(quality[district_path])
    return arrays


# One batch of applications, numbered first..last. Random draws per file; the service is
# skewed (a few services take most files, as in life), the submission date grows towards
# the present. A file is decided within RTS with the probability of its district's quality
# times its service's; a file that would be decided after now is still underway, and so is
# a small backlog of older ones.
_INSERT = """
WITH draws AS (
    SELECT g,
           1 + floor(%(services)s * power(random(), 1.7))::int AS s,
           1 + floor(%(tehsils)s * random())::int AS t,
           random() AS u_within, random() AS u_speed, random() AS u_pause,
           random() AS u_backlog, random() AS u_outcome, random() AS u_misc,
           %(start)s::timestamptz + %(span)s * sqrt(random()) * interval '1 second' AS sub
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
),
timed AS (
    SELECT d.*,
           (%(rts_days)s::int[])[s] * 1.4 AS rts_span,
           u_within < (%(t_quality)s::float8[])[t] * (%(s_quality)s::float8[])[s] AS within,
           CASE WHEN u_pause < %(paused)s THEN 2 + floor(u_misc * 14)::int ELSE 0 END AS pause
    FROM draws d
),
decided AS (
    SELECT t.*,
           sub + (rts_span + pause) * interval '1 day' AS due,
           sub + (CASE WHEN within THEN rts_span * (0.1 + 0.9 * u_speed)
                       ELSE rts_span * (1.02 + 1.6 * u_speed) END + pause) * interval '1 day'
               AS done,
           sub + interval '1 day' AS pause_from
    FROM timed t
),
final AS (
    SELECT d.*,
           (done > %(now)s OR u_backlog < %(backlog)s) AS open,
           (pause > 0 AND pause_from + pause * interval '1 day' > %(now)s) AS paused_now,
           CASE WHEN u_outcome < (%(withdrawn_share)s::float8[])[s] THEN 'withdrawn'
                WHEN u_outcome < (%(withdrawn_share)s::float8[])[s]
                                 + (%(rejection)s::float8[])[s] THEN 'rejected'
                ELSE (%(done_outcome)s::text[])[s] END AS outcome
    FROM decided d
)
INSERT INTO applications_application (
    reference, service_id, service_version_id, department_id, office_id, place_id,
    place_path, held_at_path, district_id, tehsil_id, applicant_name, applicant_mobile,
    language, channel,
    data, state, holder_role_id, escalation_level, holder_flag, submitted_at,
    stage_started_at, stage_due_at, rts_due_at, clock_paused_at, clock_pauses, closed_at,
    outcome, closed_within_rts, updated_at)
SELECT %(prefix)s || g,
       (%(service)s::bigint[])[s], (%(version)s::bigint[])[s], (%(department)s::bigint[])[s],
       CASE (%(level)s::int[])[s] WHEN 1 THEN (%(tehsil)s::bigint[])[t]
                                  WHEN 2 THEN (%(subdivision)s::bigint[])[t]
                                  ELSE (%(district)s::bigint[])[t] END,
       (%(tehsil)s::bigint[])[t], (%(path)s::text[])[t], (%(path)s::text[])[t],
       (%(district)s::bigint[])[t], (%(tehsil)s::bigint[])[t],
       'Applicant ' || g, (6000000000 + g %% 3999999999)::text,
       CASE WHEN u_misc < 0.7 THEN 'hi' ELSE 'en' END,
       CASE WHEN g %% 10 < 6 THEN 'online' WHEN g %% 10 < 9 THEN 'service_centre'
            ELSE 'helpline' END,
       '{}'::jsonb,
       CASE WHEN NOT open THEN
                CASE outcome WHEN 'rejected' THEN (%(rejected_state)s::text[])[s]
                             WHEN 'withdrawn' THEN (%(withdrawn_state)s::text[])[s]
                             ELSE (%(done_state)s::text[])[s] END
            WHEN paused_now THEN (%(citizen_state)s::text[])[s]
            ELSE (%(open_state)s::text[])[s] END,
       CASE WHEN open AND NOT paused_now THEN (%(open_role)s::bigint[])[s] END,
       0, '', sub, sub,
       CASE WHEN open AND NOT paused_now THEN sub + rts_span / 3 * interval '1 day' END,
       CASE WHEN paused_now THEN due - pause * interval '1 day' ELSE due END,
       CASE WHEN open AND paused_now THEN pause_from END,
       CASE WHEN pause = 0 THEN '[]'::jsonb
            WHEN open AND paused_now THEN
                jsonb_build_array(jsonb_build_array(
                    to_char(pause_from AT TIME ZONE %(tz)s, 'YYYY-MM-DD'), NULL))
            ELSE jsonb_build_array(jsonb_build_array(
                    to_char(pause_from AT TIME ZONE %(tz)s, 'YYYY-MM-DD'),
                    to_char((pause_from + pause * interval '1 day') AT TIME ZONE %(tz)s,
                            'YYYY-MM-DD'))) END,
       CASE WHEN NOT open THEN done END,
       CASE WHEN NOT open THEN outcome ELSE '' END,
       CASE WHEN NOT open THEN done <= due END,
       %(now)s
FROM final
"""


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """(name, definition) of the applications table's indexes that back no constraint."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = %s AND NOT EXISTS (
            SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [Application._meta.db_table],
    )
    return cursor.fetchall()


def applications_generate(
    *,
    count: int,
    batch_size: int = 200_000,
    seed: int = 2026,
    progress: Callable[[int, str], None] | None = None,
) -> Generated:
    """Top the state up to DEPARTMENTS departments and SERVICES services, insert `count`
    applications submitted over the last YEARS years, and rebuild the rollups. All in one
    transaction. `progress(done, stage)` is told after each step."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The generator needs PostgreSQL: set DATABASE_URL.")
    if count < 1:
        raise ValueError("Give a number of applications of at least 1.")
    report = progress or (lambda done, stage: None)
    started = timezone.now()
    rng = random.Random(seed)
    with transaction.atomic():
        departments = departments_ensure()
        services = services_ensure(departments, rng)
        if not Jurisdiction.objects.filter(level=JurisdictionLevel.TEHSIL).exists():
            raise RuntimeError("There are no tehsils: run `manage.py seed_demo` first.")
        per_service = _service_arrays(services, rng)
        per_tehsil = _tehsil_arrays(rng)
        now = timezone.now()
        offset = Application.objects.filter(reference__startswith=PREFIX).count()
        report(0, "state ready")
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
            # Foreign keys checked as each batch goes in, not at commit: an index cannot be
            # built on a table with checks still pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            dropped = _secondary_indexes(cursor) if count >= REINDEX_FROM else []
            for name, _definition in dropped:
                cursor.execute(f'DROP INDEX "{name}"')
            params = {
                "services": len(services),
                "tehsils": len(per_tehsil["id"]),
                "start": now - dt.timedelta(days=365 * YEARS),
                "span": 365 * YEARS * 86400,
                "now": now,
                "tz": timezone.get_current_timezone_name(),
                "backlog": BACKLOG,
                "paused": PAUSED_SHARE,
                "prefix": PREFIX,
                "s_quality": per_service["quality"],
                "t_quality": per_tehsil["quality"],
                "subdivision": per_tehsil["subdivision"],
                "tehsil": per_tehsil["id"],
                **{name: per_service[name] for name in per_service if name != "quality"},
                "path": per_tehsil["path"],
                "district": per_tehsil["district"],
            }
            done = 0
            while done < count:
                size = min(batch_size, count - done)
                cursor.execute(
                    _INSERT,
                    {**params, "first": offset + done + 1, "last": offset + done + size},
                )
                done += size
                report(done, "applications")
            for _name, definition in dropped:
                cursor.execute(definition)
                report(done, "indexes")
            cursor.execute(f"ANALYZE {Application._meta.db_table}")
        rollups_rebuild()
        report(done, "rollups")
    return Generated(
        departments=len(departments),
        services=len(services),
        applications=count,
        seconds=(timezone.now() - started).total_seconds(),
    )
