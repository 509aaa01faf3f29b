"""The units import (`runxin import-units FILE`, and the city administrator's upload page): one row per
region-tree unit — district, school, partner hospital, mental-health centre, society unit — created or
updated through org.services, idempotent by code (a re-import updates; a row without a code is matched by
kind, parent and name). A school row may name its service group (片区), created in its district on first use.

Rows run in order, each in its own savepoint, so a district created on line 3 can be the parent of a school on
line 4 and a bad row leaves nothing half-written. A dry run does the same inside a transaction it rolls back,
so it reports exactly what the import would do and writes nothing. The format is in docs/imports.md.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from runxin.access import roles, scope
from runxin.org import services as org_services
from runxin.org.models import OrgUnit, ServiceGroup, ServiceGroupSchool

from .columns import column_letter, normalise_header
from .reading import RowSource, check_file
from .roster import Counts
from .validation import Problem
from .values import Bad, clean, gettext_noop

# Canonical field → header spellings (normalised: no spaces or asterisks, lower case).
SYNONYMS = {
    "kind": ("类型", "单位类型", "kind", "type"),
    "parent": ("上级", "上级代码", "上级单位", "上级单位代码", "parent", "parentcode"),
    "name": ("名称", "单位名称", "学校名称", "name"),
    "code": ("代码", "编码", "学校标识码", "标识码", "单位代码", "code"),
    "school_type": ("学校类型", "办学类型", "学段", "schooltype"),
    "boarding": ("寄宿", "住宿", "是否寄宿", "走读寄宿", "boarding"),
    "address": ("地址", "详细地址", "address"),
    "enrolment": ("规划规模", "在校生规模", "学生规模", "规模", "enrolment", "enrollment"),
    "partner_type": ("协同单位类型", "社会单位类型", "partnertype"),
    "service_group": ("片区", "服务片区", "servicegroup"),
}
_LOOKUP = {spelling: canonical for canonical, spellings in SYNONYMS.items() for spelling in spellings}
REQUIRED = ("kind", "name")
COLUMNS = ("kind", "parent", "name", "code", "school_type", "boarding", "address", "enrolment", "partner_type",
           "service_group")
HEADERS_ZH = {"kind": "类型", "parent": "上级代码", "name": "名称", "code": "代码", "school_type": "学校类型",
              "boarding": "寄宿", "address": "地址", "enrolment": "规划规模", "partner_type": "协同单位类型",
              "service_group": "片区"}

KINDS = {
    "district": OrgUnit.Kind.DISTRICT, "区": OrgUnit.Kind.DISTRICT, "县": OrgUnit.Kind.DISTRICT,
    "区县": OrgUnit.Kind.DISTRICT, "县区": OrgUnit.Kind.DISTRICT, "县(市、区)": OrgUnit.Kind.DISTRICT,
    "school": OrgUnit.Kind.SCHOOL, "学校": OrgUnit.Kind.SCHOOL,
    "hospital": OrgUnit.Kind.HOSPITAL, "医院": OrgUnit.Kind.HOSPITAL, "合作医院": OrgUnit.Kind.HOSPITAL,
    "mhc": OrgUnit.Kind.MHC, "精神卫生中心": OrgUnit.Kind.MHC, "心理健康中心": OrgUnit.Kind.MHC,
    "society": OrgUnit.Kind.SOCIETY, "社会单位": OrgUnit.Kind.SOCIETY, "社会协同单位": OrgUnit.Kind.SOCIETY,
}
SCHOOL_TYPES = {
    "小学": "primary", "初中": "junior", "初级中学": "junior", "高中": "senior", "高级中学": "senior",
    "九年一贯制": "nine_year", "九年一贯制学校": "nine_year", "完全中学": "complete", "中职": "vocational",
    "中等职业学校": "vocational", "特教": "special", "特殊教育学校": "special", "特殊教育": "special",
}
BOARDING = {"走读": "day", "否": "day", "寄宿": "boarding", "是": "boarding", "全寄宿": "boarding",
            "走读和寄宿": "mixed", "部分寄宿": "mixed", "混合": "mixed", "走读寄宿": "mixed"}
PARTNER_TYPES = {"公安": "police", "公安局": "police", "派出所": "police", "检察院": "procuratorate",
                 "法院": "court", "妇联": "womens_federation", "民政": "civil_affairs", "民政局": "civil_affairs"}


class Refused(Bad):
    """The file as a whole cannot be imported (no header, a missing column, no permission)."""


@dataclass
class Report(Counts):
    """The roster import's summary (Counts) and every rejected row (the command prints them all)."""

    problems: list[Problem] = field(default_factory=list)


