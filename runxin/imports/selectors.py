"""Reads of the import app. Every function takes the acting user."""

import json

from django.http import Http404
from django.utils.translation import gettext

from runxin.access import roles, scope
from runxin.org.models import OrgUnit

from .models import ImportBatch
from .services import may_import
from .validation import Problem


def schools_for_import(user, kind: str = ImportBatch.Kind.STUDENTS) -> list[OrgUnit]:
    """Schools inside the user's scope where they may import (a psychology teacher: their school;
    centre staff: the schools of their district)."""
    permission = roles.STAFF_IMPORT if kind == ImportBatch.Kind.STAFF else roles.ROSTER_IMPORT
    return list(scope.units(user, permission).filter(kind=OrgUnit.Kind.SCHOOL, is_active=True).order_by("name")[:500])


def recent_batches(user, limit: int = 20) -> list[ImportBatch]:
    return list(ImportBatch.objects.filter(created_by=user).select_related("school").defer(
        "problems", "sample", "columns", "one_time_secrets")[:limit])


def batch_or_404(user, batch_id: int) -> ImportBatch:
    """The batch, for its owner or a user who may import that kind at its school; 404 for anyone else
    (the preview shows student data, and the page must not reveal that the batch exists)."""
    batch = ImportBatch.objects.select_related("school", "created_by").filter(pk=batch_id).first()
    if batch is None or not user.is_authenticated:
        raise Http404("No such import")
    if batch.created_by_id != user.pk and not may_import(user, batch.school, batch.kind):
        raise Http404("No such import")
    return batch


def reason(message: str, params: dict) -> str:
    text = gettext(message)
    return text % params if params else text


def problems_for_page(batch: ImportBatch) -> list[dict]:
    return [{"line": p["line"], "column": p["column"], "reason": reason(p["message"], p["params"])}
            for p in batch.problems]


def problem_reason(problem: Problem) -> str:
    return reason(problem.message, problem.params)


def error_text(batch: ImportBatch) -> str:
    if not batch.error:
        return ""
    data = json.loads(batch.error)
    return reason(data["message"], data["params"])


def earlier_import_of_same_file(batch: ImportBatch) -> ImportBatch | None:
    """The last import of a byte-identical file into the same school, to say so on the preview."""
    return (ImportBatch.objects.filter(sha256=batch.sha256, school_id=batch.school_id, kind=batch.kind,
                                       status=ImportBatch.Status.IMPORTED)
            .exclude(pk=batch.pk).only("id", "imported_at", "original_name").order_by("-imported_at").first())
