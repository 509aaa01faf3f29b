"""Who may administer whom: the rules of staff and role administration, in one place.

Two roles hold staff.manage:
  * the security administrator (安全管理员, at the city) manages every staff account and grants every staff
    role, the other administrator roles included – but, being an administrator, reads no student records;
  * a school leader manages the staff of their own school and grants only school-level roles there
    (school leader, psychology teacher, head teacher, mentor): nothing above the school, no administrator.
Any other role that is ever given staff.manage grants nothing until it is listed here (deny by default).
A psychology teacher (staff.import, no staff.manage) hands out head-teacher and mentor roles of their school
through the staff file import, and nothing else.

Clinical roles (those holding student.clinical: psychology teacher, centre staff) come only from the level
above: a grant asked for by someone without clinical authority over the unit (a school leader) waits as a
PendingGrant until centre staff of a unit strictly above, or the security administrator, approves it. Resetting
the password or second factor of, or reactivating, an account that holds a clinical role needs the same
authority. The writes live in accounts/grants.py, the one door through which a role assignment comes to be.

Roles that name a student (student, parent, class psych committee member) are not staff roles: they belong
to a student's record and are not granted on these pages.

等保2.0 three-administrator separation: an administrator role (system, security, audit) is held alone – never
together with another administrator role or with any role that reads students. Nobody changes their own
roles or account here.
"""

from runxin.access import roles, scope


class StaffError(ValueError):
    """A refused request; the message says why, in the user's language."""


STUDENT_SIDE_ROLES = roles.STUDENT_SIDE_ROLES
ADMIN_ROLES = roles.ADMIN_ROLES
STAFF_ROLES = frozenset(roles.ROLES) - STUDENT_SIDE_ROLES
SCHOOL_ROLES = frozenset({"school_leader", "psych_teacher", "grade_leader", "head_teacher", "mentor"})

CLINICAL_ROLES = frozenset(code for code, role in roles.ROLES.items() if roles.STUDENT_CLINICAL in role.permissions)
# Who approves (or directly grants, when they may grant the role) a clinical role: centre staff at a unit
# strictly above the role's unit, or the security administrator, who is above every unit (the city's own
# centre has no level above it in the tree; the security administrator reads no student record itself).
CLINICAL_AUTHORITIES = frozenset({"centre_staff", "security_admin"})

# The roles each staff-managing role may grant, end, and whose holders' accounts it may administer.
_GRANTS: dict[str, frozenset[str]] = {
    "security_admin": STAFF_ROLES,
    "school_leader": SCHOOL_ROLES,
}
# What a role holding staff.import but not staff.manage may hand out through the staff file import.
_IMPORT_GRANTS: dict[str, frozenset[str]] = {
    "psych_teacher": frozenset({"head_teacher", "mentor"}),
}
# Account actions (deactivate, unlock, reset) touch every role the person holds: the security administrator
# may act on anyone; a school leader only on people whose every active role is one they could grant.
_ACCOUNTS: dict[str, frozenset[str]] = {
    "security_admin": frozenset(roles.ROLES),
    "school_leader": SCHOOL_ROLES,
}


def manager_grants(user) -> list[scope.Grant]:
    """The user's assignments that let them administer staff, with a unit path to bound them."""
    return [g for g in scope.grants(user) if roles.STAFF_MANAGE in g.permissions and g.unit_path
            and g.role in _GRANTS]


def grantable_roles(user) -> list[str]:
    """The role codes the user may grant somewhere, in catalogue order."""
    codes: set[str] = set()
    for grant in manager_grants(user):
        codes |= _GRANTS[grant.role]
    return [code for code in roles.ROLES if code in codes]


def grant_paths(user, role: str) -> list[str]:
    """The subtrees in which the user may grant `role`."""
    return [g.unit_path for g in manager_grants(user) if role in _GRANTS[g.role]]


def _granting_paths(user, role: str) -> list[str]:
    """Subtrees where the user may grant `role` by any door: the staff pages or the staff file import."""
    paths = grant_paths(user, role)
    for g in scope.grants(user):
        if (g.unit_path and g.role in _IMPORT_GRANTS and role in _IMPORT_GRANTS[g.role]
                and roles.STAFF_IMPORT in g.permissions):
            paths.append(g.unit_path)
    return paths


def may_grant(user, role: str, unit) -> bool:
    """Whether the user may give `role` at `unit` (the unit's kind must also suit the role). A clinical role
    granted by someone without clinical authority there still waits for approval (see grants.rule)."""
    if role not in roles.ROLES or unit is None or unit.kind not in roles.ROLE_UNIT_KINDS.get(role, set()):
        return False
    return any(unit.path.startswith(path) for path in _granting_paths(user, role))


def clinical_authority(user, unit_path: str | None) -> bool:
    """Whether the user is the level above the unit with this path for clinical roles: centre staff at a unit
    strictly above it, or the security administrator."""
    if not unit_path:
        return False
    for g in scope.grants(user):
        if g.role not in CLINICAL_AUTHORITIES or not g.unit_path or not unit_path.startswith(g.unit_path):
            continue
        if g.role == "security_admin" or g.unit_path != unit_path:
            return True
    return False


def clinical_authority_paths(user) -> list[tuple[str, bool]]:
    """(unit path, whether the unit itself is included) for each subtree where the user approves clinical
    roles; the security administrator's includes its own unit."""
    return [(g.unit_path, g.role == "security_admin") for g in scope.grants(user)
            if g.role in CLINICAL_AUTHORITIES and g.unit_path]


def governs_assignment(user, role: str, unit_path: str | None) -> bool:
    """Whether the user may end an assignment of `role` held at the unit with this path."""
    if not unit_path:
        return False
    return any(unit_path.startswith(path) for path in grant_paths(user, role))


def governs_account(user, active_assignments: list[tuple[str, str | None]]) -> bool:
    """Whether the user may act on an account whose active assignments are these (role, unit path) pairs.
    A person with no active role is governed by anyone who may see them."""
    grants = manager_grants(user)
    if not grants:
        return False
    for role, path in active_assignments:
        if not any(path and path.startswith(g.unit_path) and role in _ACCOUNTS[g.role] for g in grants):
            return False
    return True


def sees_everyone(user) -> bool:
    """The security administrator sees every staff account; a school leader only their school's."""
    return any(g.role == "security_admin" for g in manager_grants(user))


def separation_problem(new_role: str, held_roles: set[str]) -> bool:
    """True when holding `new_role` together with `held_roles` would break the administrator separation."""
    others = held_roles - {new_role}
    if new_role in ADMIN_ROLES:
        return bool(others)
    return bool(others & ADMIN_ROLES)
