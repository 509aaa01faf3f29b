"""The published schema, and schemathesis runs of it against the WSGI app: no 5xx for generated requests
with a school account's token, and no 2xx for any operation called with school B's ids and units."""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from runxin.api.models import ApiCall
from runxin.api.views import ApiView
from runxin.imports.models import ImportBatch

pytestmark = pytest.mark.django_db
EXAMPLES = 15  # per operation: about 200 requests in all, well under a minute


@pytest.fixture
def wsgi():
    """The Django WSGI app called in the test's thread and transaction (as the test client does: requests
    must not close the connection that holds the test's transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _schema(api, wsgi):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi,
                                          headers={"Authorization": f"Bearer {api.a.raw}"})


def test_schema_is_published_to_tokens_and_staff_only(api, client_for):
    assert api.a.client.get(reverse("api:schema")).status_code == 200
    assert client_for(api.world.psych).get(reverse("api:schema")).status_code == 200
    assert client_for(api.world.outsider).get(reverse("api:schema")).status_code == 403
    for family in (api.world.student_user, api.world.parent, api.world.committee):
        assert client_for(family).get(reverse("api:schema")).status_code == 403
    assert api.a.client.__class__().get(reverse("api:schema")).status_code == 403
    docs = client_for(api.world.psych).get(reverse("api:docs"))
    assert docs.status_code == 200 and b"swagger-ui" in docs.content and b"cdn" not in docs.content.lower()
    assert client_for(api.world.outsider).get(reverse("api:docs")).status_code == 403


def test_every_api_view_declares_permissions():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for view in subclasses(ApiView):
        assert view.required_permissions, f"{view.__name__} declares no permission"


def _run(operation, strategy, check):
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        check(case)

    run()


def test_no_server_error_for_generated_requests(api, wsgi):
    headers = {"Authorization": f"Bearer {api.a.raw}"}
    schema = _schema(api, wsgi)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    def check(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])

    for operation in operations:
        _run(operation, operation.as_strategy(), check)
    statuses = set(ApiCall.objects.values_list("status", flat=True))
    assert ApiCall.objects.count() >= 5 * len(operations) and 200 in statuses and not any(s >= 500 for s in statuses)


def test_school_b_objects_are_never_answered_with_2xx(api, wsgi):
    """School A's token, every operation, with school B's warning, import batch and units in its path and
    query: 403 or 404 (or 400 for an input refused before any lookup), never 2xx."""
    w = api.world
    batch_b = ImportBatch.objects.create(kind="students", school=w.other_school, created_by=api.b.user,
                                         created_at=api.warning_b.raised_at, file="x.csv",
                                         original_name="x.csv", sha256="0" * 64, status="previewed")
    ids = {"warning_id": api.warning_b.pk, "batch_id": batch_b.pk, "campaign_id": 10**9}
    headers = {"Authorization": f"Bearer {api.a.raw}"}
    schema = _schema(api, wsgi)
    seen = []

    def check(case):
        response = case.call(headers=headers)
        seen.append(response.status_code)
        assert response.status_code in {400, 403, 404, 405, 409}, (
            f"{case.method} {case.formatted_path} {case.query} answered {response.status_code}")

    for result in schema.get_all_operations():
        operation = result.ok()
        names = {p.name for p in operation.path_parameters}
        query_names = {p.name for p in operation.query}
        if not names and "unit" not in query_names:
            continue  # covered below (lists without filters, the upload)
        strategy = operation.as_strategy(
            path_parameters={name: ids[name] for name in names} or None,
            query={"unit": w.other_school.pk} if "unit" in query_names else None)
        _run(operation, strategy, check)
    assert 404 in seen

    # Lists without a filter hold none of school B's students or warnings; the upload refuses school B.
    body = api.a.client.get(reverse("api:students"), {"page_size": 1000}).json()
    assert w.w1.pk not in {row["id"] for row in body["results"]}
    body = api.a.client.get(reverse("api:warnings")).json()
    assert api.warning_b.pk not in {row["warning_id"] for row in body["results"]}
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("r.csv", b"a,b\n1,2\n")
    response = api.a.client.post(reverse("api:import_batch_create"), {"school_id": w.other_school.pk, "file": upload})
    assert response.status_code == 404
