"""The access matrix (issue 4): every page and endpoint that shows or changes an application,
walked by officers inside and outside its department, jurisdiction and role, by its applicant,
by another citizen and by an anonymous visitor.

The rule, as the code states it (`applications_visible_to`, `queue_scope`, `acting_roles`):

- Seeing a file: its applicant; the officers whose role can hold or act on it (the role is
  named in the file's workflow: a state's holder, a rung of its escalation ladder, or an
  action's roles) with an active posting whose department and area cover it; and those who
  oversee it (`oversees: district`: every department in the posting's area; `oversees:
  department`: the posting's department in its area; a posting with no department over the
  whole state, the CMO's: everything). A posting in the department is not enough by itself:
  the department's service administrator and approver read no application. So the clerk,
  patwari, tehsildar and SDM of Ambala see an Ambala revenue file at scrutiny, and so do the
  deputy commissioner, the Financial Commissioner and the CMO; the Hisar clerk, Ambala
  officers of other departments, Revenue's service administrator and approver, and a
  superuser without a posting see none. `test_every_role_has_an_access_decision` walks every
  role in roles.yaml against this rule.
- An office a file's workflow consults (the fire service on a factory registration) reads the
  file while its officer's posting, in the consulted role and department, covers the
  applicant's place; it answers the consultation (the staff workspace and the API) while the
  consultation is open, and finds it in its queue's consultations; it holds no file and takes
  none of the workflow's actions. The same role in another district reads nothing of it; those
  who see the file otherwise (its applicant, the collector, the CMO) cannot answer for the
  office.
- Queues list a file only to the officers whose role holds it now, in its department and area.
- Acting: the officers of the holder role whose posting covers the file, and the applicant for
  the citizen's actions. A supervisor who sees a file cannot act on it until it reaches them
  (by the workflow or by escalation); nor can the CMO, who holds nothing.
- Out of reach, every answer is the answer for a reference that does not exist (404, the same
  body but for the reference the caller typed), and carries none of the applicant's details.
  Inside reach, an action that is not the caller's is refused (403 in the API; the staff and
  citizen pages redirect back to the application with the reason).
- A refused write changes nothing: not the state, the holder, the deadlines, the history, the
  outbox, the drafts or the feedback.
- The citizen's own pages (/my/..., drafts) are for the applicant alone: officers get 404 there.
  So are a file's fees and payments: paying a fee online or by e-challan, the challan and the
  receipt (`portal:fee-pay`, `fee-challan`, `payment-challan`, `payment-receipt`). The
  gateway's return (`portal:payment-return`) is open to anyone and redirects, revealing
  nothing but to the applicant; its callback (`portal:payment-callback`) is server to server,
  believed only with its checksum, and changes nothing a status query has not confirmed.
- Money (issue 21): an accounts officer (`accounts_officer`, posted for a department over a
  district, or with none over the state: the state's treasury cell) reads no application, but
  the payments, refunds and reconciliation exceptions of their department in their area, on
  the Accounts pages (/admin/accounts/); the same officer of another district or department
  sees none of them, and each answers 404 as if it did not exist. The settlement files are
  the treasury cell's. Every other officer is turned away from those pages (Wagtail's
  refusal: back to the workspace's home).
  The staff workspace is for officers: citizens and anonymous visitors are sent to its sign-in;
  the API answers 401 to anonymous callers; the portal sends them to /login/.

`test_the_matrix_covers_every_application_url` walks the URL resolver: every URL served by
Seva's own views (and everything under /api/v1/) must be in the matrix or in NOT_ABOUT_AN_
APPLICATION with a reason, so a new view cannot be added without deciding who may reach it.
"""

from __future__ import annotations

import copy
import inspect
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import pytest
import yaml
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from rest_framework.test import APIClient

from seva.applications import drafts
from seva.applications.models import (
    Application,
    ApplicationDraft,
    ApplicationEvent,
    Consultation,
    Document,
    Feedback,
)
from seva.applications.services import application_act, application_submit
from seva.definitions.models import Service
from seva.documents.models import DocumentFile, DocumentStatus, IssuedDocument
from seva.formschemas.paths import set_path
from seva.formschemas.steps import form_steps
from seva.notifications.models import OutboxMessage, StageAlert
from seva.org.models import Department, Jurisdiction, Posting, Role
from seva.payments.gateways import SettlementLine
from seva.payments.models import Payment, ReconciliationItem, Refund, Settlement
from seva.payments.reconciliation import settlement_digest, settlement_import
from seva.payments.services import (
    callback_receive,
    challan_create,
    challan_settle,
    payment_start,
    refund_request,
)
from tests.helpers import example_with_documents

pytestmark = pytest.mark.django_db

AMBALA, HISAR = "ambala", "hisar"
FACTORY = "factory"  # a factory registration in Ambala, consulting the fire service
MONEY = "money"  # two marriage registrations in Ambala (Revenue) and the money paid on them
RETURN = {
    "action": "return_for_correction",
    "state": "scrutiny",
    "remarks": "The income proof is not signed.",
    "correction_needed": "Upload a signed income proof.",
}


# ------------------------------------------------------------------------------
# The actors, and what the code says each may do with the two files
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    username: str | None
    why: str
    sees: frozenset[str] = frozenset()  # files they may read
    holds: frozenset[str] = frozenset()  # files in their queue, which they may act on
    applies: frozenset[str] = frozenset()  # files they filed
    consulted: frozenset[str] = frozenset()  # files whose open consultation they answer
    staff: bool = True  # may open the staff workspace (the Wagtail admin)
    keeps_accounts: bool = False  # an accounts officer: the Accounts pages are theirs
    money: frozenset[str] = frozenset()  # files whose payments and exceptions they answer for

    @property
    def label(self) -> str:
        return self.username or "anonymous"


def _set(*keys: str) -> frozenset[str]:
    return frozenset(keys)


ACTORS = [
    Actor("clerk.ambala", "holds it: revenue clerk of its tehsil", _set(AMBALA), _set(AMBALA)),
    Actor("patwari.ambala", "same department and tehsil, another role", _set(AMBALA)),
    Actor(
        "tehsildar.ambala",
        "supervises the tehsil; acts once a file reaches the tehsildar",
        _set(AMBALA),
    ),
    Actor("sdm.ambala", "supervises the sub-division", _set(AMBALA)),
    Actor("dc.ambala", "oversees every department of the district", _set(AMBALA, FACTORY)),
    Actor("fcr", "oversees the department, state-wide", _set(AMBALA, HISAR)),
    Actor(
        "cmo",
        "every department, the whole state: sees all, holds none",
        _set(AMBALA, HISAR, FACTORY),
    ),
    Actor(
        "admin.revenue", "the department's service administrator: builds services, reads no file"
    ),
    Actor(
        "approver.revenue", "the department's service approver: publishes services, reads no file"
    ),
    Actor("clerk.hisar", "same role and department, another district", _set(HISAR), _set(HISAR)),
    Actor("welfare.clerk.ambala", "another department, same district"),
    Actor("registrar.ambala", "another department, same tehsil"),
    Actor("admin", "superuser without a posting: a flag is not a posting"),
    Actor(
        "fire.ambala",
        "consulted on the Ambala factory's fire safety; holds no file",
        _set(FACTORY),
        consulted=_set(FACTORY),
    ),
    Actor("fire_station_officer.hr-hsr", "the consulted role and department, another district"),
    Actor(
        "citizen",
        "the applicant",
        _set(AMBALA, FACTORY),
        applies=_set(AMBALA, FACTORY, MONEY),
        staff=False,
    ),
    Actor(
        "accounts.revenue.ambala",
        "accounts officer of the files' department and district: their money, no file",
        keeps_accounts=True,
        money=_set(MONEY),
    ),
    Actor("accounts.revenue.hisar", "accounts officer, another district", keeps_accounts=True),
    Actor("accounts.phed.ambala", "accounts officer, another department", keeps_accounts=True),
    # The state's treasury cell (`treasury`: an accounts officer with no department over the
    # state) is walked in tests/dashboards/test_accounts_pages.py: posted like the CMO, it
    # reads every file by `posting_sees_everything` until that looks at the role too.
    Actor("citizen2", "another citizen", _set(HISAR), applies=_set(HISAR), staff=False),
    Actor(None, "anonymous", staff=False),
]


# ------------------------------------------------------------------------------
# The files: one in Ambala tehsil, filed by `citizen`, one in Hisar, filed by `citizen2`,
# both at scrutiny with the revenue clerk. Names and mobiles are unique, so that their
# absence from a page means something.
# ------------------------------------------------------------------------------
def file_income_certificate(applicant, *, tehsil: str, name: str, mobile: str) -> Application:
    service = Service.objects.get(code="income-certificate")
    data = example_with_documents(service, applicant)
    data["address"]["tehsil"] = tehsil
    data["applicant"]["full_name"] = name
    data["applicant"]["mobile"] = mobile
    return application_submit(service=service, data=data, applicant=applicant)


def file_factory_at_nocs(applicant) -> Application:
    """A factory registration in Ambala (its form's first example), found complete by the DIC
    manager: the fire service and the pollution board are consulted."""
    service = Service.objects.get(code="factory-registration")
    application = application_submit(
        service=service, data=example_with_documents(service, applicant), applicant=applicant
    )
    return application_act(
        application=application,
        user=get_user_model().objects.get(username="dic.manager.ambala"),
        action="seek_nocs",
        remarks="Complete.",
    )


@dataclass(frozen=True)
class Money:
    """Fees and payments on two marriage registrations the citizen filed in Ambala (Revenue):
    `due` waits for its fee, with an online payment held for review (the gateway took Rs 5
    more) and an e-challan not yet paid; `paid` was paid by an e-challan at the bank, and the
    office owes a refund of it. A settlement file of the gateway lists the held payment for
    another amount (an exception of the district's) and a line Seva does not know (the
    treasury cell's)."""

    due: Application
    paid: Application
    held: Payment
    challan: Payment
    banked: Payment
    refund: Refund
    differs: ReconciliationItem
    stranger: ReconciliationItem
    callback: dict[str, str]  # the held payment's signed callback, as the gateway sent it

    @property
    def ghost(self) -> str:
        return ghost_of(self.due)


