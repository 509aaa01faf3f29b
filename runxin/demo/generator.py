"""The demo city generator: a fictional 润州市 (Runzhou) with districts and counties, schools of every type,
grades and classes for the current school year, students with guardians, special-attention groups and
enrollment rows, a head teacher for every class, a leader and a psychology teacher for every school, and
one named demo login for every role (see staff.py).

Deterministic: the same --students, --districts and --seed give the same city (passwords and invitation codes
are random). The rows are generated
as the files a bureau would have (files.py: a units spreadsheet, a roster and a staff list per school, under
var/demo-files/) and imported through the import commands; what those files cannot carry (key students, the
named demo logins and mentor pairs, students' accounts and parents' invitation codes for the demo class) goes
through the owning apps' services.
"""

import random
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.db import connection, transaction
from django.utils import timezone

from runxin.accounts import parents
from runxin.accounts import students as students_accounts
from runxin.accounts.models import User
from runxin.org import grades as grade_names
from runxin.org import services as org_services
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people import key_students
from runxin.people.models import GroupMembership, Guardian, KeyStudentCategory, Student

from . import files, history, idnumbers, names, staff

CITY_NAME = "润州市"
CITY_CODE = "RZ"
REGION_PREFIX = "3290"  # a province + city code no real place uses; districts add two digits
# Home regions of migrant workers' children (real county codes of common sending regions).
MIGRANT_REGIONS = ["341202", "342201", "410523", "411302", "510922", "513029", "362502", "430521", "420683",
                   "522401", "450821", "500233"]

ST = OrgUnit.SchoolType


@dataclass(frozen=True)
class TypeSpec:
    levels: tuple[int, ...]
    student_share: float  # of all students in the city
    mean_size: int  # students per school
    class_size: int
    boarding: float  # share of boarders
    names: tuple[str, ...]  # name patterns: {place} {short} {n}


TYPES: dict[str, TypeSpec] = {
    ST.PRIMARY: TypeSpec(tuple(range(1, 7)), 0.45, 600, 42, 0.03, ("{place}小学", "{place}中心小学", "{short}实验小学第{n}分校")),
    ST.JUNIOR: TypeSpec(tuple(range(7, 10)), 0.18, 800, 45, 0.25, ("{place}初级中学", "{short}第{n}初级中学")),
    ST.SENIOR: TypeSpec(tuple(range(10, 13)), 0.12, 1200, 48, 0.6, ("{short}第{n}高级中学", "{place}高级中学")),
    ST.NINE_YEAR: TypeSpec(tuple(range(1, 10)), 0.12, 900, 42, 0.1, ("{place}学校", "{place}九年一贯制学校")),
    ST.COMPLETE: TypeSpec(tuple(range(7, 13)), 0.07, 1500, 46, 0.4, ("{place}中学", "{short}第{n}中学")),
    ST.VOCATIONAL: TypeSpec(tuple(range(10, 13)), 0.055, 1000, 40, 0.5, ("{short}中等专业学校", "{short}第{n}职业教育中心")),
    ST.SPECIAL: TypeSpec(tuple(range(1, 10)), 0.005, 100, 10, 0.3, ("{short}特殊教育学校", "{short}第{n}特殊教育学校")),
}

# Share of students in each special-attention group: (urban district, county).
GROUP_RATES = {
    "left_behind": (0.04, 0.13),  # split into one/both parents away below
    "migrant": (0.13, 0.05),
    "single_parent": (0.08, 0.08),
    "poor": (0.03, 0.07),
    "disabled": (0.01, 0.01),
    "orphan": (0.002, 0.002),
    "bereaved": (0.01, 0.01),
    "bullied": (0.02, 0.02),
    "family_crisis": (0.02, 0.02),
}
KEY_RATE_BASE = 0.022  # key students (重点学生): ~3 % overall, more often among the bullied, bereaved …
KEY_RATE_AT_RISK = 0.2


@dataclass
class SchoolPlan:
    district_index: int
    school_type: str
    size: int
    code: str = ""  # 学校标识码
    name: str = ""
    class_sizes: dict[int, list[int]] = field(default_factory=dict)  # level → students per class


