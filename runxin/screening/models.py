"""Screening (心理测评): instruments as stored data, campaigns (测评任务) with their targets and consent,
answers as they are given, submissions, scored results and the hand-over to the warnings app.

The workflows live in services.py; these classes hold data and invariants only.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from runxin.org.models import OrgUnit
from runxin.people.models import SpecialGroup, Student


class Instrument(models.Model):
    """An instrument (量表) such as PHQ-A; its wording and rules live in its versions."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    title = models.JSONField(_("title"), default=dict)  # {"zh-Hans": …, "en": …}
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("instrument")

    def __str__(self) -> str:
        return self.code


class InstrumentVersion(models.Model):
    """One definition of an instrument, stored exactly as checked. Immutable once it exists: a change is a
    new version. A version that scored a result cannot be deleted (Result.instrument_version is PROTECT)."""

    class Source(models.TextChoices):
        SHIPPED = "shipped", _("Shipped with runxin")
        UPLOAD = "upload", _("Uploaded definition")
        FHIR = "fhir", _("Imported FHIR Questionnaire")

    instrument = models.ForeignKey(Instrument, models.PROTECT, related_name="versions")
    version = models.CharField(_("version"), max_length=40)
    definition = models.JSONField(_("definition"))
    sha256 = models.CharField(max_length=64)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    respondent = models.CharField(max_length=10, default="student")
    grades = models.JSONField(default=list)  # grade levels the instrument is meant for
    is_published = models.BooleanField(_("published"), default=False)
    # Published as "not scored" (collect only, 仅收集/不计分): the administrator's choice for a definition
    # without bands (or critical items where it asks about self-harm); results pages say "not scored".
    not_scored = models.BooleanField(_("not scored (collect only)"), default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["instrument__code", "-uploaded_at"]
        verbose_name = _("instrument version")
        constraints = [
            models.UniqueConstraint(fields=["instrument", "version"], name="one_definition_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} {self.version}"

    RESPONDENT_LABELS = {"student": _("Student"), "parent": _("Parent/guardian"), "teacher": _("Teacher")}

    @property
    def respondent_label(self) -> str:
        """Who answers it, in the reader's language (the lists showed the raw "student" / "parent")."""
        return str(self.RESPONDENT_LABELS.get(self.respondent, self.respondent))

    def title_in(self, language: str) -> str:
        title = self.definition.get("title", {})
        zh = title.get("zh-Hans") or ""
        return (title.get("en") or zh) if language.startswith("en") else (zh or title.get("en") or self.instrument.code)


class Campaign(models.Model):
    """A screening campaign (测评任务): who is screened, with which instruments, when, under which consent.

    A monitoring campaign (重点监控测) with no parent is a *series*: it has no targets itself; every
    `interval_days` the monitor opens a round (a child campaign) for the key students of the moment.
    """

    class Kind(models.TextChoices):
        UNIVERSAL = "universal", _("Universal screening (普测)")
        TARGETED = "targeted", _("Targeted screening (分类测)")
        MONITORING = "monitoring", _("Monitoring of key students (重点监控测)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class ConsentMode(models.TextChoices):
        OPT_OUT = "opt_out", _("Notice with the right to decline (告知)")
        OPT_IN = "opt_in", _("Explicit consent (知情同意)")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    owner = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("run by"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    window_start = models.DateField(_("opens on"))
    window_end = models.DateField(_("closes after"))
    consent_mode = models.CharField(_("consent"), max_length=8, choices=ConsentMode.choices,
                                    default=ConsentMode.OPT_OUT)
    # Who is screened. Universal: these grade levels. Targeted: members of these groups and/or the listed
    # students (within the grades when any are given). Monitoring: key students and/or the listed students.
    target_grades = models.JSONField(_("grades"), default=list, blank=True)
    target_groups = models.ManyToManyField(SpecialGroup, blank=True, related_name="+", verbose_name=_("groups"))
    target_key_students = models.BooleanField(_("key students (重点学生)"), default=False)
    listed_students = models.ManyToManyField(Student, blank=True, related_name="+", verbose_name=_("listed students"))
    # Monitoring series only.
    interval_days = models.PositiveSmallIntegerField(_("repeat every (days)"), null=True, blank=True)
    round_days = models.PositiveSmallIntegerField(_("each round open for (days)"), null=True, blank=True)
    next_run = models.DateField(_("next round on"), null=True, blank=True)
    series = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="rounds")
    round_number = models.PositiveSmallIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-window_start", "-id"]
        verbose_name = _("screening campaign")
        indexes = [models.Index(fields=["owner", "status"]), models.Index(fields=["status", "next_run"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_series(self) -> bool:
        return self.kind == self.Kind.MONITORING and self.series_id is None

    def is_open_on(self, day) -> bool:
        return self.status == self.Status.OPEN and self.window_start <= day <= self.window_end


class CampaignInstrument(models.Model):
    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="instruments")
    version = models.ForeignKey(InstrumentVersion, models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="one_instrument_per_position"),
            models.UniqueConstraint(fields=["campaign", "version"], name="instrument_once_per_campaign"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}#{self.position}: {self.version_id}"


class CampaignTarget(models.Model):
    """One student asked to take one campaign. The placement columns are the student's class when the
    campaign opened, so completion per class stays true after a transfer."""

    class Decision(models.TextChoices):
        UNDECIDED = "", _("Not asked")
        CONSENTED = "consented", _("Agreed")
        DECLINED = "declined", _("Declined")

    campaign = models.ForeignKey(Campaign, models.PROTECT, related_name="targets")
    student = models.ForeignKey(Student, models.PROTECT, related_name="+")
    school_class = models.ForeignKey(OrgUnit, models.PROTECT, null=True, related_name="+")
    grade = models.ForeignKey(OrgUnit, models.PROTECT, null=True, related_name="+")
    school = models.ForeignKey(OrgUnit, models.PROTECT, null=True, related_name="+")
    district = models.ForeignKey(OrgUnit, models.PROTECT, null=True, related_name="+")
    grade_level = models.PositiveSmallIntegerField(null=True)
    # One-time code (一次性测评码): signs the student into this campaign only, never into the platform.
    # Kept readable so a lost sheet can be printed again; it stops working when the student has submitted
    # or the campaign closes.
    access_code = models.CharField(max_length=8, unique=True, null=True)
    student_decision = models.CharField(max_length=10, choices=Decision.choices, blank=True, default="")
    student_decided_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "student"], name="one_target_per_student")]
        indexes = [models.Index(fields=["campaign", "school_class"])]

    def __str__(self) -> str:
        return f"campaign {self.campaign_id} · student {self.student_id}"


class ConsentRecord(models.Model):
    """A guardian's answer for one child and one campaign, reached through a token link (or recorded by
    staff from a paper slip or a phone call)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Not yet notified")
        NOTIFIED = "notified", _("Notified")
        CONSENTED = "consented", _("Consented")
        DECLINED = "declined", _("Declined")

    class Channel(models.TextChoices):
        LINK = "link", _("Consent link")
        PAPER = "paper", _("Paper slip")
        PHONE = "phone", _("Phone call")

    target = models.OneToOneField(CampaignTarget, models.CASCADE, related_name="consent")
    token = models.CharField(max_length=43, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    notified_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, blank=True, default="")
    guardian_name = models.CharField(_("guardian's name"), max_length=60, blank=True, default="")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"consent for target {self.target_id}: {self.state}"


class ResponseDraft(models.Model):
    """Answers to one instrument as they are given (one row per target and instrument), so a closed
    browser resumes where it stopped. Kept after submission: it is what the student actually clicked."""

    target = models.ForeignKey(CampaignTarget, models.CASCADE, related_name="drafts")
    version = models.ForeignKey(InstrumentVersion, models.PROTECT, related_name="+")
    answers = models.JSONField(default=dict)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["target", "version"], name="one_draft_per_instrument")]

    def __str__(self) -> str:
        return f"draft of target {self.target_id} · version {self.version_id}"


class Submission(models.Model):
    """The final answers of one target. `client_id` is made once by the student's device, so a retry or a
    double tap finds this row instead of making a second one; a target has at most one submission."""

    client_id = models.UUIDField(unique=True)
    target = models.OneToOneField(CampaignTarget, models.PROTECT, related_name="submission")
    answers = models.JSONField()  # {instrument code: {item id: option value}}
    elapsed = models.JSONField(default=dict)  # {instrument code: seconds}
    received_at = models.DateTimeField()
    # Where it came from, for the audit: a code on a lab PC or phone, or the student's own account.
    via = models.CharField(max_length=8)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    # The most severe risk_signal level over its results (4 critical … 0 none), so lists sort the most
    # urgent first without reading every result; `critical`: a critical item was positive.
    risk_rank = models.PositiveSmallIntegerField(default=0)
    critical = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"submission {self.client_id}"


class Result(models.Model):
    """One instrument's scored result, stamped with the exact definition version that scored it."""

    class Validity(models.TextChoices):
        VALID = "valid", _("Valid")
        NEEDS_REVIEW = "needs_review", _("Needs review")
        INVALID = "invalid", _("Invalid")

    class Risk(models.TextChoices):
        CRITICAL = "critical", _("Critical")
        HIGH = "high", _("High")
        REVIEW = "review", _("Needs review")
        MODERATE = "moderate", _("Moderate")
        NONE = "none", _("None")

    # Written two at a time at burst rate, so no index that another one already covers: submission, campaign
    # and student lead the composite indexes below; a target is never deleted (PROTECT).
    submission = models.ForeignKey(Submission, models.PROTECT, related_name="results", db_index=False)
    target = models.ForeignKey(CampaignTarget, models.PROTECT, related_name="results", db_index=False)
    # The campaign and the instrument version are copied from the target and its campaign for reporting, so
    # the database does not check them again: every submission of a burst would take a key-share lock on the
    # same campaign row and the same two version rows (a MultiXact per row, a quarter of PostgreSQL's time
    # per submission in bench/submit_burst.py). The target and submission keys are still checked, and
    # PROTECT still refuses to delete a campaign or version with results (Django checks it before deleting).
    campaign = models.ForeignKey(Campaign, models.PROTECT, related_name="results", db_index=False,
                                 db_constraint=False)
    student = models.ForeignKey(Student, models.PROTECT, related_name="+", db_index=False)
    instrument_version = models.ForeignKey(InstrumentVersion, models.PROTECT, related_name="results",
                                           db_constraint=False)
    instrument_code = models.CharField(max_length=64)
    score = models.JSONField()  # the core's ScoreResult.to_dict()
    total = models.DecimalField(max_digits=9, decimal_places=4, null=True)
    band_code = models.CharField(max_length=40, blank=True, default="")
    band_level = models.CharField(max_length=10, blank=True, default="")
    validity = models.CharField(max_length=12, choices=Validity.choices)
    risk_level = models.CharField(max_length=10, choices=Risk.choices)
    risk_reasons = models.JSONField(default=list)  # [{"en": …, "zh-Hans": …}]
    critical = models.BooleanField(default=False)  # a critical item was positive
    scored_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "instrument_version"], name="one_result_per_instrument")]
        indexes = [models.Index(fields=["campaign", "instrument_code", "band_code"]), models.Index(fields=["student", "scored_at"])]

    def __str__(self) -> str:
        return f"{self.instrument_code} result {self.pk}"


