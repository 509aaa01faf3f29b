"""The region tree: city → district/county → school → grade → class, grades and classes per school year."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SchoolYear(models.Model):
    """A school year such as 2026-2027 (学年). Grades and classes belong to one."""

    code = models.CharField(_("code"), max_length=9, unique=True, help_text="2026-2027")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    is_current = models.BooleanField(_("current"), default=False)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("school year")
        verbose_name_plural = _("school years")
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=models.Q(is_current=True), name="one_current_year"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def start_year(self) -> int:
        return int(self.code[:4])


class OrgUnit(models.Model):
    """One node of the region tree.

    `path` holds the ancestor ids ("/1/7/42/"), so "everything under this node" is one indexed
    prefix filter; `school` and `district` are denormalised for the same reason.
    """

    class Kind(models.TextChoices):
        CITY = "city", _("City")
        DISTRICT = "district", _("District/county")
        SCHOOL = "school", _("School")
        GRADE = "grade", _("Grade")
        CLASS = "class", _("Class")
        HOSPITAL = "hospital", _("Partner hospital")
        MHC = "mhc", _("Mental-health centre")
        SOCIETY = "society", _("Society partner")

    class SchoolType(models.TextChoices):
        PRIMARY = "primary", _("Primary school (小学)")
        JUNIOR = "junior", _("Junior secondary (初中)")
        SENIOR = "senior", _("Senior secondary (高中)")
        NINE_YEAR = "nine_year", _("Nine-year school (九年一贯制)")
        COMPLETE = "complete", _("Complete secondary (完全中学)")
        VOCATIONAL = "vocational", _("Secondary vocational (中职)")
        SPECIAL = "special", _("Special education (特教)")

    class Boarding(models.TextChoices):
        DAY = "day", _("Day school (走读)")
        BOARDING = "boarding", _("Boarding (寄宿)")
        MIXED = "mixed", _("Day and boarding (走读和寄宿)")

    class PartnerType(models.TextChoices):
        """The society tier (社会层面) of Changzhou's warning network: who a "society" unit is."""

        POLICE = "police", _("Police (公安)")
        PROCURATORATE = "procuratorate", _("Procuratorate (检察院)")
        COURT = "court", _("Court (法院)")
        WOMENS_FEDERATION = "womens_federation", _("Women's federation (妇联)")
        CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs (民政)")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=40, blank=True, default="")
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children")
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    district = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="+")
    school = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="+")
    school_type = models.CharField(_("school type"), max_length=12, choices=SchoolType.choices, blank=True)
    # For a school `code` holds its 10-digit 学校标识码 (the ministry's school identifier).
    boarding = models.CharField(_("boarding"), max_length=10, choices=Boarding.choices, blank=True, default="")
    address = models.CharField(_("address"), max_length=200, blank=True, default="")
    enrolment = models.PositiveIntegerField(_("planned enrolment"), null=True, blank=True,
                                            help_text=_("The number of students the school is planned for."))
    partner_type = models.CharField(_("partner type"), max_length=20, choices=PartnerType.choices, blank=True,
                                    default="")
    school_year = models.ForeignKey(SchoolYear, models.PROTECT, null=True, blank=True, related_name="units")
    grade_level = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True, help_text="1–12")
    class_number = models.PositiveSmallIntegerField(_("class number"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The same grade or class one school year earlier (七年级(1)班 2026-2027 → 八年级(1)班 2027-2028), set by
    # the school-year rollover: it lets one UPDATE move every student and class team up with their class.
    previous = models.OneToOneField(
        "self", models.SET_NULL, null=True, blank=True, related_name="successor", editable=False
    )

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        indexes = [
            models.Index(fields=["parent", "kind"]),
            models.Index(fields=["school", "school_year", "grade_level", "class_number"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="orgunit_code_unique_when_set"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_within(self, other: "OrgUnit") -> bool:
        return self.path.startswith(other.path)

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]


class RolloverRun(models.Model):
    """One school-year rollover (学年升级) requested by a user: one school or every school in their reach.
    Runs as a background job; the counters are its progress and, when done, its record of what happened."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    scope_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+",
                                   help_text="The school, or the city/district for a run over all its schools.")
    from_year = models.ForeignKey(SchoolYear, models.PROTECT, related_name="+")
    to_year = models.ForeignKey(SchoolYear, models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    schools_total = models.PositiveIntegerField(default=0)
    schools_done = models.PositiveIntegerField(default=0)
    schools_skipped = models.PositiveIntegerField(default=0)
    promoted = models.PositiveIntegerField(default=0)
    graduated = models.PositiveIntegerField(default=0)
    classes_created = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("school-year rollover")

    def __str__(self) -> str:
        return f"{self.scope_unit} {self.from_year} → {self.to_year} ({self.status})"

    @property
    def percent(self) -> int:
        if not self.schools_total:
            return 100 if self.status == self.Status.DONE else 0
        return int(100 * (self.schools_done + self.schools_skipped) / self.schools_total)

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}


class SchoolRollover(models.Model):
    """That one school has been rolled over into a school year: the claim that makes applying twice refuse."""

    school = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    from_year = models.ForeignKey(SchoolYear, models.PROTECT, related_name="+")
    to_year = models.ForeignKey(SchoolYear, models.PROTECT, related_name="+")
    run = models.ForeignKey(RolloverRun, models.SET_NULL, null=True, blank=True, related_name="schools")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    applied_at = models.DateTimeField(auto_now_add=True)
    promoted = models.PositiveIntegerField(default=0)
    graduated = models.PositiveIntegerField(default=0)
    classes_created = models.PositiveIntegerField(default=0)
    assignments_moved = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "to_year"], name="one_rollover_per_school_year")]

    def __str__(self) -> str:
        return f"{self.school} → {self.to_year}"


class ServiceGroup(models.Model):
    """A service group (片区) of a district: schools served together by named mental-health centre staff.

    Deliberately not a node of the region tree: scoping follows OrgUnit.path, and a school's parent stays its
    district. A school belongs to at most one group (ServiceGroupSchool.school is unique)."""

    district = models.ForeignKey(OrgUnit, models.PROTECT, related_name="service_groups",
                                 limit_choices_to={"kind": OrgUnit.Kind.DISTRICT})
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=40, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code", "name"]
        verbose_name = _("service group")
        verbose_name_plural = _("service groups")
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="servicegroup_name_unique_in_district"),
            models.UniqueConstraint(fields=["code"], condition=~models.Q(code=""),
                                    name="servicegroup_code_unique_when_set"),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceGroupSchool(models.Model):
    """A school's membership of its service group (at most one group per school)."""

    group = models.ForeignKey(ServiceGroup, models.CASCADE, related_name="memberships")
    school = models.OneToOneField(OrgUnit, models.PROTECT, related_name="service_group_membership",
                                  limit_choices_to={"kind": OrgUnit.Kind.SCHOOL})

    class Meta:
        verbose_name = _("service group school")

    def __str__(self) -> str:
        return f"{self.school} ∈ {self.group}"


class ServiceGroupStaff(models.Model):
    """A named centre staff member serving a service group."""

    group = models.ForeignKey(ServiceGroup, models.CASCADE, related_name="staff_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="service_groups")

    class Meta:
        verbose_name = _("service group staff")
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="servicegroup_staff_once")]

    def __str__(self) -> str:
        return f"{self.user} → {self.group}"
