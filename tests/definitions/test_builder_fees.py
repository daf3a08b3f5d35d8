"""The builder's fees editor over HTTP: each fee paid through Seva is a row (code, names, the
state it falls due in, its amount in rupees or as an expression, its budget head, a note and
its refund rules) turned into the service file's `fees` and back; a problem the checks find
stands beside its input; a fee is added and removed like a document; the details editor no
longer writes a fee paid outside Seva into a service whose fees are paid through it."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.urls import reverse

from seva.definitions.models import Service
from seva.definitions.services import draft_start_from_service
from seva.org.models import Department, Jurisdiction, Posting, Role

from .test_editors import _blank, _errors_beside, _form_data, _row_index

ANY_DEPARTMENTS_HEAD = "0070-60-800-01"  # _org/budget_heads.yaml: no department
PUBLIC_HEALTHS_HEAD = "0215-01-102-01"


@pytest.fixture
def draft(user):
    """Marriage registration: its fee due with the application, in the first state."""
    service = Service.objects.get(code="marriage-registration")
    return draft_start_from_service(user=user("admin.revenue"), service=service)


@pytest.fixture
def signed_in(client, user):
    client.force_login(user("admin.revenue"))
    return client


def _editor(draft) -> str:
    return reverse("definitions:draft-fees", args=[draft.pk])


def _details(draft) -> str:
    return reverse("definitions:draft-details", args=[draft.pk])


def _head_of_table(response) -> str:
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return " | ".join(
        e.get_text(" ", strip=True) for e in soup.select("form .s-problems .errorlist li")
    )


def _saved_unchanged(client, url: str) -> None:
    page = client.get(url).content.decode()
    response = client.post(url, _form_data(page))
    assert response.status_code == 302, response.content.decode()[:3000]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "username"),
    [("marriage-registration", "admin.revenue"), ("water-connection", "admin")],
)
def test_a_service_with_fees_opens_in_the_editor_with_them_and_saves_unchanged(
    client, user, code, username
):
    draft = draft_start_from_service(user=user(username), service=Service.objects.get(code=code))
    before = copy.deepcopy(draft.service_doc)
    client.force_login(user(username))
    response = client.get(_editor(draft))
    assert response.status_code == 200
    page = response.content.decode()
    soup = BeautifulSoup(page, "html.parser")
    rows = [f["data-fee"] for f in soup.select("form fieldset.s-row")]
    assert rows == [*(fee["code"] for fee in before["fees"]), ""]  # and one to add a fee
    data = _form_data(page)
    fee = before["fees"][0]
    assert data["fees-0-due"] == fee["due"]
    assert data["fees-0-amount"] == str(fee["amount"])
    assert data["fees-0-head"] == fee["head"]
    assert data["fees-0-name_hi"] == fee["name"]["hi"]
    assert data["fees-0-refund_rejected"] == fee["refund"].get("rejected", "")
    assert data["fees-0-refund_withdrawn_within_days"] == str(
        fee["refund"].get("withdrawn_within_days", "")
    )
    assert soup.select_one("nav a[aria-current=page]").get_text() == "Fees"

    revisions = draft.revisions.count()
    _saved_unchanged(client, _editor(draft))
    draft.refresh_from_db()
    assert draft.service_doc == before
    assert draft.revisions.count() == revisions + 1
    assert draft.revisions.first().part == "fees"


@pytest.mark.django_db
def test_the_choices_are_the_states_a_file_can_wait_in_and_the_heads_the_department_may_use(
    signed_in, draft
):
    soup = BeautifulSoup(signed_in.get(_editor(draft)).content.decode(), "html.parser")
    states = {o["value"]: o.get_text() for o in soup.select("#id_fees-0-due option")}
    assert states["payment"] == "Waiting for the registration fee (payment)"
    assert "scrutiny" in states and "returned" in states
    assert not {"registered", "rejected", "withdrawn", "lapsed"} & set(states)  # closing states
    heads = {
        group["label"]: [o["value"] for o in group.select("option")]
        for group in soup.select("#id_fees-0-head optgroup")
    }
    assert heads["This department's heads"] == ["0030-03-104-01", "0029-00-800-01"]
    assert heads["Heads any department may use"] == [ANY_DEPARTMENTS_HEAD]
    assert PUBLIC_HEALTHS_HEAD not in str(heads)
    names = soup.select_one("details.s-names").get_text(" ")
    assert "data.registration_fee" in names and "application.district" in names


@pytest.mark.django_db
def test_a_fee_added_with_an_expression_and_a_head_is_saved_in_the_service_file(signed_in, draft):
    page = signed_in.get(_editor(draft)).content.decode()
    data = _form_data(page)
    row = _blank(data, "fees", "code")
    data.update(
        {
            f"fees-{row}-code": "late_fee",
            f"fees-{row}-name_en": "Late registration fee",
            f"fees-{row}-name_hi": "विलंब पंजीकरण शुल्क",
            f"fees-{row}-due": "payment",
            f"fees-{row}-amount": "data.days_since_marriage > 365 ? 10 * (data.days_since_marriage - 365) : 0",
            f"fees-{row}-head": ANY_DEPARTMENTS_HEAD,
            f"fees-{row}-note_en": "Rs 10 a day beyond a year from the marriage.",
            f"fees-{row}-note_hi": "विवाह से एक वर्ष के बाद प्रति दिन 10 रुपये।",
            f"fees-{row}-refund_rejected": "always",
            f"fees-{row}-refund_withdrawn_within_days": "10",
        }
    )
    response = signed_in.post(_editor(draft), data)
    assert response.status_code == 302, _head_of_table(response)
    draft.refresh_from_db()
    assert [fee["code"] for fee in draft.service_doc["fees"]] == ["registration_fee", "late_fee"]
    assert draft.service_doc["fees"][1] == {
        "code": "late_fee",
        "name": {"en": "Late registration fee", "hi": "विलंब पंजीकरण शुल्क"},
        "due": "payment",
        "amount": "data.days_since_marriage > 365 ? 10 * (data.days_since_marriage - 365) : 0",
        "head": ANY_DEPARTMENTS_HEAD,
        "note": {
            "en": "Rs 10 a day beyond a year from the marriage.",
            "hi": "विवाह से एक वर्ष के बाद प्रति दिन 10 रुपये।",
        },
        "refund": {"rejected": "always", "withdrawn_within_days": 10},
    }
    assert "fee" not in draft.service_doc


@pytest.mark.django_db
def test_a_fixed_amount_is_rupees_with_at_most_two_decimals_and_no_commas(signed_in, draft):
    page = signed_in.get(_editor(draft)).content.decode()
    data = _form_data(page)
    for typed, refused in [("1,250", "without commas"), ("12.345", "at most two decimals")]:
        data["fees-0-amount"] = typed
        response = signed_in.post(_editor(draft), data)
        assert response.status_code == 400
        assert refused in _errors_beside(response.content.decode(), "id_fees-0-amount")
    data["fees-0-amount"] = "1250.50"
    assert signed_in.post(_editor(draft), data).status_code == 302
    draft.refresh_from_db()
    assert draft.service_doc["fees"][0]["amount"] == 1250.5
    data["fees-0-amount"] = "300"
    assert signed_in.post(_editor(draft), data).status_code == 302
    draft.refresh_from_db()
    assert draft.service_doc["fees"][0]["amount"] == 300


@pytest.mark.django_db
def test_an_amount_naming_a_field_the_form_lacks_is_refused_beside_the_amount(signed_in, draft):
    revisions = draft.revisions.count()
    page = signed_in.get(_editor(draft)).content.decode()
    data = _form_data(page)
    data["fees-0-amount"] = "data.area_sq_m <= 100 ? 500 : 1000"
    response = signed_in.post(_editor(draft), data)
    assert response.status_code == 400
    page = response.content.decode()
    beside = _errors_beside(page, "id_fees-0-amount")
    assert "does not compile" in beside and "area_sq_m" in beside
    assert _errors_beside(page, "id_fees-0-due") == ""
    assert "Not saved" in page
    draft.refresh_from_db()
    assert draft.revisions.count() == revisions
    assert draft.service_doc["fees"][0]["amount"] == "data.registration_fee"


@pytest.mark.django_db
def test_a_state_the_file_cannot_wait_in_is_refused_beside_the_state(signed_in, draft):
    page = signed_in.get(_editor(draft)).content.decode()
    data = _form_data(page)
    data["fees-0-due"] = "scrutiny"  # an officer's state no automatic action leaves on payment
    response = signed_in.post(_editor(draft), data)
    assert response.status_code == 400
    beside = _errors_beside(response.content.decode(), "id_fees-0-due")
    assert "no automatic action leaves 'scrutiny'" in beside and "fees.unpaid" in beside

    data["fees-0-due"] = "registered"  # a closing state is not offered
    response = signed_in.post(_editor(draft), data)
    assert response.status_code == 400
    assert "Select a valid choice" in _errors_beside(response.content.decode(), "id_fees-0-due")


@pytest.mark.django_db
def test_an_unknown_state_or_another_departments_head_in_the_file_is_shown_beside_its_input(
    signed_in, draft
):
    """As written in the raw YAML: shown as it is, with the checks' message beside it."""
    draft.service_doc["fees"][0]["due"] = "awaiting_payment"
    draft.service_doc["fees"][0]["head"] = PUBLIC_HEALTHS_HEAD
    draft.save()
    response = signed_in.get(_editor(draft))
    page = response.content.decode()
    data = _form_data(page)
    assert data["fees-0-due"] == "awaiting_payment"
    assert data["fees-0-head"] == PUBLIC_HEALTHS_HEAD
    due = _errors_beside(page, "id_fees-0-due")
    assert "'awaiting_payment' is not a state of workflow" in due and "payment" in due
    head = _errors_beside(page, "id_fees-0-head")
    assert "takes the fees of department 'public_health' only" in head
    assert "This part has problems" in page

    # The overview sends each problem to the fees editor; the details editor leaves them.
    overview = BeautifulSoup(
        signed_in.get(reverse("definitions:draft", args=[draft.pk])).content.decode(),
        "html.parser",
    )
    links = [
        (li.select_one("a").get_text(), li.select_one("a")["href"])
        for li in overview.select("li[data-part=service]")
        if "/fees/0/" in li.get_text()
    ]
    assert links == [("Fees", _editor(draft))] * 2
    details = signed_in.get(_details(draft)).content.decode()
    assert "awaiting_payment" not in " ".join(
        e.get_text() for e in BeautifulSoup(details, "html.parser").select(".error-message")
    )


