import pytest
from django.test import Client

from runxin.access.read_audit import record_read
from runxin.testing.factories import TEST_PASSWORD


def sign_in(username: str, password: str, ip: str = "10.0.0.1"):
    return Client(REMOTE_ADDR=ip).post("/accounts/login/", {"username": username, "password": password})


@pytest.fixture
def events(world, client_for, settings):
    """A little history: a read, a break-glass grant and read, a guardian change, sign-ins, a lockout."""
    record_read(user=world.psych, student=world.a1, record_type="student.profile", record_id=world.a1.pk)
    client_for(world.other_psych).post(
        "/access/break-glass/",
        {"student_number": world.a1.student_number, "reason": "Student in crisis at our gate, mother asked for help"},
        REMOTE_ADDR="10.2.2.2",
    )
    client_for(world.other_psych).get(f"/students/{world.a1.pk}/", REMOTE_ADDR="10.2.2.2")
    guardian = world.a1.guardians.first()
    guardian.phone = "13800009999"
    guardian.save()
    assert sign_in("psych", TEST_PASSWORD, "10.3.3.3").status_code == 302
    settings.AXES_FAILURE_LIMIT = 5  # four failures, then the lockout (whatever LOGIN_FAILURE_LIMIT says)
    for _ in range(5):
        sign_in("head", "wrong-password", "10.4.4.4")
    return world