class _RowBad(Exception):
    def __init__(self, column: str, message: str, **params) -> None:
        super().__init__(message)
        self.column, self.message, self.params = column, message, params


def _header(cells: list) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        canonical = _LOOKUP.get(normalise_header(cell))
        if canonical and canonical not in found:
            found[canonical] = index
    return found if "kind" in found and "name" in found else None


def _choice(raw: str, table: dict[str, str], values, column: str, what: str) -> str:
    if not raw:
        return ""
    value = table.get(raw) or (raw.lower() if raw.lower() in values else None)
    if value is None:
        raise _RowBad(column, gettext_noop("“%(value)s” is not a known %(what)s (one of: %(choices)s)"), value=raw,
                      what=what, choices="、".join(dict.fromkeys(table)))
    return value


def import_units(*, path: Path, user=None, dry_run: bool = False, mode: str = "valid") -> Report:
    """Read the file, create or update its units, and report per row. `user` (when given) must hold
    org.manage at the city the units go under; the audit log names them through the caller's actor context.
    mode "all" writes nothing unless every row is valid. Raises Bad for a file that cannot be read at all."""
    started = time.monotonic()
    check_file(path)
    report = Report()
    rows = iter(RowSource(path))
    header = None
    for line, cells in rows:
        header = _header(cells)
        if header is not None:
            report.header_line = line
            break
        if line >= 20:
            break
    if header is None:
        raise Refused(gettext_noop("no header row with the columns 类型 (kind) and 名称 (name) in the first 20 "
                                   "lines: download the template"))
    labels = {name: f"{HEADERS_ZH[name]} ({column_letter(index)})" for name, index in header.items()}

    def cell(cells: list, name: str) -> str:
        index = header.get(name)
        return clean(cells[index]) if index is not None and index < len(cells) else ""

    with transaction.atomic():
        for line, cells in rows:
            if not any(clean(c) for c in cells):
                continue
            report.rows_read += 1
            try:
                with transaction.atomic():
                    outcome = _import_row({name: cell(cells, name) for name in COLUMNS}, user=user)
            except _RowBad as bad:
                report.rejected += 1
                report.problems.append(Problem(line, labels.get(bad.column, HEADERS_ZH.get(bad.column, bad.column)),
                                               bad.message, bad.params))
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
        refused = mode == "all" and report.rejected > 0
        report.refused = refused
        report.written = not dry_run and not refused
        if not report.written:
            transaction.set_rollback(True)
    report.seconds = time.monotonic() - started
    return report


def _parent(raw: str, kind: str, user) -> OrgUnit:
    if not raw:
        raise _RowBad("parent", gettext_noop("the parent's code is empty: a %(kind)s sits under a city or district"),
                      kind=kind)
    parent = OrgUnit.objects.filter(code=raw).first()
    if parent is None and "/" in raw:
        names = [part.strip() for part in raw.strip("/").split("/") if part.strip()]
        candidates = OrgUnit.objects.filter(name=names[0], kind=OrgUnit.Kind.CITY)
        for name in names[1:]:
            candidates = OrgUnit.objects.filter(parent__in=candidates, name=name)
        parent = candidates.first() if candidates.count() == 1 else None
    if parent is None:
        raise _RowBad("parent", gettext_noop("no unit has the code or path “%(value)s” (a unit added on an earlier "
                                             "line of this file counts)"), value=raw)
    if user is not None and not scope.unit_permission(user, parent, roles.ORG_MANAGE):
        raise _RowBad("parent", gettext_noop("you may not manage units under %(unit)s"), unit=parent.name)
    return parent


