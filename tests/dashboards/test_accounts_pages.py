"""The accounts officer's pages in the staff workspace: each officer sees the exceptions,
held payments and refunds of their department and district (the state's treasury cell all of
them, and the settlement files); another district's or department's officer sees none of
them and gets 404 for each; officers of other roles are turned away; and each action works
through its page, with its remarks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from seva.applications.models import FeeDue
from seva.applications.selectors import applications_visible_to
from seva.payments.gateways import SettlementLine
from seva.payments.models import Payment, ReconciliationItem, Refund, Settlement
from seva.payments.reconciliation import settlement_digest, settlement_import
from seva.payments.services import challan_create, payment_record_at_counter, refund_request
from tests.payments.test_reconciliation import fee_of, file_marriage, paid_online

pytestmark = pytest.mark.django_db

Kind = ReconciliationItem.Kind
STRANGER = "SV202612081111111111"  # a line of a settlement file Seva has no payment for

PAGES = [
    "/admin/accounts/",
    "/admin/accounts/?show=resolved",
    "/admin/accounts/held/",
    "/admin/accounts/refunds/",
]
STATE_PAGES = ["/admin/accounts/settlements/", "/admin/accounts/settlements/upload/"]


@dataclass
class Books:
    """An Ambala revenue file's money: a payment held for review (the gateway took Rs 5
    more), a cash payment whose refund the office owes, and a settlement file with an
    exception about the held one and a line Seva does not know."""

    held: Payment
    refund: Refund
    differs: ReconciliationItem
    stranger: ReconciliationItem


@pytest.fixture
def books(user, client, payment_gateway) -> Books:
    citizen = user("citizen")
    application = file_marriage(citizen)
    fee = fee_of(application)
    held = paid_online(
        application, citizen, client, payment_gateway, amount_paise=fee.amount_paise + 500
    )
    assert held.status == Payment.Status.HELD
    cash = payment_record_at_counter(
        fee=fee_of(file_marriage(citizen)),
        method=Payment.Method.CASH,
        receipt="R-0001",
        operator=user("operator.ambala"),
        centre_code="SK-AMB-AMB",
    )
    refund = refund_request(
        payment=cash, amount_paise=cash.amount_paise, rule="review", reason="Paid twice."
    )
    assert refund.status == Refund.Status.MANUAL
    today = timezone.localdate()
    lines = [
        SettlementLine(held.order_id, held.txn_id, held.amount_paise, "success", today),
        SettlementLine(STRANGER, "FGT999", 9900, "success", today),
    ]
    settlement = settlement_import(
        gateway_name="online",
        day=today,
        lines=lines,
        source=Settlement.Source.FETCHED,
        sha256=settlement_digest(lines),
    )
    return Books(
        held=held,
        refund=refund,
        differs=settlement.items.get(kind=Kind.AMOUNT_DIFFERS),
        stranger=settlement.items.get(kind=Kind.MISSING_IN_SEVA),
    )


def browser(user, username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def text(response) -> str:
    return response.content.decode()


def turned_away(response) -> bool:
    """The workspace's refusal (Wagtail turns a PermissionDenied into this): back to its
    home page, with "you do not have permission"."""
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_the_books_are_in_ambala_revenue(books):
    assert books.held.department.code == "revenue"
    assert books.held.district.code == "HR-AMB"


# ------------------------------------------------------------------------------
# Scope
# ------------------------------------------------------------------------------
def test_the_districts_officer_sees_its_rows_and_the_treasury_sees_all(books, user):
    for username, sees_stranger in [("accounts.revenue.ambala", False), ("treasury", True)]:
        client = browser(user, username)
        exceptions = text(client.get("/admin/accounts/"))
        assert f'data-exception="{books.differs.pk}"' in exceptions
        assert (f'data-exception="{books.stranger.pk}"' in exceptions) == sees_stranger
        assert f'data-held="{books.held.order_id}"' in text(client.get("/admin/accounts/held/"))
        refunds = text(client.get("/admin/accounts/refunds/"))
        assert f'data-refund="{books.refund.refund_id}"' in refunds


@pytest.mark.parametrize(
    "username", ["accounts.revenue.hisar", "accounts.phed.ambala"], ids=["district", "department"]
)
def test_another_district_or_department_sees_nothing_and_gets_404(books, user, username):
    client = browser(user, username)
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
        for marker in [
            books.held.order_id,
            books.refund.refund_id,
            books.held.application.reference,
            STRANGER,
        ]:
            assert marker not in text(response), (page, marker)
    writes = [
        (f"/admin/accounts/exceptions/{books.differs.pk}/resolve/", {"remarks": "Seen."}),
        (f"/admin/accounts/exceptions/{books.stranger.pk}/resolve/", {"remarks": "Seen."}),
        (
            f"/admin/accounts/held/{books.held.order_id}/resolve/",
            {"decision": "refund", "remarks": "Refund it."},
        ),
        (f"/admin/accounts/refunds/{books.refund.refund_id}/paid/", {"remarks": "Cheque 12."}),
    ]
    for url, post in writes:
        assert client.post(url, post).status_code == 404, url
    # As for rows that do not exist.
    assert (
        client.post("/admin/accounts/exceptions/999999/resolve/", {"remarks": "x"}).status_code
        == 404
    )
    assert not ReconciliationItem.objects.filter(resolved_at__isnull=False).exists()
    assert Payment.objects.get(pk=books.held.pk).status == Payment.Status.HELD
    assert Refund.objects.get(pk=books.refund.pk).status == Refund.Status.MANUAL
    # The settlement files are the state's treasury cell's.
    for page in STATE_PAGES:
        assert turned_away(client.get(page)), page


@pytest.mark.parametrize("username", ["tehsildar.ambala", "dc.ambala", "fcr", "cmo", "admin"])
def test_officers_of_other_roles_are_turned_away(books, user, username):
    client = browser(user, username)
    for page in PAGES + STATE_PAGES:
        assert turned_away(client.get(page)), page
    response = client.post(
        f"/admin/accounts/held/{books.held.order_id}/resolve/",
        {"decision": "refund", "remarks": "Refund it."},
    )
    assert turned_away(response)
    assert Payment.objects.get(pk=books.held.pk).status == Payment.Status.HELD
    # The menu is not offered to them.
    assert "/admin/accounts/" not in text(client.get("/admin/"))


def test_citizens_and_visitors_are_sent_to_the_staff_sign_in(books, user):
    for client in (browser(user, "citizen"), Client()):
        for page in PAGES + STATE_PAGES:
            response = client.get(page)
            assert response.status_code == 302, page
            assert response["Location"].startswith("/admin/login/")


def test_the_accounts_menu_is_offered_to_accounts_officers(user):
    district = text(browser(user, "accounts.revenue.ambala").get("/admin/"))
    assert reverse("accounts_office:exceptions") in district
    assert reverse("accounts_office:settlements") not in district
    assert reverse("accounts_office:settlements") in text(browser(user, "treasury").get("/admin/"))


def test_the_treasury_cell_reads_no_application(books, user):
    """A posting with no department over the state is the CMO's, unless it keeps accounts."""
    assert not applications_visible_to(user("treasury")).filter(pk=books.held.application_id)


