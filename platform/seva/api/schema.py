"""The OpenAPI description's own parts: the shapes the presenters in serializers.py answer
with, the refusals an operation can give, the security schemes drf-spectacular cannot find
by itself, and the hook that keeps the description to /api/v1/.

The shapes here are documentation only (the views answer with plain data built by the
presenters); tests/api/test_schemathesis.py holds every answer to them."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers

from seva.applications.models import ApplicationEvent, Channel, Consultation
from seva.dashboards.boards import BYS, KINDS
from seva.definitions.models import ServiceKind
from seva.org.models import JurisdictionLevel
from seva.queues.selectors import Colour
from seva.workflows.clock import DayType
from seva.workflows.engine import ANSWERS_GIVEN, Outcome

from .errors import ErrorBody
from .serializers import keyword_safe

API_PREFIX = "/api/v1/"
# Enumerations that share a field name, named apart (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
SERVICE_KINDS = ServiceKind.values
EVENT_KINDS = ApplicationEvent.Kind.values
# A consultation's answer as it stands (every value), and what an officer may answer.
CONSULTATION_ANSWERS = Consultation.Answer.values
ANSWERS_TO_GIVE = [answer.value for answer in ANSWERS_GIVEN]


def api_v1_only(endpoints: list[tuple]) -> list[tuple]:
    """Preprocessing hook: describe the versioned API only (Wagtail's admin has DRF views of
    its own, which are not ours to document)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(API_PREFIX)]


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    """Partner systems: `Authorization: Api-Key <key>`."""

    target_class = "seva.api.authentication.PartnerKeyAuthentication"
    name = "partnerKey"
    optional = True  # should the class move, the description loses the scheme, not its way

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A partner\'s API key, with the prefix "Api-Key": `Api-Key <key>`.',
        }


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """People: `Authorization: Token <token>`, from POST /api/v1/auth/token/."""

    target_class = "seva.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                'An API token with the prefix "Token": `Token <token>`. It expires (see '
                "`expires_at`), and stops working when the password changes, when it is "
                "revoked and when its holder signs out."
            ),
        }


# ------------------------------------------------------------------------------
# Refusals: every one has the body of seva.api.errors.ErrorBody
# ------------------------------------------------------------------------------
_REFUSALS = {
    400: "Input refused: `errors` names each field with its messages.",
    401: "Credentials missing where they are needed, or not valid.",
    403: "Signed in, but not allowed to do this.",
    404: "No such thing, or not one the caller may see (the two answer alike).",
    409: "Someone changed it first: reload it and decide again.",
    415: "The body is in a media type this operation does not read.",
    429: "Too many requests: wait the seconds the `Retry-After` header gives.",
}


def refusals(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorBody, description=_REFUSALS[code]) for code in codes}


# The refusals of any operation that needs a signed-in caller (429: see DEFAULT_THROTTLE_RATES).
SIGNED_IN = (401, 403, 429)
# ... and of any that reads a body.
BODY = (400, 415)

GATEWAY_TOKEN = OpenApiParameter(
    "X-Gateway-Token",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The token shared with the SMS gateway (setting SEVA_SMS_DLR_TOKEN).",
)
REFERENCE = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    description="The application's reference number.",
    examples=[OpenApiExample("A reference", value="HR-REV-INC-2026-000123")],
)
CONSULTATION_CODE = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    description="The consultation's code, as the workflow names it (e.g. fire_safety).",
)
SERVICE_CODE = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    description="The service's code.",
    pattern=r"^[-a-zA-Z0-9_]+$",  # what the URL's slug converter takes
    examples=[OpenApiExample("Income certificate", value="income-certificate")],
)


# ------------------------------------------------------------------------------
# Building blocks
# ------------------------------------------------------------------------------
def text(**kwargs) -> serializers.DictField:
    """Words in each language: {"en": "...", "hi": "..."}."""
    return serializers.DictField(child=serializers.CharField(), **kwargs)


