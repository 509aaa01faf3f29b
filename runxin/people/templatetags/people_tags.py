"""Showing students' details at the viewer's detail level: {% load people_tags %}.

  {% student_number student %}              the 学籍号 in full or masked, for request.user
  {% student_number student full=sees %}    when the view has already decided (the student page)
  {% may_see student "student.profile" as sees_profile %}   a detail level for one row of a list
"""

from django import template

from runxin.access import roles, scope
from runxin.people.masking import mask_student_number

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.simple_tag(takes_context=True)
def student_number(context, student, full=None) -> str:
    if student is None:
        return ""
    number = student.student_number
    if full is None:
        user = _user(context)
        full = user is not None and roles.STUDENT_SENSITIVE in scope.detail_permissions(user, student)
    return number if full else mask_student_number(number)


@register.simple_tag(takes_context=True)
def may_see(context, student, permission: str) -> bool:
    user = _user(context)
    if user is None or student is None:
        return False
    roles.roles_with(permission)  # refuses an unknown permission name
    return permission in scope.detail_permissions(user, student)