# ------------------------------------------------------------------------------
# Each action through its page
# ------------------------------------------------------------------------------
def test_an_exception_is_resolved_through_the_page_with_remarks(books, user):
    client = browser(user, "accounts.revenue.ambala")
    url = f"/admin/accounts/exceptions/{books.differs.pk}/resolve/"

    refused = client.post(url, {"remarks": " "})
    assert refused.status_code == 400
    assert f'id="remarks-{books.differs.pk}-error"' in text(refused)
    assert ReconciliationItem.objects.get(pk=books.differs.pk).resolved_at is None

    done = client.post(url, {"remarks": "The gateway charged a convenience fee; refunded."})
    assert done.status_code == 302 and done["Location"] == "/admin/accounts/"
    item = ReconciliationItem.objects.get(pk=books.differs.pk)
    assert item.resolved_by.get_username() == "accounts.revenue.ambala"
    assert item.remarks == "The gateway charged a convenience fee; refunded."
    listed = text(client.get("/admin/accounts/"))
    assert f'data-exception="{item.pk}"' not in listed
    assert item.remarks in text(client.get("/admin/accounts/?show=resolved"))


def test_a_held_payment_is_accepted_through_the_page(
    books, user, django_capture_on_commit_callbacks
):
    client = browser(user, "accounts.revenue.ambala")
    url = f"/admin/accounts/held/{books.held.order_id}/resolve/"

    refused = client.post(url, {"decision": "accept", "remarks": ""})
    assert refused.status_code == 400
    assert "Give your reasons." in text(refused)

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"decision": "accept", "remarks": "A convenience fee; refund it."})
    assert done.status_code == 302
    payment = Payment.objects.get(pk=books.held.pk)
    assert payment.status == Payment.Status.SUCCESS
    assert payment.fee.status == FeeDue.Status.PAID
    excess = payment.refunds.get()
    assert (excess.amount_paise, excess.rule) == (500, Refund.Rule.REVIEW)
    assert f'data-held="{payment.order_id}"' not in text(client.get("/admin/accounts/held/"))


