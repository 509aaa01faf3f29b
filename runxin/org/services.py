"""Writes to the region tree. Paths and denormalised ancestors are maintained here and nowhere else."""

import re

from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from runxin.people import services as people_services

from . import grades
from .models import OrgUnit, SchoolYear, ServiceGroup, ServiceGroupSchool, ServiceGroupStaff
from .selectors import display_count


class TreeError(ValueError):
    pass


_PARENT_KIND = {
    OrgUnit.Kind.DISTRICT: {OrgUnit.Kind.CITY},
    OrgUnit.Kind.SCHOOL: {OrgUnit.Kind.DISTRICT},
    OrgUnit.Kind.GRADE: {OrgUnit.Kind.SCHOOL},
    OrgUnit.Kind.CLASS: {OrgUnit.Kind.GRADE},
    OrgUnit.Kind.HOSPITAL: {OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT},
    OrgUnit.Kind.MHC: {OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT},
    OrgUnit.Kind.SOCIETY: {OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT},
}


def fill_ancestry(unit: OrgUnit, parent: OrgUnit | None) -> None:
    """Set district/school/depth from the parent (path needs the id, see finish_path)."""
    if parent is None:
        unit.depth = 0
        return
    unit.depth = parent.depth + 1
    unit.district_id = parent.id if parent.kind == OrgUnit.Kind.DISTRICT else parent.district_id
    unit.school_id = parent.id if parent.kind == OrgUnit.Kind.SCHOOL else parent.school_id
    if unit.kind == OrgUnit.Kind.CLASS and parent.kind == OrgUnit.Kind.GRADE:
        unit.grade_level = parent.grade_level
        unit.school_year_id = parent.school_year_id


@transaction.atomic
def unit_create(*, kind: str, name: str, parent: OrgUnit | None = None, code: str = "", **fields) -> OrgUnit:
    """Create a node under `parent`, with its ancestor path, checking the kind fits under the parent."""
    if kind == OrgUnit.Kind.CITY:
        if parent is not None:
            raise TreeError("a city has no parent")
    elif parent is None or parent.kind not in _PARENT_KIND[kind]:
        raise TreeError(f"a {kind} cannot sit under {parent.kind if parent else 'nothing'}")
    unit = OrgUnit(kind=kind, name=name, code=code, parent=parent, **fields)
    fill_ancestry(unit, parent)
    unit.save()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    unit.save(update_fields=["path"])
    return unit


@transaction.atomic
def units_bulk_create(units: list[OrgUnit], *, batch_size: int = 2000) -> list[OrgUnit]:
    """Create many nodes at once (a school's grades, a year's classes): the same checks and ancestry as
    unit_create, in a few statements instead of two per node. Every parent must already be saved."""
    for unit in units:
        parent = unit.parent
        if parent is None or parent.pk is None or unit.kind == OrgUnit.Kind.CITY:
            raise TreeError("bulk creation needs saved parents")
        if parent.kind not in _PARENT_KIND[unit.kind]:
            raise TreeError(f"a {unit.kind} cannot sit under {parent.kind}")
        fill_ancestry(unit, parent)
        unit.path = ""
    created = OrgUnit.objects.bulk_create(units, batch_size=batch_size)
    table = OrgUnit._meta.db_table
    ids = [unit.pk for unit in created]
    with connection.cursor() as cursor:
        for start in range(0, len(ids), batch_size):
            chunk = ids[start:start + batch_size]
            marks = ", ".join(["%s"] * len(chunk))
            # One set-based statement: path = parent's path + own id (UPDATE … FROM works on PostgreSQL
            # and SQLite ≥ 3.33).
            cursor.execute(
                f"UPDATE {table} SET path = p.path || CAST({table}.id AS TEXT) || '/' "  # noqa: S608
                f"FROM {table} AS p WHERE p.id = {table}.parent_id AND {table}.id IN ({marks})",
                chunk,
            )
    for unit in created:
        unit.path = f"{unit.parent.path}{unit.pk}/"
    return created


def grade_get_or_create(*, school: OrgUnit, school_year: SchoolYear, level: int) -> OrgUnit:
    grade = OrgUnit.objects.filter(
        parent=school, kind=OrgUnit.Kind.GRADE, school_year=school_year, grade_level=level
    ).first()
    if grade is None:
        grade = unit_create(
            kind=OrgUnit.Kind.GRADE, name=grades.grade_name(level), parent=school,
            school_year=school_year, grade_level=level,
        )
    return grade


