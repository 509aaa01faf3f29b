"""Students, guardians, special-attention groups, staff role assignments and mentor pairs."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from runxin.org.models import OrgUnit, SchoolYear


class NamedCategory(models.Model):
    """A category the city keeps as data, named in both languages: built-in ones ship in a migration, the
    city adds its own and switches them off."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    is_builtin = models.BooleanField(default=False, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name_zh

    def label(self, language: str) -> str:
        return self.name_en if language.startswith("en") else self.name_zh


class SpecialGroup(NamedCategory):
    """A special-attention group (留守, 流动, 单亲 …)."""

    class Meta(NamedCategory.Meta):
        verbose_name = _("special-attention group")


class Student(models.Model):
    """A student (学生). `school`, `district`, `grade` and `school_class` are the current placement,
    denormalised from `school_class` so that scoped lists are one indexed filter."""

    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class Boarding(models.TextChoices):
        DAY = "day", _("Day student")
        BOARDING = "boarding", _("Boarder")

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        GRADUATED = "graduated", _("Graduated")
        TRANSFERRED_OUT = "transferred_out", _("Transferred out of the region")
        SUSPENDED = "suspended", _("Suspended schooling (休学)")
        LEFT = "left", _("Left school")

    student_number = models.CharField(_("national student number (学籍号)"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=60)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    id_number = models.CharField(_("ID number"), max_length=18, blank=True, default="")
    boarding = models.CharField(_("day/boarding"), max_length=8, choices=Boarding.choices, default=Boarding.DAY)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ENROLLED)
    is_key_student = models.BooleanField(_("key student (重点学生)"), default=False)
    # The composite indexes in Meta lead with class, school and district, so those need no index of their own
    # (every index is paid for on each write: a million-row import writes them all).
    school_class = models.ForeignKey(OrgUnit, models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    grade = models.ForeignKey(OrgUnit, models.PROTECT, null=True, blank=True, related_name="+")
    school = models.ForeignKey(OrgUnit, models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    district = models.ForeignKey(OrgUnit, models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    city = models.ForeignKey(OrgUnit, models.PROTECT, null=True, blank=True, related_name="+")
    groups = models.ManyToManyField(SpecialGroup, through="GroupMembership", blank=True, related_name="students")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        indexes = [
            models.Index(fields=["school", "name", "id"]),
            models.Index(fields=["district", "name", "id"]),
            models.Index(fields=["school_class", "name"]),
            # Prefix search (name LIKE '王%') cannot use the indexes above under a non-C collation; pattern_ops
            # indexes can (PostgreSQL only; other databases ignore opclasses). 学籍号 LIKE 'G3205%' uses the
            # varchar_pattern_ops index Django adds beside the unique one.
            models.Index(fields=["district", "name"], name="student_district_name_prefix",
                         opclasses=["int8_ops", "varchar_pattern_ops"]),
            models.Index(fields=["school", "name"], name="student_school_name_prefix",
                         opclasses=["int8_ops", "varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.student_number})"

    @property
    def masked_id_number(self) -> str:
        if not self.id_number:
            return ""
        return self.id_number[:6] + "*" * 8 + self.id_number[-4:]


class GroupMembership(models.Model):
    student = models.ForeignKey(Student, models.CASCADE, related_name="memberships")
    group = models.ForeignKey(SpecialGroup, models.PROTECT, related_name="memberships")
    since = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "group"], name="one_membership_per_group")]
        indexes = [models.Index(fields=["group", "student"])]

    def __str__(self) -> str:
        return f"{self.student_id} ∈ {self.group_id}"


class Guardian(models.Model):
    """A guardian (监护人) of one student, as listed on the roster (成员1, 成员2 …)."""

    student = models.ForeignKey(Student, models.CASCADE, related_name="guardians")
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("name"), max_length=60)
    relation = models.CharField(_("relation"), max_length=20, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=30, blank=True, default="")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="guardianships")

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["student", "position"], name="one_guardian_per_position")]

    def __str__(self) -> str:
        return f"{self.name} ({self.relation})"


