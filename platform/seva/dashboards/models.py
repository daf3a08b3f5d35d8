"""RTS rollups: what the dashboards read instead of the applications table.

Two tables, kept current in the transaction of every submission and transition
(seva.dashboards.services.rollups_record):

- `RtsDaily`: what happened each day, per service, office and applicant's tehsil: files
  received, disposed of (within RTS or not), rejected, withdrawn. Flows only grow.
- `RtsOpen`: the files open now, per service, office and tehsil, by RTS due date and
  whether the clock is stopped (the file is with the citizen). "Underway beyond RTS" on a
  day is the open files due before it, with the clock running: it changes with the date
  alone, so it is kept as a stock by due date rather than as a count.

For the state, district and department boards, which must answer in milliseconds at tens of
millions of files, the same counts are also kept per district, department and kind alone
(`RtsAreaDaily`, `RtsAreaMonthly`, `RtsAreaOpen`, and `RtsAreaTotal` for all time): a few
thousand rows instead of millions. The board reads all time from the totals, whole months
of a date range from the monthly table and the days at either end from the daily one; files
underway from the totals, and those beyond RTS from the open rows due before today, which a
nightly job folds into one row per area (`PAST_DUE`) so that they stay few
(seva.dashboards.boards, services.rollups_fold_past_due).

The boards by service, tehsil and office read two more families of coarse tables, so that
they too answer in milliseconds whatever the volume: per service and applicant's district
(`RtsServiceTotal`, `RtsServiceMonthly`, `RtsServiceOpen`), and per processing office and
applicant's tehsil within a department and kind (`RtsPlaceTotal`, `RtsPlaceMonthly`,
`RtsPlaceOpen`). The weekly trend reads `RtsStateDaily` (per day, department and kind).
The days at either end of a date range come from `RtsDaily` for these boards.

Every table is bumped by one statement per change (services.rollups_write).

Dimensions are plain integer columns, not foreign keys: a rollup row is a number, and the
board joins names from the organisation tables. `tehsil_id` is 0 for a place above any
tehsil, so that the unique key (and the upsert that bumps it) has no NULL in it.
"""

import datetime as dt

from django.db import models


class RollupDimensions(models.Model):
    """Where the counted files belong: part of each table's key, and (department, kind,
    district) functions of it, kept for grouping without joins."""

    service_id = models.IntegerField()
    office_id = models.IntegerField()
    tehsil_id = models.IntegerField()
    department_id = models.IntegerField()
    kind = models.CharField(max_length=12)
    district_id = models.IntegerField()

    class Meta:
        abstract = True


class AreaDimensions(models.Model):
    """The coarse tables' dimensions: enough for the district and department boards."""

    district_id = models.IntegerField()
    department_id = models.IntegerField()
    kind = models.CharField(max_length=12)

    class Meta:
        abstract = True


class Flows(models.Model):
    """What happened to files in a period: received, and disposed of (within RTS or not,
    rejected), or withdrawn."""

    received = models.IntegerField(db_default=0)
    disposed = models.IntegerField(db_default=0)
    disposed_within_rts = models.IntegerField(db_default=0)
    rejected = models.IntegerField(db_default=0)
    withdrawn = models.IntegerField(db_default=0)
    # Grievances: action taken reports filed (and of those, before the stage deadline),
    # closures the citizen consented to, reopenings by the citizen.
    atr = models.IntegerField(db_default=0)
    atr_within = models.IntegerField(db_default=0)
    consented = models.IntegerField(db_default=0)
    reopened = models.IntegerField(db_default=0)
    # Ratings (1 to 5) given by applicants after closure, and their sum.
    rated = models.IntegerField(db_default=0)
    rating_sum = models.IntegerField(db_default=0)

    class Meta:
        abstract = True


class RtsDaily(RollupDimensions, Flows):
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "service_id", "office_id", "tehsil_id"], name="rts_daily_key"
            )
        ]
        indexes = [
            models.Index(fields=["day", "district_id"], name="rts_daily_district_idx"),
            models.Index(fields=["day", "department_id"], name="rts_daily_department_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} service {self.service_id} office {self.office_id}"


class RtsOpen(RollupDimensions):
    rts_due_on = models.DateField()
    paused = models.BooleanField()
    open_count = models.IntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service_id", "office_id", "tehsil_id", "rts_due_on", "paused"],
                name="rts_open_key",
            )
        ]
        indexes = [models.Index(fields=["district_id", "rts_due_on"], name="rts_open_district_idx")]

    def __str__(self) -> str:
        return f"{self.open_count} open, service {self.service_id}, due {self.rts_due_on}"


class RtsAreaDaily(AreaDimensions, Flows):
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "district_id", "department_id", "kind"], name="rts_area_daily_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} district {self.district_id} department {self.department_id}"


class RtsAreaMonthly(AreaDimensions, Flows):
    month = models.DateField(help_text="The first of the month.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "district_id", "department_id", "kind"],
                name="rts_area_monthly_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} district {self.district_id} department {self.department_id}"


class RtsAreaTotal(AreaDimensions, Flows):
    """All time: the flows since the first file, and the files open now."""

    open_count = models.IntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district_id", "department_id", "kind"], name="rts_area_total_key"
            )
        ]

    def __str__(self) -> str:
        return f"district {self.district_id} department {self.department_id} {self.kind}"


# The due date of the row into which open files due before the last fold are gathered.
PAST_DUE = dt.date(1, 1, 1)


class RtsAreaOpen(AreaDimensions):
    rts_due_on = models.DateField()
    paused = models.BooleanField()
    open_count = models.IntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district_id", "department_id", "kind", "rts_due_on", "paused"],
                name="rts_area_open_key",
            )
        ]
        indexes = [models.Index(fields=["rts_due_on"], name="rts_area_open_due_idx")]

    def __str__(self) -> str:
        return f"{self.open_count} open, district {self.district_id}, due {self.rts_due_on}"


