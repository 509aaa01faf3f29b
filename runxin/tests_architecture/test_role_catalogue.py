"""One role catalogue: every role is written once in access/roles.py and the role sets other modules need are
read from it, never spelled out again."""

import ast
from pathlib import Path

from runxin.access import roles

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "access" / "roles.py"


def _role_sets(path: Path):
    """Set, frozenset, tuple and list literals of two or more role codes in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Set | ast.Tuple | ast.List):
            codes = {e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in roles.ROLES}
            if len(codes) >= 2 and len(codes) == len(node.elts):
                yield node.lineno, frozenset(codes)


def test_the_catalogue_assigns_its_roles_once():
    tree = ast.parse(CATALOGUE.read_text(encoding="utf-8"))
    targets = [t.id for node in ast.walk(tree) if isinstance(node, ast.Assign | ast.AnnAssign)
               for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)]
    assert targets.count("ROLES") == 1 and targets.count("ALL_PERMISSIONS") == 1


def test_every_permission_a_role_holds_is_a_known_one_and_every_known_one_is_held():
    held = frozenset().union(*(role.permissions for role in roles.ROLES.values()))
    assert held == roles.ALL_PERMISSIONS


def test_the_catalogue_answers_the_questions_other_apps_ask():
    assert roles.STUDENT_SIDE_ROLES == {"student", "parent", "psych_committee"}
    assert roles.ADMIN_ROLES == {"system_admin", "security_admin", "audit_admin"}
    assert all(not roles.ROLES[code].permissions & {roles.STUDENT_ROSTER, roles.STUDENT_CLINICAL}
               for code in roles.ADMIN_ROLES)
    assert roles.ROLE_UNIT_KINDS["head_teacher"] == {"class", "grade"}
    assert roles.roles_at("school", roles.ALERT_HANDLE) == ("psych_teacher", "school_leader")
    assert roles.roles_at("district", roles.ALERT_HANDLE) == ("centre_staff",)


def test_no_module_spells_out_the_catalogues_role_sets_again():
    derived = {roles.STUDENT_SIDE_ROLES: "roles.STUDENT_SIDE_ROLES", roles.ADMIN_ROLES: "roles.ADMIN_ROLES"}
    # access/policy.py is the access matrix's own expectations, written independently of the catalogue on purpose.
    skipped = {CATALOGUE, ROOT / "access" / "policy.py"}
    copies = [f"{path.relative_to(ROOT)}:{line} spells {derived[codes]}"
              for path in sorted(ROOT.rglob("*.py")) if path not in skipped
              and not any(part.startswith("tests") or part == "migrations" for part in path.parts)
              for line, codes in _role_sets(path) if codes in derived]
    assert not copies, copies
