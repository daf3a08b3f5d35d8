"""Driving a sample service through its workflow over the REST API, as real users would."""

from __future__ import annotations

import copy
import datetime as dt
from collections import deque
from dataclasses import dataclass, field

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone

from seva.applications.documents import document_fields
from seva.applications.models import Application, FeeDue
from seva.applications.services import (
    applications_escalate_overdue,
    applications_fire_timers,
    fee_paid,
)
from seva.definitions.lint import load_definitions
from seva.formschemas.keywords import DRAFT_2020_12
from seva.formschemas.paths import set_path
from seva.formschemas.rules import expression_holds, with_computed
from seva.formschemas.validation import build_validator
from seva.org.models import Holiday, Posting
from seva.workflows.engine import CITIZEN, Transition, Workflow, compile_workflow
from tests.helpers import expected_due_date, file_for

REMARKS = "Checked the file and the documents."


def sample_services() -> dict[str, dict]:
    """The bundles (service, form, workflow) of every service in the repository."""
    dset, problems = load_definitions()
    assert not problems, problems
    return {code: dset.bundle(code) for code in sorted(dset.services)}


def shortest_path(workflow: Workflow, start: str, goal) -> list[Transition] | None:
    """Fewest transitions from `start` to a state for which goal(state) holds."""
    queue = deque([(start, [])])
    seen = {start}
    while queue:
        state, path = queue.popleft()
        if goal(state):
            return path
        for transition in workflow.transitions_from(state):
            if transition.target not in seen:
                seen.add(transition.target)
                queue.append((transition.target, [*path, transition]))
    return None


def covering_paths(workflow: Workflow) -> list[list[Transition]]:
    """Paths from the initial state to a terminal one that together take every transition
    (from every state it leaves) at least once."""
    paths: list[list[Transition]] = []
    covered: set[tuple[str, str]] = set()
    terminal = lambda code: workflow.state(code).terminal  # noqa: E731
    for transition in workflow.transitions:
        for source in transition.sources:
            if (source, transition.action) in covered:
                continue
            head = shortest_path(workflow, workflow.initial, lambda code, s=source: code == s)
            tail = shortest_path(workflow, transition.target, terminal)
            assert head is not None and tail is not None
            # Pin the chosen transition to this source.
            path = [*head, _from(transition, source), *tail]
            paths.append(path)
            state = workflow.initial
            for step in path:
                covered.add((state, step.action))
                state = step.target
    return paths


def _from(transition: Transition, source: str) -> Transition:
    from dataclasses import replace

    return replace(transition, sources=(source,))


def officer_for(application: Application, role_code: str, department=None) -> str:
    """The username of a demo officer who holds `role_code` over the application (in
    `department`, when not the application's own: a consulted office)."""
    postings = (
        Posting.objects.filter(role__code=role_code)
        .filter(Q(department=department or application.department) | Q(department__isnull=True))
        .select_related("user", "jurisdiction")
        .order_by("pk")
    )
    for posting in postings:
        if application.place_path.startswith(posting.jurisdiction.path):
            return posting.user.username
    raise AssertionError(f"no demo officer holds {role_code} over {application.place.code}")


def holidays_for(application: Application) -> set[dt.date]:
    district_path = "/".join(application.place_path.split("/")[:4]) + "/"
    return set(
        Holiday.objects.filter(
            Q(district__isnull=True) | Q(district__path=district_path)
        ).values_list("date", flat=True)
    )


