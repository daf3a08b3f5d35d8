"""Assisted filing at a service centre's counter (issue 8, item 1): the operator finds or
registers the citizen by mobile, the code sent to that phone is the citizen's consent, the
form is filled on their behalf exactly as the portal's, the fee is recorded, and the
application reaches the same queue, deadline and SMS as one filed online, recording the
channel, the centre and the operator. An operator sees their own centre's filings only."""

from __future__ import annotations

import copy
import datetime as dt
import html
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from seva.applications.models import Application, ApplicationEvent, Channel, Document
from seva.channels.models import (
    AssistedDraft,
    AssistedFiling,
    CentreKind,
    CentreOperator,
    ServiceCentre,
)
from seva.channels.services import (
    assisted_draft_save,
    assisted_filing_submit,
    consent_code_send,
    consent_verify,
    operator_access_sync,
)
from seva.citizens.models import CitizenProfile, OtpChallenge
from seva.core.errors import ActionNotAllowed
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage
from seva.org.models import Holiday, Jurisdiction
from seva.queues.selectors import queue_for
from tests.helpers import example_with_documents, expected_due_date
from tests.portal.flow import step_post, steps_of

pytestmark = pytest.mark.django_db

OPERATOR = "operator.ambala"
NEW_CITIZEN = "9812300088"  # no account yet: registered at the counter
BASE = "/admin/assisted/"
# What the start page asks besides the mobile: the service and the language of the SMS.
START = {"service": "income-certificate", "language": "en"}


def signed_in(user, username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def sent_code(mobile: str) -> str:
    message = OutboxMessage.objects.filter(recipient=mobile, event="otp").order_by("-id").first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def form_of(code: str) -> dict:
    return Service.objects.get(code=code).current_version.form_schema


def draft_id_in(location: str) -> str:
    return re.search(r"/admin/assisted/([0-9a-f-]{36})/", location).group(1)


def consent_at_counter(client: Client, mobile: str, service: str = "income-certificate") -> str:
    """The operator sends the code for `service` and types what the citizen reads out: the
    draft's id. The form's first step comes next."""
    sent = client.post(BASE, {**START, "mobile": mobile, "service": service})
    assert sent.status_code == 302, sent.content.decode()[:2000]
    draft_id = draft_id_in(sent["Location"])
    confirmed = client.post(f"{BASE}{draft_id}/consent/", {"code": sent_code(mobile)})
    first = steps_of(form_of(service))[0].id
    assert confirmed.status_code == 302
    assert confirmed["Location"] == f"{BASE}{draft_id}/step/{first}/"
    return draft_id


def fill_at_counter(client: Client, draft_id: str, code: str, data: dict) -> None:
    schema = form_of(code)
    for step in steps_of(schema):
        response = client.post(f"{BASE}{draft_id}/step/{step.id}/", step_post(schema, data, step))
        assert response.status_code == 302, (step.id, response.content.decode()[:3000])
    assert response["Location"] == f"{BASE}{draft_id}/check/"


def income_certificate_answers(mobile: str) -> dict:
    data = copy.deepcopy(form_of("income-certificate")["examples"][0])
    data["applicant"]["mobile"] = mobile
    data["applicant"]["full_name"] = "Kamlesh Rani"
    return data


def file_at_counter(client: Client, mobile: str = NEW_CITIZEN, **fee) -> Application:
    draft_id = consent_at_counter(client, mobile)
    fill_at_counter(client, draft_id, "income-certificate", income_certificate_answers(mobile))
    filed = client.post(
        f"{BASE}{draft_id}/check/",
        {"fee_amount": "0", "fee_receipt_number": "", "language": "hi", **fee},
    )
    assert filed.status_code == 302, filed.content.decode()[:3000]
    reference = filed["Location"].rstrip("/").rsplit("/", 1)[1]
    return Application.objects.get(reference=reference)


def consented_draft(operator, mobile: str, service: str = "income-certificate") -> AssistedDraft:
    """A draft for `service` whose citizen consented, made through the services (no pages)."""
    draft = consent_code_send(
        operator=operator,
        mobile=mobile,
        service=Service.objects.get(code=service),
        language="en",
    )
    return consent_verify(draft=draft, code=sent_code(mobile))


def second_centre(user) -> tuple[ServiceCentre, object]:
    """A CSC in Hisar with an operator of its own."""
    centre = ServiceCentre.objects.create(
        code="CSC-HSR-001",
        name="Common Service Centre, Hisar",
        kind=CentreKind.CSC,
        jurisdiction=Jurisdiction.objects.get(code="HR-HSR-HSR-HSR"),
    )
    operator = get_user_model().objects.create_user("operator.hisar", password="seva-demo")
    CentreOperator.objects.create(user=operator, centre=centre)
    operator_access_sync(user=operator)
    return centre, operator


# ------------------------------------------------------------------------------
# Filing at the counter
# ------------------------------------------------------------------------------
def test_the_demo_has_a_saral_kendra_in_ambala_with_its_operator(user):
    link = CentreOperator.objects.select_related("centre__jurisdiction").get(
        user=user(OPERATOR), active=True
    )
    assert link.centre.kind == CentreKind.SARAL_KENDRA
    assert link.centre.jurisdiction.code == "HR-AMB-AMB-AMB"
    assert user(OPERATOR).check_password("seva-demo")
    assert user(OPERATOR).has_perm("wagtailadmin.access_admin")


def test_seed_demo_prints_the_operator_with_the_logins(capsys):
    call_command("seed_demo", "--logins-only")
    assert re.search(
        r"operator\.ambala\s+centre_operator / HR-AMB-AMB-AMB", capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Pardeep Saini", "Saral Kendra", "Income certificate", "only in person"]),
        ("hi", ["Pardeep Saini", "Saral Kendra", "आय प्रमाण पत्र", "केवल काउंटर पर"]),
    ],
)
def test_the_consent_code_says_who_files_for_what_and_to_share_it_only_in_person(
    user, language, words
):
    """The code is the citizen's consent, so its SMS says which operator, at which centre,
    is filing which service for them, and to give it only in person, never on a call; in the
    language the citizen chose at the counter, with that language's DLT template."""
    client = signed_in(user, OPERATOR)
    sent = client.post(
        BASE, {"mobile": NEW_CITIZEN, "service": "income-certificate", "language": language}
    )
    assert sent.status_code == 302, sent.content.decode()[:2000]
    message = OutboxMessage.objects.filter(recipient=NEW_CITIZEN, event="otp").latest("id")
    template = settings.SEVA_CONSENT_SMS[language]
    assert (message.language, message.dlt_template_id) == (language, template["dlt_template_id"])
    for word in words:
        assert word in message.body, (word, message.body)
    assert re.search(r"\b\d{6}\b", message.body)
    draft = AssistedDraft.objects.get(pk=draft_id_in(sent["Location"]))
    assert draft.service.code == "income-certificate"


