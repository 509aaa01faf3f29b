"""The running job's progress is visible to the polling page although the import is one transaction."""

import pytest
from django.db import transaction

from runxin.imports import services
from runxin.imports.models import ImportBatch

from .helpers import student_row, write_csv


@pytest.mark.django_db(transaction=True)
def test_progress_is_written_outside_the_import_transaction(world, tmp_path):
    path = write_csv(tmp_path / "r.csv", [student_row(1)])
    batch = services.batch_create(user=world.psych, school=world.school, kind="students", upload=path,
                                  original_name="r.csv")
    progress = services._Progress(batch)
    try:
        with transaction.atomic():
            progress("importing", 0.5, 5000)
            transaction.set_rollback(True)  # the import's own work is rolled back …
    finally:
        progress.close()
    batch.refresh_from_db()
    assert (batch.phase, batch.progress, batch.rows_done) == ("importing", 0.5, 5000)  # … the progress is not
    assert ImportBatch.objects.count() == 1