@dataclass
class Result:
    city: OrgUnit
    districts: int = 0
    schools: int = 0
    classes: int = 0
    students: int = 0
    guardians: int = 0
    memberships: int = 0
    staff: int = 0
    key_students: int = 0
    student_accounts: int = 0
    invitations: int = 0
    imports: int = 0
    files: Path | None = None
    seconds: float = 0.0


def default_districts(students: int) -> int:
    return max(2, min(12, round(students / 125_000)))


def current_school_year(today: date) -> SchoolYear:
    """The current SchoolYear, creating the one today falls in (a year starts on 1 September) if none is."""
    current = SchoolYear.objects.filter(is_current=True).first()
    if current is not None:
        return current
    start = today.year if today.month >= 9 else today.year - 1
    year, _ = SchoolYear.objects.get_or_create(
        code=f"{start}-{start + 1}",
        defaults={"starts_on": date(start, 9, 1), "ends_on": date(start + 1, 8, 31)},
    )
    year.is_current = True
    year.save(update_fields=["is_current"])
    return year


def plan_schools(students: int, districts: int, rng: random.Random) -> list[SchoolPlan]:
    """Schools of every type in plausible proportions, sized so that the total is exactly `students`."""
    district_weights = [1.3 if i % 2 == 0 else 0.8 for i in range(districts)]
    plans: list[SchoolPlan] = []
    for type_index, (school_type, spec) in enumerate(TYPES.items()):
        type_total = students * spec.student_share
        count = max(1, round(type_total / spec.mean_size))
        raw = [rng.uniform(0.6, 1.4) for _ in range(count)]
        scale = type_total / sum(raw)
        for index, weight in enumerate(raw):
            # Spread each type over the districts first (every district gets primary schools …), then by weight.
            district = index + type_index if index < districts else rng.choices(range(districts), district_weights)[0]
            plans.append(SchoolPlan(district % districts, school_type, max(1, int(weight * scale))))
    # Make the total exact: hand the remainder out (or take it back) one student at a time, biggest first.
    difference = students - sum(plan.size for plan in plans)
    order = sorted(range(len(plans)), key=lambda i: -plans[i].size)
    step = 1 if difference > 0 else -1
    index = 0
    while difference != 0:
        plan = plans[order[index % len(order)]]
        if plan.size + step >= 1:
            plan.size += step
            difference -= step
        index += 1
    for plan in plans:
        spec = TYPES[plan.school_type]
        per_level = _split(plan.size, len(spec.levels))
        for level, level_size in zip(spec.levels, per_level, strict=True):
            classes = max(1, round(level_size / spec.class_size))
            plan.class_sizes[level] = _split(level_size, classes)
    return plans


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 40 → 四十, 123 → 123 (school numbers beyond 99 stay in digits)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
    return str(n)


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


SCHOOL_TYPE_ZH = {ST.PRIMARY: "小学", ST.JUNIOR: "初中", ST.SENIOR: "高中", ST.NINE_YEAR: "九年一贯制",
                  ST.COMPLETE: "完全中学", ST.VOCATIONAL: "中职", ST.SPECIAL: "特教"}
SCHOOLS_PER_SERVICE_GROUP = 4
# Partner institutions: (kind in the units file, name, code, society partner type).
PARTNERS = [
    ("医院", "润州市第四人民医院（精神卫生中心）", f"{CITY_CODE}-H1", ""),
    ("精神卫生中心", "润州市未成年人心理健康辅导中心", f"{CITY_CODE}-M1", ""),
    ("社会单位", "润州市公安局", f"{CITY_CODE}-S1", "公安"),
    ("社会单位", "润州市妇女联合会", f"{CITY_CODE}-S2", "妇联"),
]
KEY_REASONS = {
    "bullied": "近期遭受同学欺凌，情绪低落，班主任反映上课注意力不集中。",
    "bereaved": "本学期亲人离世，需持续关注哀伤反应。",
    "family_crisis": "家庭发生重大变故，学生情绪波动较大。",
    "orphan": "孤儿，由祖辈抚养，需定期谈心。",
}
STAFF_IMPORTER = "security_admin"  # the named login who imports the staff lists (grants need a named person)
DEMO_HASH_ITERATIONS = 1_000  # the demo's generated first passwords; Django hashes them anew at the first sign-in


