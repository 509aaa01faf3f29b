"""No administrator role opens a student page (等保2.0: administrators do not read student records)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor"])
def test_no_administrator_opens_a_student(world, client_for, who):
    client = client_for(getattr(world, who))
    for student in (world.a1, world.b1, world.w1):
        assert client.get(reverse("people:student_detail", args=[student.pk])).status_code in {403, 404}
    assert client.get(reverse("people:student_list")).status_code == 403