def file_marriage(applicant) -> Application:
    service = Service.objects.get(code="marriage-registration")
    return application_submit(
        service=service, data=example_with_documents(service, applicant), applicant=applicant
    )


def take_money(applicant, gateway) -> dict:
    """The payments of `Money`, made against the fake gateway (pks, and the callback)."""
    due, paid = file_marriage(applicant), file_marriage(applicant)
    fee = due.fees.get()
    held, _url = payment_start(
        fee=fee,
        user=applicant,
        return_url="http://testserver/r/",
        callback_url="http://testserver/c/",
    )
    gateway.behaviour(held.order_id, amount_paise=fee.amount_paise + 500)
    callback = gateway.pay(held.order_id, "success")["callback_fields"]
    callback_receive(gateway_name="online", params=callback)
    held.refresh_from_db()
    assert held.status == Payment.Status.HELD
    challan = challan_create(fee=fee, user=applicant)
    banked = challan_create(fee=paid.fees.get(), user=applicant)
    banked = challan_settle(
        challan_number=banked.order_id,
        amount_paise=banked.amount_paise,
        bank_ref="FBK0000000042",
        paid_on=timezone.localdate(),
    )
    assert banked.status == Payment.Status.SUCCESS
    refund = refund_request(payment=banked, amount_paise=100, rule="review", reason="Overpaid.")
    day = timezone.localdate()
    lines = [
        SettlementLine(held.order_id, held.txn_id, 1, "success", day),
        SettlementLine("SV209901019999999999", "FGT999", 4200, "success", day),
    ]
    settlement = settlement_import(
        gateway_name="online",
        day=day,
        lines=lines,
        source=Settlement.Source.FETCHED,
        sha256=settlement_digest(lines),
    )
    items = dict(settlement.items.values_list("kind", "pk"))
    return {
        "due": due.pk,
        "paid": paid.pk,
        "held": held.pk,
        "challan": challan.pk,
        "banked": banked.pk,
        "refund": refund.pk,
        "differs": items[ReconciliationItem.Kind.AMOUNT_DIFFERS],
        "stranger": items[ReconciliationItem.Kind.MISSING_IN_SEVA],
        "callback": callback,
    }


@pytest.fixture(scope="module")
def filed(django_db_setup, django_db_blocker, fake_gateway) -> Iterator[dict]:
    """The files, filed once for the matrix's few hundred cases, in a transaction rolled
    back after them. Each case runs in a savepoint of it (pytest-django's `db`), so what one
    case changes, the next does not see."""
    people = get_user_model().objects
    paying = override_settings(
        SEVA_PAYMENTS_ENABLED=True, SEVA_PAYMENT_GATEWAYS=fake_gateway.gateways()
    )
    with django_db_blocker.unblock(), transaction.atomic():
        ambala = file_income_certificate(
            people.get(username="citizen"),
            tehsil="HR-AMB-AMB-AMB",
            name="Kesar Matrixwati",
            mobile="9000011111",
        )
        hisar = file_income_certificate(
            people.get(username="citizen2"),
            tehsil="HR-HSR-HSR-HSR",
            name="Lakhpat Matrixram",
            mobile="9000022222",
        )
        factory = file_factory_at_nocs(people.get(username="citizen"))
        assert factory.state == "nocs"
        fake_gateway.reset()
        with paying:
            money = take_money(people.get(username="citizen"), fake_gateway)
        yield {AMBALA: ambala.pk, HISAR: hisar.pk, FACTORY: factory.pk, MONEY: money}
        transaction.set_rollback(True)


@dataclass
class Files:
    ambala: Application
    hisar: Application
    factory: Application  # consults offices of other departments (rows of its own)
    money: Money
    user: Callable[[str], object]

    def items(self) -> list[tuple[str, Application]]:
        return [(AMBALA, self.ambala), (HISAR, self.hisar)]

    @property
    def ghost(self) -> str:
        """A well-formed reference that no application has."""
        return ghost_of(self.ambala)

    @property
    def factory_ghost(self) -> str:
        return ghost_of(self.factory)

    def correction_draft(self) -> ApplicationDraft:
        """The Ambala file returned by its clerk, and its applicant's correction begun."""
        self.ambala = application_act(
            application=self.ambala,
            user=self.user("clerk.ambala"),
            action=RETURN["action"],
            remarks=RETURN["remarks"],
            inputs={"correction_needed": RETURN["correction_needed"]},
        )
        return drafts.correction_draft(
            application=self.ambala, user=self.user("citizen"), language="en"
        )


def ghost_of(application: Application) -> str:
    return application.reference.rsplit("-", 1)[0] + "-999999"

    def correction_draft(self) -> ApplicationDraft:
        """The Ambala file returned by its clerk, and its applicant's correction begun."""
        self.ambala = application_act(
            application=self.ambala,
            user=self.user("clerk.ambala"),
            action=RETURN["action"],
            remarks=RETURN["remarks"],
            inputs={"correction_needed": RETURN["correction_needed"]},
        )
        return drafts.correction_draft(
            application=self.ambala, user=self.user("citizen"), language="en"
        )


@pytest.fixture
def files(filed, user, payment_gateway) -> Files:
    """The files; the fake gateway answers the payments made in a case."""
    money = filed[MONEY]
    return Files(
        ambala=Application.objects.get(pk=filed[AMBALA]),
        hisar=Application.objects.get(pk=filed[HISAR]),
        factory=Application.objects.get(pk=filed[FACTORY]),
        money=Money(
            due=Application.objects.get(pk=money["due"]),
            paid=Application.objects.get(pk=money["paid"]),
            held=Payment.objects.get(pk=money["held"]),
            challan=Payment.objects.get(pk=money["challan"]),
            banked=Payment.objects.get(pk=money["banked"]),
            refund=Refund.objects.get(pk=money["refund"]),
            differs=ReconciliationItem.objects.get(pk=money["differs"]),
            stranger=ReconciliationItem.objects.get(pk=money["stranger"]),
            callback=money["callback"],
        ),
        user=user,
    )


def trace(application: Application) -> dict:
    """Everything a write could change about a file."""
    row = Application.objects.get(pk=application.pk)
    return {
        "state": row.state,
        "holder_role": row.holder_role_id,
        "stage_due_at": row.stage_due_at,
        "closed_at": row.closed_at,
        "data": row.data,
        "updated_at": row.updated_at,
        "events": ApplicationEvent.objects.filter(application=row).count(),
        "outbox": OutboxMessage.objects.filter(application=row).count(),
        "drafts": ApplicationDraft.objects.filter(correcting=row).count(),
        "feedback": Feedback.objects.filter(application=row).exists(),
        "documents": sorted(Document.objects.filter(application=row).values_list("pk", flat=True)),
        "consultations": list(
            Consultation.objects.filter(application=row)
            .order_by("pk")
            .values_list("code", "answer", "answered_at", "answered_by", "remarks")
        ),
    }


def personal(application: Application) -> list[str]:
    return [application.applicant_name, application.applicant_mobile]


# ------------------------------------------------------------------------------
# One actor's visit
# ------------------------------------------------------------------------------
@dataclass
class Visit:
    actor: Actor
    files: Files
    views: set[str] = field(default_factory=set)  # the URL names visited
    browser: Client = field(init=False)
    api_client: APIClient = field(init=False)

    def __post_init__(self) -> None:
        self.browser, self.api_client = Client(), APIClient()
        if self.actor.username:
            person = get_user_model().objects.get(username=self.actor.username)
            self.browser.force_login(person)
            self.api_client.force_authenticate(person)

    def page(self, method: str, url: str, data=None):
        """A browser's request: signed in by session, CSRF off as in every test client."""
        self.views.add(resolve(url.split("?")[0]).view_name)
        return getattr(self.browser, method.lower())(url, data or {})

    def api(self, method: str, url: str, data=None):
        self.views.add(resolve(url.split("?")[0]).view_name)
        client = self.api_client
        if method == "GET":
            return client.get(url, data)
        return getattr(client, method.lower())(url, data, format="json")

    # What the actor is to a file
    def sees(self, key: str = AMBALA) -> bool:
        return key in self.actor.sees

    def holds(self, key: str = AMBALA) -> bool:
        return key in self.actor.holds

    def applies(self, key: str = AMBALA) -> bool:
        return key in self.actor.applies

    def consulted(self, key: str = FACTORY) -> bool:
        return key in self.actor.consulted

    def answers_for_money(self) -> bool:
        return MONEY in self.actor.money

    @property
    def anonymous(self) -> bool:
        return self.actor.username is None


CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def body(response) -> str:
    """The text of a page, its per-request CSRF token blanked so two answers can be compared."""
    if response.streaming:
        return ""
    return CSRF_TOKEN.sub('name="csrfmiddlewaretoken"', response.content.decode())


def assert_as_if_missing(response, ghost, application: Application, ghost_reference: str) -> None:
    """The answer for a file out of reach is the answer for one that does not exist, but for
    the reference the caller typed; and it names nobody."""
    assert response.status_code == 404, (response.status_code, body(response)[:500])
    assert ghost.status_code == 404
    assert body(response).replace(application.reference, "REF") == body(ghost).replace(
        ghost_reference, "REF"
    )
    for marker in personal(application):
        assert marker not in body(response)


def assert_sent_to_sign_in(response, surface: str) -> None:
    if surface == "api":
        assert response.status_code == 401, response.status_code
    else:
        login = "/admin/login/" if surface == "staff" else "/login/"
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith(f"{login}?next="), response["Location"]


def assert_unchanged(before: dict, application: Application) -> None:
    assert trace(application) == before


# ------------------------------------------------------------------------------
# The matrix rows: one URL pattern (and method) each
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    id: str
    view_name: str  # the URL pattern the row walks, as the resolver names it
    methods: tuple[str, ...]
    check: Callable[[Visit], None]


ROWS: list[Row] = []


def row(id: str, view_name: str, *methods: str):
    def register(check: Callable[[Visit], None]) -> Callable[[Visit], None]:
        ROWS.append(Row(id, view_name, methods, check))
        return check

    return register