@dataclass
class Walk:
    """One application's trip, with the clock as the test itself saw it."""

    code: str
    bundle: dict
    reference: str = ""
    submitted_on: dt.date | None = None
    pauses: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    closed_on: dt.date | None = None
    last_timer_day: dt.date | None = None  # the day the last timer fired

    @property
    def workflow(self) -> Workflow:
        return compile_workflow(self.bundle["workflow"])

    def rts_days(self, application: Application) -> int:
        """The service's RTS days, or its first variant's that holds on the answers."""
        rts = self.bundle["service"]["rts"]
        form = self.bundle["form"]
        for variant in rts.get("variants") or []:
            if expression_holds(form, variant["if"], application.data):
                return variant["days"]
        return rts["days"]

    def stage_days(self, application: Application, state) -> int | None:
        """A state's stage days for the application: its first variant's that holds."""
        for condition, days in state.sla_variants:
            if expression_holds(self.bundle["form"], condition, application.data):
                return days
        return state.sla_days

    def expected_rts_due(self, application: Application) -> dt.date:
        rts = self.bundle["service"]["rts"]
        return expected_due_date(
            start=self.submitted_on,
            days=self.rts_days(application),
            working_days_only=rts["day_type"] == "working",
            holidays=holidays_for(application),
            pauses=self.pauses,
        )


def at(day: dt.date, hour: int = 11) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def waits_for_fees(transition: Transition) -> bool:
    """An automatic action the platform takes once the state's fees are paid: a person (the
    citizen paying) makes it happen, on a day of their own."""
    return transition.auto and "fees.unpaid" in (transition.condition or "")


def pay_fees(application: Application, day: dt.date) -> list[FeeDue]:
    """Pay every fee due on the file, as a settled payment would (the payments app calls
    the same service), on `day`."""
    paid = []
    for fee in application.fees.filter(status=FeeDue.Status.DUE).order_by("pk"):
        with time_machine.travel(at(day, 12), tick=False):
            paid.append(
                fee_paid(
                    fee_due=fee,
                    receipt=f"RCPT/{fee.pk:06d}",
                    at=at(day, 12),
                    actor=application.applicant,
                )
            )
    return paid


def _met_by_acting(transition: Transition) -> bool:
    source = transition.condition or ""
    return "consultations." in source or "fees." in source


def example_for(bundle: dict, path: list[Transition]) -> dict:
    """The form's first example that satisfies every condition along `path` (`when` and
    `if`) and none of the automatic actions' that would take the file off it."""
    form = bundle["form"]
    conditions = [t.when for t in path if t.when]
    # Conditions on the consultations' answers are met by answering (answer_consultations),
    # those on the fees by paying (pay_fees).
    ifs = [t.condition for t in path if t.condition and not _met_by_acting(t)]
    workflow = compile_workflow(bundle["workflow"])
    states = [workflow.initial, *(t.target for t in path)]
    on_path = {(state, t.action) for state, t in zip(states, path, strict=False)}
    detours = [
        t.condition
        for state in states
        for t in workflow.automatic_from(state)
        if (state, t.action) not in on_path and t.condition and not _met_by_acting(t)
    ]
    for example in form["examples"]:
        data = with_computed(form, example)
        if (
            all(
                build_validator({"$schema": DRAFT_2020_12, **when}).is_valid(example)
                for when in conditions
            )
            and all(expression_holds(form, source, data) for source in ifs)
            and not any(expression_holds(form, source, data) for source in detours)
        ):
            return example
    raise AssertionError(
        f"no example in the form satisfies the conditions on {[t.action for t in path]}"
    )


def with_uploaded_documents(
    api, code: str, form: dict, example: dict, username: str = "citizen"
) -> dict:
    """The example with each file field's placeholder token replaced by a real upload."""
    data = copy.deepcopy(example)
    for path, _token, field_schema in document_fields(form, data):
        name, content, content_type = file_for(field_schema["x-file"]["accept"])
        response = api(username).post(
            "/api/v1/documents/",
            {
                "service": code,
                "field": path,
                "file": SimpleUploadedFile(name, content, content_type),
            },
            format="multipart",
        )
        assert response.status_code == 201, response.json()
        set_path(data, path, response.json()["token"])
    return data


