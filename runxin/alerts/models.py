"""Early warning (预警): levels and their policies (data), warnings, the reports that raised them, their
append-only history, continued-attention follow-ups, and the scheduler's bookkeeping.

The state machine is in states.py; every change goes through services.py.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import states

STATE_LABELS = {
    states.RAISED: _("Raised"),
    states.ACKNOWLEDGED: _("Acknowledged"),
    states.ASSESSED: _("Assessed"),
    states.INTERVENTION: _("In intervention"),
    states.MONITORING: _("Monitoring"),
    states.CLEAR_REQUESTED: _("Clearing requested"),
    states.CLEARED: _("Cleared, continued attention (持续关注)"),
    states.CLOSED: _("Back to normal"),
    states.DISMISSED: _("Dismissed"),
}


class Tier(models.IntegerChoices):
    """The warning network's tiers (班级—学校—区—市), the way a warning escalates."""

    CLASS = states.CLASS, _("Class (head teacher)")
    GRADE = states.GRADE, _("Grade (grade leader)")
    SCHOOL = states.SCHOOL, _("School")
    DISTRICT = states.DISTRICT, _("District centre")
    CITY = states.CITY, _("City centre")


class WarningLevel(models.Model):
    """A warning level and its policy. No national standard exists, so levels are data: the default red /
    orange / yellow ship in a migration and the city admin may rename them, change their policy or add more."""

    class Colour(models.TextChoices):
        RED = "red", _("Red")
        ORANGE = "orange", _("Orange")
        YELLOW = "yellow", _("Yellow")
        GREY = "", _("Grey")

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=40)
    colour = models.CharField(_("colour"), max_length=10, choices=Colour.choices, blank=True, default="")
    severity = models.PositiveSmallIntegerField(_("severity"), unique=True,
                                               help_text=_("Higher is more severe; decides what 'raise the level' means."))
    description = models.TextField(_("meaning"), blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    # The policy.
    ack_tier = models.PositiveSmallIntegerField(_("received at"), choices=Tier.choices, default=Tier.SCHOOL,
                                                help_text=_("The tier that must acknowledge a new warning."))
    ack_roles = models.JSONField(_("acknowledged by (roles)"), default=list, blank=True,
                                 help_text=_("Roles at the class or school tier who may acknowledge; centre staff "
                                             "acknowledge once it reaches them."))
    ack_minutes = models.PositiveIntegerField(_("acknowledge within (minutes)"))
    assess_minutes = models.PositiveIntegerField(_("assess within (minutes)"))
    progress_minutes = models.PositiveIntegerField(_("start intervention within (minutes)"))
    clear_tier = models.PositiveSmallIntegerField(_("clearing approved at"), choices=Tier.choices, default=Tier.SCHOOL)
    notify_tiers = models.JSONField(_("who is told"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    follow_up_days = models.JSONField(_("follow-ups after clearing (days)"), default=list, blank=True)
    screening_codes = models.JSONField(_("screening suggestions it receives"), default=list, blank=True)
    visible_to_centres = models.BooleanField(_("visible to district and city centres at once"), default=False)
    min_monitoring_days = models.PositiveSmallIntegerField(
        _("minimum days in monitoring before clearing"), default=0, db_default=0,
        help_text=_("Clearing can be requested earlier only with a written reason."))

    class Meta:
        ordering = ["-severity"]
        verbose_name = _("warning level")

    def __str__(self) -> str:
        return self.name_zh

    def label(self, language: str) -> str:
        return self.name_en if language.startswith("en") else self.name_zh

    @property
    def routes_through_grade(self) -> bool:
        """The city turned the grade tier on for this level: a warning then escalates class → grade → school."""
        return states.routes_through_grade(self.ack_tier, self.notify_tiers)


class Warning(models.Model):  # noqa: A001 — the domain's word; never imported as a bare name next to the builtin
    """One warning about one student: its current state, level and place in the network.

    A student has at most one open warning (a second report joins it). `tier` is where in the network the
    warning currently sits; `due_at` is when the next step (or acknowledgement) is overdue and the timer
    moves it up a tier; `ack_pending` says the people at `tier` have yet to acknowledge it."""

    class Source(models.TextChoices):
        SCREENING = "screening", _("Screening result")
        OBSERVATION = "observation", _("Teacher's observation")
        PEER = "peer", _("Peer report (朋辈)")
        PARENT = "parent", _("Parent's report")
        HOTLINE = "hotline", _("Hotline call")
        HOSPITAL = "hospital", _("Hospital")
        POLICE = "police", _("Police notice")
        COURT = "court", _("Court notice")
        PROCURATORATE = "procuratorate", _("Prosecutors' notice")
        COMMUNITY = "community", _("Community notice")
        SELF = "self", _("Student asked for help")

    student = models.ForeignKey("people.Student", models.PROTECT, related_name="alert_warnings")
    level = models.ForeignKey(WarningLevel, models.PROTECT, related_name="warnings")
    state = models.CharField(_("state"), max_length=20, choices=[(s, STATE_LABELS[s]) for s in states.ALL])
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices)
    ack_pending = models.BooleanField(default=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    source = models.CharField(_("first source"), max_length=20, choices=Source.choices)
    needs_review = models.BooleanField(_("needs review"), default=False)
    raised_at = models.DateTimeField(_("raised"))
    # Never looked up by these two users, so no index: every index is one more write per escalated row.
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                                  db_index=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    assessed_at = models.DateTimeField(null=True, blank=True)
    intervention_at = models.DateTimeField(null=True, blank=True)
    clear_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                           related_name="+", db_index=False)
    cleared_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_count = models.PositiveSmallIntegerField(default=0)
    referred_at = models.DateTimeField(_("referred"), null=True, blank=True)
    revisited_at = models.DateTimeField(_("first follow-up visit"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    last_event_at = models.DateTimeField()
    # A same-day safety assessment (ASQ non-acute positive: before the student leaves school) caps the clocks.
    assess_by = models.DateTimeField(_("safety assessment due by"), null=True, blank=True)
    monitoring_since = models.DateTimeField(_("in monitoring since"), null=True, blank=True)
    # Handing the case up by decision (服务升级): the school refers it to the district centre, which accepts it
    # and becomes responsible; the school stays in the loop. Separate from escalation on the timer.
    handed_up_at = models.DateTimeField(_("handed up to the centre"), null=True, blank=True)
    handed_up_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+", db_index=False)
    hand_up_accepted_at = models.DateTimeField(_("accepted by the centre"), null=True, blank=True)
    hand_up_accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                            related_name="+", db_index=False)

    class Meta:
        verbose_name = _("warning")
        constraints = [
            models.UniqueConstraint(fields=["student"], condition=models.Q(state__in=sorted(states.OPEN)),
                                    name="one_open_warning_per_student"),
        ]
        indexes = [
            models.Index(fields=["state", "level"]),
            models.Index(fields=["due_at"], name="alerts_warning_due_idx", condition=models.Q(due_at__isnull=False)),
            models.Index(fields=["raised_at"]),
            models.Index(fields=["escalated_at"]),
            models.Index(fields=["cleared_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state in states.OPEN

    def is_overdue(self, now) -> bool:
        return self.due_at is not None and self.due_at <= now


class WarningReport(models.Model):
    """One report about a student: the evidence and who gave it. The first raises the warning; later ones join
    it. Screening reports carry the result id, so the same result never reports twice."""

    warning = models.ForeignKey(Warning, models.PROTECT, related_name="reports")
    source = models.CharField(_("source"), max_length=20, choices=Warning.Source.choices)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    reported_at = models.DateTimeField(_("reported"))
    reporter_name = models.CharField(_("reported by (outside body or caller)"), max_length=100, blank=True, default="")
    summary = models.TextField(_("what was observed"), blank=True, default="")
    suggested_level = models.ForeignKey(WarningLevel, models.PROTECT, null=True, blank=True, related_name="+")
    screening_result_id = models.CharField(max_length=64, blank=True, default="")
    instrument_code = models.CharField(max_length=40, blank=True, default="")
    reasons = models.JSONField(default=list, blank=True)
    needs_review = models.BooleanField(default=False)
    # Triage of a human report: how urgent the reporter said it is, and the risk phrases found in the text.
    urgency = models.CharField(_("urgency"), max_length=10, blank=True, default="", db_default="")
    risk_phrases = models.JSONField(_("risk phrases found"), default=list, blank=True, db_default=[])

    class Meta:
        ordering = ["reported_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["screening_result_id"], condition=~models.Q(screening_result_id=""),
                                    name="one_report_per_screening_result"),
        ]

    def __str__(self) -> str:
        return f"{self.source} @ {self.reported_at:%Y-%m-%d %H:%M}"


class WarningEvent(models.Model):
    """One step in a warning's history: who, when, why, from and to. Append-only: no code path updates or
    deletes a row, and on PostgreSQL a trigger refuses it (migration 0002)."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("Raised")
        REPORT_JOINED = "report_joined", _("Further report joined")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ASSESSED = "assessed", _("Assessed")
        DISMISSED = "dismissed", _("Dismissed")
        LEVEL_CHANGED = "level_changed", _("Level changed")
        INTERVENTION_STARTED = "intervention_started", _("Intervention started")
        MONITORING_STARTED = "monitoring_started", _("Monitoring")
        CLEAR_REQUESTED = "clear_requested", _("Clearing requested")
        CLEAR_APPROVED = "clear_approved", _("Clearing approved (解除)")
        CLEAR_REJECTED = "clear_rejected", _("Clearing refused")
        FOLLOW_UP_DONE = "follow_up_done", _("Follow-up visit (回访)")
        REFERRED = "referred", _("Referred (转介)")
        RETURNED_TO_NORMAL = "returned_to_normal", _("Back to normal")
        REOPENED = "reopened", _("Reopened")
        ESCALATED = "escalated", _("Escalated")
        HANDED_UP = "handed_up", _("Handed up to the district centre (服务升级)")
        HAND_UP_ACCEPTED = "hand_up_accepted", _("Accepted by the district centre")

    warning = models.ForeignKey(Warning, models.PROTECT, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    from_state = models.CharField(max_length=20, blank=True, default="")
    to_state = models.CharField(max_length=20, blank=True, default="")
    from_level = models.ForeignKey(WarningLevel, models.PROTECT, null=True, blank=True, related_name="+")
    to_level = models.ForeignKey(WarningLevel, models.PROTECT, null=True, blank=True, related_name="+")
    from_tier = models.PositiveSmallIntegerField(null=True, blank=True, choices=Tier.choices)
    to_tier = models.PositiveSmallIntegerField(null=True, blank=True, choices=Tier.choices)
    reason = models.TextField(_("why"), blank=True, default="")
    # Professional detail (assessment findings, measures): shown only to those who may read clinical records.
    clinical_note = models.TextField(_("clinical note"), blank=True, default="")
    # A peer reporter (朋辈) is promised anonymity: the actor is shown only to the care team (clinical roles).
    actor_protected = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["warning", "at"]), models.Index(fields=["kind", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at:%Y-%m-%d %H:%M}"


class RiskPhrase(models.Model):
    """A phrase that, found in the text of a human report, marks a statement of suicidal intent or self-harm
    (不想活, 想死, 割腕 …): the report enters at the highest level. The city administrator edits the list."""

    phrase = models.CharField(_("phrase"), max_length=40, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["phrase"]
        verbose_name = _("risk phrase")

    def __str__(self) -> str:
        return self.phrase


class FollowUp(models.Model):
    """A follow-up (回访) with a due date. Scheduled during continued attention (持续关注) after clearing, while a
    warning is open, from a case plan or after a hospital discharge; or recorded as it happens (`due_on` is then
    the day of the visit). `origin` and `origin_id` say what scheduled it (a plan's or referral's id: those apps
    sit above this one, so the link is a plain id). Overdue ones come first in the responsible person's queue
    and escalate when long overdue (alerts/escalation.py)."""

    class Origin(models.TextChoices):
        CLEARING = "clearing", _("After clearing")
        WARNING = "warning", _("While the warning is open")
        PLAN = "plan", _("From the case plan")
        DISCHARGE = "discharge", _("After hospital discharge")
        VISIT = "visit", _("Recorded visit")

    student = models.ForeignKey("people.Student", models.PROTECT, related_name="follow_ups")
    warning = models.ForeignKey(Warning, models.PROTECT, null=True, blank=True, related_name="follow_ups")
    origin = models.CharField(_("scheduled from"), max_length=10, choices=Origin.choices, default=Origin.CLEARING)
    origin_id = models.BigIntegerField(null=True, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("responsible"))
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["due_on"], name="alerts_followup_open_idx",
                                condition=models.Q(done_at__isnull=True)),
                   models.Index(fields=["assigned_to", "due_on"], name="alerts_followup_mine_idx",
                                condition=models.Q(done_at__isnull=True)),
                   models.Index(fields=["student", "due_on"], name="alerts_followup_student_idx")]

    def __str__(self) -> str:
        return f"follow-up {self.due_on}"


class ScheduledJob(models.Model):
    """When a scheduled job last ran and for which slot ("2026-05-01" for a daily job). The scheduler claims a
    slot with a conditional UPDATE, so a restart or a second scheduler never runs (or sends) it twice."""

    name = models.CharField(max_length=60, unique=True)
    last_slot = models.CharField(max_length=40, blank=True, default="")
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_result = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.last_slot})"


class DailyReport(models.Model):
    """A daily key-case report (一日一报) as sent: one per school or district and day."""

    unit = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    day = models.DateField()
    built_at = models.DateTimeField()
    counts = models.JSONField(default=dict)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="one_daily_report_per_unit_and_day")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.day}"
