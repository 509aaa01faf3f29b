"""The student's case: the plan (一生一策) built around Changchun's six steps, the school's crisis team
(心理危机干预小组), mentor contacts and their frequency per risk level, peer watch (同伴跟防), a case's transfer
with the student, and the post-incident review (复盘). The file (一人一档) is read from every app's records
(cases/selectors.py); it has no table of its own."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from encrypted_model_fields.fields import EncryptedTextField


class CrisisTeamMember(models.Model):
    """A member of a school's crisis intervention team (心理危机干预小组)."""

    class Duty(models.TextChoices):
        LEADER = "leader", _("Team leader (组长)")
        DEPUTY = "deputy", _("Deputy leader (副组长)")
        PSYCH = "psych", _("Psychology teacher")
        SAFETY = "safety", _("Safety and security")
        MEDICAL = "medical", _("School doctor")
        LIAISON = "liaison", _("Family liaison")
        MEMBER = "member", _("Member")

    school = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    duty = models.CharField(_("duty"), max_length=10, choices=Duty.choices, default=Duty.MEMBER)
    phone = models.CharField(_("duty phone"), max_length=20, blank=True, default="")
    added_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "user"], condition=Q(ended_at__isnull=True),
                                               name="one_active_crisis_team_row_per_user")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class ContactPolicy(models.Model):
    """How often a student at a warning level is contacted by their mentor and their plan reviewed (policy data,
    as Changzhou requires; edited by the city)."""

    level = models.OneToOneField("alerts.WarningLevel", models.PROTECT, related_name="+")
    mentor_contact_days = models.PositiveSmallIntegerField(_("mentor contact at least every (days)"))
    review_days = models.PositiveSmallIntegerField(_("plan reviewed at least every (days)"))

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class CasePlan(models.Model):
    """一生一策: one open plan per student."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    student = models.ForeignKey("people.Student", models.PROTECT, related_name="case_plans")
    school = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")  # the team that holds the case
    warning = models.ForeignKey("alerts.Warning", models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("opened"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                             verbose_name=_("case lead"))
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("mentor"))
    assessment = EncryptedTextField(_("assessment on filing"), blank=True, default="")
    goals = EncryptedTextField(_("goals"), blank=True, default="")
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    closing_summary = EncryptedTextField(_("closing summary"), blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student"], condition=Q(status="open"),
                                               name="one_open_plan_per_student")]
        indexes = [models.Index(fields=["school", "status"]), models.Index(fields=["lead", "status"])]
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class PlanAction(models.Model):
    """An action of the plan under one of the six steps, with who does it by when."""

    class Step(models.TextChoices):
        ASSESS = "assess", _("Assess and file (建档)")
        PAIR = "pair", _("Mentor pairing (师生结对)")
        INTERVENE = "intervene", _("Intervention (干预)")
        PEER_WATCH = "peer_watch", _("Peer watch (同伴跟防)")
        HOME_SCHOOL = "home_school", _("Home–school cooperation (家校协同)")
        REFERRAL = "referral", _("Referral (转介)")

    plan = models.ForeignKey(CasePlan, models.PROTECT, related_name="actions")
    step = models.CharField(_("step"), max_length=12, choices=Step.choices)
    description = EncryptedTextField(_("action"))
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                    verbose_name=_("responsible"))
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    outcome = EncryptedTextField(_("outcome"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["responsible", "done_at", "due_on"])]
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class PlanReview(models.Model):
    plan = models.ForeignKey(CasePlan, models.PROTECT, related_name="reviews")
    reviewed_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    progress = EncryptedTextField(_("progress"))
    next_review_on = models.DateField(_("next review"), null=True, blank=True)

    class Meta:
        ordering = ["-reviewed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class PeerWatch(models.Model):
    """同伴跟防: a named classmate with a task. The watcher sees the task and nothing else of the case."""

    plan = models.ForeignKey(CasePlan, models.PROTECT, related_name="peer_watches")
    watcher = models.ForeignKey("people.Student", models.PROTECT, related_name="peer_watch_tasks")
    task = models.TextField(_("task for the classmate"))
    started_on = models.DateField()
    ended_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["watcher", "ended_at"])]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class MentorContact(models.Model):
    """Each contact of the mentor with the paired student (Changzhou: contacts logged)."""

    class Form(models.TextChoices):
        TALK = "talk", _("Talk in person")
        PHONE = "phone", _("Phone")
        ONLINE = "online", _("Online")
        ACTIVITY = "activity", _("Activity together")

    student = models.ForeignKey("people.Student", models.PROTECT, related_name="mentor_contacts")
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    plan = models.ForeignKey(CasePlan, models.PROTECT, null=True, blank=True, related_name="mentor_contacts")
    at = models.DateTimeField()
    form = models.CharField(_("form"), max_length=10, choices=Form.choices)
    note = EncryptedTextField(_("note"), blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["student", "at"]), models.Index(fields=["mentor", "at"])]
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class CaseTransfer(models.Model):
    """A case that moved with the student to another school: the old team lost access, the new one gained it."""

    plan = models.ForeignKey(CasePlan, models.PROTECT, related_name="transfers")
    student = models.ForeignKey("people.Student", models.PROTECT, related_name="+")
    from_school = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    to_school = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    at = models.DateTimeField()
    new_lead = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class IncidentReview(models.Model):
    """复盘 after a serious incident (Jiaxing): timeline, findings, actions; seen by the district and city centres."""

    class Kind(models.TextChoices):
        SELF_HARM = "self_harm", _("Self-harm")
        ATTEMPT = "attempt", _("Suicide attempt")
        DEATH = "death", _("Death")
        VIOLENCE = "violence", _("Violence")
        MISSING = "missing", _("Missing student")
        OTHER = "other", _("Other serious incident")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINAL = "final", _("Final")

    school = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    district = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    student = models.ForeignKey("people.Student", models.PROTECT, null=True, blank=True, related_name="+")
    warning = models.ForeignKey("alerts.Warning", models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind of incident"), max_length=10, choices=Kind.choices)
    incident_on = models.DateField(_("date of the incident"))
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default=Status.DRAFT)
    timeline = EncryptedTextField(_("timeline"), blank=True, default="")  # JSON list of {"at", "what"}
    findings = EncryptedTextField(_("findings"), blank=True, default="")
    actions = EncryptedTextField(_("actions"), blank=True, default="")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+")

    class Meta:
        indexes = [models.Index(fields=["district", "status"]), models.Index(fields=["school", "status"])]
        ordering = ["-incident_on", "-pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"