# --- The staff workspace --------------------------------------------------------------------
@row("staff-queue", "queues:queue", "GET")
def _staff_queue(visit: Visit) -> None:
    """The queue lists the files the officer holds, unfiltered and when searched by
    reference, name or mobile; nothing else of them shows."""
    both = visit.files.items()
    response = visit.page("GET", "/admin/queue/")
    if not visit.actor.staff:
        assert_sent_to_sign_in(response, "staff")
        return
    assert response.status_code == 200
    for key, application in both:
        listed = f'data-reference="{application.reference}"' in body(response)
        assert listed == visit.holds(key), (key, listed)
        if not visit.holds(key):
            for marker in [application.reference, *personal(application)]:
                assert marker not in body(response)
        for term in [application.reference, *personal(application)]:
            searched = visit.page("GET", "/admin/queue/", {"q": term})
            assert searched.status_code == 200
            listed = f'data-reference="{application.reference}"' in body(searched)
            assert listed == visit.holds(key), (key, term, listed)
            if not visit.holds(key):
                others = {application.reference, *personal(application)} - {term}
                assert not [m for m in others if m in body(searched)], (key, term)


@row("staff-application-page", "queues:application", "GET")
def _staff_application(visit: Visit) -> None:
    files = visit.files
    url = "/admin/queue/{}/"
    response = visit.page("GET", url.format(files.ambala.reference))
    if not visit.actor.staff:
        assert_sent_to_sign_in(response, "staff")
    elif visit.sees():
        assert response.status_code == 200
        assert files.ambala.applicant_name in body(response)
        has_actions = 'data-action="return_for_correction"' in body(response)
        assert has_actions == visit.holds()
        if not visit.holds():
            assert "You have no action on this application now." in body(response)
    else:
        ghost = visit.page("GET", url.format(files.ghost))
        assert_as_if_missing(response, ghost, files.ambala, files.ghost)


@row("staff-act", "queues:act", "POST")
def _staff_act(visit: Visit) -> None:
    """Return for correction: open to the clerk, patwari, tehsildar and SDM by the workflow,
    so only the holding check stands between them and the file."""
    files = visit.files
    url = "/admin/queue/{}/act/"
    before = trace(files.ambala)
    response = visit.page("POST", url.format(files.ambala.reference), RETURN)
    if not visit.actor.staff:
        assert_sent_to_sign_in(response, "staff")
    elif visit.holds():
        assert response.status_code == 302 and response["Location"] == "/admin/queue/"
        assert Application.objects.get(pk=files.ambala.pk).state == "returned"
        return
    elif visit.sees():
        assert response.status_code == 302
        assert response["Location"] == f"/admin/queue/{files.ambala.reference}/"
        shown = visit.page("GET", response["Location"])
        assert "is not one of your actions" in body(shown)
    else:
        ghost = visit.page("POST", url.format(files.ghost), RETURN)
        assert_as_if_missing(response, ghost, files.ambala, files.ghost)
    assert_unchanged(before, files.ambala)


@row("staff-at-risk", "dashboards:at-risk", "GET")
def _staff_at_risk(visit: Visit) -> None:
    """Files at risk of breaching RTS, listed by office: only files the reader may read;
    nothing of the others shows."""
    for key, application in visit.files.items():
        response = visit.page(
            "GET", "/admin/dashboard/rts/at-risk/", {"office": application.office.code, "days": 30}
        )
        if not visit.actor.staff:
            assert_sent_to_sign_in(response, "staff")
            continue
        assert response.status_code == 200, (key, response.status_code)
        listed = f'data-reference="{application.reference}"' in body(response)
        assert listed == visit.sees(key), (key, listed)
        if not visit.sees(key):
            assert application.reference not in body(response)


BULK_RESULT = re.compile(r'<tr data-ok="(yes|no)"><td>([^<]+)</td><td>(.*?)</td></tr>', re.S)


@row("staff-bulk", "queues:bulk", "POST")
def _staff_bulk(visit: Visit) -> None:
    """Forward in bulk over both files and a reference that does not exist: each file moves
    only for its holder; a file out of reach answers exactly like the missing one."""
    files = visit.files
    before = {key: trace(application) for key, application in files.items()}
    post = {
        "action": "forward_for_verification",
        "remarks": "",
        "reference": [files.ambala.reference, files.hisar.reference, files.ghost],
    }
    for reference in post["reference"]:
        post[f"state-{reference}"] = "scrutiny"
    response = visit.page("POST", "/admin/queue/bulk/", post)
    if not visit.actor.staff:
        assert_sent_to_sign_in(response, "staff")
        for key, application in files.items():
            assert_unchanged(before[key], application)
        return
    assert response.status_code == 200
    results = {ref: (ok, message) for ok, ref, message in BULK_RESULT.findall(body(response))}
    assert set(results) == set(post["reference"])
    ghost_message = results[files.ghost][1].replace(files.ghost, "REF")
    assert results[files.ghost][0] == "no"
    for key, application in files.items():
        ok, message = results[application.reference]
        if visit.holds(key):
            assert ok == "yes"
            assert Application.objects.get(pk=application.pk).state == "field_verification"
            continue
        assert ok == "no"
        assert_unchanged(before[key], application)
        if not visit.sees(key):
            assert message.replace(application.reference, "REF") == ghost_message
            for marker in personal(application):
                assert marker not in body(response)


# --- Consultations: the factory file consults the fire service and the pollution board ------
FIRE_NOC = {"answer": "no_objection", "remarks": ""}


@row("staff-queue-consultations", "queues:queue", "GET")
def _staff_queue_consultations(visit: Visit) -> None:
    """The queue's consultations list the factory file to the consulted office alone."""
    factory = visit.files.factory
    response = visit.page("GET", "/admin/queue/")
    if not visit.actor.staff:
        assert_sent_to_sign_in(response, "staff")
        return
    assert response.status_code == 200
    listed = f'data-consultation="{factory.reference}"' in body(response)
    assert listed == visit.consulted(), listed
    if not visit.consulted():
        assert "Consultations waiting for your answer" not in body(response)
        assert factory.reference not in body(response)


@row("staff-application-page-consulted", "queues:application", "GET")
def _staff_application_consulted(visit: Visit) -> None:
    """The factory file: read by the consulted office, which is offered its own answer and
    none of the workflow's actions; whoever reads it otherwise is offered no answer."""
    files = visit.files
    url = "/admin/queue/{}/"
    response = visit.page("GET", url.format(files.factory.reference))
    if not visit.actor.staff:
        assert_sent_to_sign_in(response, "staff")
    elif visit.sees(FACTORY):
        assert response.status_code == 200
        assert files.factory.applicant_name in body(response)
        assert 'data-consultation="fire_safety"' in body(response)
        assert ('data-answer-form="fire_safety"' in body(response)) == visit.consulted()
        assert 'data-answer-form="pollution"' not in body(response)
        assert 'data-action="reject"' not in body(response)
    else:
        ghost = visit.page("GET", url.format(files.factory_ghost))
        assert_as_if_missing(response, ghost, files.factory, files.factory_ghost)


@row("staff-consultation-answer", "queues:consultation-answer", "POST")
def _staff_consultation_answer(visit: Visit) -> None:
    """No objection on the fire safety NOC: recorded for the consulted office; refused, with
    the reason, to others who read the file; out of reach, as if the file did not exist."""
    files = visit.files
    url = "/admin/queue/{}/consultations/fire_safety/answer/"
    before = trace(files.factory)
    response = visit.page("POST", url.format(files.factory.reference), FIRE_NOC)
    if not visit.actor.staff:
        assert_sent_to_sign_in(response, "staff")
    elif visit.consulted():
        assert response.status_code == 302
        assert response["Location"] == f"/admin/queue/{files.factory.reference}/"
        fire = Consultation.objects.get(application=files.factory, code="fire_safety")
        assert fire.answer == "no_objection"
        assert fire.answered_by.get_username() == visit.actor.username
        return
    elif visit.sees(FACTORY):
        assert response.status_code == 302
        assert response["Location"] == f"/admin/queue/{files.factory.reference}/"
        assert "is yours to answer" in body(visit.page("GET", response["Location"]))
    else:
        ghost = visit.page("POST", url.format(files.factory_ghost), FIRE_NOC)
        assert_as_if_missing(response, ghost, files.factory, files.factory_ghost)
    assert_unchanged(before, files.factory)


# --- The REST API -------------------------------------------------------------------------
@row("api-application", "api:application-detail", "GET")
def _api_application(visit: Visit) -> None:
    files = visit.files
    url = "/api/v1/applications/{}/"
    response = visit.api("GET", url.format(files.ambala.reference))
    if visit.anonymous:
        assert_sent_to_sign_in(response, "api")
    elif visit.sees():
        assert response.status_code == 200
        assert response.json()["reference"] == files.ambala.reference
    else:
        ghost = visit.api("GET", url.format(files.ghost))
        assert_as_if_missing(response, ghost, files.ambala, files.ghost)


@row("api-application-no-writes", "api:application-detail", "PUT", "PATCH", "DELETE")
def _api_application_writes(visit: Visit) -> None:
    """The resource is read-only: changes go through its actions."""
    files = visit.files
    before = trace(files.ambala)
    for method in ("PUT", "PATCH", "DELETE"):
        response = visit.api(
            method, f"/api/v1/applications/{files.ambala.reference}/", {"state": "approved"}
        )
        if visit.anonymous:
            assert_sent_to_sign_in(response, "api")
        else:
            assert response.status_code == 405, (method, response.status_code)
        for marker in personal(files.ambala):
            assert marker not in body(response)
    assert_unchanged(before, files.ambala)


