"""What each kind of read in the read audit is, in words an auditor reads (the trail showed the codes the views
log: "alerts.queue #282", "cases.mentor_contacts"). The codes stay what is stored and searched; an unknown code
is shown as it is."""

from django.utils.translation import gettext_lazy as _

READ_LABELS = {
    "alerts.warning": _("Warning"),
    "alerts.queue": _("Warning list"),
    "alerts.my_work": _("My warning work"),
    "alerts.daily_report": _("Daily key-case report"),
    "alerts.follow_up": _("Follow-up visit"),
    "alerts.follow_ups": _("Follow-up list"),
    "alerts.provincial_export": _("Export for the provincial platform"),
    "api.students": _("API: students"),
    "api.warnings": _("API: warnings"),
    "case.file": _("Student file (一人一档)"),
    "cases.plan": _("Plan (一生一策)"),
    "cases.plan_list": _("Plan list"),
    "cases.plan_new": _("New plan"),
    "cases.my_work": _("My case work"),
    "cases.my_mentees": _("My mentees"),
    "cases.mentor_grid": _("Mentor grid"),
    "cases.mentor_contacts": _("Mentor contacts"),
    "cases.incident_review": _("Post-incident review"),
    "cases.transfer": _("Transfer of a file"),
    "counseling.session": _("Counseling session"),
    "counseling.sessions": _("Counseling sessions"),
    "counseling.session_new": _("New counseling session"),
    "counseling.consultation": _("Consultation"),
    "counseling.consultations": _("Consultations"),
    "counseling.consult_new": _("New consultation"),
    "parent.home": _("Parent's home page"),
    "parent.invitations": _("Parent invitations"),
    "referrals.referral": _("Referral"),
    "referrals.new": _("New referral"),
    "referrals.sent": _("Referrals sent"),
    "referrals.received": _("Referrals received"),
    "screening.result": _("Screening result"),
    "screening.result.fhir": _("Screening result (FHIR)"),
    "screening.results": _("Screening results"),
    "screening.results_list": _("Screening results list"),
    "screening.export": _("Screening export"),
    "screening.report.parents": _("Report for parents"),
    "screening_report.key_students": _("Screening report: key students"),
    "student.profile": _("Student profile"),
    "student.key_marks": _("Key-student markings"),
    "student_credentials": _("Student sign-in cards"),
    "visits.contact": _("Home visit or family contact"),
    "visits.class": _("Class home visits"),
    "visits.new": _("New home visit"),
    "visits.mine": _("My home visits"),
}


def read_label(code: str) -> str:
    label = READ_LABELS.get(code)
    return str(label) if label is not None else code
