"""Guardians' accounts: the link between a roster guardian (监护人) and the parent account that signs in with the
guardian's phone. people owns the Guardian rows; the accounts app (runxin/accounts/parents.py) calls these.

The roster stays the truth: the scoping layer (access/scope.py) lets a parent reach a child only while a
guardian row of that child names the account *and* still carries the account's phone, so a roster import that
drops a guardian or changes the number ends the access at once, before anything here runs again.
"""

from django.db import transaction

from .models import Guardian, Student


def guardians_with_phone(phone: str) -> list[Guardian]:
    """The guardian rows listing this phone for students still at school, oldest child first."""
    if not phone:
        return []
    return list(Guardian.objects.filter(phone=phone, student__status=Student.Status.ENROLLED)
                .select_related("student").order_by("student__birth_date", "student_id", "position"))


@transaction.atomic
def guardians_link(*, phone: str, user) -> list[Guardian]:
    """Name `user` (the parent account of `phone`) on every guardian row with that phone, and take it off rows
    that no longer carry the phone (a number changed on the roster). Returns the rows now linked."""
    # Row by row (a family has a few): each change goes through save(), so the change audit records it.
    for guardian in Guardian.objects.filter(user=user).exclude(phone=phone):
        guardian.user = None
        guardian.save(update_fields=["user"])
    linked = guardians_with_phone(phone)
    for guardian in linked:
        if guardian.user_id != user.pk:
            guardian.user = user
            guardian.save(update_fields=["user"])
    return linked