@row("api-submit-claiming-its-documents", "api:application-list", "POST")
def _api_submit(visit: Visit) -> None:
    """A new application that names the Ambala file's documents: refused to everyone. Their
    owner, the applicant, is told the documents went with that file (409 naming it: the
    answer to the same application sent twice); anyone else is answered exactly as for
    tokens that do not exist. The documents stay with their file."""
    files = visit.files
    before = trace(files.ambala)
    count = Application.objects.count()
    data = copy.deepcopy(files.ambala.service_version.form_schema["examples"][0])
    ghost_data = copy.deepcopy(data)
    for document in Document.objects.filter(application=files.ambala):
        set_path(data, document.field, document.token)
        set_path(ghost_data, document.field, "doc_" + "0" * 32)
    payload = {"service": "income-certificate", "data": data}
    response = visit.api("POST", "/api/v1/applications/", payload)
    if visit.anonymous:
        assert_sent_to_sign_in(response, "api")
    elif visit.applies():
        assert response.status_code == 409, response.json()
        assert files.ambala.reference in response.json()["detail"]
    else:
        assert response.status_code == 400, response.json()
        assert sorted(response.json()["errors"]) == [
            "data.documents.identity_proof",
            "data.documents.income_proof",
            "data.documents.photo",
            "data.documents.residence_proof",
        ]
        ghost = visit.api("POST", "/api/v1/applications/", {**payload, "data": ghost_data})
        assert body(response) == body(ghost)
        for marker in [files.ambala.reference, *personal(files.ambala)]:
            assert marker not in body(response)
    assert Application.objects.count() == count
    assert_unchanged(before, files.ambala)


@row("api-actions", "api:application-actions", "GET")
def _api_actions(visit: Visit) -> None:
    files = visit.files
    url = "/api/v1/applications/{}/actions/"
    response = visit.api("GET", url.format(files.ambala.reference))
    if visit.anonymous:
        assert_sent_to_sign_in(response, "api")
    elif visit.sees():
        assert response.status_code == 200
        actions = {a["action"] for a in response.json()["actions"]}
        if visit.holds():
            assert actions == {"forward_for_verification", "return_for_correction"}
        elif visit.applies():
            assert actions == {"withdraw"}
        else:
            assert actions == set()
    else:
        ghost = visit.api("GET", url.format(files.ghost))
        assert_as_if_missing(response, ghost, files.ambala, files.ghost)


def _api_act(visit: Visit, payload: dict, *, allowed: bool, then: str) -> None:
    files = visit.files
    url = "/api/v1/applications/{}/actions/"
    before = trace(files.ambala)
    response = visit.api("POST", url.format(files.ambala.reference), payload)
    if visit.anonymous:
        assert_sent_to_sign_in(response, "api")
    elif allowed:
        assert response.status_code == 200, response.json()
        assert Application.objects.get(pk=files.ambala.pk).state == then
        return
    elif visit.sees():
        assert response.status_code == 403, response.json()
    else:
        ghost = visit.api("POST", url.format(files.ghost), payload)
        assert_as_if_missing(response, ghost, files.ambala, files.ghost)
    assert_unchanged(before, files.ambala)


@row("api-act-as-officer", "api:application-actions", "POST")
def _api_act_as_officer(visit: Visit) -> None:
    payload = {
        "action": RETURN["action"],
        "state": RETURN["state"],
        "remarks": RETURN["remarks"],
        "data": {"correction_needed": RETURN["correction_needed"]},
    }
    _api_act(visit, payload, allowed=visit.holds(), then="returned")


@row("api-act-as-citizen", "api:application-actions", "POST")
def _api_act_as_citizen(visit: Visit) -> None:
    payload = {"action": "withdraw", "state": "scrutiny", "remarks": "Applied twice."}
    _api_act(visit, payload, allowed=visit.applies(), then="withdrawn")


@row("api-actions-no-other-writes", "api:application-actions", "PUT", "PATCH", "DELETE")
def _api_actions_writes(visit: Visit) -> None:
    files = visit.files
    before = trace(files.ambala)
    for method in ("PUT", "PATCH", "DELETE"):
        response = visit.api(
            method,
            f"/api/v1/applications/{files.ambala.reference}/actions/",
            {"action": "withdraw", "state": "scrutiny"},
        )
        if visit.anonymous:
            assert_sent_to_sign_in(response, "api")
        else:
            assert response.status_code == 405, (method, response.status_code)
    assert_unchanged(before, files.ambala)


@row("api-queue", "api:queue", "GET")
def _api_queue(visit: Visit) -> None:
    both = visit.files.items()
    response = visit.api("GET", "/api/v1/queue/")
    if visit.anonymous:
        assert_sent_to_sign_in(response, "api")
        return
    assert response.status_code == 200
    for key, application in both:
        listed = application.reference in {r["reference"] for r in response.json()["results"]}
        assert listed == visit.holds(key), (key, listed)
        if not visit.holds(key):
            for marker in [application.reference, *personal(application)]:
                assert marker not in body(response)
        for term in [application.reference, *personal(application)]:
            searched = visit.api("GET", "/api/v1/queue/", {"q": term})
            assert searched.status_code == 200
            results = searched.json()["results"]
            assert bool(results) == visit.holds(key), (key, term, results)
            if not visit.holds(key):
                assert searched.json()["count"] == 0


@row("api-consultations", "api:consultations", "GET")
def _api_consultations(visit: Visit) -> None:
    factory = visit.files.factory
    response = visit.api("GET", "/api/v1/consultations/")
    if visit.anonymous:
        assert_sent_to_sign_in(response, "api")
        return
    assert response.status_code == 200
    listed = {(r["reference"], r["code"]) for r in response.json()["results"]}
    assert ((factory.reference, "fire_safety") in listed) == visit.consulted()
    assert (factory.reference, "pollution") not in listed
    if not visit.consulted():
        assert factory.reference not in body(response)


@row("api-consultation-answer", "api:application-consultation-answer", "POST")
def _api_consultation_answer(visit: Visit) -> None:
    files = visit.files
    url = "/api/v1/applications/{}/consultations/fire_safety/"
    before = trace(files.factory)
    response = visit.api("POST", url.format(files.factory.reference), FIRE_NOC)
    if visit.anonymous:
        assert_sent_to_sign_in(response, "api")
    elif visit.consulted():
        assert response.status_code == 200, response.json()
        answers = {c["code"]: c["answer"] for c in response.json()["consultations"]}
        assert answers == {"fire_safety": "no_objection", "pollution": None}
        return
    elif visit.sees(FACTORY):
        assert response.status_code == 403, response.json()
    else:
        ghost = visit.api("POST", url.format(files.factory_ghost), FIRE_NOC)
        assert_as_if_missing(response, ghost, files.factory, files.factory_ghost)
    assert_unchanged(before, files.factory)


@row("api-my-applications", "api:application-list", "GET")
def _api_my_applications(visit: Visit) -> None:
    """The caller's own applications, officers included (they use the queue)."""
    both = visit.files.items()
    response = visit.api("GET", "/api/v1/applications/")
    if visit.anonymous:
        assert_sent_to_sign_in(response, "api")
        return
    assert response.status_code == 200
    listed = {r["reference"] for r in response.json()["results"]}
    for key, application in both:
        assert (application.reference in listed) == visit.applies(key), key


# --- The citizen's pages --------------------------------------------------------------------
@row("portal-my-applications", "portal:my-applications", "GET")
def _portal_my_applications(visit: Visit) -> None:
    both = visit.files.items()
    response = visit.page("GET", "/my/")
    if visit.anonymous:
        assert_sent_to_sign_in(response, "portal")
        return
    assert response.status_code == 200
    for key, application in both:
        assert (application.reference in body(response)) == visit.applies(key), key
        if not visit.applies(key):
            for marker in personal(application):
                assert marker not in body(response)


def _portal_read(visit: Visit, url: str) -> None:
    files = visit.files
    response = visit.page("GET", url.format(files.ambala.reference))
    if visit.anonymous:
        assert_sent_to_sign_in(response, "portal")
    elif visit.applies():
        assert response.status_code == 200
        assert files.ambala.reference in body(response)
    else:
        ghost = visit.page("GET", url.format(files.ghost))
        assert_as_if_missing(response, ghost, files.ambala, files.ghost)


@row("portal-my-application", "portal:my-application", "GET")
def _portal_my_application(visit: Visit) -> None:
    _portal_read(visit, "/my/{}/")


@row("portal-acknowledgement", "portal:acknowledgement", "GET")
def _portal_acknowledgement(visit: Visit) -> None:
    _portal_read(visit, "/my/{}/acknowledgement/")


def _portal_write(visit: Visit, url: str, post: dict, *, then: str | None = None) -> None:
    """A citizen's write: 404 for anyone but the applicant. For the applicant, `then` is the
    state the file moves to, or None if the write is refused inside reach."""
    files = visit.files
    before = trace(files.ambala)
    response = visit.page("POST", url.format(files.ambala.reference), post)
    if visit.anonymous:
        assert_sent_to_sign_in(response, "portal")
    elif visit.applies():
        assert response.status_code == 302
        assert response["Location"] == f"/my/{files.ambala.reference}/"
        if then:
            assert Application.objects.get(pk=files.ambala.pk).state == then
            return
    else:
        ghost = visit.page("POST", url.format(files.ghost), post)
        assert_as_if_missing(response, ghost, files.ambala, files.ghost)
    assert_unchanged(before, files.ambala)


@row("portal-act-as-citizen", "portal:citizen-act", "POST")
def _portal_act_as_citizen(visit: Visit) -> None:
    post = {"action": "withdraw", "state": "scrutiny", "remarks": "Applied twice."}
    _portal_write(visit, "/my/{}/act/", post, then="withdrawn")


@row("portal-act-as-officer", "portal:citizen-act", "POST")
def _portal_act_as_officer(visit: Visit) -> None:
    """An officer's action through the citizen's door: refused even to the applicant."""
    _portal_write(visit, "/my/{}/act/", RETURN)


@row("portal-correct", "portal:correct", "POST")
def _portal_correct(visit: Visit) -> None:
    """At scrutiny there is nothing to correct: refused to the applicant, 404 to others."""
    _portal_write(visit, "/my/{}/correct/", {})


@row("portal-feedback", "portal:feedback", "POST")
def _portal_feedback(visit: Visit) -> None:
    """The file is open, so even its applicant may not rate it yet."""
    _portal_write(visit, "/my/{}/feedback/", {"rating": "5", "comment": "Quick."})