class ServiceDimensions(models.Model):
    """Per service and applicant's district (the service's department and kind kept for
    filtering and the reader's scope)."""

    service_id = models.IntegerField()
    district_id = models.IntegerField()
    department_id = models.IntegerField()
    kind = models.CharField(max_length=12)

    class Meta:
        abstract = True


class PlaceDimensions(models.Model):
    """Per processing office and applicant's tehsil (and district: a place above any tehsil
    has tehsil 0), in a department and kind."""

    office_id = models.IntegerField()
    tehsil_id = models.IntegerField()
    district_id = models.IntegerField()
    department_id = models.IntegerField()
    kind = models.CharField(max_length=12)

    class Meta:
        abstract = True


SERVICE_KEY = ("service_id", "district_id")
PLACE_KEY = ("office_id", "tehsil_id", "district_id", "department_id", "kind")


class RtsServiceTotal(ServiceDimensions, Flows):
    """All time, per service and district: the flows since the first file, and the files
    open now."""

    open_count = models.IntegerField(db_default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=SERVICE_KEY, name="rts_service_total_key")]

    def __str__(self) -> str:
        return f"service {self.service_id} district {self.district_id}"


class RtsServiceMonthly(ServiceDimensions, Flows):
    month = models.DateField(help_text="The first of the month.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", *SERVICE_KEY], name="rts_service_monthly_key")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} service {self.service_id} district {self.district_id}"


class RtsServiceOpen(ServiceDimensions):
    rts_due_on = models.DateField()
    paused = models.BooleanField()
    open_count = models.IntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[*SERVICE_KEY, "rts_due_on", "paused"], name="rts_service_open_key"
            )
        ]
        indexes = [models.Index(fields=["rts_due_on"], name="rts_service_open_due_idx")]

    def __str__(self) -> str:
        return f"{self.open_count} open, service {self.service_id}, due {self.rts_due_on}"


class RtsPlaceTotal(PlaceDimensions, Flows):
    """All time, per office, tehsil, department and kind: the flows, and the files open now."""

    open_count = models.IntegerField(db_default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=PLACE_KEY, name="rts_place_total_key")]

    def __str__(self) -> str:
        return f"office {self.office_id} tehsil {self.tehsil_id} {self.kind}"


class RtsPlaceMonthly(PlaceDimensions, Flows):
    month = models.DateField(help_text="The first of the month.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", *PLACE_KEY], name="rts_place_monthly_key")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} office {self.office_id} tehsil {self.tehsil_id}"


class RtsPlaceOpen(PlaceDimensions):
    rts_due_on = models.DateField()
    paused = models.BooleanField()
    open_count = models.IntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[*PLACE_KEY, "rts_due_on", "paused"], name="rts_place_open_key"
            )
        ]
        indexes = [models.Index(fields=["rts_due_on"], name="rts_place_open_due_idx")]

    def __str__(self) -> str:
        return f"{self.open_count} open, office {self.office_id}, due {self.rts_due_on}"


class RtsStateDaily(Flows):
    """The state's flows per day, department and kind: the weekly trend of the CMO's board."""

    day = models.DateField()
    department_id = models.IntegerField()
    kind = models.CharField(max_length=12)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "department_id", "kind"], name="rts_state_daily_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} department {self.department_id} {self.kind}"


class ScoreSnapshot(models.Model):
    """A month's board for the whole state, as it stood when the month closed: the score and
    rank of each district, department and service. Written once, on the first of the next
    month, and never again, so that last month's rank does not move when old files close."""

    month = models.DateField(help_text="The first of the month.")
    by = models.CharField(max_length=12, help_text="district, department or service")
    key_id = models.IntegerField()
    name = models.CharField(max_length=200)
    received = models.IntegerField()
    completed = models.IntegerField()
    completed_within = models.IntegerField()
    rejected = models.IntegerField()
    underway = models.IntegerField()
    underway_beyond = models.IntegerField()
    score = models.DecimalField(max_digits=3, decimal_places=1, null=True)
    rank = models.PositiveIntegerField()
    taken_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "by", "key_id"], name="score_snapshot_key")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.by} {self.name}: {self.score}"


class FeeMonth(models.Model):
    """Fees collected and refunded in a month, per service, processing office and
    applicant's tehsil and district (the department kept beside them for the reader's scope):
    the board's Fees page reads these, never the payments ledger (seva.dashboards.fees).

    Kept in the transaction of each payment that paid a fee (`payments.events.settled`,
    status success: the money received, by the month it was received) and of each refund
    of such a payment paid back (`payments.events.refunded`, by the month it was paid back).
    Money not credited to a fee (held for review, paid twice, a fee no longer due) is not
    counted, nor are its refunds: it is the accounts officers' to settle, and it is listed,
    with its status, in the daily snapshot. The same integer dimensions as the RTS rollups,
    0 for none."""

    month = models.DateField(help_text="The first of the month.")
    service_id = models.IntegerField()
    office_id = models.IntegerField()
    tehsil_id = models.IntegerField()
    district_id = models.IntegerField()
    department_id = models.IntegerField()
    collected_paise = models.BigIntegerField(db_default=0)
    payments = models.IntegerField(db_default=0)
    refunded_paise = models.BigIntegerField(db_default=0)
    refunds = models.IntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "service_id", "office_id", "tehsil_id", "district_id"],
                name="fee_month_key",
            )
        ]
        indexes = [models.Index(fields=["district_id", "month"], name="fee_month_district_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} service {self.service_id} district {self.district_id}"
