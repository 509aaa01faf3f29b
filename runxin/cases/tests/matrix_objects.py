"""Records of this app for the access matrix (access/tests/test_access_matrix.py): one per relation, seen from
the matrix's person at 东区第一中学 七年级(1)班. build(w) returns {url parameter name: {relation: pk}}; w is the
matrix world (w.student[relation], w.warning[relation], w.psych, w.leader, w.hospital, ...)."""


def build(w) -> dict[str, dict[str, int]]:
    ids: dict[str, dict[str, int]] = {}
    ids["review_id"] = _incident_reviews(w)
    ids["plan_id"], ids["plan_action_id"] = _plans(w)
    return ids


def _incident_reviews(w) -> dict[str, int]:
    """A post-incident review at the school of each relation's student, naming the student (opened by the city
    centre, who may open one at any school of the city)."""
    from datetime import timedelta

    from django.utils import timezone

    from runxin.cases import incidents
    from runxin.org.models import OrgUnit

    reviews = {}
    for relation, student in w.student.items():
        reviews[relation] = incidents.review_create(
            actor=w.city_centre, school=OrgUnit.objects.get(pk=student.school_id), kind="self_harm",
            incident_on=timezone.localdate() - timedelta(days=3), student=student).pk
    return reviews


def _plans(w) -> tuple[dict[str, int], dict[str, int]]:
    """An open plan (一生一策) for each relation's student with one action, opened and led by the city centre (who
    reaches every school), so the matrix's school-side people are not responsible for it; and a plan for 李二 in
    which 张一 (the matrix's student account) is a peer watcher, so the tasks page has a task to show."""
    from runxin.cases import plans

    plan_ids, action_ids = {}, {}
    for relation, student in w.student.items():
        plan = plans.plan_open(actor=w.city_centre, student=student, lead=w.city_centre, goals="matrix goals")
        plan_ids[relation] = plan.pk
        action_ids[relation] = plans.action_add(actor=w.city_centre, plan=plan, step="intervene",
                                                description="matrix action", responsible=w.city_centre).pk
    watched = plans.plan_open(actor=w.city_centre, student=w.a2, lead=w.city_centre, goals="matrix goals")
    plans.peer_watch_assign(actor=w.city_centre, plan=watched, watcher=w.a1, task="Walk to lunch together.")
    return plan_ids, action_ids