def _import_row(row: dict, *, user) -> str:
    """Create or update one unit; returns "created", "updated" or "unchanged", or raises _RowBad."""
    kind = KINDS.get(row["kind"]) or KINDS.get(row["kind"].lower())
    if kind is None:
        raise _RowBad("kind", gettext_noop("“%(value)s” is not a kind of unit this file can hold (区县/district, "
                                           "学校/school, 医院/hospital, 精神卫生中心/mhc, 社会单位/society)"),
                      value=row["kind"])
    values = {
        "name": row["name"], "code": row["code"], "address": row["address"],
        "school_type": _choice(row["school_type"], SCHOOL_TYPES, OrgUnit.SchoolType.values, "school_type",
                               "school type"),
        "boarding": _choice(row["boarding"], BOARDING, OrgUnit.Boarding.values, "boarding", "boarding value"),
        "partner_type": _choice(row["partner_type"], PARTNER_TYPES, OrgUnit.PartnerType.values, "partner_type",
                                "partner type"),
    }
    if row["enrolment"]:
        digits = row["enrolment"].replace(",", "")
        if not digits.isdigit():
            raise _RowBad("enrolment", gettext_noop("the planned enrolment “%(value)s” is not a whole number"),
                          value=row["enrolment"])
        values["enrolment"] = int(digits)
    parent = _parent(row["parent"], kind, user)
    existing = None
    if row["code"]:
        existing = OrgUnit.objects.filter(code=row["code"]).first()
    if existing is None and not row["code"]:
        existing = OrgUnit.objects.filter(parent=parent, kind=kind, name=row["name"]).first()
    try:
        if existing is None:
            unit = org_services.unit_add(parent=parent, kind=kind, values=values)
            outcome = "created"
        else:
            if existing.kind != kind:
                raise _RowBad("code", gettext_noop("the code %(code)s belongs to %(unit)s, which is not a %(kind)s"),
                              code=row["code"], unit=existing.name, kind=row["kind"])
            if user is not None and not scope.unit_permission(user, existing, roles.ORG_MANAGE):
                raise _RowBad("code", gettext_noop("you may not manage %(unit)s"), unit=existing.name)
            changed = org_services.unit_edit(unit=existing, values=values)
            if existing.parent_id != parent.pk:
                org_services.unit_move(unit=existing, new_parent=parent)
                changed.append("parent")
            unit = existing
            outcome = "updated" if changed else "unchanged"
    except org_services.UnitRefused as refused:
        raise _RowBad(refused.field or "name", "%(reason)s", reason=refused.message) from None
    if row["service_group"]:
        if kind != OrgUnit.Kind.SCHOOL:
            raise _RowBad("service_group", gettext_noop("only a school belongs to a service group (片区)"))
        if _join_group(unit, row["service_group"]) and outcome == "unchanged":
            outcome = "updated"
    return outcome


def _join_group(school: OrgUnit, name: str) -> bool:
    """Put the school into its district's service group `name` (created on first use). True if it changed."""
    school = OrgUnit.objects.get(pk=school.pk)
    district = OrgUnit.objects.get(pk=school.district_id)
    group = ServiceGroup.objects.filter(district=district, name=name).first()
    try:
        if group is None:
            group = org_services.service_group_create(district=district, name=name)
        current = ServiceGroupSchool.objects.filter(school=school).select_related("group").first()
        if current is not None and current.group_id == group.pk:
            return False
        if current is not None:
            old = current.group
            org_services.service_group_set_schools(
                group=old, schools=[m.school for m in old.memberships.exclude(school=school).select_related("school")])
        members = [m.school for m in group.memberships.select_related("school")]
        org_services.service_group_set_schools(group=group, schools=[*members, school])
    except org_services.UnitRefused as refused:
        raise _RowBad("service_group", "%(reason)s", reason=refused.message) from None
    return True


def template_rows() -> list[list[str]]:
    """The template spreadsheet: the header and one example row of each kind (a made-up city, code 3290)."""
    return [
        [HEADERS_ZH[name] for name in COLUMNS],
        ["区县", "3290", "润东区", "329001", "", "", "", "", "", ""],
        ["学校", "329001", "润东区实验小学", "3290010001", "小学", "走读", "润东区文化路1号", "1800", "", "一片区"],
        ["学校", "329001", "润东区第一中学", "3290010002", "初中", "走读和寄宿", "润东区学府路8号", "2400", "", "一片区"],
        ["精神卫生中心", "3290", "润州市心理健康中心", "3290-M1", "", "", "润州市健康路2号", "", "", ""],
        ["社会单位", "329001", "润东区公安分局", "3290-S1", "", "", "", "", "公安", ""],
    ]
