"""The state's organisation as data: departments, the jurisdiction tree, roles, postings
and the holiday calendar that the RTS clock counts working days from."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Department(models.Model):
    code = models.SlugField(max_length=40, unique=True, help_text="e.g. revenue")
    short_code = models.CharField(
        max_length=6, unique=True, help_text="Used in reference numbers, e.g. REV"
    )
    name_en = models.CharField(max_length=200)
    name_hi = models.CharField(max_length=200)

    class Meta:
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.name_en


class JurisdictionLevel(models.TextChoices):
    STATE = "state", "State"
    DIVISION = "division", "Division"
    DISTRICT = "district", "District"
    SUBDIVISION = "subdivision", "Sub-division"
    TEHSIL = "tehsil", "Tehsil or block"
    VILLAGE = "village", "Village or ward"


# Depth of each level in the tree; a node's parent is always at a smaller depth.
LEVEL_DEPTH = {level: depth for depth, level in enumerate(JurisdictionLevel.values)}


class JurisdictionQuerySet(models.QuerySet):
    def covering(self, jurisdiction: "Jurisdiction") -> "JurisdictionQuerySet":
        """The node and all its ancestors."""
        return self.filter(code__in=jurisdiction.path.strip("/").split("/"))


class Jurisdiction(models.Model):
    code = models.CharField(max_length=40, unique=True, help_text="e.g. HR-AMB-NRG")
    name_en = models.CharField(max_length=200)
    name_hi = models.CharField(max_length=200)
    level = models.CharField(max_length=20, choices=JurisdictionLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Codes from the root down, e.g. "/HR/HR-AMBDIV/HR-AMB/": a subtree is one indexed
    # prefix match, which is how every "inside my jurisdiction" query is answered.
    path = models.CharField(max_length=400, unique=True, editable=False)

    objects = JurisdictionQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(level="state"),
                name="org_jurisdiction_state_is_root",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_en} ({self.get_level_display()})"

    @property
    def depth(self) -> int:
        return LEVEL_DEPTH[self.level]

    def covers(self, other: "Jurisdiction") -> bool:
        return other.path.startswith(self.path)


class Oversight(models.TextChoices):
    DISTRICT = "district", "Every department in the posting's area (collector)"
    DEPARTMENT = "department", "The posting's department in its area (head of department)"


class Role(models.Model):
    code = models.SlugField(max_length=40, unique=True, help_text="e.g. tehsildar")
    name_en = models.CharField(max_length=200)
    name_hi = models.CharField(max_length=200)
    level = models.CharField(
        max_length=20,
        choices=JurisdictionLevel.choices,
        help_text="The level this role is usually posted at.",
    )
    # Who answers for adherence over an area: the district collector for every department
    # in the posting's area, a head of department for that department in it. They get the
    # daily digest.
    oversees = models.CharField(
        max_length=20,
        choices=Oversight.choices,
        blank=True,
        help_text="Collectors oversee their district; heads of department their department.",
    )
    # Whether holders give a second factor when they sign in (seva.accounts). Empty: the
    # default rule, which asks it of every role that can approve or reject a file.
    second_factor = models.BooleanField(
        null=True,
        blank=True,
        default=None,
        help_text=(
            "Whether officers in this role must give a code from their phone when they sign "
            "in. Empty: yes if the role can approve or reject a file in some service."
        ),
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_en


class OfficerProfile(models.Model):
    """How an officer is reached: alerts and digests go by SMS to this mobile, in this
    language, and by e-mail to the user's address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="officer_profile"
    )
    mobile = models.CharField(max_length=10, blank=True)
    language = models.CharField(
        max_length=8, choices=[("en", "English"), ("hi", "हिन्दी")], default="en"
    )

    def __str__(self) -> str:
        return f"Contact of {self.user}"


class PostingKind(models.TextChoices):
    REGULAR = "regular", "Regular posting"
    ADDITIONAL_CHARGE = "additional_charge", "Additional charge"


class PostingQuerySet(models.QuerySet):
    def active_on(self, day) -> "PostingQuerySet":
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day), starts_on__lte=day)


class Posting(models.Model):
    """An officer holds a role in a department over a jurisdiction, for a period.

    A posting with no department covers every department (the CMO, for example).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="postings"
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="postings")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="postings"
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="postings"
    )
    kind = models.CharField(max_length=20, choices=PostingKind.choices, default=PostingKind.REGULAR)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    objects = PostingQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["role", "department", "jurisdiction"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="org_posting_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role.code} over {self.jurisdiction.code}"


class Holiday(models.Model):
    """A gazetted holiday: state-wide when `district` is empty, else for that district."""

    date = models.DateField()
    name_en = models.CharField(max_length=200)
    name_hi = models.CharField(max_length=200)
    district = models.ForeignKey(
        Jurisdiction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="holidays",
        limit_choices_to={"level": JurisdictionLevel.DISTRICT},
    )

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "district"], name="org_holiday_unique_per_district"
            ),
            models.UniqueConstraint(
                fields=["date"],
                condition=Q(district__isnull=True),
                name="org_holiday_unique_statewide",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.name_en}"


class Leave(models.Model):
    """An officer away from their desk from one date to another (both included). Files are
    not routed to an officer on leave: whoever holds the additional charge gets them, else
    the next level up."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leaves"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "starts_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="org_leave_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} on leave {self.starts_on} to {self.ends_on}"
