"""The REST API for integrations (/api/v1/). Thin: each endpoint validates its input with a serializer, calls
a selector or a service of the owning app, and shapes the answer.

Access: DenyUndeclaredViewsMiddleware lets these views through because ApiView declares `runxin_access`;
what each may do is decided by DRF's permission class (permissions.DeclaredPermission), which refuses any
view without `required_permissions` and any caller without an integration account's token. Every call leaves
an ApiCall row; every answer with identified student data leaves read-audit rows first (fail closed)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from runxin.access import read_audit, roles
from runxin.access.read_audit import client_ip
from runxin.alerts import intake
from runxin.alerts import selectors as alert_selectors
from runxin.alerts.export import export_record
from runxin.alerts.models import Warning
from runxin.alerts.services import WarningError
from runxin.imports import selectors as import_selectors
from runxin.imports import services as import_services
from runxin.imports import tasks as import_tasks
from runxin.imports.models import ImportBatch
from runxin.screening import selectors as screening_selectors

from . import selectors, services
from . import serializers as s
from .authentication import ApiTokenAuthentication
from .models import ApiToken
from .permissions import TokenOrStaff

BIGINT_MAX = 2**63 - 1
API_ACCESS = "api_token"  # what DenyUndeclaredViewsMiddleware reads; DeclaredPermission decides the rest


def exception_handler(exc, context):
    """DRF's handler, plus: a refused service call is a 403 or a 400, a failed read audit a 503 (no data)."""
    if isinstance(exc, read_audit_failed()):
        return Response({"detail": "The read could not be audited; nothing was sent. Retry later."},
                        status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "60"})
    if isinstance(exc, import_services.ImportRefused | WarningError | services.TokenError):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def read_audit_failed() -> type[Exception]:
    return getattr(read_audit, "ReadAuditFailed", _NeverRaised)


class _NeverRaised(Exception):
    pass


def _audit_reads(request, student_ids: list[int], record_type: str) -> None:
    """One read-audit row per student returned, written before the answer is sent."""
    if not student_ids:
        return
    read_audit.record_reads(user=request.user, students=student_ids, record_type=record_type, request=request,
                            purpose="api")


class ApiView(APIView):
    runxin_access = API_ACCESS
    required_permissions: tuple[str, ...] = ()  # none: refused (DeclaredPermission)

    def dispatch(self, request, *args, **kwargs):
        self.returned_students: list[int] = []
        try:
            with transaction.atomic():
                response = super().dispatch(request, *args, **kwargs)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
        except Exception:
            self._record(request, 500)
            raise
        self._record(request, response.status_code)
        return response

    def _record(self, django_request, status_code: int) -> None:
        drf_request = getattr(self, "request", None)
        token = getattr(drf_request, "_auth", None)
        token = token if isinstance(token, ApiToken) else None
        services.call_record(token=token, user=token.account.user if token else None, method=django_request.method,
                             path=django_request.get_full_path(), status=status_code,
                             student_ids=self.returned_students if status_code < 300 else (),
                             remote_addr=client_ip(django_request))

    def audit(self, student_ids: list[int], record_type: str) -> None:
        _audit_reads(self.request, student_ids, record_type)
        self.returned_students.extend(student_ids)


class IdPagination(CursorPagination):
    """Pages by id, without a count: follow `next` until it is null."""

    ordering = "id"
    page_size = 200
    page_size_query_param = "page_size"
    max_page_size = 1000


class _SyncQuery(serializers.Serializer):
    unit = serializers.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX,
                                    help_text="Only under this org unit (city, district, school, grade or class).")
    updated_since = serializers.DateTimeField(required=False, help_text="Only records changed since (ISO 8601).")


SYNC_PARAMETERS = [
    OpenApiParameter("unit", int, description="Only under this org unit (404 outside the account's reach)."),
    OpenApiParameter("updated_since", str, description="ISO 8601 date-time: only records changed since."),
    OpenApiParameter("cursor", str, description="The `next` link's cursor."),
    OpenApiParameter("page_size", int, description="Up to 1000 (default 200)."),
]


def _query(request) -> dict:
    query = _SyncQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _page(view: ApiView, queryset) -> tuple[IdPagination, list]:
    paginator = IdPagination()
    return paginator, paginator.paginate_queryset(queryset, view.request, view=view)


# --- roster sync (学籍系统) -----------------------------------------------------------------------------

class StudentList(ApiView):
    required_permissions = (roles.STUDENT_ROSTER,)

    @extend_schema(operation_id="students_list", parameters=SYNC_PARAMETERS,
                   responses={200: s.StudentSerializer(many=True)}, tags=["roster"],
                   description="Students the account reaches, by id, for a sync (学籍同步).")
    def get(self, request):
        query = _query(request)
        qs = selectors.students_for_sync(request.user, unit_id=query.get("unit"),
                                         updated_since=query.get("updated_since"))
        paginator, rows = _page(self, qs)
        ids = [student.pk for student in rows]
        full = selectors.sensitive_ids(request.user, ids)
        self.audit(ids, "api.students")
        data = [{
            "id": st.pk, "student_number": st.student_number if st.pk in full else selectors.mask_number(
                st.student_number),
            "name": st.name, "sex": st.sex, "status": st.status, "school_id": st.school_id,
            "school_code": st.school.code if st.school else None, "class_id": st.school_class_id,
            "class_name": st.school_class.name if st.school_class else None, "updated_at": st.updated_at,
        } for st in rows]
        return paginator.get_paginated_response(s.StudentSerializer(data, many=True).data)