@contextmanager
def fast_first_passwords() -> Iterator[None]:
    """Hash the passwords made during generation (staff import, students' first passwords) with few PBKDF2
    rounds: a full hash takes a second of CPU, and the city makes hundreds. The hashes stay ordinary
    pbkdf2_sha256 ones; Django re-hashes each with the configured rounds when it is first used to sign in."""
    with mock.patch.object(PBKDF2PasswordHasher, "iterations", DEMO_HASH_ITERATIONS):
        yield


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


class CityGenerator:
    def __init__(self, *, students: int, seed: int = 2026, districts: int | None = None,
                 progress: Callable[[str], None] | None = None, today: date | None = None,
                 files_dir: Path | None = None) -> None:
        if students < 1:
            raise ValueError("the city needs at least one student")
        self.students = students
        self.districts = districts or default_districts(students)
        if not 1 <= self.districts <= len(names.URBAN_DISTRICTS) + len(names.COUNTY_DISTRICTS):
            raise ValueError("between 1 and 20 districts")
        self.rng = random.Random(seed)
        self.progress = progress or (lambda message: None)
        self.today = today or timezone.localdate()
        self.files = Path(files_dir) if files_dir else default_files_dir()
        self.id_counters: dict[tuple, int] = {}
        self.key_students: list[tuple[str, str]] = []
        self.first_passwords: list[list] = []  # (学籍号, the group that made them a key student)

    # The units file ------------------------------------------------------------------------------------
    def unit_rows(self, plans: list[SchoolPlan]) -> list[list[str]]:
        """The units spreadsheet: districts, schools (学校标识码, type, boarding, address, size, 片区), partners."""
        rng = self.rng
        rows: list[list[str]] = []
        urban = list(names.URBAN_DISTRICTS)
        county = list(names.COUNTY_DISTRICTS)
        self.district_names: list[str] = []
        self.district_is_county: list[bool] = []
        for index in range(self.districts):
            is_county = index % 2 == 1 and county or not urban
            name = (county if is_county else urban).pop(0)
            self.district_names.append(name)
            self.district_is_county.append(bool(is_county))
            rows.append(["区县", CITY_CODE, name, district_code(index), "", "", "", "", "", ""])
        places = [names.place_names(rng, "county" if c else "urban") for c in self.district_is_county]
        used: set[str] = set()
        counters: dict[tuple[int, str], int] = {}
        in_district: dict[int, int] = {}
        for number, plan in enumerate(plans, start=1):
            short = self.district_names[plan.district_index][:-1]
            spec = TYPES[plan.school_type]
            while True:
                key = (plan.district_index, plan.school_type)
                counters[key] = counters.get(key, 0) + 1
                pattern = spec.names[0] if counters[key] == 1 or "{place}" in spec.names[0] else spec.names[1]
                if "{place}" in pattern and rng.random() < 0.3:
                    pattern = spec.names[1]
                name = pattern.format(place=next(places[plan.district_index]), short=short, n=chinese_number(counters[key]))
                if "{place}" in pattern:
                    name = short + name
                if name not in used:
                    used.add(name)
                    break
            plan.code, plan.name = f"{REGION_PREFIX}{number:06d}", name
            boarding = "走读" if spec.boarding < 0.1 else "寄宿" if spec.boarding >= 0.5 else "走读和寄宿"
            position = in_district[plan.district_index] = in_district.get(plan.district_index, 0) + 1
            group = f"{short}第{chinese_number((position - 1) // SCHOOLS_PER_SERVICE_GROUP + 1)}片区"
            address = f"{self.district_names[plan.district_index]}{rng.choice(names._URBAN_ROADS)}路{rng.randint(1, 300)}号"
            rows.append(["学校", district_code(plan.district_index), name, plan.code, SCHOOL_TYPE_ZH[plan.school_type],
                         boarding, address, str(-(-plan.size // 50) * 50), "", group])
        for kind, name, code, partner_type in PARTNERS:
            rows.append([kind, CITY_CODE, name, code, "", "", "", "", partner_type, ""])
        return rows

    # Rosters -------------------------------------------------------------------------------------------
    def _birth(self, level: int, school_type: str) -> date:
        start = self.year.start_year - level - 6
        first = date(start, 9, 1)
        if school_type == ST.SPECIAL:
            first -= timedelta(days=365 * self.rng.randrange(0, 3))  # special schools take older pupils too
        return first + timedelta(days=self.rng.randrange(365))

    def _id(self, region: str, birth: date, sex: str) -> str:
        key = (region, birth, sex)
        count = self.id_counters.get(key, 0)
        self.id_counters[key] = count + 1
        # Sequence digits 001–999: odd for boys, even for girls; 499 per region, day and sex is plenty here.
        return idnumbers.id_number(region, birth, 2 * count + (1 if sex == "M" else 2))

    def roster_rows(self, plan: SchoolPlan) -> list[list[str]]:
        """One school's students with their guardians and special-attention groups, in the roster's columns."""
        rng = self.rng
        spec = TYPES[plan.school_type]
        is_county = self.district_is_county[plan.district_index]
        region = f"{REGION_PREFIX}{plan.district_index + 1:02d}"
        rows = []
        for level, sizes in plan.class_sizes.items():
            for number, size in enumerate(sizes, start=1):
                for _ in range(size):
                    sex = "M" if rng.random() < 0.515 else "F"
                    family = names.surname(rng)
                    groups = self._groups(is_county, plan.school_type)
                    birth = self._birth(level, plan.school_type)
                    home = rng.choice(MIGRANT_REGIONS) if "migrant" in groups else region
                    id_number = self._id(home, birth, sex)
                    at_risk = sorted(groups & {"bullied", "bereaved", "family_crisis", "orphan"})
                    if rng.random() < (KEY_RATE_AT_RISK if at_risk else KEY_RATE_BASE):
                        self.key_students.append((idnumbers.student_number(id_number), at_risk[0] if at_risk else ""))
                    boarding = rng.random() < spec.boarding * (1.3 if is_county else 0.8)
                    left_behind = "2" if "left_behind_both" in groups else "1" if "left_behind_one" in groups else "0"
                    row = [idnumbers.student_number(id_number), family + names.given_name(rng, sex),
                           "男" if sex == "M" else "女", birth.isoformat(), "居民身份证", id_number,
                           grade_names.grade_name(level), grade_names.class_name(level, number),
                           "住校" if boarding else "走读", left_behind,
                           *("是" if code in groups else "否" for code in files.FLAG_COLUMNS)]
                    guardians = self._guardians(family, groups)
                    for guardian_name, relation in guardians:
                        row += [guardian_name, relation, names.phone(rng)]
                    row += ["", "", ""] * (2 - len(guardians))
                    rows.append(row)
        return rows

    def _groups(self, is_county: bool, school_type: str) -> set[str]:
        rng = self.rng
        column = 1 if is_county else 0
        groups = {code for code, rates in GROUP_RATES.items() if rng.random() < rates[column]}
        if "left_behind" in groups:
            groups.discard("left_behind")
            groups.discard("migrant")  # a child who moved with the parents is not left behind
            groups.add("left_behind_both" if rng.random() < 0.4 else "left_behind_one")
        if school_type == ST.SPECIAL:
            groups.add("disabled")
        if "orphan" in groups:
            groups -= {"single_parent", "left_behind_one", "left_behind_both"}
        return groups
    def _guardians(self, family: str, groups: set[str]) -> list[tuple[str, str]]:
        rng = self.rng
        father = (names.person_name(rng, "M", family=family if rng.random() < 0.95 else None, adult=True), "父亲")
        mother_family = names.surname(rng)
        mother = (names.person_name(rng, "F", family=mother_family, adult=True), "母亲")
        if "orphan" in groups:
            if rng.random() < 0.6:
                return [(names.person_name(rng, "F", adult=True), rng.choice(["祖母", "外祖母"]))]
            return [(names.person_name(rng, "M", adult=True), "其他")]
        if "left_behind_both" in groups:
            grandparent = rng.choice([
                (names.person_name(rng, "M", family=family, adult=True), "祖父"),
                (names.person_name(rng, "F", adult=True), "祖母"),
                (names.person_name(rng, "M", family=mother_family, adult=True), "外祖父"),
                (names.person_name(rng, "F", adult=True), "外祖母"),
            ])
            return [grandparent, father if rng.random() < 0.6 else mother]
        if "left_behind_one" in groups:
            return [mother, father] if rng.random() < 0.7 else [father, mother]
        if "single_parent" in groups:
            parent = mother if rng.random() < 0.65 else father
            if rng.random() < 0.3:
                return [parent, (names.person_name(rng, "F", adult=True), "祖母")]
            return [parent]
        if rng.random() < 0.25:
            return [mother if rng.random() < 0.6 else father]
        return [mother, father] if rng.random() < 0.55 else [father, mother]

    # Staff lists ---------------------------------------------------------------------------------------
    def staff_rows(self, plan: SchoolPlan, demo_class: tuple[int, int] | None) -> list[list[str]]:
        """A leader and a psychology teacher for the school and a head teacher for every class (the demo class's
        is the named login `head_teacher`), in the staff import's columns."""
        rng = self.rng

        def person(sex: str) -> tuple[str, str]:
            return names.person_name(rng, sex, adult=True), names.phone(rng)

        rows = []
        for suffix, role, sex in (("leader", "校长", rng.choice("MF")),
                                  ("psych", "心理教师", "F" if rng.random() < 0.75 else "M")):
            name, phone = person(sex)
            rows.append([name, f"{plan.code}-{suffix}", phone, role, "本校"])
        for level, sizes in plan.class_sizes.items():
            for number in range(1, len(sizes) + 1):
                if (level, number) == demo_class:
                    continue
                name, phone = person("F" if rng.random() < 0.7 else "M")
                rows.append([name, f"{plan.code}-head-{level:02d}{number:02d}", phone, "班主任",
                             grade_names.class_name(level, number)])
        return rows

    # Through the owners' services ----------------------------------------------------------------------
    def mark_key_students(self) -> int:
        """Key students (重点学生), marked by their school's psychology teacher with a category, reason and
        review date: what the roster cannot carry."""
        categories = list(KeyStudentCategory.objects.filter(is_active=True).order_by("sort_order", "id"))
        if not categories:
            return 0
        by_number = {s.student_number: s for s in Student.objects.filter(
            student_number__in=[number for number, _group in self.key_students]).select_related("school")}
        psych = {u.username: u for u in User.objects.filter(username__endswith="-psych")}
        review_on = timezone.localdate() + timedelta(days=120)
        marked = 0
        for index, (number, group) in enumerate(self.key_students):
            student = by_number.get(number)
            teacher = psych.get(f"{student.school.code}-psych") if student else None
            if teacher is None:
                continue
            key_students.key_mark(actor=teacher, student=student, category=categories[index % len(categories)],
                                  reason=KEY_REASONS.get(group, "心理普查及日常观察显示需重点关注，已与家长沟通。"),
                                  review_on=review_on)
            marked += 1
        return marked

    def issue_credentials(self, logins: dict[str, User]) -> None:
        """The demo class's head teacher issues the class's student accounts and prints the guardians'
        invitation codes; both sheets are saved beside the other files."""
        head = logins["head_teacher"]
        issued = students_accounts.issue_for_class(actor=head, school_class=self.demo_class)
        self.result.student_accounts = issued.created + issued.existing + issued.reopened
        slips = [[row.student.name, row.user.username, password or ""]
                 for row, password in students_accounts.sheet_entries(head, self.demo_class)]
        self.credential_sheet = files.write_csv(self.files / "accounts" / "student-accounts.csv",
                                                ["姓名", "用户名", "初始密码"], slips,
                                                title=f"{self.demo_school.name} {self.demo_class.name} 学生账号")
        invitations = parents.invitations_issue(actor=head, school_class=self.demo_class)
        self.result.invitations = len(invitations)
        self.invitation_sheet = files.write_csv(
            self.files / "accounts" / "parent-invitations.csv", ["学生", "家长", "关系", "手机", "邀请码"],
            [[i.guardian.student.name, i.guardian.name, i.guardian.relation, i.guardian.phone, i.code]
             for i in invitations], title=f"{self.demo_school.name} {self.demo_class.name} 家长邀请码")

    def run(self) -> Result:
        started = time.monotonic()
        files.clear(self.files)
        with transaction.atomic(), fast_first_passwords():
            self.year = current_school_year(self.today)
            plans = plan_schools(self.students, self.districts, self.rng)
            self.result = Result(city=None, files=self.files)  # type: ignore[arg-type]
            # The bureau sets the city up at the start of the school year: units, then rosters and staff.
            moment = min(timezone.now() - timedelta(hours=1), datetime.combine(
                self.year.starts_on, dt_time(8, 0), tzinfo=timezone.get_current_timezone()))
            with clock_at(moment):
                self.city = org_services.unit_create(kind=OrgUnit.Kind.CITY, name=CITY_NAME, code=CITY_CODE)
                self.result.city = self.city
                units_file = files.write_units(self.files / "units.xlsx", self.unit_rows(plans))
                files.run_import("import_units", units_file)
                self.result.imports += 1
                self.hospital = OrgUnit.objects.get(code=PARTNERS[0][2])
                self.progress(f"units: {self.districts} districts, {len(plans)} schools, {len(PARTNERS)} partners "
                              f"from {units_file.name}")
                demo_plan = next(p for p in plans if p.school_type == ST.JUNIOR)
                demo_class = (min(demo_plan.class_sizes), 1)
                for plan in plans:
                    roster = files.write_csv(self.files / "rosters" / f"{plan.code}.csv", files.ROSTER_HEADER,
                                             self.roster_rows(plan), title=f"{plan.name} 学生名单")
                    report = files.run_import("import_roster", roster, school=plan.code)
                    self.result.students += report["created"]
                    self.result.imports += 1
                self.progress(f"rosters: {len(plans)} schools, {self.result.students:,} students")
                self._summarise(plans)
                self.demo_school = OrgUnit.objects.get(code=demo_plan.code)
                self.demo_class = OrgUnit.objects.get(school=self.demo_school, kind=OrgUnit.Kind.CLASS,
                                                      school_year=self.year, grade_level=demo_class[0],
                                                      class_number=demo_class[1])
                # >>> history
                # The staff were in post through the demo's past school years (history.py plays them back): the
                # named logins and the schools' staff lists are appointed on the first day of the oldest one.
                appointed = history.first_past_year(self.year)
                staff_clock = ExitStack()
                staff_clock.enter_context(clock_at(datetime.combine(appointed.starts_on, dt_time(8, 0),
                                                                    tzinfo=timezone.get_current_timezone())))
                # <<< history
                # The named logins first: the security administrator imports the schools' staff lists.
                logins = staff.create_demo_logins(
                    city=self.city, hospital=self.hospital, school=self.demo_school, school_class=self.demo_class,
                    year=appointed, password_hash=make_password(staff.DEMO_PASSWORD), rng=self.rng)  # history
                for plan in plans:
                    staff_file = files.write_csv(
                        self.files / "staff" / f"{plan.code}.csv", files.STAFF_HEADER,
                        self.staff_rows(plan, demo_class if plan is demo_plan else None),
                        title=f"{plan.name} 教职工名单")
                    report = files.run_import("import_staff", staff_file, school=plan.code,
                                              username=STAFF_IMPORTER)
                    self.result.staff += report["created"]
                    self.first_passwords += [[plan.code, p["line"], p["username"], p["name"], p["password"]]
                                             for p in report.get("initial_passwords", [])]
                    self.result.imports += 1
                # >>> history
                staff_clock.close()
                # <<< history
                self.progress(f"staff: {self.result.staff:,} accounts from {len(plans)} staff lists")
                self.result.key_students = self.mark_key_students()
                self.issue_credentials(logins)
            files.write_csv(self.files / "accounts" / "staff-first-passwords.csv",
                            ["学校标识码", "行", "用户名", "姓名", "初始密码"], self.first_passwords)
        if connection.vendor == "postgresql":
            # The project's own tables only: a bare ANALYZE also takes the shared catalogues (pg_authid …), whose
            # lock is held to the end of the transaction and so blocks every other database's ANALYZE meanwhile
            # (two test processes, each in its own database, waited minutes on each other).
            tables = ", ".join(connection.ops.quote_name(name) for name in connection.introspection.django_table_names(
                only_existing=True, include_views=False))
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {tables}")
        self.result.seconds = time.monotonic() - started
        return self.result

    def _summarise(self, plans: list[SchoolPlan]) -> None:
        r = self.result
        r.districts, r.schools = self.districts, len(plans)
        r.classes = OrgUnit.objects.filter(kind=OrgUnit.Kind.CLASS, school_year=self.year).count()
        r.guardians = Guardian.objects.count()
        r.memberships = GroupMembership.objects.count()


def district_code(index: int) -> str:
    return f"{CITY_CODE}{index + 1:02d}"


def default_files_dir() -> Path:
    return Path(settings.VAR_DIR) / "demo-files"