@row("portal-document", "portal:document", "GET")
def _portal_document(visit: Visit) -> None:
    """Each document of each file: served to those who may see its file, else 404."""
    files = visit.files
    ghost_token = "doc_" + "0" * 32
    ghost = visit.page("GET", f"/documents/{ghost_token}/")
    for key, application in files.items():
        tokens = Document.objects.filter(application=application).values_list("token", flat=True)
        assert len(tokens) == 4
        for token in tokens:
            response = visit.page("GET", f"/documents/{token}/")
            if visit.anonymous:
                assert_sent_to_sign_in(response, "portal")
            elif visit.sees(key):
                assert response.status_code == 200, (key, response.status_code)
                assert response["Content-Disposition"].startswith("attachment")
                assert b"".join(response.streaming_content)  # read to the end, which closes it
            else:
                assert response.status_code == 404, (key, response.status_code)
                assert body(response).replace(token, "T") == body(ghost).replace(ghost_token, "T")
                for marker in [application.reference, *personal(application)]:
                    assert marker not in body(response)


@row("portal-track", "portal:track", "POST")
def _portal_track(visit: Visit) -> None:
    """Public by design: whoever holds the reference and the file's mobile number sees its
    status, never the applicant's name; a wrong mobile answers like a missing reference."""
    files = visit.files
    reference, mobile = files.ambala.reference, files.ambala.applicant_mobile
    right = visit.page("POST", "/track/", {"reference": reference, "mobile": mobile})
    assert right.status_code == 200
    assert "Documents being checked" in body(right)
    assert files.ambala.applicant_name not in body(right)
    # Another file's mobile number, a real one, with the Ambala reference.
    other_mobile = files.hisar.applicant_mobile
    wrong = visit.page("POST", "/track/", {"reference": reference, "mobile": other_mobile})
    ghost = visit.page("POST", "/track/", {"reference": files.ghost, "mobile": other_mobile})
    assert_as_if_missing(wrong, ghost, files.ambala, files.ghost)
    assert "Documents being checked" not in body(wrong)


# --- Issued documents (certificates, orders) ----------------------------------------------
# The Ambala and Hisar files are given a signed document each, as a decision would: read by
# those who read the file, revoked or corrected only by the roles that may decide it (the
# tehsildar and the SDM) over its place; to everyone else, as if it did not exist.
DOCUMENT_CHANGERS = {"tehsildar.ambala", "sdm.ambala"}


def issued(application: Application) -> IssuedDocument:
    document = IssuedDocument.objects.create(
        application=application,
        code="certificate",
        kind="certificate",
        status=DocumentStatus.ISSUED,
        number=f"HR/INC/T/2026/{application.pk:06d}",
        office=application.office,
        holder_name=application.applicant_name,
        created_at=timezone.now(),
        issued_at=timezone.now(),
        issued_on=timezone.localdate(),
    )
    name = default_storage.save(f"issued/test/{uuid.uuid4().hex}.pdf", ContentFile(b"%PDF-1.7\n"))
    DocumentFile.objects.create(
        document=document,
        language="en",
        file=name,
        sha256="0" * 64,
        size=9,
        created_at=timezone.now(),
    )
    return document


def _issued_read(visit: Visit, url: str, *, surface: str, may) -> None:
    """Each file's document: served to those `may(key)` lets read it, else the answer for a
    document that does not exist, naming nobody."""
    files = visit.files
    ghost = visit.page("GET", url.format(ref=files.ghost, doc="A" * 16))
    for key, application in files.items():
        document = issued(application)
        target = url.format(ref=application.reference, doc=document.public_id)
        response = visit.api("GET", target) if surface == "api" else visit.page("GET", target)
        if visit.anonymous or (surface == "staff" and not visit.actor.staff):
            assert_sent_to_sign_in(response, surface)
        elif may(key):
            assert response.status_code == 200, (key, response.status_code)
            assert b"".join(response.streaming_content).startswith(b"%PDF")
        else:
            assert response.status_code == 404, (key, response.status_code)
            if surface != "api":
                assert body(response).replace(application.reference, "REF").replace(
                    document.public_id, "DOC"
                ) == body(ghost).replace(files.ghost, "REF").replace("A" * 16, "DOC")
            for marker in [document.number, *personal(application)]:
                assert marker not in body(response)


@row("api-application-documents", "api:application-documents", "GET")
def _api_application_documents(visit: Visit) -> None:
    files = visit.files
    document = issued(files.ambala)
    url = "/api/v1/applications/{}/documents/"
    response = visit.api("GET", url.format(files.ambala.reference))
    if visit.anonymous:
        assert_sent_to_sign_in(response, "api")
    elif visit.sees():
        assert response.status_code == 200
        assert [d["number"] for d in response.json()["documents"]] == [document.number]
    else:
        ghost = visit.api("GET", url.format(files.ghost))
        assert_as_if_missing(response, ghost, files.ambala, files.ghost)
        assert document.number not in body(response)


@row("api-application-document-file", "api:application-document-file", "GET")
def _api_application_document_file(visit: Visit) -> None:
    _issued_read(
        visit, "/api/v1/applications/{ref}/documents/{doc}/en/", surface="api", may=visit.sees
    )


@row("portal-issued-file", "portal:issued-file", "GET")
def _portal_issued_file(visit: Visit) -> None:
    _issued_read(visit, "/my/{ref}/issued/{doc}/en/", surface="portal", may=visit.applies)


@row("staff-issued-file", "queues:issued-file", "GET")
def _staff_issued_file(visit: Visit) -> None:
    _issued_read(visit, "/admin/queue/{ref}/issued/{doc}/en/", surface="staff", may=visit.sees)


def _document_change(visit: Visit, change: str, *, surface: str) -> None:
    """Revoking or correcting the Ambala file's document: the tehsildar and the SDM of its
    place; one who reads the file but may not is refused and nothing changes; to anyone else
    the document does not exist."""
    files = visit.files
    document = issued(files.ambala)
    before = trace(files.ambala)
    reason = "Issued on a forged income proof."
    if surface == "api":
        response = visit.api(
            "POST", f"/api/v1/documents/{change}/", {"number": document.number, "reason": reason}
        )
    else:
        url = f"/admin/queue/{files.ambala.reference}/issued/{document.public_id}/{change}/"
        response = visit.page("POST", url, {"reason": reason})
    document.refresh_from_db()
    successors = IssuedDocument.objects.filter(supersedes=document)
    allowed = visit.actor.username in DOCUMENT_CHANGERS
    if visit.anonymous or (surface == "staff" and not visit.actor.staff):
        assert_sent_to_sign_in(response, surface)
    elif allowed:
        assert response.status_code == (200 if surface == "api" else 302), response.status_code
        if change == "revoke":
            assert document.status == DocumentStatus.REVOKED
        else:
            assert successors.count() == 1
        return
    elif surface == "staff" and visit.sees():
        assert response.status_code == 302  # back to the file, with the refusal
        assert response["Location"] == f"/admin/queue/{files.ambala.reference}/"
    else:
        assert response.status_code == 404, response.status_code
        for marker in [document.public_id, *personal(files.ambala)]:
            assert marker not in body(response)
    assert document.status == DocumentStatus.ISSUED and not successors.exists()
    assert_unchanged(before, files.ambala)


@row("api-document-revoke", "api:document-revoke", "POST")
def _api_document_revoke(visit: Visit) -> None:
    _document_change(visit, "revoke", surface="api")


@row("api-document-reissue", "api:document-reissue", "POST")
def _api_document_reissue(visit: Visit) -> None:
    _document_change(visit, "reissue", surface="api")


@row("staff-document-revoke", "queues:document-revoke", "POST")
def _staff_document_revoke(visit: Visit) -> None:
    _document_change(visit, "revoke", surface="staff")


@row("staff-document-reissue", "queues:document-reissue", "POST")
def _staff_document_reissue(visit: Visit) -> None:
    _document_change(visit, "reissue", surface="staff")


@row("demo-sms", "demo:sms", "GET")
@override_settings(SEVA_DEMO_SMS_BOX=False)
def _portal_demo_sms(visit: Visit) -> None:
    """The demo SMS box lists every SMS (references, mobiles) to anyone: it exists for
    `make run` only and answers 404 when switched off, as it is outside dev."""
    response = visit.page("GET", "/demo/sms/", {"mobile": visit.files.ambala.applicant_mobile})
    assert response.status_code == 404
    assert visit.files.ambala.reference not in body(response)


# --- Drafts: a correction draft holds the file's answers --------------------------------------
def _draft_visit(
    visit: Visit, method: str, path: str, post: dict | None = None, *, owner_status: int
):
    """Open `path` (relative to the draft) of the applicant's correction draft, and the same for
    a draft that does not exist. The owner gets `owner_status`; everyone else a 404 that says
    nothing; a refused write leaves the draft and the file as they were."""
    files = visit.files
    draft = files.correction_draft()
    before = trace(files.ambala)
    draft_before = ApplicationDraft.objects.filter(pk=draft.pk).values().first()
    url = f"/apply/draft/{{}}/{path}"
    response = visit.page(method, url.format(draft.pk), post)
    if visit.anonymous:
        assert_sent_to_sign_in(response, "portal")
    elif visit.applies():
        assert response.status_code == owner_status, (response.status_code, body(response)[:500])
        return draft, response
    else:
        ghost_id = str(uuid.uuid4())
        ghost = visit.page(method, url.format(ghost_id), post)
        assert response.status_code == 404
        assert body(response).replace(str(draft.pk), "D") == body(ghost).replace(ghost_id, "D")
        for marker in personal(files.ambala):
            assert marker not in body(response)
    assert_unchanged(before, files.ambala)
    assert ApplicationDraft.objects.filter(pk=draft.pk).values().first() == draft_before
    return draft, None


def _first_step(draft: ApplicationDraft) -> str:
    return form_steps(draft.service_version.form_schema, "en")[0].id


@row("draft-step", "portal:apply-step", "GET")
def _draft_step(visit: Visit) -> None:
    _draft, response = _draft_visit(visit, "GET", "applicant/", owner_status=200)
    if response is not None:
        assert visit.files.ambala.applicant_name in body(response)


@row("draft-step-save", "portal:apply-step", "POST")
def _draft_step_save(visit: Visit) -> None:
    _draft_visit(visit, "POST", "applicant/", {"save_and_exit": "1"}, owner_status=302)


@row("draft-check", "portal:apply-check", "GET")
def _draft_check(visit: Visit) -> None:
    _draft, response = _draft_visit(visit, "GET", "check/", owner_status=200)
    if response is not None:
        assert visit.files.ambala.applicant_name in body(response)