def _batch_data(batch: ImportBatch) -> dict:
    return {
        "id": batch.pk, "kind": batch.kind, "status": batch.status, "mode": batch.mode, "school_id": batch.school_id,
        "original_name": batch.original_name, "rows_read": batch.rows_read, "created": batch.created,
        "updated": batch.updated, "unchanged": batch.unchanged, "rejected": batch.rejected,
        "error": import_selectors.error_text(batch), "problems": import_selectors.problems_for_page(batch),
        "created_at": batch.created_at, "imported_at": batch.imported_at,
    }


class ImportBatchCreate(ApiView):
    """Upload a roster (or staff) file: the same service as the import page (imports.services.batch_create),
    then the same check (preview) job. Commit it with /import-batches/{id}/commit/."""

    required_permissions = (roles.ROSTER_IMPORT,)

    @extend_schema(operation_id="import_batches_create", request={"multipart/form-data": s.ImportBatchCreateSerializer},
                   responses={201: s.ImportBatchSerializer, 400: s.ErrorSerializer, 404: s.ErrorSerializer},
                   tags=["roster"])
    def post(self, request):
        form = s.ImportBatchCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        kind = form.validated_data["kind"]
        school = selectors.school_for_import(request.user, form.validated_data["school_id"], kind)
        upload = form.validated_data["file"]
        try:
            batch = import_services.batch_create(user=request.user, school=school, kind=kind, upload=upload,
                                                 original_name=upload.name or "upload", via="api",
                                                 remote_addr=client_ip(request))
        except PermissionDenied:
            raise Http404("No such school") from None
        transaction.on_commit(lambda: import_tasks.preview_batch.delay(batch.pk))
        return Response(s.ImportBatchSerializer(_batch_data(batch)).data, status=status.HTTP_201_CREATED)


class ImportBatchDetail(ApiView):
    required_permissions = (roles.ROSTER_IMPORT,)

    @extend_schema(operation_id="import_batches_retrieve", responses={200: s.ImportBatchSerializer,
                                                                      404: s.ErrorSerializer}, tags=["roster"])
    def get(self, request, batch_id: int):
        batch = import_selectors.batch_or_404(request.user, batch_id)
        return Response(s.ImportBatchSerializer(_batch_data(batch)).data)


class ImportBatchCommit(ApiView):
    required_permissions = (roles.ROSTER_IMPORT,)

    @extend_schema(operation_id="import_batches_commit", request=s.ImportCommitSerializer,
                   responses={202: s.ImportBatchSerializer, 404: s.ErrorSerializer, 409: s.ErrorSerializer},
                   tags=["roster"], description="Import a checked batch: `all` rows or nothing, or the `valid` rows.")
    def post(self, request, batch_id: int):
        batch = import_selectors.batch_or_404(request.user, batch_id)
        form = s.ImportCommitSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        mode = form.validated_data["mode"]
        try:
            claimed = import_services.batch_claim_commit(batch=batch, user=request.user, mode=mode)
        except PermissionDenied:
            raise Http404("No such import") from None
        if not claimed:
            return Response({"detail": "This batch is not waiting to be imported (still checking, already "
                                       "imported, or unreadable)."}, status=status.HTTP_409_CONFLICT)
        user_id = request.user.pk
        transaction.on_commit(lambda: import_tasks.commit_batch.delay(batch.pk, mode, user_id))
        batch.refresh_from_db()
        return Response(s.ImportBatchSerializer(_batch_data(batch)).data, status=status.HTTP_202_ACCEPTED)


# --- warnings (provincial platform) and hospital feedback -----------------------------------------------

class WarningList(ApiView):
    required_permissions = (roles.ALERT_QUEUE, roles.STUDENT_RISK_LEVEL)
    referred_only = False

    @extend_schema(operation_id="warnings_list", parameters=SYNC_PARAMETERS,
                   responses={200: s.WarningRecordSerializer(many=True)}, tags=["warnings"],
                   description="Warnings the account may open, as records of the provincial export "
                               "(docs/provincial-export.md). `updated_since` compares with `updated_at`.")
    def get(self, request):
        query = _query(request)
        qs = selectors.warnings_for_platform(request.user, unit_id=query.get("unit"),
                                             updated_since=query.get("updated_since"), referred=self.referred_only)
        paginator, rows = _page(self, qs)
        self.audit([w.student_id for w in rows], "api.warnings")
        return paginator.get_paginated_response([export_record(w) for w in rows])