class ScreeningFlag(models.Model):
    """A result that needs a warning (预警): the durable outbox towards the warnings app. Written in the
    submission's transaction; handed over after commit and marked; a sweep retries what is not marked."""

    result = models.OneToOneField(Result, models.PROTECT, related_name="flag")
    student = models.ForeignKey(Student, models.PROTECT, related_name="+")
    level = models.CharField(max_length=10)
    reasons = models.JSONField(default=list)
    instrument_code = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    handed_over_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["handed_over_at", "created_at"])]

    def __str__(self) -> str:
        return f"flag {self.level} on result {self.result_id}"


class Reminder(models.Model):
    """A psychology teacher reminded a class's head teacher that students have not finished."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="reminders")
    school_class = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()
    unfinished = models.PositiveIntegerField()
    notified = models.PositiveSmallIntegerField(default=0)  # head teachers who got an inbox notification

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"reminder for class {self.school_class_id} at {self.sent_at:%Y-%m-%d %H:%M}"


class CampaignEvent(models.Model):
    """What staff did to a campaign and when (opened, closed, codes printed, consent recorded …)."""

    LABELS = {
        "created": _("created"), "changed": _("changed"), "opened": _("opened"), "closed": _("closed"),
        "codes_created": _("codes printed"), "consent_notified": _("guardians notified"),
        "guardian_consented": _("a guardian consented"), "guardian_declined": _("a guardian declined"),
        "reminded": _("head teacher reminded"), "demo_seeded": _("demo results generated"),
    }

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=30)
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} on campaign {self.campaign_id}"

    @property
    def label(self) -> str:
        return str(self.LABELS.get(self.kind, self.kind))


# >>> individual reports
class ReportShare(models.Model):
    """The careful individual report of one submission (给学生和家长的反馈), shared by the psychology teacher with
    the student or with the parents. One row per sharing; withdrawing stamps the row, and sharing again makes a
    new row, so who shared and withdrew what, and when, stays. A live share (not withdrawn) is what the family
    sees; there is at most one per submission and audience."""

    class Audience(models.TextChoices):
        STUDENT = "student", _("The student")
        PARENTS = "parents", _("The parents")

    submission = models.ForeignKey(Submission, models.PROTECT, related_name="shares")
    student = models.ForeignKey(Student, models.PROTECT, related_name="+")  # the submission's, for the audit
    audience = models.CharField(_("shared with"), max_length=8, choices=Audience.choices)
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    shared_at = models.DateTimeField()
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                     related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-shared_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "audience"], condition=models.Q(withdrawn_at__isnull=True),
                                    name="one_live_share_per_audience"),
        ]
        indexes = [models.Index(fields=["student", "audience"], condition=models.Q(withdrawn_at__isnull=True),
                                name="live_shares_of_student")]

    def __str__(self) -> str:
        return f"report of submission {self.submission_id} shared with {self.audience}"

    @property
    def live(self) -> bool:
        return self.withdrawn_at is None
# <<< individual reports
