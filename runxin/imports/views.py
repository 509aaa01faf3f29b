"""Import pages: upload, preview (polled while the check runs), import, result, downloads."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from runxin.access import roles, scope
from runxin.access.decorators import requires, signed_in
from runxin.access.read_audit import client_ip

from . import exports, selectors, services, tasks
from .columns import STAFF, STUDENTS
from .forms import CommitForm, UploadForm
from .models import ImportBatch


def _upload(request, kind: str):
    schools = selectors.schools_for_import(request.user, kind)
    form = UploadForm(request.POST or None, request.FILES or None, schools=schools)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = services.batch_create(user=request.user, school=form.cleaned_data["school"], kind=kind,
                                          upload=upload, original_name=upload.name, remote_addr=client_ip(request))
        except services.ImportRefused as error:
            form.add_error("file", selectors.reason(error.message, error.params))
        else:
            tasks.preview_batch.delay(batch.pk)
            return redirect("imports:batch_detail", batch_id=batch.pk)
    context = {"form": form, "kind": kind, "schools": schools, "batches": selectors.recent_batches(request.user),
               "other_kind_allowed": scope.has_permission(
                   request.user, roles.ROSTER_IMPORT if kind == STAFF else roles.STAFF_IMPORT)}
    return render(request, "imports/upload.html", context, status=400 if form.errors else 200)


@requires(roles.ROSTER_IMPORT)
def roster_upload(request):
    return _upload(request, STUDENTS)


@requires(roles.STAFF_IMPORT)
def staff_upload(request):
    return _upload(request, STAFF)


@signed_in
@require_GET
def batch_detail(request, batch_id: int):
    batch = selectors.batch_or_404(request.user, batch_id)
    context = {
        "batch": batch,
        "problems": selectors.problems_for_page(batch),
        "error": selectors.error_text(batch),
        "form": CommitForm(),
        "same_file": selectors.earlier_import_of_same_file(batch) if batch.can_commit else None,
        "secrets": services.batch_take_secrets(batch=batch, user=request.user)
        if batch.status == ImportBatch.Status.IMPORTED else [],
    }
    if request.htmx:
        return render(request, "imports/_batch_body.html", context)
    return render(request, "imports/batch.html", context)


@signed_in
@require_POST
def batch_commit(request, batch_id: int):
    batch = selectors.batch_or_404(request.user, batch_id)
    form = CommitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how to import: all rows or nothing, or the valid rows."))
        return redirect("imports:batch_detail", batch_id=batch.pk)
    try:
        claimed = services.batch_claim_commit(batch=batch, user=request.user, mode=form.cleaned_data["mode"])
    except PermissionDenied:
        raise Http404("No such import") from None
    if claimed:
        tasks.commit_batch.delay(batch.pk, form.cleaned_data["mode"], request.user.pk)
    else:
        messages.warning(request, _("This file is already being imported or has been imported."))
    return redirect("imports:batch_detail", batch_id=batch.pk)


@signed_in
@require_GET
def batch_rejected(request, batch_id: int, fmt: str):
    batch = selectors.batch_or_404(request.user, batch_id)
    if fmt not in ("csv", "xlsx") or not batch.rejected or not batch.problems_file:
        raise Http404("Nothing was rejected")
    return exports.rejected_response(request, batch, fmt)


@signed_in
@require_GET
def batch_file(request, batch_id: int):
    """The uploaded file itself, for its uploader or someone who may import that kind at its school (404 for
    anyone else, and once the file is purged). Always a download, never rendered by the browser."""
    from django.http import FileResponse

    batch = selectors.batch_or_404(request.user, batch_id)
    try:
        path = services.batch_file_for_download(batch=batch, user=request.user, remote_addr=client_ip(request))
    except services.ImportRefused:
        raise Http404("No such file") from None
    response = FileResponse(open(path, "rb"), as_attachment=True, filename=batch.original_name,  # noqa: SIM115
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@signed_in
@require_GET
def template_download(request, kind: str):
    if kind not in (STUDENTS, STAFF):
        raise Http404("No such template")
    content = exports.template_workbook(kind)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = "student-roster-template.xlsx" if kind == STUDENTS else "staff-template.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