def class_get_or_create(*, school: OrgUnit, school_year: SchoolYear, level: int, number: int) -> OrgUnit:
    """The class 'level(number)' of a school in a year, creating it and its grade when missing."""
    existing = OrgUnit.objects.filter(
        school=school, kind=OrgUnit.Kind.CLASS, school_year=school_year, grade_level=level, class_number=number
    ).first()
    if existing is not None:
        return existing
    grade = grade_get_or_create(school=school, school_year=school_year, level=level)
    return unit_create(
        kind=OrgUnit.Kind.CLASS, name=grades.class_name(level, number), parent=grade,
        school_year=school_year, grade_level=level, class_number=number,
    )


def current_year() -> SchoolYear:
    year = SchoolYear.objects.filter(is_current=True).first()
    if year is None:
        raise TreeError("no current school year is set")
    return year


# --- Administration of the tree by the city administrator (pages and the units import) -------------------

SCHOOL_ID = re.compile(r"\d{10}")
PARTNER_KINDS = frozenset({OrgUnit.Kind.HOSPITAL, OrgUnit.Kind.MHC, OrgUnit.Kind.SOCIETY})
# What may be created under each kind (the pages' "add" choices and the import's check).
CHILD_KINDS = {
    OrgUnit.Kind.CITY: [OrgUnit.Kind.DISTRICT, OrgUnit.Kind.HOSPITAL, OrgUnit.Kind.MHC, OrgUnit.Kind.SOCIETY],
    OrgUnit.Kind.DISTRICT: [OrgUnit.Kind.SCHOOL, OrgUnit.Kind.HOSPITAL, OrgUnit.Kind.MHC, OrgUnit.Kind.SOCIETY],
    OrgUnit.Kind.SCHOOL: [OrgUnit.Kind.GRADE],
    OrgUnit.Kind.GRADE: [OrgUnit.Kind.CLASS],
}
# The fields each kind carries besides name and code; the others are kept empty.
KIND_FIELDS = {
    OrgUnit.Kind.SCHOOL: ("school_type", "boarding", "address", "enrolment"),
    OrgUnit.Kind.HOSPITAL: ("address",),
    OrgUnit.Kind.MHC: ("address",),
    OrgUnit.Kind.SOCIETY: ("address", "partner_type"),
    OrgUnit.Kind.GRADE: ("grade_level",),
    OrgUnit.Kind.CLASS: ("class_number",),
}
EDITABLE = ("name", "code", "school_type", "boarding", "address", "enrolment", "partner_type")


def kind_label(kind: str) -> str:
    return str(dict(OrgUnit.Kind.choices).get(kind, kind))