def choices(values, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=[str(v) for v in values], **kwargs)


class NamedRef(serializers.Serializer):
    code = serializers.CharField()
    name = text()


class OfficeRef(NamedRef):
    level = choices(JurisdictionLevel.values)


# ------------------------------------------------------------------------------
# Services
# ------------------------------------------------------------------------------
class RtsSummary(serializers.Serializer):
    days = serializers.IntegerField(help_text="Days the law allows for the service.")
    day_type = choices(DayType)


class ServiceSummary(serializers.Serializer):
    code = serializers.CharField()
    kind = choices(SERVICE_KINDS)
    department = NamedRef()
    name = text()
    version = serializers.IntegerField(help_text="The definition's version now in force.")
    rts = RtsSummary()


class Rts(RtsSummary):
    act = text()
    designated_officer = serializers.CharField(help_text="A role code.")
    first_appellate_authority = serializers.CharField(help_text="A role code.")
    second_appellate_authority = serializers.CharField(help_text="A role code.")


class EligibilityRule(serializers.Serializer):
    """A rule is either `fact` with `condition`, or `if` (an expression over facts)."""

    id = serializers.CharField()
    fact = serializers.CharField(
        required=False, help_text="The eligibility question the condition tests."
    )
    condition = serializers.JSONField(
        required=False, help_text="JSON Schema the answer must satisfy."
    )
    # "if" is a Python keyword: declared through the class namespace.
    locals()["if"] = serializers.CharField(
        required=False,
        help_text="Instead of fact and condition: an expression over facts.<name> "
        "(docs/definitions/expressions.md), true when the rule holds.",
    )
    text = text()


class Eligibility(serializers.Serializer):
    summary = text()
    rules = EligibilityRule(many=True, required=False)


class RequiredDocument(serializers.Serializer):
    code = serializers.CharField()
    name = text()
    required = serializers.BooleanField()
    field = serializers.CharField(required=False, help_text="The form field it is uploaded to.")


class Fee(serializers.Serializer):
    amount = serializers.IntegerField(
        allow_null=True, help_text="In rupees; null when it depends on the answers."
    )
    depends_on_answers = serializers.BooleanField(
        help_text="Worked out from the form's answers (an expression): see the note."
    )
    note = text(required=False)


class ServiceDetail(ServiceSummary):
    description = text()
    eligibility = Eligibility(allow_null=True)
    documents = RequiredDocument(many=True)
    fee = Fee()
    rts = Rts()
    processing_level = choices(
        [
            JurisdictionLevel.STATE,
            JurisdictionLevel.DIVISION,
            JurisdictionLevel.DISTRICT,
            JurisdictionLevel.SUBDIVISION,
            JurisdictionLevel.TEHSIL,
        ]
    )


class ServiceForm(serializers.Serializer):
    service = serializers.CharField()
    version = serializers.IntegerField()
    schema = serializers.DictField(help_text="The form, as JSON Schema (draft 2020-12).")


# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------
class ApplicationSummary(serializers.Serializer):
    reference = serializers.CharField()
    service = serializers.CharField(help_text="The service's code.")
    state = serializers.CharField(help_text="The workflow state's code.")
    submitted_at = serializers.DateTimeField()
    rts_due_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = choices(Outcome, allow_null=True)


class ApplicationCreated(serializers.Serializer):
    reference = serializers.CharField()
    state = serializers.CharField()
    rts_due_at = serializers.DateTimeField()
    stage_due_at = serializers.DateTimeField(allow_null=True)


class ServiceVersionRef(serializers.Serializer):
    code = serializers.CharField()
    name = text()
    version = serializers.IntegerField()


class StateRef(serializers.Serializer):
    code = serializers.CharField()
    label = text()
    terminal = serializers.BooleanField()


class Holder(serializers.Serializer):
    role = NamedRef()
    office = OfficeRef()
    escalation_level = serializers.IntegerField(help_text="0 until the file is escalated.")


