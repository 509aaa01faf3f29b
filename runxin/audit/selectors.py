"""Reads of the audit trail. Every function takes the acting user; only the audit administrator gets anything.

The search merges four append-only sources (see the package docstring) into one list, newest first. Paging is
by keyset – each page remembers the position of its last row – so no page ever counts a large table, and the
list stays as fast on page 500 as on page 1. Ties on the timestamp are broken by source, then by row id.

The auditor audits; they do not read students. Every person other than staff is shown as a pseudonym for that
role (学生#3fa9c2d1, 监护人#…, 用户#…): a keyed hash of the row's id (settings.SECRET_KEY), the same on every page
and in every export, so the auditor can follow one person through the trail without learning who it is. Students,
guardians and the accounts of students, parents and class psych committee members are pseudonymised, never
their names, display names, usernames or student numbers (the 学籍号 carries the ID number); staff are shown by
username, so the auditor can tell who did what. The values of fields registered as withheld are not shown at
all. The auditor may still search by a student's full number: the results name the student by pseudonym.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from auditlog.models import LogEntry
from axes.models import AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import BooleanField, Exists, ForeignKey, ForeignObjectRel, OuterRef, Q
from django.db.models.fields.json import KT
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from runxin.access import roles, scope
from runxin.access.models import BreakGlassGrant, ReadEvent
from runxin.access.read_labels import read_label
from runxin.people.models import Guardian, RoleAssignment, Student

from .registry import CREATE, DELETE, UPDATE, spec_for, student_linked_labels

PAGE_SIZE = 50
EXPORT_PAGE_SIZE = 1000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# Source ranks: the tie-breaker between rows of different sources with the same timestamp.
CHANGE, READ, SIGN_IN, FAILURE = 0, 1, 2, 3

ACTION_CHOICES = [
    ("create", _("Created")),
    ("update", _("Changed")),
    ("delete", _("Deleted")),
    ("read", _("Read a student record")),
    ("break_glass", _("Break-glass (紧急访问)")),
    ("sign_in", _("Signed in")),
    ("sign_in_failure", _("Sign-in failed")),
    ("lockout", _("Locked out")),
]
KIND_LABELS = dict(ACTION_CHOICES) | {"access": _("Recorded"), "break_glass_read": _("Read under break-glass")}
_LOG_ACTIONS = {CREATE: "create", UPDATE: "update", DELETE: "delete"}


@dataclass(frozen=True)
class Filters:
    actor: str = ""
    student_number: str = ""
    record_type: str = ""
    record_id: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    ip: str = ""

    def as_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in self.__dict__.items() if v}


@dataclass(frozen=True, order=True)
class Position:
    """Where a row sits in the merged list: (time, source rank, id), compared as a tuple."""

    at: dt.datetime
    rank: int
    id: int

    def encode(self) -> str:
        return f"{(self.at - _EPOCH) // dt.timedelta(microseconds=1)}.{self.rank}.{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> "Position | None":
        try:
            micros, rank, row_id = (int(part) for part in (raw or "").split("."))
            return cls(_EPOCH + dt.timedelta(microseconds=micros), rank, row_id)
        except (ValueError, OverflowError):
            return None


@dataclass
class AuditRow:
    position: Position
    kind: str
    actor: str
    remote_addr: str | None
    record_type: str = ""
    record_id: str = ""
    student_id: int | None = None
    student: str = ""  # the student's pseudonym
    record_label: str = ""  # a read's record type in words (access.read_labels); the code stays for searching
    summary: str = ""
    entry_id: int | None = None  # the change event behind this row, for its detail page
    actor_id: int | None = None  # resolved with the page's other people (_attach_people), then not shown
    record_user_id: int | None = None  # a change to a user account: named by pseudonym when it is a family's

    @property
    def at(self) -> dt.datetime:
        return self.position.at

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def is_break_glass(self) -> bool:
        return self.kind in {"break_glass", "break_glass_read"}

    @property
    def is_sign_in_problem(self) -> bool:
        return self.kind in {"sign_in_failure", "lockout"}


@dataclass
class AuditPage:
    rows: list[AuditRow]
    older: Position | None
    newer: Position | None
    unknown_student: bool = False


@dataclass
class FieldChange:
    name: str
    label: str
    before: str
    after: str
    withheld: bool


@dataclass
class ChangeDetail:
    entry: LogEntry
    kind: str
    model_label: str
    record: str
    student: str  # the student's pseudonym, or ""
    actor: str  # a staff username, or a pseudonym
    fields: list[FieldChange] = field(default_factory=list)
    additional: list[tuple[str, str]] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


# ---- pseudonyms ----------------------------------------------------------------------------------------

# Accounts of the student side: shown to the auditor by pseudonym, unless the same person also holds a staff role.
FAMILY_ROLES = roles.STUDENT_SIDE_ROLES
_PSEUDONYM_LABELS = {"student": _("Student"), "guardian": _("Guardian"), "user": _("User")}


def pseudonym(kind: str, pk) -> str:
    """学生#3fa9c2d1: a keyed hash (settings.SECRET_KEY) of the row's id, stable across pages and exports."""
    digest = salted_hmac("runxin.audit.pseudonym", f"{kind}:{pk}").hexdigest()[:8]
    return f"{_PSEUDONYM_LABELS[kind]}#{digest}"


