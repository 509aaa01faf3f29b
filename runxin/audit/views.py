"""The audit search (审计查询): for the audit administrator only."""

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from runxin.access import roles
from runxin.access.decorators import requires

from . import export as exports
from . import selectors
from .forms import AuditFilterForm


def _form(request) -> AuditFilterForm:
    # An empty query is a valid search for everything.
    return AuditFilterForm(request.GET or {})


@requires(roles.AUDIT_SEARCH)
@require_safe
def search(request):
    form = _form(request)
    page = None
    if form.is_valid():
        page = selectors.audit_search(
            request.user, form.filters(),
            before=selectors.Position.decode(request.GET.get("before")),
            after=selectors.Position.decode(request.GET.get("after")),
        )
    query = request.GET.copy()
    for key in ("before", "after"):
        query.pop(key, None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "audit/_results.html" if request.htmx and request.htmx.target == "audit-results" else "audit/search.html"
    return render(request, template, context)


@requires(roles.AUDIT_SEARCH)
@require_safe
def export(request, file_format: str):
    if file_format not in {"csv", "xlsx"}:
        raise Http404("No such export format")
    form = _form(request)
    if not form.is_valid():
        return render(request, "audit/search.html", {"form": form, "page": None, "query": ""}, status=400)
    filters = form.filters()
    exports.export_start(user=request.user, filters=filters, file_format=file_format, request=request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if file_format == "csv":
        response = StreamingHttpResponse(exports.csv_chunks(request.user, filters), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.xlsx_bytes(request.user, filters),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{file_format}"'
    return response


@requires(roles.AUDIT_SEARCH)
@require_safe
def change_detail(request, entry_id: int):
    detail = selectors.change_detail(request.user, entry_id)
    return render(request, "audit/change_detail.html", {"detail": detail})