@row("draft-submit", "portal:apply-check", "POST")
def _draft_submit(visit: Visit) -> None:
    _draft, response = _draft_visit(visit, "POST", "check/", owner_status=302)
    if response is not None:
        assert Application.objects.get(pk=visit.files.ambala.pk).state == "scrutiny"


@row("draft-discard", "portal:apply-discard", "POST")
def _draft_discard(visit: Visit) -> None:
    draft, response = _draft_visit(visit, "POST", "discard/", owner_status=302)
    if response is not None:
        assert not ApplicationDraft.objects.filter(pk=draft.pk).exists()


# --- Fees and payments on the citizen's side (issue 21) --------------------------------------
def _as_if_missing_money(
    visit: Visit, response, method: str, url: str, application: Application | None = None
) -> None:
    """Out of reach, a page about a marriage file's money answers as the same page of a
    reference that does not exist, and names nobody."""
    application = application or visit.files.money.due
    ghost_reference = ghost_of(application)
    ghost = visit.page(method, url.replace(application.reference, ghost_reference))
    assert_as_if_missing(response, ghost, application, ghost_reference)


def _payments_of(application: Application) -> list:
    return list(
        Payment.objects.filter(application=application).order_by("pk").values_list("pk", "status")
    )


@row("portal-fee-pay", "portal:fee-pay", "POST")
def _portal_fee_pay(visit: Visit) -> None:
    """Paying the fee online: the applicant is sent to the gateway's page with an order for
    the server's amount; to anyone else the file does not exist, and no order is made."""
    money = visit.files.money
    before = _payments_of(money.due)
    url = f"/my/{money.due.reference}/fees/registration_fee/pay/"
    response = visit.page("POST", url, {"amount_paise": "1"})
    if visit.anonymous:
        assert_sent_to_sign_in(response, "portal")
    elif visit.applies(MONEY):
        assert response.status_code == 302
        assert response["Location"].startswith(settings.SEVA_PAYMENT_GATEWAYS["online"]["URL"])
        order = Payment.objects.filter(application=money.due).latest("pk")
        assert order.amount_paise == money.due.fees.get().amount_paise
        return
    else:
        _as_if_missing_money(visit, response, "POST", url)
    assert _payments_of(money.due) == before


@row("portal-fee-challan", "portal:fee-challan", "POST")
def _portal_fee_challan(visit: Visit) -> None:
    """An e-challan for the fee: the applicant is shown the one already open; nobody else."""
    money = visit.files.money
    before = _payments_of(money.due)
    url = f"/my/{money.due.reference}/fees/registration_fee/challan/"
    response = visit.page("POST", url)
    if visit.anonymous:
        assert_sent_to_sign_in(response, "portal")
    elif visit.applies(MONEY):
        assert response.status_code == 302
        assert response["Location"] == (
            f"/my/{money.due.reference}/payments/{money.challan.order_id}/challan/"
        )
    else:
        _as_if_missing_money(visit, response, "POST", url)
    assert _payments_of(money.due) == before


def _portal_money_file(visit: Visit, application: Application, url: str, number: str) -> None:
    response = visit.page("GET", url)
    if visit.anonymous:
        assert_sent_to_sign_in(response, "portal")
    elif visit.applies(MONEY):
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")
    else:
        _as_if_missing_money(visit, response, "GET", url, application)
        assert number not in body(response)


@row("portal-payment-challan", "portal:payment-challan", "GET")
def _portal_payment_challan(visit: Visit) -> None:
    money = visit.files.money
    _portal_money_file(
        visit,
        money.due,
        f"/my/{money.due.reference}/payments/{money.challan.order_id}/challan/",
        money.challan.order_id,
    )


@row("portal-payment-receipt", "portal:payment-receipt", "GET")
def _portal_payment_receipt(visit: Visit) -> None:
    """The receipt of the challan paid on the other file, under the applicant's own reference
    only: under the file it was not paid on, it does not exist either."""
    money = visit.files.money
    url = f"/my/{{}}/payments/{money.banked.order_id}/receipt/"
    _portal_money_file(
        visit, money.paid, url.format(money.paid.reference), money.banked.receipt_number
    )
    if visit.applies(MONEY):
        assert visit.page("GET", url.format(money.due.reference)).status_code == 404


@row("portal-payment-return", "portal:payment-return", "GET")
def _portal_payment_return(visit: Visit) -> None:
    """Where the gateway sends the browser back: open to anyone (the browser may have lost
    its session), it redirects; only the applicant is taken to the file, with its news."""
    money = visit.files.money
    before = Payment.objects.get(pk=money.held.pk).status
    response = visit.page("GET", "/payments/return/online/", {"order_id": money.held.order_id})
    assert response.status_code == 302
    if visit.applies(MONEY):
        assert response["Location"] == f"/my/{money.due.reference}/"
    else:
        assert response["Location"] == "/my/"
        assert money.due.reference not in body(response)
    assert Payment.objects.get(pk=money.held.pk).status == before


@row("portal-payment-callback", "portal:payment-callback", "POST")
def _portal_payment_callback(visit: Visit) -> None:
    """Server to server, whoever sends it: a forged checksum is refused (400); the gateway's
    signed callback, replayed, is taken (200) and changes nothing the gateway's status query
    has not confirmed (the payment stays held)."""
    money = visit.files.money
    url = "/payments/callback/online/"
    forged = visit.page("POST", url, {**money.callback, "checksum": "0" * 64})
    assert forged.status_code == 400
    assert visit.page("POST", url, money.callback).status_code == 200
    held = Payment.objects.get(pk=money.held.pk)
    assert (held.status, held.receipt_number) == (Payment.Status.HELD, money.held.receipt_number)
    assert money.due.fees.get().status == "due"


# --- The accounts officer's pages (issue 21) -------------------------------------------------
def assert_turned_away(response) -> None:
    """The workspace refuses a page to who may not open it: back to its home page, with
    "you do not have permission" (Wagtail's answer to PermissionDenied)."""
    assert response.status_code == 302, response.status_code
    assert response["Location"] == "/admin/", response["Location"]


def _accounts_visit(visit: Visit, method: str, url: str, post=None, *, state: bool = False):
    """The answer to an accounts officer in reach, or None once the refusal to anybody else
    is checked: non-staff to the sign-in, other officers turned away (and, for the treasury
    cell's pages, district accounts officers too)."""
    response = visit.page(method, url, post)
    if not visit.actor.staff:
        assert_sent_to_sign_in(response, "staff")
    elif not visit.actor.keeps_accounts or state:
        assert_turned_away(response)
    else:
        return response
    return None


def _accounts_list(visit: Visit, url: str, marker: str, hidden: list[str]) -> None:
    response = _accounts_visit(visit, "GET", url)
    if response is None:
        return
    assert response.status_code == 200
    assert (marker in body(response)) == visit.answers_for_money(), marker
    if not visit.answers_for_money():
        for text in hidden:
            assert text not in body(response)


def _accounts_write(visit: Visit, url: str, ghost_url: str, post: dict, *, done, unchanged):
    """A decision: taken by the accounts officer in reach (`done` checks it); to one out of
    reach the row answers as one that does not exist; nothing changes for anybody else."""
    before = unchanged()
    response = _accounts_visit(visit, "POST", url, post)
    if response is not None:
        if visit.answers_for_money():
            assert response.status_code == 302, (response.status_code, body(response)[:300])
            done()
            return
        ghost = visit.page("POST", ghost_url, post)
        assert response.status_code == ghost.status_code == 404
        assert body(response).replace(url, "U") == body(ghost).replace(ghost_url, "U")
        assert visit.files.money.due.reference not in body(response)
    assert unchanged() == before


@row("accounts-exceptions", "accounts_office:exceptions", "GET")
def _accounts_exceptions(visit: Visit) -> None:
    """The district's exception is listed to its accounts officer; a line no department can
    be found for is the treasury cell's, listed to no district."""
    money = visit.files.money
    _accounts_list(
        visit,
        "/admin/accounts/",
        f'data-exception="{money.differs.pk}"',
        [money.held.order_id, money.due.reference],
    )
    response = visit.page("GET", "/admin/accounts/")
    assert f'data-exception="{money.stranger.pk}"' not in body(response)


@row("accounts-exception-resolve", "accounts_office:exception-resolve", "POST")
def _accounts_exception_resolve(visit: Visit) -> None:
    money = visit.files.money
    remarks = {"remarks": "The gateway's file was corrected the next day."}

    def state() -> list:
        return list(
            ReconciliationItem.objects.order_by("pk").values_list("pk", "resolved_at", "remarks")
        )

    def done() -> None:
        item = ReconciliationItem.objects.get(pk=money.differs.pk)
        assert item.resolved_by.get_username() == visit.actor.username

    _accounts_write(
        visit,
        f"/admin/accounts/exceptions/{money.differs.pk}/resolve/",
        "/admin/accounts/exceptions/999999999/resolve/",
        remarks,
        done=done,
        unchanged=state,
    )
    # The treasury cell's exception is out of every district's reach.
    if visit.actor.keeps_accounts:
        url = f"/admin/accounts/exceptions/{money.stranger.pk}/resolve/"
        assert visit.page("POST", url, remarks).status_code == 404
        assert ReconciliationItem.objects.get(pk=money.stranger.pk).resolved_at is None


@row("accounts-held", "accounts_office:held", "GET")
def _accounts_held(visit: Visit) -> None:
    money = visit.files.money
    _accounts_list(
        visit,
        "/admin/accounts/held/",
        f'data-held="{money.held.order_id}"',
        [money.held.order_id, money.due.reference],
    )


@row("accounts-held-resolve", "accounts_office:held-resolve", "POST")
def _accounts_held_resolve(visit: Visit) -> None:
    money = visit.files.money

    def state() -> list:
        return [
            Payment.objects.get(pk=money.held.pk).status,
            Refund.objects.filter(payment=money.held).count(),
        ]

    def done() -> None:
        assert state() == [Payment.Status.UNAPPLIED, 1]

    _accounts_write(
        visit,
        f"/admin/accounts/held/{money.held.order_id}/resolve/",
        "/admin/accounts/held/SV209901010000000000/resolve/",
        {"decision": "refund", "remarks": "Charged more than the fee: refund it all."},
        done=done,
        unchanged=state,
    )