class People:
    """How the auditor sees the people in a set of audit rows: one query per page, whatever its size."""

    def __init__(self) -> None:
        self._protected: dict[int, bool] = {}
        self._user_ids: dict[str, int | None] = {}

    def learn(self, user_ids=(), usernames=()) -> None:
        """Decide, in one query, for the accounts not yet seen (by id, or by the username a sign-in typed),
        whether they are shown by pseudonym: a student-side role or a guardianship, and no staff role."""
        ids = {int(i) for i in user_ids if i is not None and str(i).isdigit()} - self._protected.keys()
        names = {n for n in usernames if n} - self._user_ids.keys()
        if not ids and not names:
            return
        assignments = RoleAssignment.objects.filter(user=OuterRef("pk"))
        found = get_user_model().objects.filter(Q(id__in=ids) | Q(username__in=names)).annotate(
            family=Exists(assignments.filter(role__in=FAMILY_ROLES)),
            staff=Exists(assignments.exclude(role__in=FAMILY_ROLES)),
            guardian=Exists(Guardian.objects.filter(user=OuterRef("pk"))),
        ).values_list("id", "username", "family", "staff", "guardian")
        for user_id, username, family, staff, guardian in found:
            self._protected[user_id] = (family or guardian) and not staff
            self._user_ids[username] = user_id
        for user_id in ids - self._protected.keys():
            self._protected[user_id] = False
        for name in names - self._user_ids.keys():
            self._user_ids[name] = None

    def is_protected(self, user_id) -> bool:
        if user_id is None or not str(user_id).isdigit():
            return False
        self.learn([user_id])
        return self._protected[int(user_id)]

    def user(self, user_id, username: str) -> str:
        """A staff username, or the account's pseudonym."""
        return pseudonym("user", user_id) if self.is_protected(user_id) else (username or "")

    def username(self, username: str) -> str:
        """For a sign-in row, which names an account by the username typed."""
        self.learn(usernames=[username])
        return self.user(self._user_ids.get(username), username)


def _require_auditor(user) -> None:
    if not scope.has_permission(user, roles.AUDIT_SEARCH):
        raise PermissionDenied(roles.AUDIT_SEARCH)


def _keyset(column: str, rank: int, bound: Position | None, newer: bool) -> Q:
    """Rows strictly after (older) or before (newer) `bound` in the merged (time, rank, id) order."""
    if bound is None:
        return Q()
    if not newer:
        if rank < bound.rank:
            return Q(**{f"{column}__lte": bound.at})
        if rank > bound.rank:
            return Q(**{f"{column}__lt": bound.at})
        return Q(**{f"{column}__lt": bound.at}) | Q(**{column: bound.at, "id__lt": bound.id})
    if rank > bound.rank:
        return Q(**{f"{column}__gte": bound.at})
    if rank < bound.rank:
        return Q(**{f"{column}__gt": bound.at})
    return Q(**{f"{column}__gt": bound.at}) | Q(**{column: bound.at, "id__gt": bound.id})


def _time_range(column: str, filters: Filters) -> Q:
    condition = Q()
    if filters.date_from:
        start = dt.datetime.combine(filters.date_from, dt.time.min, tzinfo=timezone.get_current_timezone())
        condition &= Q(**{f"{column}__gte": start})
    if filters.date_to and filters.date_to < dt.date.max:  # up to 9999-12-31 is no bound at all (and no overflow)
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min,
                                  tzinfo=timezone.get_current_timezone())
        condition &= Q(**{f"{column}__lt": end})
    return condition