def test_a_filing_at_the_counter_records_the_channel_the_centre_and_the_operator(user):
    operator = user(OPERATOR)
    application = file_at_counter(signed_in(user, OPERATOR))

    citizen = CitizenProfile.objects.get(mobile=NEW_CITIZEN).user  # registered at the counter
    assert application.channel == Channel.SERVICE_CENTRE
    assert application.applicant == citizen and application.filed_by == operator
    assert application.applicant_name == "Kamlesh Rani"
    filing = AssistedFiling.objects.get(application=application)
    assert filing.centre.code == "SK-AMB-AMB" and filing.operator == operator
    assert (filing.fee_amount, filing.fee_receipt_number) == (0, "")
    assert filing.consent_verified_at <= filing.filed_at == application.submitted_at
    submitted = application.events.get(kind=ApplicationEvent.Kind.SUBMITTED)
    assert submitted.actor == operator and submitted.actor_role == Channel.SERVICE_CENTRE
    # The scans were uploaded by the operator and now belong to the application.
    documents = Document.objects.filter(application=application)
    assert documents.count() == 4 and {d.owner for d in documents} == {operator}
    assert not AssistedDraft.objects.filter(operator=operator).exists()
    # The citizen sees it on the portal as their own.
    portal = Client()
    portal.force_login(citizen)
    assert application.reference in portal.get("/my/").content.decode()


def test_the_filing_reaches_the_right_queue_with_the_right_deadline_and_the_citizens_sms(
    user, local_date
):
    application = file_at_counter(signed_in(user, OPERATOR))

    assert application.office.code == "HR-AMB-AMB-AMB" and application.state == "scrutiny"
    assert application.holder_role.code == "revenue_clerk"
    assert application.reference in [a.reference for a in queue_for(user("clerk.ambala")).items]
    assert application.reference not in [a.reference for a in queue_for(user("clerk.hisar")).items]

    district = Jurisdiction.objects.get(code="HR-AMB")
    holidays = set(
        Holiday.objects.filter(Q(district__isnull=True) | Q(district=district)).values_list(
            "date", flat=True
        )
    )
    today = local_date(application.submitted_at)
    assert local_date(application.rts_due_at) == expected_due_date(
        start=today, days=15, working_days_only=True, holidays=holidays
    )
    assert local_date(application.stage_due_at) == expected_due_date(
        start=today, days=3, working_days_only=True, holidays=holidays
    )

    sms = OutboxMessage.objects.get(application=application, event="received")
    assert sms.recipient == NEW_CITIZEN and sms.language == "hi"  # as chosen at the counter
    assert application.reference in sms.body
    assert sms.dlt_template_id == "1107161234500000102"


