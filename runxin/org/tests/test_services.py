"""Bulk creation of tree nodes keeps paths and denormalised ancestors right, and refuses misplaced kinds."""

import pytest

from runxin.org import services
from runxin.org.models import OrgUnit

pytestmark = pytest.mark.django_db


def test_bulk_created_classes_have_paths_and_ancestors(world):
    grade = world.class1.parent
    created = services.units_bulk_create([
        OrgUnit(kind=OrgUnit.Kind.CLASS, name=f"七年级({n})班", parent=grade, grade_level=7, class_number=n)
        for n in (3, 4)
    ])
    for unit in created:
        stored = OrgUnit.objects.get(pk=unit.pk)
        assert stored.path == f"{grade.path}{unit.pk}/" == unit.path
        assert (stored.school_id, stored.district_id, stored.depth) == (world.school.pk, world.east.pk, grade.depth + 1)
        assert stored.school_year_id == world.year.pk and stored.is_within(world.east)


def test_bulk_creation_refuses_a_class_under_a_school(world):
    with pytest.raises(services.TreeError, match="class cannot sit under school"):
        services.units_bulk_create([OrgUnit(kind=OrgUnit.Kind.CLASS, name="x", parent=world.school)])
    assert not OrgUnit.objects.filter(name="x").exists()


def test_bulk_creation_needs_saved_parents(world):
    unsaved = OrgUnit(kind=OrgUnit.Kind.SCHOOL, name="未保存", parent=world.east)
    with pytest.raises(services.TreeError, match="saved parents"):
        services.units_bulk_create([OrgUnit(kind=OrgUnit.Kind.GRADE, name="七年级", parent=unsaved)])