def _ordered(qs, column: str, newer: bool):
    return qs.order_by(column, "id") if newer else qs.order_by(f"-{column}", "-id")


def _content_type(label: str) -> ContentType | None:
    app_label, _dot, model = label.partition(".")
    try:
        return ContentType.objects.get_by_natural_key(app_label, model)
    except ContentType.DoesNotExist:
        return None


def _model_label(content_type_id: int) -> tuple[str, object]:
    """(app_label.model, the model's verbose name) for a content type id; cached by Django."""
    content_type = ContentType.objects.get_for_id(content_type_id)
    model = content_type.model_class()
    name = model._meta.verbose_name if model is not None else content_type.model
    return f"{content_type.app_label}.{content_type.model}", name


def _field_label(content_type_id: int, name: str) -> str:
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None:
        return name
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    if isinstance(model_field, ForeignObjectRel):  # a reverse relation has no verbose name of its own
        return str(model_field.related_model._meta.verbose_name_plural)
    return str(model_field.verbose_name)


def _is_reverse_relation(model, name: str) -> bool:
    """True for the other side of a relation (a user's "mentees"). auditlog lists these in a create or delete
    entry with a placeholder value ("people.MentorPair.None") that says nothing, so the detail page skips them."""
    if model is None:
        return False
    try:
        return isinstance(model._meta.get_field(name), ForeignObjectRel)
    except FieldDoesNotExist:
        return False


# ---- the four sources ---------------------------------------------------------------------------------


def _record(label: str, spec, object_pk, object_repr: str, protected_user: bool = False) -> str:
    """How a changed record is named: a person by pseudonym, other student data by id, the rest by id and name."""
    if label == "people.student":
        return pseudonym("student", object_pk)
    if label == "people.guardian":
        return pseudonym("guardian", object_pk)
    if protected_user:
        return pseudonym("user", object_pk)
    return f"#{object_pk}" if spec.is_student_data else f"#{object_pk} {(object_repr or '')[:80]}"


def _changes(filters: Filters, student_id: int | None, bound, newer: bool, limit: int) -> list[AuditRow]:
    qs = LogEntry.objects.filter(_keyset("timestamp", CHANGE, bound, newer) & _time_range("timestamp", filters))
    grant_type = ContentType.objects.get_for_model(BreakGlassGrant)
    if filters.action == "create":
        qs = qs.filter(action=CREATE).exclude(content_type=grant_type)
    elif filters.action == "update":
        qs = qs.filter(action=UPDATE)
    elif filters.action == "delete":
        qs = qs.filter(action=DELETE)
    elif filters.action == "break_glass":
        qs = qs.filter(action=CREATE, content_type=grant_type)
    if filters.actor:
        qs = qs.filter(actor__username=filters.actor)
    if filters.ip:
        qs = qs.filter(remote_addr=filters.ip)
    linked = student_linked_labels()
    by_field: dict[str, list[int]] = {}
    for label, field_name in linked.items():
        content_type = _content_type(label)
        if content_type is not None:
            by_field.setdefault(field_name, []).append(content_type.pk)
    if student_id is not None:
        condition = Q(content_type=ContentType.objects.get_for_model(Student), object_id=student_id)
        for field_name, type_ids in by_field.items():
            condition |= Q(content_type_id__in=type_ids, **{f"serialized_data__fields__{field_name}": student_id})
        qs = qs.filter(condition)
    if filters.record_type:
        types = ContentType.objects.filter(
            Q(model=filters.record_type.lower()) if "." not in filters.record_type else
            Q(app_label=filters.record_type.split(".", 1)[0].lower(), model=filters.record_type.split(".", 1)[1].lower())
        )
        qs = qs.filter(content_type__in=types, object_pk=filters.record_id)
    refs = {f"ref_{name}": KT(f"serialized_data__fields__{name}") for name in by_field}
    values = list(_ordered(qs, "timestamp", newer).annotate(**refs).values(
        "id", "timestamp", "action", "content_type_id", "object_pk", "object_repr", "actor_id", "actor__username",
        "remote_addr", "changes", *refs,
    )[:limit])
    user_type = ContentType.objects.get_for_model(get_user_model())
    rows = []
    for v in values:
        label, verbose = _model_label(v["content_type_id"])
        spec = spec_for(label)
        kind = _LOG_ACTIONS.get(v["action"], "access")
        changes = v["changes"] if isinstance(v["changes"], dict) else {}
        if spec.student_field == "id":
            student = int(v["object_pk"]) if str(v["object_pk"]).isdigit() else None
        elif spec.student_field:
            ref = v.get(f"ref_{spec.student_field}")
            student = int(ref) if ref not in (None, "") and str(ref).isdigit() else None
        else:
            student = None
        if v["content_type_id"] == grant_type.pk and kind == "create":
            kind = "break_glass"
            reason = changes.get("reason")
            summary = str(reason[1]) if isinstance(reason, list) and len(reason) == 2 else ""
        elif kind == "update":
            summary = ", ".join(_field_label(v["content_type_id"], name) for name in changes)
        else:
            summary = ""
        rows.append(AuditRow(
            position=Position(v["timestamp"], CHANGE, v["id"]), kind=kind, actor=v["actor__username"] or "",
            actor_id=v["actor_id"], remote_addr=v["remote_addr"], record_type=str(verbose),
            record_id=_record(label, spec, v["object_pk"], v["object_repr"]), student_id=student, summary=summary,
            entry_id=v["id"], record_user_id=int(v["object_pk"]) if v["content_type_id"] == user_type.pk
            and str(v["object_pk"]).isdigit() else None,
        ))
    return rows