def test_a_refund_is_marked_paid_through_the_page(books, user):
    client = browser(user, "treasury")
    url = f"/admin/accounts/refunds/{books.refund.refund_id}/paid/"

    assert client.post(url, {"remarks": ""}).status_code == 400
    done = client.post(url, {"remarks": "Paid in cash at the tehsil on 8-12-2026."})
    assert done.status_code == 302
    refund = Refund.objects.get(pk=books.refund.pk)
    assert refund.status == Refund.Status.PROCESSED
    assert refund.gateway_reason == "Paid in cash at the tehsil on 8-12-2026."
    assert f'data-refund="{refund.refund_id}"' not in text(client.get("/admin/accounts/refunds/"))


def test_the_treasury_uploads_a_banks_file_through_the_page(user, payment_gateway):
    citizen = user("citizen")
    challan = challan_create(fee=fee_of(file_marriage(citizen)), user=citizen)
    today = timezone.localdate()
    client = browser(user, "treasury")
    header = "challan_number,amount_paise,paid_on,bank_ref\n"
    good = f"{challan.order_id},{challan.amount_paise},{today},FBK0000000001\n"

    def upload(content: str):
        return client.post(
            "/admin/accounts/settlements/upload/",
            {
                "gateway": "challan",
                "day": today.isoformat(),
                "file": SimpleUploadedFile("bank.csv", content.encode(), "text/csv"),
            },
        )

    assert client.get("/admin/accounts/settlements/upload/").status_code == 200
    refused = upload(header + good + f"CHL1,12.50,{today},FBK2\n")
    assert refused.status_code == 400
    assert "Line 3, column amount_paise" in text(refused)
    assert not Settlement.objects.exists()
    assert Payment.objects.get(pk=challan.pk).status == Payment.Status.PENDING

    done = upload(header + good + f"CHL1,1250,{today},FBK2\n")
    assert done.status_code == 302 and done["Location"] == "/admin/accounts/settlements/"
    assert Payment.objects.get(pk=challan.pk).status == Payment.Status.SUCCESS
    listing = text(client.get(done["Location"]))
    settlement = Settlement.objects.get()
    assert f'data-settlement="{settlement.pk}"' in listing
    assert '<td data-count="lines">2</td>' in listing
    assert '<td data-count="matched">1</td>' in listing
    assert '<td data-count="missing_in_seva">1</td>' in listing

    again = upload(header + good + f"CHL1,1250,{today},FBK2\n")
    assert again.status_code == 302
    assert Settlement.objects.count() == 1
    assert "imported already" in text(client.get(again["Location"]))
