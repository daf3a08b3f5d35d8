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
(`RtsAreaDaily`, `RtsAreaMonthly`, `RtsAreaOpen`): a few thousand rows a month instead of
hundreds of thousands. The board reads whole months of a date range from the monthly table
and the days at either end from the daily one (seva.dashboards.boards).

Dimensions are plain integer columns, not foreign keys: a rollup row is a number, and the
board joins names from the organisation tables. `tehsil_id` is 0 for a place above any
tehsil, so that the unique key (and the upsert that bumps it) has no NULL in it.
"""

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

    def __str__(self) -> str:
        return f"{self.open_count} open, district {self.district_id}, due {self.rts_due_on}"