class ReferralList(WarningList):
    referred_only = True

    @extend_schema(operation_id="referrals_list", parameters=SYNC_PARAMETERS,
                   responses={200: s.WarningRecordSerializer(many=True)}, tags=["hospital"],
                   description="Warnings with a referral (转介) recorded (`referred_at`, set when a school refers "
                               "the student from the warning). The referral itself (receiving unit, guardian "
                               "informed, first visit, admission, discharge, return-to-school assessment) is kept "
                               "by the referrals app and worked on its pages (/referrals/): a partner hospital's "
                               "clinicians answer there.")
    def get(self, request):
        return super().get(request)


class WarningDetail(ApiView):
    required_permissions = (roles.ALERT_QUEUE, roles.STUDENT_RISK_LEVEL)

    @extend_schema(operation_id="warnings_retrieve", responses={200: s.WarningRecordSerializer,
                                                                404: s.ErrorSerializer}, tags=["warnings"])
    def get(self, request, warning_id: int):
        warning = alert_selectors.warning_or_404(request.user, warning_id)
        self.audit([warning.student_id], "api.warning")
        return Response(export_record(warning))


class HospitalFeedback(ApiView):
    """A hospital's feedback about a referred warning, entered as a report from a hospital
    (alerts.intake.warning_report, source "hospital"): it joins the student's open warning or opens one."""

    required_permissions = (roles.ALERT_RAISE, roles.STUDENT_RISK_LEVEL)

    @extend_schema(operation_id="warnings_hospital_feedback", request=s.HospitalFeedbackSerializer,
                   responses={201: s.FeedbackResultSerializer, 400: s.ErrorSerializer, 404: s.ErrorSerializer,
                              409: s.ErrorSerializer}, tags=["hospital"])
    def post(self, request, warning_id: int):
        warning = alert_selectors.warning_or_404(request.user, warning_id)
        form = s.HospitalFeedbackSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        if warning.referred_at is None:
            return Response({"detail": "This warning has no referral recorded."}, status=status.HTTP_409_CONFLICT)
        try:
            result = intake.warning_report(actor=request.user, student=warning.student, source=Warning.Source.HOSPITAL,
                                           summary=form.validated_data["summary"],
                                           reporter_name=form.validated_data["hospital_name"],
                                           urgency=form.validated_data.get("urgency", ""))
        except PermissionDenied as error:
            raise exceptions.PermissionDenied("This account may not enter hospital reports.") from error
        return Response(s.FeedbackResultSerializer({"warning_id": result.pk, "level_code": result.level.code,
                                                    "state": result.state}).data, status=status.HTTP_201_CREATED)


# --- screening results summaries -------------------------------------------------------------------------

class CampaignList(ApiView):
    required_permissions = (roles.SCREENING_RESULTS,)

    @extend_schema(operation_id="screening_campaigns_list", responses={200: s.CampaignSerializer(many=True)},
                   parameters=SYNC_PARAMETERS[2:], tags=["screening"])
    def get(self, request):
        qs = screening_selectors.campaigns_visible(request.user, roles.SCREENING_RESULTS)
        paginator, rows = _page(self, qs)
        return paginator.get_paginated_response(s.CampaignSerializer([{
            "id": c.pk, "name": c.name, "kind": c.kind, "status": c.status, "owner_id": c.owner_id,
            "window_start": c.window_start, "window_end": c.window_end} for c in rows], many=True).data)


class CampaignSummary(ApiView):
    """Band counts per class or grade for the account's clinical scope (no names: no read audit)."""

    required_permissions = (roles.SCREENING_RESULTS,)

    @extend_schema(operation_id="screening_campaigns_summary", tags=["screening"],
                   parameters=[OpenApiParameter("by", str, enum=["class", "grade"]),
                               OpenApiParameter("language", str, enum=["zh-hans", "en"])],
                   responses={200: s.DistributionSerializer(many=True), 404: s.ErrorSerializer})
    def get(self, request, campaign_id: int):
        campaign = screening_selectors.campaign_or_404(request.user, campaign_id, roles.SCREENING_RESULTS)
        by = "grade" if request.query_params.get("by") == "grade" else "class"
        language = "en" if request.query_params.get("language") == "en" else "zh-hans"
        rows = screening_selectors.summary(request.user, campaign, by=by, language=language)
        return Response(s.DistributionSerializer([{
            "instrument_code": d.code, "title": d.title, "not_scored": d.not_scored,
            "bands": [{"code": code, "label": label, "level": level} for code, label, level in d.bands],
            "groups": [{"group": group, "counts": counts, "total": total} for group, counts, total in d.groups],
        } for d in rows], many=True).data)


# --- the schema and its docs page --------------------------------------------------------------------------

class SchemaView(SpectacularAPIView):
    runxin_access = API_ACCESS
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [TokenOrStaff]


class DocsView(SpectacularSwaggerSplitView):
    runxin_access = API_ACCESS
    url_name = "api:schema"
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [TokenOrStaff]