def test_the_acknowledgement_names_the_centre_the_operator_the_fee_and_the_due_date(user):
    client = signed_in(user, OPERATOR)
    application = file_at_counter(client)
    page = client.get(f"{BASE}filed/{application.reference}/")
    body = page.content.decode()
    assert page.status_code == 200
    for shown in (
        application.reference,
        "Income certificate",
        "Kamlesh Rani",
        "98XXXXXX88",
        "Saral Kendra, Ambala",
        "SK-AMB-AMB",
        "Pardeep Saini",
        "Rs 0",
        timezone.localtime(application.rts_due_at).strftime("%d-%m-%Y"),
    ):
        assert shown in body, shown
    # Printed, the slip drops the workspace around it (the counter's stylesheet, linked).
    assert "data-print" in body and "/static/channels/counter.css" in body
    assert "@media print" in Path(finders.find("channels/counter.css")).read_text()


def test_an_existing_citizen_is_found_by_mobile_not_registered_again(user):
    application = file_at_counter(signed_in(user, OPERATOR), mobile="9812345678")
    assert application.applicant == user("citizen")
    assert CitizenProfile.objects.filter(mobile="9812345678").count() == 1


# ------------------------------------------------------------------------------
# Consent: the citizen's code
# ------------------------------------------------------------------------------
def test_nothing_is_filed_without_the_citizens_code(user):
    client = signed_in(user, OPERATOR)
    sent = client.post(BASE, {**START, "mobile": NEW_CITIZEN})
    draft_id = draft_id_in(sent["Location"])
    assert sent["Location"] == f"{BASE}{draft_id}/consent/"
    # Every later page sends the operator back to the code; a POST files nothing.
    for page in ("service/", "check/", "step/applicant/"):
        assert client.get(f"{BASE}{draft_id}/{page}")["Location"] == f"{BASE}{draft_id}/consent/"
    refused = client.post(f"{BASE}{draft_id}/check/", {"fee_amount": "0", "language": "en"})
    assert refused["Location"] == f"{BASE}{draft_id}/consent/"
    assert not Application.objects.filter(applicant_mobile=NEW_CITIZEN).exists()

    # And the service refuses it whatever page calls it.
    draft = AssistedDraft.objects.get(pk=draft_id)
    draft.service = Service.objects.get(code="income-certificate")
    draft.service_version = draft.service.current_version
    draft.data = income_certificate_answers(NEW_CITIZEN)
    with pytest.raises(ActionNotAllowed):
        assisted_filing_submit(draft=draft, fee_amount=0, fee_receipt_number="")
    assert not Application.objects.filter(applicant_mobile=NEW_CITIZEN).exists()
    assert not CitizenProfile.objects.filter(mobile=NEW_CITIZEN).exists()


def test_a_wrong_code_is_refused_beside_the_field_and_counts_toward_the_lock_out(user):
    client = signed_in(user, OPERATOR)
    draft_id = draft_id_in(client.post(BASE, {**START, "mobile": NEW_CITIZEN})["Location"])
    right = sent_code(NEW_CITIZEN)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    page = client.post(f"{BASE}{draft_id}/consent/", {"code": wrong})
    body = page.content.decode()
    assert page.status_code == 400
    assert re.search(
        r'id="id_code_error"><p class="error-message">That code is not right\. '
        r"You have 4 more tries\.",
        body,
    )
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="id_code"', body)
    assert not AssistedDraft.objects.get(pk=draft_id).has_consent
    assert OtpChallenge.objects.get(mobile=NEW_CITIZEN).failed_attempts == 1
    # Five wrong codes lock the number out, as a sign-in would.
    for _ in range(4):
        page = client.post(f"{BASE}{draft_id}/consent/", {"code": wrong})
    assert "Too many wrong codes" in page.content.decode()
    assert client.post(f"{BASE}{draft_id}/consent/", {"code": right}).status_code == 400
    assert not AssistedDraft.objects.get(pk=draft_id).has_consent


