"""Counseling sessions with the structured record Changzhou requires, and consultation (会诊) with the district
centre's expert pool. Every free-text field about a student is encrypted at rest (encrypted_model_fields:
MultiFernet over settings.FIELD_ENCRYPTION_KEY); the database holds only ciphertext."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_model_fields.fields import EncryptedTextField


class CounselingSession(models.Model):
    class Form(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        GROUP = "group", _("Group")
        PHONE = "phone", _("Phone")
        ONLINE = "online", _("Online")

    student = models.ForeignKey("people.Student", models.PROTECT, related_name="counseling_sessions")
    school = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    warning = models.ForeignKey("alerts.Warning", models.PROTECT, null=True, blank=True, related_name="+")
    held_at = models.DateTimeField(_("held at"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    form = models.CharField(_("form"), max_length=12, choices=Form.choices)
    current_state = EncryptedTextField(_("current state"), blank=True, default="")
    main_problem = EncryptedTextField(_("main problem"), blank=True, default="")
    assessment = EncryptedTextField(_("assessment"), blank=True, default="")
    analysis = EncryptedTextField(_("analysis"), blank=True, default="")
    measures = EncryptedTextField(_("measures"), blank=True, default="")
    effect = EncryptedTextField(_("effect evaluation"), blank=True, default="")
    next_session_on = models.DateField(_("next session"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["student", "held_at"]), models.Index(fields=["school", "held_at"]),
                   models.Index(fields=["counselor", "held_at"])]
        ordering = ["-held_at", "-pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class ExpertPoolMember(models.Model):
    """The district centre's expert pool (专家库): who may be asked for a consultation."""

    district = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    speciality = models.CharField(_("speciality"), max_length=120, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "user"], name="one_pool_row_per_expert")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class Consultation(models.Model):
    """会诊: a school asks the district centre's experts about a case; their opinions are recorded."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    student = models.ForeignKey("people.Student", models.PROTECT, related_name="consultations")
    school = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    district = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    warning = models.ForeignKey("alerts.Warning", models.PROTECT, null=True, blank=True, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"))
    question = EncryptedTextField(_("the question"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    conclusion = EncryptedTextField(_("conclusion"), blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["district", "status"]), models.Index(fields=["student", "requested_at"])]
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class ConsultationOpinion(models.Model):
    consultation = models.ForeignKey(Consultation, models.PROTECT, related_name="opinions")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    given_at = models.DateTimeField()
    opinion = EncryptedTextField(_("opinion"))
    recommendations = EncryptedTextField(_("recommendations"), blank=True, default="")

    class Meta:
        ordering = ["given_at", "pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class CaseAnalysisReport(models.Model):
    """A school's case-analysis report for a term (个案分析报告, Changzhou)."""

    school = models.ForeignKey("org.OrgUnit", models.PROTECT, related_name="+")
    school_year = models.ForeignKey("org.SchoolYear", models.PROTECT, related_name="+")
    semester = models.PositiveSmallIntegerField(_("semester"), choices=[(1, _("First semester")),
                                                                      (2, _("Second semester"))])
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    summary = EncryptedTextField(_("analysis"))
    cases_count = models.PositiveIntegerField(default=0)
    finalised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "school_year", "semester"],
                                               name="one_case_report_per_school_term")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"
