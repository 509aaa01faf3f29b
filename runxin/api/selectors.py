"""Reads of the API app. Every function takes the acting user and reads students through the scoping layer."""

from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404

from runxin.access import roles, scope
from runxin.accounts import staff
from runxin.accounts.models import User
from runxin.alerts import selectors as alert_selectors
from runxin.alerts.models import Warning
from runxin.org.models import OrgUnit
from runxin.people.models import Student

from . import services
from .models import ApiToken, IntegrationAccount

_UNIT_COLUMN = {"city": "city_id", "district": "district_id", "school": "school_id", "grade": "grade_id",
                "class": "school_class_id"}


def _unit_filter(user, unit_id: int | None, permission: str) -> dict:
    """The student filter for `?unit=`: a unit inside the user's reach for the permission, else 404."""
    if unit_id is None:
        return {}
    unit = scope.unit_or_404(user, unit_id, permission)
    column = _UNIT_COLUMN.get(unit.kind)
    if column is None:
        raise Http404("No such unit")
    return {column: unit.pk}


def students_for_sync(user, *, unit_id: int | None = None, updated_since: datetime | None = None
                      ) -> QuerySet[Student]:
    """Students the account reaches at roster level, optionally under one unit and changed since a time."""
    qs = scope.students(user, roles.STUDENT_ROSTER).filter(**_unit_filter(user, unit_id, roles.STUDENT_ROSTER))
    if updated_since is not None:
        qs = qs.filter(updated_at__gte=updated_since)
    return qs.select_related("school", "school_class").order_by("id")


def school_for_import(user, school_id: int, kind: str) -> OrgUnit:
    """A school where the account may import this kind of file (imports.services.may_import), else 404."""
    from runxin.imports.services import may_import, permission_for

    school = scope.units(user, permission_for(kind)).filter(pk=school_id, kind=OrgUnit.Kind.SCHOOL).first()
    if school is None or not may_import(user, school, kind):
        raise Http404("No such school")
    return school


def sensitive_ids(user, student_ids: list[int]) -> set[int]:
    """Of these students, those whose full 学籍号 the user may see (it carries the ID number)."""
    if not student_ids or not scope.has_permission(user, roles.STUDENT_SENSITIVE):
        return set()
    return set(scope.students(user, roles.STUDENT_SENSITIVE).filter(pk__in=student_ids).values_list("pk", flat=True))


def mask_number(number: str) -> str:
    return number[:5] + "*" * max(len(number) - 7, 0) + number[-2:] if len(number) > 7 else "*" * len(number)


def warnings_for_platform(user, *, unit_id: int | None = None, updated_since: datetime | None = None,
                          referred: bool = False) -> QuerySet[Warning]:
    """Warnings the account may open (alerts.selectors.warnings_visible), with what export_record reads."""
    qs = alert_selectors.warnings_visible(user)
    filters = _unit_filter(user, unit_id, roles.STUDENT_RISK_LEVEL)
    if filters:
        qs = qs.filter(**{f"student__{column}": value for column, value in filters.items()})
    if updated_since is not None:
        qs = qs.filter(last_event_at__gte=updated_since)
    if referred:
        qs = qs.filter(referred_at__isnull=False)
    return qs.select_related("level", "student__school", "student__district").order_by("id")


# --- the token pages --------------------------------------------------------------------------------------

def integration_accounts(user) -> list[IntegrationAccount]:
    """Integration accounts the user administers, with their tokens."""
    rows = (IntegrationAccount.objects.select_related("user").prefetch_related("tokens", "user__role_assignments")
            .order_by("user__username"))
    return [account for account in rows if services.governs(user, account.user)]


def account_or_404(user, account_id: int) -> IntegrationAccount:
    account = IntegrationAccount.objects.select_related("user").filter(pk=account_id).first()
    if account is None or not services.governs(user, account.user):
        raise Http404("No such integration account")
    return account


def token_or_404(user, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_related("account__user").filter(pk=token_id).first()
    if token is None or not services.governs(user, token.account.user):
        raise Http404("No such token")
    return token


def flaggable_account(user, username: str) -> User | None:
    """A staff account the user administers, by username (to make it an integration account)."""
    target = User.objects.filter(username__iexact=username.strip()).first()
    if target is None or not staff.manager_grants(user) or not services.governs(user, target):
        return None
    return target


def unit_label(unit: OrgUnit | None) -> str:
    return unit.name if unit else "—"