def test_another_service_than_the_one_consented_to_needs_a_new_code_naming_it(user):
    """The consent was for one service: switching to another starts its form afresh and asks
    the citizen again, with a code that names the new one; nothing is filed meanwhile."""
    operator = user(OPERATOR)
    draft = consented_draft(operator, NEW_CITIZEN)
    client = signed_in(user, OPERATOR)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        changed = client.post(f"{BASE}{draft.id}/service/", {"service": "water-connection"})
    assert changed["Location"] == f"{BASE}{draft.id}/consent/"
    draft.refresh_from_db()
    assert draft.service.code == "water-connection" and not draft.has_consent
    message = OutboxMessage.objects.filter(recipient=NEW_CITIZEN, event="otp").latest("id")
    assert "Water" in message.body, message.body
    assert client.get(f"{BASE}{draft.id}/check/")["Location"] == f"{BASE}{draft.id}/consent/"
    confirmed = client.post(f"{BASE}{draft.id}/consent/", {"code": sent_code(NEW_CITIZEN)})
    assert confirmed["Location"].startswith(f"{BASE}{draft.id}/step/")


def test_sending_codes_keeps_the_portals_limits_per_number(user):
    client = signed_in(user, OPERATOR)
    assert client.post(BASE, {**START, "mobile": NEW_CITIZEN}).status_code == 302
    again = client.post(BASE, {**START, "mobile": NEW_CITIZEN})
    assert again.status_code == 400
    assert "A code was sent just now" in again.content.decode()
    assert AssistedDraft.objects.filter(mobile=NEW_CITIZEN).count() == 1


# ------------------------------------------------------------------------------
# The fee
# ------------------------------------------------------------------------------
def fee_charging_draft(operator, mobile: str) -> AssistedDraft:
    """A land mutation by sale: its fee, Rs 500, is collected at the counter (a fee paid
    outside Seva's ledger, `fee`, worked out on the answers)."""
    draft = consented_draft(operator, mobile, "land-mutation")
    data = example_with_documents(draft.service, operator)
    data["applicant"]["mobile"] = mobile
    assisted_draft_save(draft=draft, data=data)
    return draft


def test_a_missing_receipt_for_a_fee_charging_service_is_refused_beside_the_field(user):
    operator = user(OPERATOR)
    draft = fee_charging_draft(operator, NEW_CITIZEN)
    client = signed_in(user, OPERATOR)
    url = f"{BASE}{draft.id}/check/"
    assert 'value="500"' in client.get(url).content.decode()  # the service's fee, offered

    refused = client.post(url, {"fee_amount": "500", "fee_receipt_number": "", "language": "en"})
    body = html.unescape(refused.content.decode())
    assert refused.status_code == 400
    # The message sits in the receipt field's own error box, which its input points to.
    message = "Enter the number of the receipt given for the fee (this service's fee is Rs 500)."
    assert f'id="id_fee_receipt_number_error"><p class="error-message">{message}' in body
    receipt_input = re.search(r'<input[^>]*id="id_fee_receipt_number"[^>]*>', body).group(0)
    assert 'aria-invalid="true"' in receipt_input
    assert "id_fee_receipt_number_error" in re.search(
        r'aria-describedby="([^"]*)"', receipt_input
    ).group(1)
    assert 'href="#id_fee_receipt_number"' in body  # and the summary on top links to it
    assert not Application.objects.filter(applicant_mobile=NEW_CITIZEN).exists()
    assert AssistedDraft.objects.filter(pk=draft.pk).exists()

    filed = client.post(
        url, {"fee_amount": "500", "fee_receipt_number": "SK/2026/0042", "language": "en"}
    )
    assert filed.status_code == 302
    filing = AssistedFiling.objects.get(application__applicant_mobile=NEW_CITIZEN)
    assert (filing.fee_amount, filing.fee_receipt_number) == (500, "SK/2026/0042")
    assert filing.application.service.code == "land-mutation"

    # A receipt is recorded once per centre.
    again = fee_charging_draft(operator, "9812300077")
    twice = client.post(
        f"{BASE}{again.id}/check/",
        {"fee_amount": "500", "fee_receipt_number": "SK/2026/0042", "language": "en"},
    )
    assert twice.status_code == 400
    assert "Receipt SK/2026/0042 was already recorded for" in twice.content.decode()