def _reads(filters: Filters, student_id: int | None, bound, newer: bool, limit: int) -> list[AuditRow]:
    qs = ReadEvent.objects.filter(_keyset("at", READ, bound, newer) & _time_range("at", filters))
    if filters.action == "break_glass":
        qs = qs.filter(via_break_glass=True)
    if filters.actor:
        qs = qs.filter(user__username=filters.actor)
    if filters.ip:
        qs = qs.filter(remote_addr=filters.ip)
    if student_id is not None:
        qs = qs.filter(student_id=student_id)
    if filters.record_type:
        qs = qs.filter(record_type=filters.record_type, record_id=filters.record_id)
    values = list(_ordered(qs, "at", newer).values(
        "id", "at", "user_id", "user__username", "student_id", "record_type", "record_id",
        "via_break_glass", "remote_addr", "purpose",
    )[:limit])
    return [
        AuditRow(
            position=Position(v["at"], READ, v["id"]), kind="break_glass_read" if v["via_break_glass"] else "read",
            actor=v["user__username"], actor_id=v["user_id"], remote_addr=v["remote_addr"],
            record_type=v["record_type"], record_label=read_label(v["record_type"]),
            record_id=f"#{v['record_id']}" if v["record_id"] else "",
            student_id=v["student_id"], summary=v["purpose"],
        )
        for v in values
    ]


def _sign_ins(filters: Filters, bound, newer: bool, limit: int) -> list[AuditRow]:
    qs = AccessLog.objects.filter(_keyset("attempt_time", SIGN_IN, bound, newer) & _time_range("attempt_time", filters))
    if filters.actor:
        qs = qs.filter(username=filters.actor)
    if filters.ip:
        qs = qs.filter(ip_address=filters.ip)
    values = list(_ordered(qs, "attempt_time", newer).values(
        "id", "attempt_time", "username", "ip_address", "user_agent", "logout_time")[:limit])
    rows = []
    for v in values:
        summary = v["user_agent"][:120]
        if v["logout_time"]:
            out = timezone.localtime(v["logout_time"]).strftime("%Y-%m-%d %H:%M")
            summary = f"{summary} · {_('signed out')} {out}"
        rows.append(AuditRow(position=Position(v["attempt_time"], SIGN_IN, v["id"]), kind="sign_in",
                             actor=v["username"] or "", remote_addr=v["ip_address"],
                             summary=summary))
    return rows