class UnitRefused(TreeError):
    """A change the tree refuses, with the form field it is about (None: the unit as a whole)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _clean(kind: str, values: dict, *, unit: OrgUnit | None = None, parent: OrgUnit | None = None) -> dict:
    """The checked values of a unit of `kind` (name, code and its kind's fields), or UnitRefused naming the
    field. `unit` is the unit being edited (its own code is no clash); `parent` the parent of a new one."""
    allowed = {"name", "code", *KIND_FIELDS.get(kind, ())}
    cleaned = {key: value for key, value in values.items() if key in allowed}
    name = str(cleaned.get("name") or "").strip()
    code = str(cleaned.get("code") or "").strip()
    if kind in {OrgUnit.Kind.GRADE, OrgUnit.Kind.CLASS} and not name:
        name = _generated_name(kind, cleaned, parent or (unit.parent if unit else None))
    if not name:
        raise UnitRefused(_("A name is required."), "name")
    if len(name) > 100:
        raise UnitRefused(_("The name is longer than 100 characters."), "name")
    if kind == OrgUnit.Kind.SCHOOL:
        if not SCHOOL_ID.fullmatch(code):
            raise UnitRefused(_("A school's identifier (学校标识码) is exactly 10 digits, not “%(code)s”.")
                              % {"code": code}, "code")
        if not cleaned.get("school_type"):
            raise UnitRefused(_("Choose the school type."), "school_type")
    if len(code) > 40:
        raise UnitRefused(_("The code is longer than 40 characters."), "code")
    if code:
        clash = OrgUnit.objects.filter(code=code).exclude(pk=unit.pk if unit else None).first()
        if clash is not None:
            raise UnitRefused(_("The code %(code)s is already used by %(unit)s.") % {"code": code, "unit": clash.name},
                              "code")
    if kind == OrgUnit.Kind.SOCIETY and not cleaned.get("partner_type"):
        raise UnitRefused(_("Choose the partner type (police, procuratorate, court, women's federation, "
                            "civil affairs)."), "partner_type")
    for field_name, choices in (("school_type", OrgUnit.SchoolType), ("boarding", OrgUnit.Boarding),
                                ("partner_type", OrgUnit.PartnerType)):
        value = cleaned.get(field_name) or ""
        if value and value not in choices.values:
            raise UnitRefused(_("“%(value)s” is not one of the choices.") % {"value": value}, field_name)
        if field_name in allowed:
            cleaned[field_name] = value
    enrolment = cleaned.get("enrolment")
    if enrolment not in (None, "") and (not isinstance(enrolment, int) or enrolment < 0):
        raise UnitRefused(_("The planned enrolment is a whole number of students."), "enrolment")
    if "enrolment" in allowed:
        cleaned["enrolment"] = enrolment if enrolment not in ("",) else None
    if "address" in allowed:
        cleaned["address"] = str(cleaned.get("address") or "").strip()[:200]
    cleaned["name"], cleaned["code"] = name, code
    return cleaned


def _generated_name(kind: str, values: dict, parent: OrgUnit | None) -> str:
    if kind == OrgUnit.Kind.GRADE and values.get("grade_level"):
        return grades.grade_name(int(values["grade_level"]))
    if kind == OrgUnit.Kind.CLASS and values.get("class_number") and parent is not None and parent.grade_level:
        return grades.class_name(parent.grade_level, int(values["class_number"]))
    return ""


@transaction.atomic
def unit_add(*, parent: OrgUnit, kind: str, values: dict) -> OrgUnit:
    """Create a unit under `parent` from the administrator's values (a page or an import row): checks the
    kind fits, the fields (a school's 10-digit identifier, a society unit's partner type …) and, for a grade
    or class of the current school year, that its number is not taken. Audited through the model."""
    if kind not in CHILD_KINDS.get(parent.kind, ()):
        raise UnitRefused(_("A %(kind)s cannot be created under a %(parent)s.")
                          % {"kind": kind_label(kind), "parent": kind_label(parent.kind)}, "kind")
    parent = OrgUnit.objects.select_for_update().get(pk=parent.pk)
    if not parent.is_active:
        raise UnitRefused(_("%(parent)s is closed: nothing can be added under it.") % {"parent": parent.name})
    cleaned = _clean(kind, values, parent=parent)
    extra: dict = {}
    if kind == OrgUnit.Kind.GRADE:
        level = _number(cleaned.get("grade_level"), "grade_level", 1, 12)
        year = current_year()
        if OrgUnit.objects.filter(parent=parent, kind=kind, school_year=year, grade_level=level).exists():
            raise UnitRefused(_("%(school)s already has this grade in %(year)s.")
                              % {"school": parent.name, "year": year.code}, "grade_level")
        extra = {"grade_level": level, "school_year": year}
    elif kind == OrgUnit.Kind.CLASS:
        number = _number(cleaned.get("class_number"), "class_number", 1, 99)
        if OrgUnit.objects.filter(parent=parent, kind=kind, class_number=number).exists():
            raise UnitRefused(_("%(grade)s already has class %(number)s.")
                              % {"grade": parent.name, "number": number}, "class_number")
        extra = {"class_number": number}
    fields = {k: v for k, v in cleaned.items() if k not in {"name", "code", "grade_level", "class_number"}}
    return unit_create(kind=kind, name=cleaned["name"], parent=parent, code=cleaned["code"], **fields, **extra)


def _number(value, field_name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not low <= number <= high:
        raise UnitRefused(_("Give a number from %(low)s to %(high)s.") % {"low": low, "high": high}, field_name)
    return number


@transaction.atomic
def unit_edit(*, unit: OrgUnit, values: dict) -> list[str]:
    """Change a unit's name, code and its kind's fields (not its place: see unit_move). Returns the names of
    the fields that changed; saved through the model, so the change is audited."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    current = {key: getattr(unit, key) for key in EDITABLE}
    cleaned = _clean(unit.kind, {**current, **values}, unit=unit)
    changed = [key for key in EDITABLE if key in cleaned and cleaned[key] != current[key]]
    for key in changed:
        setattr(unit, key, cleaned[key])
    if changed:
        unit.save(update_fields=changed)
    return changed


def move_targets(unit: OrgUnit) -> list[OrgUnit]:
    """Where a unit may be moved: a school to another active district of its city, a class to another grade
    of its school and school year, a partner institution to the city or one of its districts."""
    units = OrgUnit.objects.filter(is_active=True).exclude(pk=unit.parent_id)
    if unit.kind == OrgUnit.Kind.SCHOOL:
        district = unit.parent
        return list(units.filter(kind=OrgUnit.Kind.DISTRICT, parent_id=district.parent_id).order_by("code", "name"))
    if unit.kind == OrgUnit.Kind.CLASS:
        grades_of = units.filter(kind=OrgUnit.Kind.GRADE, parent_id=unit.school_id, school_year_id=unit.school_year_id)
        return sorted(grades_of, key=grades.sort_key)
    if unit.kind in PARTNER_KINDS:
        city_id = unit.ancestor_ids[0]
        return list(units.filter(Q(pk=city_id) | Q(kind=OrgUnit.Kind.DISTRICT, parent_id=city_id))
                    .order_by("depth", "code", "name"))
    return []


@transaction.atomic
def unit_move(*, unit: OrgUnit, new_parent: OrgUnit) -> OrgUnit:
    """Move a school to another district, a class to another grade of its school, or a partner institution:
    the unit's path, depth and denormalised district, those of every unit under it, and the placement
    columns of the students placed there (through people.services) all follow in this transaction. The
    students' enrollment history is unchanged: their class is the same class."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    if new_parent.pk not in {target.pk for target in move_targets(unit)}:
        if unit.kind not in {OrgUnit.Kind.SCHOOL, OrgUnit.Kind.CLASS, *PARTNER_KINDS}:
            raise UnitRefused(_("A %(kind)s cannot be moved.") % {"kind": kind_label(unit.kind)})
        raise UnitRefused(_("%(unit)s cannot be moved under %(target)s.")
                          % {"unit": unit.name, "target": new_parent.name}, "parent")
    if unit.kind == OrgUnit.Kind.CLASS and OrgUnit.objects.filter(
            parent=new_parent, kind=OrgUnit.Kind.CLASS, class_number=unit.class_number).exists():
        raise UnitRefused(_("%(grade)s already has class %(number)s.")
                          % {"grade": new_parent.name, "number": unit.class_number}, "parent")
    old_path, old_depth = unit.path, unit.depth
    old_level = unit.grade_level
    unit.parent = new_parent
    fill_ancestry(unit, new_parent)
    if unit.kind == OrgUnit.Kind.CLASS and old_level and unit.name == grades.class_name(old_level, unit.class_number):
        unit.name = grades.class_name(unit.grade_level, unit.class_number)
    unit.path = f"{new_parent.path}{unit.pk}/"
    unit.save()
    below = OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk)
    below.update(
        path=Concat(Value(unit.path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + (unit.depth - old_depth),
        district_id=unit.district_id if unit.kind == OrgUnit.Kind.SCHOOL else F("district_id"),
    )
    classes = OrgUnit.objects.filter(path__startswith=unit.path, kind=OrgUnit.Kind.CLASS).values("id")
    people_services.students_follow_classes(classes=classes)
    return unit


def deactivation_blockers(unit: OrgUnit) -> list[str]:
    """Why a unit cannot be closed yet (empty when it can): enrolled students placed under it, open warnings
    about them, or (for a city or district) active units under it."""
    from runxin.alerts.models import Warning, states
    from runxin.people.models import Student

    # Counts as everywhere outside need-to-know: 1–4 shows as "<5" (the administrators see no student records).
    reasons = []
    if not unit.is_active:
        return [_("%(unit)s is already closed.") % {"unit": unit.name}]
    placed = Student.objects.filter(school_class__path__startswith=unit.path)
    enrolled = placed.filter(status=Student.Status.ENROLLED).count()
    if enrolled:
        reasons.append(_("%(count)s enrolled students are still placed in it: transfer them or run the rollover "
                         "first.") % {"count": display_count(enrolled, exact=False)})
    open_warnings = Warning.objects.filter(student__in=placed.values("id"), state__in=states.OPEN).count()
    if open_warnings:
        reasons.append(_("%(count)s warnings about its students are still open: close them first.")
                       % {"count": display_count(open_warnings, exact=False)})
    if unit.kind in {OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT}:
        active = OrgUnit.objects.filter(parent=unit, is_active=True).count()
        if active:
            reasons.append(_("%(count)s units under it are still active: close or move them first.")
                           % {"count": active})
    return reasons


@transaction.atomic
def unit_deactivate(*, unit: OrgUnit) -> int:
    """Close a unit (a school that closed, a class that merged): nothing is deleted, the unit and its active
    grades and classes become inactive and keep their history. Refused with the reasons while students are
    enrolled there or warnings about them are open. Returns how many units were closed."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    reasons = deactivation_blockers(unit)
    if reasons:
        raise UnitRefused(" ".join(reasons))
    closed = 0
    for node in OrgUnit.objects.filter(path__startswith=unit.path, is_active=True).order_by("depth"):
        node.is_active = False
        node.save(update_fields=["is_active"])
        closed += 1
    return closed


@transaction.atomic
def unit_reactivate(*, unit: OrgUnit) -> None:
    """Open a closed unit again (its grades and classes stay as they are): refused under a closed parent."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    if unit.parent is not None and not unit.parent.is_active:
        raise UnitRefused(_("%(parent)s is closed: open it first.") % {"parent": unit.parent.name})
    if not unit.is_active:
        unit.is_active = True
        unit.save(update_fields=["is_active"])


# --- Service groups (片区) -------------------------------------------------------------------------------

def _group_values(district: OrgUnit, name: str, code: str, group: ServiceGroup | None = None) -> tuple[str, str]:
    name, code = (name or "").strip(), (code or "").strip()
    if not name:
        raise UnitRefused(_("A name is required."), "name")
    others = ServiceGroup.objects.exclude(pk=group.pk if group else None)
    if others.filter(district=district, name=name).exists():
        raise UnitRefused(_("%(district)s already has a service group named %(name)s.")
                          % {"district": district.name, "name": name}, "name")
    if code and others.filter(code=code).exists():
        raise UnitRefused(_("The code %(code)s is already used by another service group.") % {"code": code}, "code")
    return name, code


@transaction.atomic
def service_group_create(*, district: OrgUnit, name: str, code: str = "") -> ServiceGroup:
    if district.kind != OrgUnit.Kind.DISTRICT:
        raise UnitRefused(_("Service groups belong to a district."), "district")
    name, code = _group_values(district, name, code)
    return ServiceGroup.objects.create(district=district, name=name, code=code)


@transaction.atomic
def service_group_edit(*, group: ServiceGroup, name: str, code: str, is_active: bool) -> ServiceGroup:
    group.name, group.code = _group_values(group.district, name, code, group)
    group.is_active = is_active
    group.save()
    return group


@transaction.atomic
def service_group_set_schools(*, group: ServiceGroup, schools: list[OrgUnit]) -> None:
    """The group's schools become exactly `schools`: each a school of the group's district and in no other
    group (a school belongs to at most one). Each membership added or removed is an audited row."""
    for school in schools:
        if school.kind != OrgUnit.Kind.SCHOOL or school.district_id != group.district_id:
            raise UnitRefused(_("%(school)s is not a school of %(district)s.")
                              % {"school": school.name, "district": group.district.name}, "schools")
        other = (ServiceGroupSchool.objects.filter(school=school).exclude(group=group)
                 .select_related("group").first())
        if other is not None:
            raise UnitRefused(_("%(school)s already belongs to the service group %(group)s.")
                              % {"school": school.name, "group": other.group.name}, "schools")
    wanted = {school.pk for school in schools}
    for membership in group.memberships.exclude(school_id__in=wanted):
        membership.delete()
    have = set(group.memberships.values_list("school_id", flat=True))
    for school_id in sorted(wanted - have):
        ServiceGroupSchool.objects.create(group=group, school_id=school_id)


@transaction.atomic
def service_group_set_staff(*, group: ServiceGroup, users: list) -> None:
    """The group is served by exactly these centre staff users (each link added or removed is audited)."""
    wanted = {user.pk for user in users}
    for link in group.staff_links.exclude(user_id__in=wanted):
        link.delete()
    have = set(group.staff_links.values_list("user_id", flat=True))
    for user_id in sorted(wanted - have):
        ServiceGroupStaff.objects.create(group=group, user_id=user_id)