class Enrollment(models.Model):
    """One stretch of a student in one class in one school year: the history that follows the student."""

    class Reason(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        PROMOTED = "promoted", _("Promoted")
        REPEATED = "repeated", _("Repeated the year")
        TRANSFERRED_IN = "transferred_in", _("Transferred in")
        CLASS_CHANGED = "class_changed", _("Changed class")
        IMPORTED = "imported", _("Imported from roster")

    student = models.ForeignKey(Student, models.CASCADE, related_name="enrollments")
    school_class = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    school = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    school_year = models.ForeignKey(SchoolYear, models.PROTECT, related_name="+")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    end_reason = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        ordering = ["started_on", "id"]
        indexes = [models.Index(fields=["student", "started_on"])]

    def __str__(self) -> str:
        return f"{self.student_id} @ {self.school_class_id} from {self.started_on}"


class RoleAssignment(models.Model):
    """A staff user's role at one org unit (a head teacher at a class, a psychology teacher at a school …).
    The role codes and what each may do are the catalogue in runxin/access/roles.py."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=32)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, null=True, blank=True, related_name="role_assignments")
    student = models.ForeignKey(
        Student, models.CASCADE, null=True, blank=True, related_name="role_assignments",
        help_text="For roles held by a student or for a child (student, class psych committee member, parent).",
    )
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "is_active"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "org_unit", "student"], name="one_assignment_per_role_unit",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role} @ {self.org_unit or self.student}"


class MentorPair(models.Model):
    """师生结对: a mentor (知心导师) paired with a student."""

    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="mentees")
    student = models.ForeignKey(Student, models.CASCADE, related_name="mentor_pairs")
    since = models.DateField()
    until = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["mentor", "is_active"])]

    def __str__(self) -> str:
        return f"{self.mentor_id} ↔ {self.student_id}"


class CommitteeAppointment(models.Model):
    """A class psychology committee member (班级心理委员): a student of the class appointed by its head teacher.
    The appointment carries the psych_committee role on the student's account; ending it (or the student
    leaving the class) ends the role the same day (people/committee.py)."""

    student = models.ForeignKey(Student, models.CASCADE, related_name="committee_appointments")
    school_class = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    appointed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    end_reason = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        ordering = ["started_on", "id"]
        indexes = [models.Index(fields=["school_class", "ended_on"])]
        constraints = [
            models.UniqueConstraint(fields=["student"], condition=models.Q(ended_on__isnull=True),
                                    name="one_open_committee_appointment"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} · committee @ {self.school_class_id}"


class KeyStudentCategory(NamedCategory):
    """A category of key student (重点学生): Jiaxing's six ship in a migration; the city adds its own."""

    class Meta(NamedCategory.Meta):
        verbose_name = _("key-student category")


class KeyStudentMark(models.Model):
    """One marking of a student as a key student in one category, with why and when to review it. Ended
    markings stay as history; Student.is_key_student says whether any marking is open (people/key_students.py)."""

    student = models.ForeignKey(Student, models.CASCADE, related_name="key_marks")
    category = models.ForeignKey(KeyStudentCategory, models.PROTECT, related_name="marks")
    reason = models.TextField(_("reason"), max_length=1000)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    marked_on = models.DateField()
    review_on = models.DateField(_("review on"))
    ended_on = models.DateField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["marked_on", "id"]
        indexes = [models.Index(fields=["student", "ended_on"]), models.Index(fields=["review_on"],
                   condition=models.Q(ended_on__isnull=True), name="key_mark_open_review")]
        constraints = [
            models.UniqueConstraint(fields=["student", "category"], condition=models.Q(ended_on__isnull=True),
                                    name="one_open_key_mark_per_category"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} · {self.category_id}"