@pytest.mark.django_db
def test_removing_a_fee_a_document_prints_is_refused_with_the_reason_at_the_head_of_the_table(
    signed_in, draft
):
    page = signed_in.get(_editor(draft)).content.decode()
    data = _form_data(page)
    data["fees-0-DELETE"] = "on"
    response = signed_in.post(_editor(draft), data)
    assert response.status_code == 400
    head = _head_of_table(response)
    assert "Elsewhere in the service file, /issues/" in head
    assert "reads fee 'registration_fee', which this service does not declare" in head
    draft.refresh_from_db()
    assert [fee["code"] for fee in draft.service_doc["fees"]] == ["registration_fee"]


@pytest.mark.django_db
def test_a_fee_added_then_removed_leaves_the_service_file(signed_in, draft):
    before = copy.deepcopy(draft.service_doc["fees"])
    page = signed_in.get(_editor(draft)).content.decode()
    data = _form_data(page)
    row = _blank(data, "fees", "code")
    data.update(
        {
            f"fees-{row}-code": "certified_copy",
            f"fees-{row}-name_en": "Certified copy",
            f"fees-{row}-name_hi": "प्रमाणित प्रति",
            f"fees-{row}-due": "payment",
            f"fees-{row}-amount": "50",
            f"fees-{row}-head": ANY_DEPARTMENTS_HEAD,
        }
    )
    assert signed_in.post(_editor(draft), data).status_code == 302
    draft.refresh_from_db()
    assert draft.service_doc["fees"][1]["amount"] == 50
    assert "note" not in draft.service_doc["fees"][1]
    assert "refund" not in draft.service_doc["fees"][1]

    page = signed_in.get(_editor(draft)).content.decode()
    data = _form_data(page)
    data[f"fees-{_row_index(page, 'fees', 'code', 'certified_copy')}-DELETE"] = "on"
    assert signed_in.post(_editor(draft), data).status_code == 302
    draft.refresh_from_db()
    assert draft.service_doc["fees"] == before