@row("accounts-refunds", "accounts_office:refunds", "GET")
def _accounts_refunds(visit: Visit) -> None:
    money = visit.files.money
    _accounts_list(
        visit,
        "/admin/accounts/refunds/",
        f'data-refund="{money.refund.refund_id}"',
        [money.refund.refund_id, money.paid.reference],
    )


@row("accounts-refund-paid", "accounts_office:refund-paid", "POST")
def _accounts_refund_paid(visit: Visit) -> None:
    money = visit.files.money

    def state() -> list:
        return list(Refund.objects.filter(pk=money.refund.pk).values_list("status", "processed_at"))

    def done() -> None:
        assert state()[0][0] == Refund.Status.PROCESSED

    _accounts_write(
        visit,
        f"/admin/accounts/refunds/{money.refund.refund_id}/paid/",
        "/admin/accounts/refunds/RF99999999999999/paid/",
        {"remarks": "Paid back in cash at the tehsil."},
        done=done,
        unchanged=state,
    )


@row("accounts-settlements", "accounts_office:settlements", "GET")
def _accounts_settlements(visit: Visit) -> None:
    """Settlement files list every department's payments: the treasury cell's alone."""
    assert _accounts_visit(visit, "GET", "/admin/accounts/settlements/", state=True) is None


@row("accounts-settlement-upload", "accounts_office:settlement-upload", "GET", "POST")
def _accounts_settlement_upload(visit: Visit) -> None:
    url = "/admin/accounts/settlements/upload/"
    count = Settlement.objects.count()
    assert _accounts_visit(visit, "GET", url, state=True) is None
    money = visit.files.money
    day = timezone.localdate().isoformat()
    post = {
        "gateway": "challan",
        "day": day,
        "file": SimpleUploadedFile(
            "bank.csv",
            f"challan_number,amount_paise,paid_on,bank_ref\n"
            f"{money.challan.order_id},{money.challan.amount_paise},{day},FBK1\n".encode(),
        ),
    }
    assert _accounts_visit(visit, "POST", url, post, state=True) is None
    assert Settlement.objects.count() == count
    assert Payment.objects.get(pk=money.challan.pk).status == Payment.Status.PENDING


# --- The daily snapshot of payments (issue 21: the state's review) -----------------------------
# Who finds the marriage files' payments in the export, by dashboards.fees.fees_scope: the
# RTS board's readers with the board's scope (the officers of the file's office, whatever
# their role; the collector; the head of department; the CMO; the state admin) and the
# accounts officer of the department and district. Lines name the reference, the service and
# the money, never the applicant.
SNAPSHOT_READERS = {
    "clerk.ambala",
    "patwari.ambala",
    "tehsildar.ambala",
    "dc.ambala",
    "fcr",
    "cmo",
    "admin",
    "accounts.revenue.ambala",
}


@row("staff-fee-payments-export", "dashboards:fee-payments", "GET")
def _staff_fee_payments_export(visit: Visit) -> None:
    money = visit.files.money
    day = timezone.localdate().isoformat()
    response = visit.page("GET", f"/admin/dashboard/rts/fees/payments.csv?day={day}")
    if not visit.actor.staff:
        assert_sent_to_sign_in(response, "staff")
        return
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode()
    listed = visit.actor.username in SNAPSHOT_READERS
    for application in (money.due, money.paid):
        assert (application.reference in lines) == listed, application.reference
        for marker in personal(application):
            assert marker not in lines
    xlsx = visit.page("GET", f"/admin/dashboard/rts/fees/payments.xlsx?day={day}")
    assert xlsx.status_code == 200
    b"".join(xlsx.streaming_content)  # read to the end, which closes the file


# ------------------------------------------------------------------------------
# The matrix
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("actor", ACTORS, ids=lambda actor: actor.label)
@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_access(row: Row, actor: Actor, files: Files):
    visit = Visit(actor=actor, files=files)
    row.check(visit)
    assert row.view_name in visit.views, (row.view_name, visit.views)


# ------------------------------------------------------------------------------
# Completeness: no URL of Seva's is left out of the matrix
# ------------------------------------------------------------------------------
NOT_ABOUT_AN_APPLICATION = {
    "healthz": "for load balancers: says the process answers, nothing else "
    "(tests/config/test_health.py)",
    "readyz": "for load balancers: ok or unavailable for each of the database, the cache, the "
    "file store and the migrations, nothing else",
    "metrics": "for Prometheus with its bearer token, a 404 to anyone else; counts by service "
    "and URL pattern, never an application (tests/config/test_metrics.py)",
    "portal:csp-report": "browsers' reports of content the policy blocked; logged, nothing "
    "shown (tests/config/test_csp.py)",
    "portal:login": "signing in by OTP",
    "portal:login-verify": "signing in by OTP",
    "portal:logout": "signing out",
    "portal:set-language": "the caller's language",
    "portal:message-choices": "the caller's own message choices "
    "(tests/portal/test_message_choices.py)",
    "portal:eligibility": "questions about the caller; nothing is stored",
    "portal:apply": "opens the caller's own draft for a service",
    "api:service-list": "public definitions",
    "api:partner-applications": "a partner key files for citizens, only services in its scope "
    "(tests/api/test_partner_api.py)",
    "api:partner-application": "a partner key reads only the applications it filed "
    "(tests/api/test_partner_api.py)",
    "api:partner-changes": "a partner key polls only the applications it filed",
    "api:service-detail": "public definitions",
    "api:service-form": "public definitions",
    "api:document-upload": "stores a new file owned by the caller; shows none",
    "api:auth-token": "exchanges the caller's own password for a token",
    "api:auth-tokens": "the caller's own API tokens, without secrets (tests/api/test_tokens.py)",
    "api:auth-token-detail": "revokes one of the caller's own API tokens; another's is 404 "
    "(tests/api/test_tokens.py)",
    "api:auth-logout": "ends the token the request was sent with (tests/api/test_tokens.py)",
    "api_tokens:list": "people's API tokens, never an application: state admin only, by the "
    "token permissions (tests/api/test_tokens.py)",
    "api_tokens:revoke": "revokes an API token: state admin only, by the token permissions",
    "api_tokens:revoke-person": "revokes a person's API tokens: state admin only, by the token "
    "permissions",
    # The snippet choosers (seva.core.snippets): organisation and channel records, never an
    # application; only people with a permission on the model open them
    # (tests/core/test_snippet_choosers.py).
    **{
        f"wagtailsnippetchoosers_{model}:{view}": "picks an organisation or channel record; "
        "people with a permission on its model only"
        for model in [
            "org_department",
            "org_jurisdiction",
            "org_role",
            "org_posting",
            "org_leave",
            "org_officerprofile",
            "org_holiday",
            "channels_servicecentre",
            "channels_centreoperator",
            "channels_helplineagent",
        ]
        for view in ["choose", "choose_results", "chosen", "chosen_multiple", "create"]
    },
    "api:dashboard-rts": "counts from the rollups, never an application; scoped by reader "
    "(tests/dashboards/test_board.py)",
    "api:sms-delivery-report": "the SMS gateway's report on a message, by its shared token; "
    "answers only the delivery status it was told",
    "dashboards:board": "counts from the rollups, never an application; scoped by reader "
    "(tests/dashboards/test_board.py)",
    "dashboards:export": "the board as a file, same scope (tests/dashboards/test_board.py)",
    "dashboards:fees": "fees collected and refunded, counted from the rollups by month, "
    "service, district or department, never an application; scoped by reader "
    "(tests/dashboards/test_fees_board.py)",
    "definitions:services": "service definitions, by department "
    "(tests/definitions/test_service_admin.py)",
    "definitions:service": "a service definition and its versions, by department",
    "definitions:compare": "two versions of a service definition, by department",
    "definitions:files": "a version's definition files, by department",
    "definitions:new": "a new service, by department (tests/definitions/test_drafts.py)",
    "definitions:import": "a service imported from its files, by department",
    "definitions:edit": "a draft of a service, by department (tests/definitions/test_editors.py)",
    "definitions:republish": "publishing an earlier version again, by the department's approver",
    "definitions:draft": "a draft of a service definition, by department",
    "definitions:draft-details": "a draft's editor, by department",
    "definitions:draft-form": "a draft's editor, by department",
    "definitions:draft-workflow": "a draft's editor, by department",
    "definitions:draft-sms": "a draft's editor, by department",
    "definitions:draft-documents": "a draft's editor, by department "
    "(tests/definitions/test_builder_documents.py)",
    "definitions:draft-fees": "a draft's editor, by department "
    "(tests/definitions/test_builder_fees.py)",
    "definitions:draft-document-pdf": "a preview of a draft's document filled with its form's "
    "example, by department (tests/definitions/test_builder_documents.py)",
    "definitions:draft-preview": "a draft's form preview, by department",
    "definitions:draft-dry-run": "a draft's dry run, by department",
    "definitions:draft-files": "a draft's definition files, by department",
    "definitions:draft-action": "review and publishing of a draft, by department",
    "notifications:messages": "the SMS log: state admin only, by the outbox permissions "
    "(tests/notifications/test_message_log.py)",
    "notifications:message": "the SMS log: state admin only, by the outbox permissions",
    "notifications:resend": "the SMS log: state admin only, by the outbox permissions",
    # The service-centre counter: active centre operators only (anybody else is turned
    # back), each scoped to the operator's centre by seva.channels.selectors; another
    # centre's reference or draft answers 404 (tests/channels/test_assisted_filing.py).
    "channels:start": "sends a consent code to the mobile the operator types; shows the "
    "operator's own drafts",
    "channels:consent": "the operator's own draft at their centre",
    "channels:service": "the operator's own draft at their centre",
    "channels:step": "the operator's own draft at their centre",
    "channels:check": "the operator's own draft at their centre; files it",
    "channels:discard": "the operator's own draft at their centre",
    "channels:filed": "the applications filed at the operator's own centre",
    "channels:fee-take": "an active operator only; an application only by its reference AND "
    "its applicant's mobile (tests/payments/test_counter.py)",
    "channels:fee-receipt": "a payment taken at the operator's own centre; 404 for another "
    "centre's (tests/payments/test_counter.py)",
    "channels:acknowledgement": "an application filed at the operator's own centre; 404 for "
    "another centre's",
    "channels:issued-file": "an issued document of an application filed at the operator's own "
    "centre, to print; 404 for another centre's (tests/channels/test_counter_documents.py)",
    # Issued documents in public: nothing without what only their holder has
    # (tests/portal/test_issued_documents.py).
    "portal:track-download": "a document's PDF by a signed link from public tracking, made "
    "only for the reference and registered mobile, valid for half an hour",
    "portal:sms-link": "the SMS's link: sends to public tracking with the reference filled in",
    "portal:verify": "a document's few public facts, only with its verification code; a wrong "
    "code answers like an unknown number; rate-limited",
    "portal:verification-keys": "the public keys that check the documents' QR codes",
    # The helpline: active helpline agents only (tests/channels/test_helpline.py).
    "helpline:status": "what public tracking shows, for the caller's own mobile only",
    "helpline:grievance": "files a grievance for the caller; shows none",
    "helpline:registered": "a grievance the agent registered; 404 for anybody else's",
    # Staff sign-in and the second factor (tests/accounts/): about the caller's own account.
    "accounts:sign-in": "staff sign-in by password (tests/accounts/test_sign_in.py)",
    "accounts:code": "the second step of the caller's own sign-in",
    "accounts:code-sms": "sends the caller's own sign-in code to their own mobile",
    "accounts:enrol": "the caller sets up their own first device while signing in",
    "accounts:enrol-app": "the caller sets up their own first device while signing in",
    "accounts:enrol-sms": "the caller sets up their own first device while signing in",
    "django-admin-sign-in": "sends the Django admin's sign-in to the staff sign-in",
    "second_factor:devices": "the signed-in officer's own devices (tests/accounts/test_devices.py)",
    "second_factor:add-app": "the signed-in officer's own devices",
    "second_factor:add-sms": "the signed-in officer's own devices",
    "second_factor:remove": "the signed-in officer's own devices; another's answers 404",
    "second_factor:officer": "an officer's devices, for the state admin only",
    "second_factor:officer-reset": "resets an officer's devices, state admin only",
}

