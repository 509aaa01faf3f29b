"""Deny by default: an API view states the permissions it needs (`required_permissions`, from the catalogue in
access/roles.py); a view that states none is refused. Only a token of an integration account opens it."""

from rest_framework.permissions import BasePermission

from runxin.access import roles, scope

from .models import ApiToken


class DeclaredPermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        required = getattr(view, "required_permissions", None)
        if not required:
            return False
        if not isinstance(request.auth, ApiToken):
            return False
        return all(scope.has_permission(request.user, permission) for permission in required)


class TokenOrStaff(BasePermission):
    """The schema and its docs page: any API token, or a signed-in member of staff (not a student, a parent or a
    class psych committee member: the API is for integrations and the people who run them)."""

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiToken):
            return True
        if not getattr(request.user, "is_authenticated", False):
            return False
        return any(grant.role not in STUDENT_SIDE for grant in scope.grants(request.user))


STUDENT_SIDE = roles.STUDENT_SIDE_ROLES