@pytest.mark.django_db
def test_the_details_editor_points_to_the_fees_and_writes_no_fee_beside_them(signed_in, draft):
    response = signed_in.get(_details(draft))
    page = response.content.decode()
    soup = BeautifulSoup(page, "html.parser")
    assert soup.select_one("#id_fee_amount") is None
    line = soup.select_one("[data-fees-through-seva]")
    assert "Marriage registration fee" in line.get_text()
    assert line.select_one("a")["href"] == _editor(draft)

    _saved_unchanged(signed_in, _details(draft))
    draft.refresh_from_db()
    assert "fee" not in draft.service_doc
    assert draft.service_doc["fees"][0]["code"] == "registration_fee"


@pytest.mark.django_db
def test_a_service_without_fees_keeps_its_fee_paid_outside_seva_on_the_details(signed_in, user):
    service = Service.objects.get(code="income-certificate")
    draft = draft_start_from_service(user=user("admin.revenue"), service=service)
    page = signed_in.get(_details(draft)).content.decode()
    soup = BeautifulSoup(page, "html.parser")
    assert soup.select_one("[data-fees-through-seva]") is None
    wrapper = soup.select_one('label[for="id_fee_amount"]').find_parent(class_="w-field__wrapper")
    assert "set in the Fees editor" in wrapper.get_text(" ")
    data = _form_data(page)
    data["fee_amount"] = "30"
    assert signed_in.post(_details(draft), data).status_code == 302
    draft.refresh_from_db()
    assert draft.service_doc["fee"]["amount"] == 30
    assert "fees" not in draft.service_doc

    fees = BeautifulSoup(signed_in.get(_editor(draft)).content.decode(), "html.parser")
    assert "30" in fees.select_one("[data-outside-fee]").get_text()
    assert [f["data-fee"] for f in fees.select("form fieldset.s-row")] == [""]


