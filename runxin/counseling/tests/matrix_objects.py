"""Records of this app for the access matrix (access/tests/test_access_matrix.py): one per relation, seen from
the matrix's person at 东区第一中学 七年级(1)班. build(w) returns {url parameter name: {relation: pk}}; w is the
matrix world (w.student[relation], w.warning[relation], w.psych, w.leader, w.hospital, ...)."""

from datetime import timedelta

from django.utils import timezone


def build(w) -> dict[str, dict[str, int]]:
    from runxin.accounts.models import User
    from runxin.counseling import services

    # Each session is written by the psychology teacher of the student's school (东区第一中学: w.psych, who is
    # then the counselor the matrix signs in as), and each consultation is asked by the same person.
    psych_of = {w.school.pk: w.psych, w.other_school.pk: w.other_psych}
    e2 = User.objects.filter(username="psych_e2").first()
    if e2 is not None:
        psych_of[w.student["other_school"].school_id] = e2
    sessions, consultations = {}, {}
    for relation, student in w.student.items():
        psych = psych_of[student.school_id]
        sessions[relation] = services.session_record(
            actor=psych, student=student, held_at=timezone.now() - timedelta(hours=1), duration_minutes=45,
            form="individual", main_problem="matrix", measures="matrix").pk
        consultations[relation] = services.consultation_request(actor=psych, student=student,
                                                                question="matrix").pk
    return {"session_id": sessions, "consultation_id": consultations}