class Applicant(serializers.Serializer):
    name = serializers.CharField()
    mobile = serializers.CharField()


class Clock(serializers.Serializer):
    days_allowed = serializers.IntegerField()
    day_type = choices(DayType)
    days_used = serializers.IntegerField()
    days_left = serializers.IntegerField(help_text="Below 0 once the deadline has passed.")
    paused = serializers.BooleanField(help_text="The file is with the citizen.")
    pauses = serializers.ListField(
        child=serializers.ListField(
            child=serializers.DateField(allow_null=True), min_length=2, max_length=2
        ),
        help_text="[first day, last day or null while paused], local dates.",
    )


class HistoryEvent(serializers.Serializer):
    sequence = serializers.IntegerField()
    at = serializers.DateTimeField()
    kind = choices(EVENT_KINDS)
    actor = serializers.CharField(allow_null=True, help_text="A username; null for the system.")
    role = serializers.CharField(help_text="The role acted in, 'citizen' or 'system'.")
    action = serializers.CharField()
    from_ = serializers.CharField(allow_blank=True, help_text="The state before.")
    to = serializers.CharField(help_text="The state after.")
    remarks = serializers.CharField(allow_blank=True)
    data = serializers.DictField()

    def get_fields(self):
        return keyword_safe(super().get_fields())