def _failures(filters: Filters, bound, newer: bool, limit: int) -> list[AuditRow]:
    qs = AccessFailureLog.objects.filter(
        _keyset("attempt_time", FAILURE, bound, newer) & _time_range("attempt_time", filters))
    if filters.action == "sign_in_failure":
        qs = qs.filter(locked_out=False)
    elif filters.action == "lockout":
        qs = qs.filter(locked_out=True)
    if filters.actor:
        qs = qs.filter(username=filters.actor)
    if filters.ip:
        qs = qs.filter(ip_address=filters.ip)
    values = list(_ordered(qs, "attempt_time", newer).values(
        "id", "attempt_time", "username", "ip_address", "user_agent", "locked_out")[:limit])
    return [
        AuditRow(position=Position(v["attempt_time"], FAILURE, v["id"]),
                 kind="lockout" if v["locked_out"] else "sign_in_failure", actor=v["username"] or "",
                 remote_addr=v["ip_address"], summary=v["user_agent"][:120])
        for v in values
    ]


_SOURCES_FOR_ACTION = {
    "": {CHANGE, READ, SIGN_IN, FAILURE},
    "create": {CHANGE}, "update": {CHANGE}, "delete": {CHANGE},
    "read": {READ}, "break_glass": {CHANGE, READ},
    "sign_in": {SIGN_IN}, "sign_in_failure": {FAILURE}, "lockout": {FAILURE},
}


def _student_id_for_number(number: str) -> int | None:
    # The auditor names a student by number; this resolves it to an id and reads nothing else about them.
    return Student.objects.filter(student_number=number).values_list("id", flat=True).first()


def _fetch(filters: Filters, student_id: int | None, bound: Position | None, newer: bool, limit: int):
    sources = set(_SOURCES_FOR_ACTION.get(filters.action, set()))
    if filters.student_number or filters.record_type:
        sources &= {CHANGE, READ}  # sign-in events name no student and no record
    rows: list[AuditRow] = []
    if CHANGE in sources:
        rows += _changes(filters, student_id, bound, newer, limit)
    if READ in sources:
        rows += _reads(filters, student_id, bound, newer, limit)
    if SIGN_IN in sources:
        rows += _sign_ins(filters, bound, newer, limit)
    if FAILURE in sources:
        rows += _failures(filters, bound, newer, limit)
    rows.sort(key=lambda row: row.position, reverse=not newer)
    return rows


def _attach_people(rows: list[AuditRow], people: People) -> None:
    """Name the page's people as the auditor sees them (one query for the whole page): students by pseudonym,
    accounts by username or pseudonym. A sign-in names its account by the username typed."""
    people.learn([row.actor_id for row in rows] + [row.record_user_id for row in rows],
                 [row.actor for row in rows if row.actor_id is None])
    for row in rows:
        if row.student_id and not row.student:
            row.student = pseudonym("student", row.student_id)
        row.actor = people.user(row.actor_id, row.actor) if row.actor_id is not None else people.username(row.actor)
        if row.record_user_id is not None and people.is_protected(row.record_user_id):
            row.record_id = pseudonym("user", row.record_user_id)


def audit_search(user, filters: Filters, *, before: Position | None = None, after: Position | None = None,
                 page_size: int = PAGE_SIZE) -> AuditPage:
    """One page of the merged audit trail, newest first: the rows older than `before`, or (when paging back
    towards the present) the rows newer than `after`. Costs one query per source, whatever the table sizes."""
    _require_auditor(user)
    student_id = None
    if filters.student_number:
        student_id = _student_id_for_number(filters.student_number)
        if student_id is None:
            return AuditPage(rows=[], older=None, newer=None, unknown_student=True)
    newer = after is not None
    bound = after if newer else before
    rows = _fetch(filters, student_id, bound, newer, page_size + 1)
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    if newer:
        rows.reverse()
    _attach_people(rows, People())
    if not rows:
        return AuditPage(rows=[], older=None, newer=None)
    more_older = has_more if not newer else True
    more_newer = has_more if newer else bound is not None
    return AuditPage(rows=rows, older=rows[-1].position if more_older else None,
                     newer=rows[0].position if more_newer else None)


def audit_export_rows(user, filters: Filters, *, limit: int) -> Iterator[AuditRow]:
    """Every row matching the filters, newest first, up to `limit`, read a thousand at a time."""
    _require_auditor(user)
    student_id = None
    if filters.student_number:
        student_id = _student_id_for_number(filters.student_number)
        if student_id is None:
            return
    bound = None
    produced = 0
    people = People()
    while produced < limit:
        rows = _fetch(filters, student_id, bound, False, EXPORT_PAGE_SIZE + 1)
        page = rows[:EXPORT_PAGE_SIZE]
        _attach_people(page, people)
        yield from page[: limit - produced]
        produced += len(page)
        if len(rows) <= EXPORT_PAGE_SIZE or not page:
            return
        bound = page[-1].position