@pytest.mark.django_db
def test_saving_the_fees_takes_out_a_fee_paid_outside_seva_left_beside_them(signed_in, draft):
    draft.service_doc["fee"] = {"amount": 100}  # as a raw YAML edit might leave it
    draft.save()
    details = signed_in.get(_details(draft)).content.decode()
    assert "either fee" in details  # the checks' message, with the raw text
    _saved_unchanged(signed_in, _editor(draft))
    draft.refresh_from_db()
    assert "fee" not in draft.service_doc
    assert draft.service_doc["fees"][0]["code"] == "registration_fee"


@pytest.mark.django_db
def test_another_departments_admin_cannot_reach_the_fees(client, user, draft):
    health_admin = get_user_model().objects.create_user("admin.health", password="x")
    health_admin.groups.set(user("admin.revenue").groups.all())
    Posting.objects.create(
        user=health_admin,
        role=Role.objects.get(code="service_admin"),
        department=Department.objects.get(code="health"),
        jurisdiction=Jurisdiction.objects.get(code="HR"),
        starts_on=dt.date(2020, 1, 1),
    )
    client.force_login(health_admin)
    assert client.get(_editor(draft)).status_code == 404
    assert client.post(_editor(draft), {}).status_code == 404
    # The CMO and the approver see every draft of theirs but change none: Wagtail turns the
    # refusal into a redirect.
    for username in ("cmo", "approver.revenue"):
        client.force_login(user(username))
        assert client.get(_editor(draft)).status_code == 302