class ConsultationItem(serializers.Serializer):
    code = serializers.CharField(help_text="As the workflow names it: consultations.<code>.")
    label = text()
    state = serializers.CharField(help_text="The state that opened it.")
    role = serializers.CharField(help_text="The role that answers.")
    department = serializers.CharField(help_text="The department whose officer answers.")
    opened_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(help_text="Unanswered by then, it is deemed no objection.")
    answer = choices(CONSULTATION_ANSWERS, allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    answered_by = serializers.CharField(allow_null=True, help_text="Null for the system.")
    remarks = serializers.CharField(allow_blank=True)


class ConsultationWaiting(ConsultationItem):
    reference = serializers.CharField()
    service = serializers.CharField()


class IssuedFile(serializers.Serializer):
    language = serializers.CharField()
    url = serializers.CharField(help_text="GET it with the same credentials: the signed PDF.")
    sha256 = serializers.CharField()
    size = serializers.IntegerField()


class IssuedDocumentItem(serializers.Serializer):
    code = serializers.CharField(help_text="The service's name for it (its `issues` code).")
    kind = serializers.CharField()
    name = text()
    number = serializers.CharField(allow_null=True)
    status = choices(["pending", "valid", "expired", "revoked", "superseded"])
    issued_on = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    verify_url = serializers.CharField(allow_null=True)
    supersedes = serializers.CharField(allow_null=True)
    files = IssuedFile(many=True, help_text="One signed PDF per language; none while pending.")


class IssuedDocumentList(serializers.Serializer):
    reference = serializers.CharField()
    documents = IssuedDocumentItem(many=True)


DOCUMENT_ID = OpenApiParameter(
    "public_id", str, OpenApiParameter.PATH, description="The document's verification code."
)
LANGUAGE = OpenApiParameter(
    "language", str, OpenApiParameter.PATH, description="The document's language: en or hi."
)


class ApplicationDetail(serializers.Serializer):
    reference = serializers.CharField()
    service = ServiceVersionRef()
    state = StateRef()
    with_citizen = serializers.BooleanField()
    holder = Holder(allow_null=True)
    channel = choices(Channel.values)
    applicant = Applicant()
    submitted_at = serializers.DateTimeField()
    stage_due_at = serializers.DateTimeField(allow_null=True)
    rts_due_at = serializers.DateTimeField()
    clock = Clock()
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = choices(Outcome, allow_null=True)
    closed_within_rts = serializers.BooleanField(allow_null=True)
    data = serializers.DictField(help_text="The form's answers (identity numbers masked).")
    consultations = ConsultationItem(
        many=True, help_text="Offices consulted on the file (no-objection certificates)."
    )
    history = HistoryEvent(many=True)


class AvailableAction(serializers.Serializer):
    action = serializers.CharField()
    label = text()
    to = serializers.CharField(help_text="The state it leads to.")
    as_role = serializers.CharField()
    remarks = choices(["required", "optional"])
    input_schema = serializers.DictField(
        allow_null=True, help_text="JSON Schema of the `data` the action takes, if any."
    )
    bulk = serializers.BooleanField()


class ActionsAvailable(serializers.Serializer):
    state = serializers.CharField()
    actions = AvailableAction(many=True)


class DocumentUploaded(serializers.Serializer):
    token = serializers.CharField(help_text="Put this in the form's file field.")
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class TokenIssued(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send it as `Authorization: Token <token>`. Shown this once: it is not kept."
    )
    id = serializers.IntegerField(help_text="To revoke it: DELETE /api/v1/auth/tokens/{id}/.")
    device = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(help_text="After this, sign in again.")


class TokenListed(serializers.Serializer):
    id = serializers.IntegerField()
    device = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(
        allow_null=True, help_text="To the minute: written at most once a minute."
    )
    current = serializers.BooleanField(help_text="The token this request was sent with.")


class DeliveryRecorded(serializers.Serializer):
    delivery_status = serializers.CharField()


# ------------------------------------------------------------------------------
# Queue and dashboard
# ------------------------------------------------------------------------------
class QueueItem(serializers.Serializer):
    reference = serializers.CharField()
    service = serializers.CharField()
    state = serializers.CharField()
    holder_role = serializers.CharField(allow_null=True)
    holder_flag = serializers.CharField(allow_null=True)
    office = serializers.CharField()
    applicant_name = serializers.CharField()
    channel = choices(Channel.values)
    submitted_at = serializers.DateTimeField()
    stage_due_at = serializers.DateTimeField(allow_null=True)
    rts_due_at = serializers.DateTimeField()
    colour = choices(Colour)


class MonthlyScore(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM.")
    score = serializers.CharField(allow_null=True, help_text="A decimal, as text.")
    rank = serializers.IntegerField(allow_null=True)


class GrievanceFigures(serializers.Serializer):
    action_taken_reports = serializers.IntegerField()
    atr_within_service_level_pct = serializers.CharField(allow_null=True)
    closed_with_consent_pct = serializers.CharField(allow_null=True)
    reopened_pct = serializers.CharField(allow_null=True)
    average_satisfaction = serializers.CharField(allow_null=True)


class BoardRow(serializers.Serializer):
    """Percentages and scores are decimals written as text ("87.5"); null where nothing was
    there to count."""

    rank = serializers.IntegerField()
    id = serializers.IntegerField()
    code = serializers.CharField(allow_blank=True)
    name = serializers.CharField(allow_blank=True)
    received = serializers.IntegerField()
    completed = serializers.IntegerField()
    completed_within_pct = serializers.CharField(allow_null=True)
    completed_outside_pct = serializers.CharField(allow_null=True)
    underway = serializers.IntegerField()
    underway_within_pct = serializers.CharField(allow_null=True)
    underway_beyond_pct = serializers.CharField(allow_null=True)
    rejection_pct = serializers.CharField(allow_null=True)
    score = serializers.CharField(allow_null=True)
    monthly_scores = MonthlyScore(many=True)
    grievances = GrievanceFigures(required=False, help_text="Only with kind=grievance.")


class RtsBoard(serializers.Serializer):
    by = choices(BYS)
    from_ = serializers.DateField(allow_null=True)
    to = serializers.DateField(allow_null=True)
    kind = choices(KINDS, allow_null=True)
    rows = BoardRow(many=True)

    def get_fields(self):
        return keyword_safe(super().get_fields())


# ------------------------------------------------------------------------------
# Partner systems (seva.api.partner_views), described from here: drf-spectacular's view
# extensions annotate a view without touching it. Each is optional, so that a view renamed
# there leaves the description without it rather than breaking it; the schemathesis test
# holds the answers to these shapes.
# ------------------------------------------------------------------------------
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description=(
        "Any unique string (at most 100 characters). Sent again with the same request, the "
        "first answer comes back (header `Idempotent-Replayed: true`) and nothing more is "
        "created; with a different request, 409."
    ),
)


class PartnerApplicationInput(serializers.Serializer):
    service = serializers.CharField(help_text="A service the key may file.")
    partner_reference = serializers.CharField(
        help_text="Your own id for the application: sent again, it finds the first one."
    )
    data = serializers.DictField(help_text="The form's answers, as the service's form asks.")
    language = serializers.ChoiceField(choices=["en", "hi"], required=False)


class PartnerApplication(serializers.Serializer):
    reference = serializers.CharField()
    partner_reference = serializers.CharField()
    service = serializers.CharField()
    state = serializers.CharField()
    outcome = serializers.CharField(allow_blank=True, help_text="Empty while it is open.")
    channel = choices(Channel.values)
    submitted_at = serializers.DateTimeField()
    rts_due_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class PartnerChangesInput(serializers.Serializer):
    after = serializers.IntegerField(
        required=False, min_value=0, help_text="The last `cursor` you saw (0: from the start)."
    )
    limit = serializers.IntegerField(required=False, min_value=1, help_text="At most 500.")


class StatusChange(serializers.Serializer):
    cursor = serializers.IntegerField()
    reference = serializers.CharField()
    partner_reference = serializers.CharField()
    at = serializers.DateTimeField()
    action = serializers.CharField()
    from_state = serializers.CharField(allow_blank=True)
    to_state = serializers.CharField()
    outcome = serializers.CharField(allow_blank=True, help_text="Set when the change closed it.")


class StatusChanges(serializers.Serializer):
    results = StatusChange(many=True)
    next_after = serializers.IntegerField(help_text="Send it as `after` next time.")


PARTNER_REFUSALS = (401, 403, 429)


def _described(view: type, **methods) -> type:
    """A subclass of `view` carrying the description, leaving `view` itself alone."""
    return extend_schema_view(**methods)(type(view.__name__, (view,), {}))


class PartnerApplicationsDoc(OpenApiViewExtension):
    target_class = "seva.api.partner_views.PartnerApplicationsApi"
    optional = True

    def view_replacement(self) -> type:
        return _described(
            self.target_class,
            post=extend_schema(
                operation_id="partner_applications_create",
                tags=["partners"],
                summary="File an application for a citizen",
                description=(
                    "201 when it is filed now; 200 with the application filed before under "
                    "the same `partner_reference`."
                ),
                parameters=[IDEMPOTENCY_KEY],
                request=PartnerApplicationInput,
                responses={
                    201: PartnerApplication,
                    200: PartnerApplication,
                    **refusals(*BODY, 409, *PARTNER_REFUSALS),
                },
            ),
        )


class PartnerApplicationDetailDoc(OpenApiViewExtension):
    target_class = "seva.api.partner_views.PartnerApplicationDetailApi"
    optional = True

    def view_replacement(self) -> type:
        return _described(
            self.target_class,
            get=extend_schema(
                operation_id="partner_applications_retrieve",
                tags=["partners"],
                summary="The status of an application the partner filed",
                parameters=[REFERENCE],
                responses={200: PartnerApplication, **refusals(404, *PARTNER_REFUSALS)},
            ),
        )


class PartnerChangesDoc(OpenApiViewExtension):
    target_class = "seva.api.partner_views.PartnerChangesApi"
    optional = True

    def view_replacement(self) -> type:
        return _described(
            self.target_class,
            get=extend_schema(
                operation_id="partner_changes_list",
                tags=["partners"],
                summary="What happened to the partner's applications, oldest first",
                parameters=[PartnerChangesInput],
                responses={200: StatusChanges, **refusals(400, *PARTNER_REFUSALS)},
            ),
        )
