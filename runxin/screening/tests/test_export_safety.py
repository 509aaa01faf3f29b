"""The screening results workbook goes through the one export writer: a name that is a formula stays text,
the requester is named in the workbook, and the download is recorded in audit.Export."""

import io
import uuid

import pytest
from openpyxl import load_workbook

from runxin.audit.models import Export
from runxin.screening import services
from runxin.screening.models import Submission

from .helpers import phqa_answers, target_of

pytestmark = pytest.mark.django_db

EVIL = "=HYPERLINK(\"http://x\",\"a\")"


def _hand_in(campaign, student):
    accepted = services.submission_accept(target=target_of(campaign, student), client_id=uuid.uuid4(),
                                          answers={"phqa": phqa_answers(1)})
    return Submission.objects.get(pk=accepted.submission_id)


def _workbook(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_formula_name_is_a_plain_string_and_the_requester_is_named(world, client_for, campaign):
    world.a1.name = EVIL
    world.a1.save()
    _hand_in(campaign, world.a1)
    response = client_for(world.psych).get(f"/screening/campaigns/{campaign.pk}/export.xlsx")
    assert response.status_code == 200
    book = _workbook(response)
    results = book.worksheets[0]
    [name_cell] = [c for row in results.iter_rows(min_row=2) for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert name_cell.data_type == "s" and name_cell.value == "'" + EVIL  # text, never a formula
    assert not any(c.data_type == "f" for ws in book.worksheets for row in ws.iter_rows() for c in row)
    assert book.properties.creator == "psych"
    info = {row[0]: row[1] for row in book.worksheets[-1].iter_rows(values_only=True)}
    assert info["Exported by"] == "psych"
    export = Export.objects.get()
    assert (export.user, export.file_format, export.filters) == (
        world.psych, "xlsx", {"export": "screening.results", "campaign": campaign.pk})


def test_refused_export_writes_no_audit_record(world, client_for, campaign):
    _hand_in(campaign, world.a1)
    for stranger in (world.head, world.outsider, world.leader):
        assert client_for(stranger).get(f"/screening/campaigns/{campaign.pk}/export.xlsx").status_code in (403, 404)
    assert not Export.objects.exists()