def test_the_mobile_on_the_form_must_be_the_one_that_consented(user):
    operator = user(OPERATOR)
    draft = consented_draft(operator, NEW_CITIZEN)
    assert draft.data["applicant"]["mobile"] == NEW_CITIZEN  # filled in from the consent
    data = example_with_documents(draft.service, operator)
    data["applicant"]["mobile"] = "9876543210"
    assisted_draft_save(draft=draft, data=data)
    response = signed_in(user, OPERATOR).post(
        f"{BASE}{draft.id}/check/", {"fee_amount": "0", "language": "en"}
    )
    assert response.status_code == 400
    assert "Give the mobile number the citizen confirmed with their code" in (
        response.content.decode()
    )
    assert not Application.objects.filter(applicant_mobile="9876543210").exists()


# ------------------------------------------------------------------------------
# Who sees what
# ------------------------------------------------------------------------------
def test_an_operator_sees_only_their_own_centres_filings(user):
    ambala = signed_in(user, OPERATOR)
    application = file_at_counter(ambala)
    _centre, hisar_operator = second_centre(user)
    hisar = Client()
    hisar.force_login(hisar_operator)

    listing = ambala.get(f"{BASE}filed/").content.decode()
    assert f'data-reference="{application.reference}"' in listing
    other = hisar.get(f"{BASE}filed/")
    assert other.status_code == 200
    assert application.reference not in other.content.decode()
    # Another centre's reference answers as one that does not exist.
    assert hisar.get(f"{BASE}filed/{application.reference}/").status_code == 404
    assert hisar.get(f"{BASE}filed/HR-REV-INC-2026-999999/").status_code == 404
    # Nor does it reach another counter's filing in progress.
    draft = consented_draft(user(OPERATOR), "9812300077")
    for page in ("consent/", "service/", "check/", "step/applicant/"):
        assert hisar.get(f"{BASE}{draft.id}/{page}").status_code == 404, page
    assert hisar.post(f"{BASE}{draft.id}/discard/").status_code == 404
    assert AssistedDraft.objects.filter(pk=draft.pk).exists()

    # A second operator of the same centre sees the centre's filings.
    colleague = get_user_model().objects.create_user("operator2.ambala")
    CentreOperator.objects.create(
        user=colleague, centre=ServiceCentre.objects.get(code="SK-AMB-AMB")
    )
    operator_access_sync(user=colleague)
    same = Client()
    same.force_login(colleague)
    assert same.get(f"{BASE}filed/{application.reference}/").status_code == 200


def test_an_officer_who_is_not_an_operator_is_turned_back(user):
    clerk = signed_in(user, "clerk.ambala")
    # Wagtail turns the refusal (PermissionDenied) into a redirect to the workspace's home
    # with its message.
    for url in (BASE, f"{BASE}filed/"):
        refused = clerk.get(url)
        assert (refused.status_code, refused["Location"]) == (302, "/admin/"), url
    assert "you do not have permission" in clerk.get(BASE, follow=True).content.decode()
    assert clerk.post(BASE, {"mobile": NEW_CITIZEN})["Location"] == "/admin/"
    assert not OtpChallenge.objects.filter(mobile=NEW_CITIZEN).exists()
    assert not AssistedDraft.objects.exists()
    # The menu is the operator's alone.
    assert "Assisted filing" not in clerk.get("/admin/").content.decode()
    assert "Assisted filing" in signed_in(user, OPERATOR).get("/admin/").content.decode()
    # A citizen has no workspace at all; an operator whose link was ended is turned back too.
    assert signed_in(user, "citizen").get(BASE).status_code == 302
    application = file_at_counter(signed_in(user, OPERATOR))
    CentreOperator.objects.filter(user=user(OPERATOR)).update(active=False)
    operator_access_sync(user=user(OPERATOR))
    former = signed_in(user, OPERATOR)
    assert not user(OPERATOR).has_perm("wagtailadmin.access_admin")
    refused = former.get(f"{BASE}filed/{application.reference}/")
    assert refused.status_code == 302 and refused["Location"].startswith("/admin/login/")


def test_a_filing_needs_the_operator_still_at_the_centre_where_it_began(user):
    operator = user(OPERATOR)
    draft = consented_draft(operator, NEW_CITIZEN)
    data = example_with_documents(draft.service, operator)
    data["applicant"]["mobile"] = NEW_CITIZEN
    assisted_draft_save(draft=draft, data=data)
    CentreOperator.objects.filter(user=operator).update(active=False)
    with pytest.raises(ActionNotAllowed):
        assisted_filing_submit(draft=draft, fee_amount=0, fee_receipt_number="")
    assert not Application.objects.filter(applicant_mobile=NEW_CITIZEN).exists()
    assert timezone.now() - draft.consent_verified_at < dt.timedelta(minutes=5)
