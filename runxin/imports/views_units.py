"""The city administrator's units upload (the page face of `runxin import-units`) and its template."""

import io
import tempfile
from pathlib import Path

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from runxin.access import roles
from runxin.access.decorators import requires

from . import units
from .values import Bad

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a city's unit list is a few thousand rows at most


class UnitsUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Units file (.xlsx or .csv)"))
    dry_run = forms.BooleanField(label=gettext_lazy("Only check the file, write nothing"), required=False,
                                 initial=True)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in {".xlsx", ".csv"}:
            raise forms.ValidationError(_("Only .xlsx and .csv files are read."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB: is this the right file?"))
        return upload


@requires(roles.ORG_MANAGE)
@require_http_methods(["GET", "POST"])
def units_upload(request):
    """Upload a units file: checked (dry run) or imported at once, with the report by line and column."""
    form = UnitsUploadForm(request.POST or None, request.FILES or None)
    report, error = None, None
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"units{suffix}"
            with open(path, "wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            try:
                report = units.import_units(path=path, user=request.user, dry_run=form.cleaned_data["dry_run"])
            except Bad as bad:
                error = _(bad.message) % bad.params if bad.params else _(bad.message)
    rejections = [{"line": p.line, "column": p.column, "reason": p.render(_)} for p in report.problems] if report else []
    return render(request, "imports/units_upload.html", {
        "form": form, "report": report, "error": error, "rejections": rejections,
        "dry_run": form.is_bound and form.is_valid() and form.cleaned_data["dry_run"],
        "columns": [units.HEADERS_ZH[name] for name in units.COLUMNS],
    })


@requires(roles.ORG_MANAGE)
@require_GET
def units_template(request):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "units"
    for row in units.template_rows():
        sheet.append(row)
    for column in "ABCDEFGHIJ":
        sheet.column_dimensions[column].width = 18
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="units-template.xlsx"'
    return response