# ---- one change in full --------------------------------------------------------------------------------


def _display(value) -> str:
    if value in (None, "None", ""):
        return "—"
    return str(value)


def change_detail(user, entry_id: int) -> ChangeDetail:
    """One change event with each field's value before and after (withheld values stay hidden)."""
    _require_auditor(user)
    entry = LogEntry.objects.select_related("actor").filter(pk=entry_id).first()
    if entry is None:
        raise Http404("No such audit entry")
    label, verbose = _model_label(entry.content_type_id)
    spec = spec_for(label)
    model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
    kind = _LOG_ACTIONS.get(entry.action, "access")
    if model is BreakGlassGrant and kind == "create":
        kind = "break_glass"
    fields_data = (entry.serialized_data or {}).get("fields", {}) if isinstance(entry.serialized_data, dict) else {}
    student_id = None
    if spec.student_field == "id" and str(entry.object_pk).isdigit():
        student_id = int(entry.object_pk)
    elif spec.student_field and str(fields_data.get(spec.student_field) or "").isdigit():
        student_id = int(fields_data[spec.student_field])
    people = People()
    user_model = get_user_model()
    changes = entry.changes_dict if isinstance(entry.changes_dict, dict) else {}
    fk_targets: dict[str, type] = {}
    choice_labels: dict[str, dict[str, str]] = {}
    if model is not None:
        for name in changes:
            try:
                model_field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if isinstance(model_field, ForeignKey):
                fk_targets[name] = model_field.related_model
            elif isinstance(model_field, BooleanField):
                choice_labels[name] = {"True": str(_("yes")), "False": str(_("no"))}
            elif getattr(model_field, "flatchoices", None):
                choice_labels[name] = {str(k): str(v) for k, v in model_field.flatchoices}
    people.learn([entry.actor_id, entry.object_pk if model is user_model else None]
                 + [v for name, target in fk_targets.items() if target is user_model
                    and isinstance(changes[name], list) for v in changes[name]])
    protected_record = model is user_model and people.is_protected(entry.object_pk)

    def shown(name: str, value) -> str:
        if name in choice_labels and str(value) in choice_labels[name]:
            return choice_labels[name][str(value)]
        target = fk_targets.get(name)
        if target is Student and str(value).isdigit():
            return pseudonym("student", value)
        if target is Guardian and str(value).isdigit():
            return pseudonym("guardian", value)
        if target is user_model and str(value).isdigit() and people.is_protected(value):
            return pseudonym("user", value)
        if target is not None and str(value).isdigit() and not spec_for(target._meta.label_lower).is_student_data:
            related = target._base_manager.filter(pk=value).first()
            return f"{related} (#{value})" if related is not None else f"#{value}"
        return _display(value)

    rows = []
    for name, change in changes.items():
        if _is_reverse_relation(model, name):
            continue
        withheld = spec.withholds(name) or protected_record
        if isinstance(change, dict) and change.get("type") == "m2m":
            before, after = "", f"{change.get('operation', '')}: {', '.join(map(str, change.get('objects', [])))}"
        elif isinstance(change, list) and len(change) == 2:
            before, after = shown(name, change[0]), shown(name, change[1])
        else:
            before, after = "", str(change)
        if withheld:
            before = after = ""
        label_text = _field_label(entry.content_type_id, name)
        rows.append(FieldChange(name=name, label=label_text, before=before, after=after, withheld=withheld))
    additional = []
    if isinstance(entry.additional_data, dict) and not spec.is_student_data and not protected_record:
        additional = [(str(k), str(v)) for k, v in entry.additional_data.items()]
    return ChangeDetail(
        entry=entry, kind=kind, model_label=str(verbose),
        record=_record(label, spec, entry.object_pk, entry.object_repr, protected_record),
        student=pseudonym("student", student_id) if student_id else "",
        actor=people.user(entry.actor_id, entry.actor.username if entry.actor else ""),
        fields=rows, additional=additional,
    )
