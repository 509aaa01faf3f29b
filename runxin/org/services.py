"""Writes to the region tree. Paths and denormalised ancestors are maintained here and nowhere else."""

from django.db import connection, transaction

from . import grades
from .models import OrgUnit, SchoolYear


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