# Models that hold an application or part of one: none may be edited or listed through the
# Django admin or as a Wagtail snippet, whose views are not in this matrix.
APPLICATION_MODELS = {
    Application,
    ApplicationEvent,
    ApplicationDraft,
    Document,
    Feedback,
    OutboxMessage,
    StageAlert,
}


@dataclass(frozen=True)
class Served:
    name: str  # namespaced URL name, "" when the pattern has none
    route: str
    view: object


def served_urls() -> Iterator[Served]:
    def walk(patterns, prefix: str, namespace: str) -> Iterator[Served]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern).removeprefix("^")
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, route, inner)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}{pattern.name}" if pattern.name else ""
                callback = pattern.callback
                view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
                yield Served(name, route, view or inspect.unwrap(callback))

    yield from walk(get_resolver().url_patterns, "", "")


def in_scope(served: Served) -> bool:
    """Seva's own views, and all of the API."""
    return served.view.__module__.startswith("seva.") or served.route.startswith("api/v1/")


def test_the_matrix_covers_every_application_url():
    served = [s for s in served_urls() if in_scope(s)]
    assert {"queues:queue", "queues:bulk", "api:queue", "portal:document"} <= {
        s.name for s in served
    }, "the walk of the resolver no longer finds the staff workspace, the API or the portal"
    unnamed = [s.route for s in served if not s.name]
    assert not unnamed, f"give these URLs a name, and put them in the access matrix: {unnamed}"

    covered = {r.view_name for r in ROWS}
    missing = sorted({s.name for s in served} - covered - set(NOT_ABOUT_AN_APPLICATION))
    assert not missing, (
        f"URLs outside the access matrix: {missing}. Add rows for them to "
        "tests/queues/test_access_matrix.py, or (if they never show or change an application) "
        "add them to NOT_ABOUT_AN_APPLICATION with the reason."
    )
    stale = sorted((covered | set(NOT_ABOUT_AN_APPLICATION)) - {s.name for s in served})
    assert not stale, f"the matrix names URLs that no longer exist: {stale}"
    assert not covered & set(NOT_ABOUT_AN_APPLICATION)

    # Every method an API view implements is walked (the others answer 405, walked too).
    for s in served:
        if s.name in covered and hasattr(s.view, "http_method_names"):
            implemented = {
                m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(s.view, m)
            }
            walked = {m for r in ROWS if r.view_name == s.name for m in r.methods}
            assert implemented <= walked, (s.name, implemented - walked)


def test_no_application_data_is_open_through_the_django_admin_or_snippets():
    from wagtail.snippets.models import get_snippet_models

    assert not APPLICATION_MODELS & set(admin.site._registry)
    assert not APPLICATION_MODELS & set(get_snippet_models())


# ------------------------------------------------------------------------------
# Every role in roles.yaml has an access decision
# ------------------------------------------------------------------------------
class Reads(StrEnum):
    """What the holders of a role may read, by the rule in this module's docstring."""

    HANDLED = (
        "files whose workflow names the role, in the posting's department and area, and the "
        "files another department's workflow consults the role on, in the posting's "
        "department and area"
    )
    DISTRICT = "every department's files in the posting's area (oversees: district)"
    DEPARTMENT = "the posting's department's files in its area (oversees: department)"
    EVERYTHING = "every file, posted with no department over the state (the CMO)"
    NOTHING = "no application"


ROLE_READS = {
    "revenue_clerk": Reads.HANDLED,
    "patwari": Reads.HANDLED,
    "tehsildar": Reads.HANDLED,
    "sdm": Reads.HANDLED,
    "deputy_commissioner": Reads.DISTRICT,
    "revenue_head": Reads.DEPARTMENT,
    "welfare_clerk": Reads.HANDLED,
    "welfare_inspector": Reads.HANDLED,
    "dswo": Reads.HANDLED,
    "director_social_justice": Reads.DEPARTMENT,
    "birth_registrar": Reads.HANDLED,
    "district_registrar": Reads.HANDLED,
    "chief_registrar": Reads.DEPARTMENT,
    "phed_junior_engineer": Reads.HANDLED,
    "phed_sdo": Reads.HANDLED,
    "phed_executive_engineer": Reads.HANDLED,
    "phed_superintending_engineer": Reads.HANDLED,
    "phed_engineer_in_chief": Reads.DEPARTMENT,
    "food_inspector": Reads.HANDLED,
    "afso": Reads.HANDLED,
    "dfsc": Reads.HANDLED,
    "director_food_supplies": Reads.DEPARTMENT,
    "dic_manager": Reads.HANDLED,
    "dic_gm": Reads.HANDLED,
    "director_industries": Reads.DEPARTMENT,
    "fire_station_officer": Reads.HANDLED,  # consulted on factories' fire safety
    "pollution_regional_officer": Reads.HANDLED,  # consulted on factories' consent
    "grievance_l1": Reads.HANDLED,
    "grievance_l2": Reads.HANDLED,
    "grievance_l3": Reads.HANDLED,
    "grievance_l4": Reads.DEPARTMENT,
    "service_admin": Reads.NOTHING,
    "service_approver": Reads.NOTHING,
    "accounts_officer": Reads.NOTHING,  # payments, refunds and exceptions: no application
    "cmo": Reads.EVERYTHING,
}
# The roles workflows_yaml/certificate_verification.yaml (the income certificate's) names.
INCOME_CERTIFICATE_ROLES = {"revenue_clerk", "patwari", "tehsildar", "sdm"}


def _roles_in_roles_yaml() -> set[str]:
    path = settings.SEVA_DEFINITIONS_ROOT / settings.SEVA_SERVICE_DIR / "_org" / "roles.yaml"
    return {role["code"] for role in yaml.safe_load(path.read_text())["roles"]}


def test_every_role_has_an_access_decision():
    """A role added to roles.yaml without a line in ROLE_READS fails here: somebody must
    decide what its holders may read, and the walk below checks that decision."""
    assert _roles_in_roles_yaml() == set(ROLE_READS), (
        f"roles without an access decision: {sorted(_roles_in_roles_yaml() - set(ROLE_READS))}; "
        f"decisions for roles that no longer exist: {sorted(set(ROLE_READS) - _roles_in_roles_yaml())}"
    )
    assert set(Role.objects.values_list("code", flat=True)) == set(ROLE_READS)


def _posted(role_code: str, department_code: str | None):
    """A new officer holding `role_code` in the department, over the whole state, from today."""
    person = get_user_model().objects.create_user(username=f"walk.{role_code}.{department_code}")
    Posting.objects.create(
        user=person,
        role=Role.objects.get(code=role_code),
        department=Department.objects.get(code=department_code) if department_code else None,
        jurisdiction=Jurisdiction.objects.get(code="HR"),
        starts_on=timezone.localdate(),
    )
    return person


@pytest.mark.parametrize("role_code", sorted(ROLE_READS))
def test_each_role_reads_what_its_decision_says(role_code: str, files: Files):
    """Each role, posted over the whole state, in the Ambala file's department (Revenue) and
    in another (Social Justice): the file, its document and its API answer are open exactly
    as the role's decision says, and otherwise answer as if the file did not exist."""
    reads = ROLE_READS[role_code]
    departments = [None] if reads == Reads.EVERYTHING else ["revenue", "social_justice"]
    for department in departments:
        person = _posted(role_code, department)
        expected = {
            Reads.HANDLED: department == "revenue" and role_code in INCOME_CERTIFICATE_ROLES,
            Reads.DISTRICT: True,
            Reads.DEPARTMENT: department == "revenue",
            Reads.EVERYTHING: True,
            Reads.NOTHING: False,
        }[reads]
        client = APIClient()
        client.force_authenticate(person)
        for application in (files.ambala, files.hisar):
            response = client.get(f"/api/v1/applications/{application.reference}/")
            assert (response.status_code == 200) == expected, (
                role_code,
                department,
                application.reference,
                response.status_code,
            )
            browser = Client()
            browser.force_login(person)
            token = Document.objects.filter(application=application).values_list(
                "token", flat=True
            )[0]
            document = browser.get(f"/documents/{token}/")
            assert (document.status_code == 200) == expected, (role_code, department, "document")