def answer_consultations(api, application: Application, transition: Transition, day: dt.date):
    """Answer the open consultations on the file over the API, each by an officer of the
    consulted office, so that the automatic action `transition` follows: one objection
    when its condition counts objections, no objection from all otherwise."""
    objects = "objections > 0" in (transition.condition or "")
    open_ones = list(
        application.consultations.filter(answered_at__isnull=True)
        .select_related("role", "department")
        .order_by("pk")
    )
    for index, consultation in enumerate(open_ones):
        username = officer_for(application, consultation.role.code, consultation.department)
        answer = "objection" if objects and index == 0 else "no_objection"
        with time_machine.travel(at(day), tick=False):
            response = api(username).post(
                f"/api/v1/applications/{application.reference}/consultations/{consultation.code}/",
                {"answer": answer, "remarks": REMARKS},
                format="json",
            )
        assert response.status_code == 200, (consultation.code, response.json())


def submit(api, walk: Walk, day: dt.date, example: dict | None = None) -> Application:
    example = with_uploaded_documents(
        api, walk.code, walk.bundle["form"], example or walk.bundle["form"]["examples"][0]
    )
    with time_machine.travel(at(day, 10), tick=False):
        response = api("citizen").post(
            "/api/v1/applications/", {"service": walk.code, "data": example}, format="json"
        )
    assert response.status_code == 201, response.json()
    walk.reference = response.json()["reference"]
    walk.submitted_on = day
    return Application.objects.get(reference=walk.reference)


def climb_to(application: Application, transition: Transition) -> Application:
    """An action only a higher rung of the state's ladder may take (the registrar refusing
    at scrutiny) is taken once the file has climbed to that rung: its stage deadline passes,
    the escalation sweep moves it up, as many times as it takes."""
    for _rung in range(5):
        if application.holder_role.code in transition.roles:
            break
        assert applications_escalate_overdue(
            at=application.stage_due_at + dt.timedelta(minutes=1)
        ), (transition.action, application.holder_role.code)
        application.refresh_from_db()
    return application


def act(api, walk: Walk, transition: Transition, day: dt.date) -> dict:
    """Take `transition` as whoever takes it: an officer or the citizen over the API; for an
    automatic action, nobody (the platform took it when the file came in: it is checked),
    but for one waiting for the state's fees, which the citizen pays on `day` first;
    for a timer, the sweep, run once the timer is due (not before `day`)."""
    application = Application.objects.get(reference=walk.reference)
    if waits_for_fees(transition):
        pay_fees(application, day)
        application.refresh_from_db()
    if transition.auto and application.consultations.filter(answered_at__isnull=True).exists():
        answer_consultations(api, application, transition, day)
        application.refresh_from_db()
    if transition.auto:
        last = application.events.order_by("-sequence").first()
        assert (application.state, last.action, last.actor_role) == (
            transition.target,
            transition.action,
            "system",
        ), (transition.action, application.state)
        return {}
    if transition.after_days:
        due = timezone.localtime(application.timer_due_at)
        fire_at = max(due + dt.timedelta(minutes=1), at(day))
        assert applications_fire_timers(at=due - dt.timedelta(minutes=1)) == 0
        assert applications_fire_timers(at=fire_at) == 1
        application.refresh_from_db()
        assert application.state == transition.target
        walk.last_timer_day = timezone.localdate(fire_at)
        return {}
    if CITIZEN in transition.roles and (
        walk.workflow.state(application.state).with_citizen or not (transition.roles - {CITIZEN})
    ):
        username = "citizen"
    else:
        application = climb_to(application, transition)
        username = officer_for(application, application.holder_role.code)
    if transition.corrects_form:
        inputs = application.data  # the citizen sends the form back as it is (kept Aadhaar masked)
    else:
        inputs = (transition.input_schema or {}).get("examples", [{}])[0]
    with time_machine.travel(at(day), tick=False):
        client = api(username)
        listed = client.get(f"/api/v1/applications/{walk.reference}/actions/").json()["actions"]
        assert transition.action in [a["action"] for a in listed], (
            username,
            transition.action,
            listed,
        )
        response = client.post(
            f"/api/v1/applications/{walk.reference}/actions/",
            {"action": transition.action, "remarks": REMARKS, "data": inputs},
            format="json",
        )
    assert response.status_code == 200, (transition.action, response.json())
    return response.json()
