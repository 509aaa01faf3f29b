"""Records of this app for the access matrix (access/tests/test_access_matrix.py): one per relation, seen from
the matrix's person at 东区第一中学 七年级(1)班. build(w) returns {url parameter name: {relation: pk}}; w is the
matrix world (w.student[relation], w.warning[relation], w.psych, w.leader, w.hospital, ...).

Besides the visits' own records (contact_id) this builds the follow-ups (alerts.FollowUp, follow_up_id) for the
alerts app's follow-up page, which has no module of its own in the matrix's list: one per relation, scheduled
while the relation's warning is open, through the alerts service."""

from datetime import timedelta

from django.utils import timezone

from runxin.alerts import services as alert_services
from runxin.visits import services


def build(w) -> dict[str, dict[str, int]]:
    today = timezone.localdate()
    contacts, follow_ups = {}, {}
    for relation, student in w.student.items():
        # The relation's head teacher (w.staff[relation]) records a phone call with the family.
        contact = services.contact_record(actor=w.staff[relation], student=student, kind="phone", done_on=today,
                                          summary="matrix: 电话家访", agreed="matrix: 每周联系")
        contacts[relation] = contact.pk
        follow_ups[relation] = alert_services.follow_up_schedule(
            student=student, due_on=today - timedelta(days=1), origin="warning", warning=w.warning[relation]).pk
    return {"contact_id": contacts, "follow_up_id": follow_ups}
