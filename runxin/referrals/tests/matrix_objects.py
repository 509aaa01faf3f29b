"""Records of this app for the access matrix (access/tests/test_access_matrix.py): one per relation, seen from
the matrix's person at 东区第一中学 七年级(1)班. build(w) returns {url parameter name: {relation: pk}}; w is the
matrix world (w.student[relation], w.warning[relation], w.psych, w.leader, w.hospital, ...).

Each relation's student is referred to its own district's centre (not to the matrix hospital: an open referral
would open the student to the hospital's clinician on every other app's pages)."""

from django.utils import timezone

from runxin.org.models import OrgUnit
from runxin.referrals.models import Referral, ReferralEvent


def build(w) -> dict[str, dict[str, int]]:
    now = timezone.now()
    ids = {}
    for relation, student in w.student.items():
        referral = Referral.objects.create(
            student=student, from_school_id=student.school_id, to_unit=OrgUnit.objects.get(pk=student.district_id),
            reason=f"matrix {relation}", referred_at=now, referred_by=w.psych, guardian_informed_at=now,
            guardian_informed_by=w.psych, guardian_name="家长", guardian_how=Referral.GuardianHow.PHONE)
        ReferralEvent.objects.create(referral=referral, kind="sent", actor=w.psych, at=now)
        ids[relation] = referral.pk
    return {"referral_id": ids}
