"""The demo city generator: a fictional 润州市 (Runzhou) with districts and counties, schools of every type,
grades and classes for the current school year, students with guardians, special-attention groups and
enrollment rows, a head teacher for every class, a leader and a psychology teacher for every school, and
one named demo login for every role (see staff.py).

Deterministic: the same --students, --districts and --seed give the same city. Fast: rows are generated
as tuples and written with PostgreSQL's COPY (SQLite, the embedded demo, uses bulk_create in batches).
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from runxin.accounts.models import User
from runxin.org import grades as grade_names
from runxin.org import services as org_services
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people.models import Enrollment, GroupMembership, Guardian, RoleAssignment, SpecialGroup, Student

from . import idnumbers, names, staff

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
FLUSH_EVERY = 50_000


@dataclass
class SchoolPlan:
    district_index: int
    school_type: str
    size: int
    unit: OrgUnit | None = None
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


class Writer:
    """Rows as tuples into one table: COPY on PostgreSQL, bulk_create in batches elsewhere."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def write(self, model, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.postgres:
            table = model._meta.db_table
            with connection.cursor() as cursor:
                with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=500)


class CityGenerator:
    def __init__(self, *, students: int, seed: int = 2026, districts: int | None = None,
                 progress: Callable[[str], None] | None = None, today: date | None = None) -> None:
        if students < 1:
            raise ValueError("the city needs at least one student")
        self.students = students
        self.districts = districts or default_districts(students)
        if not 1 <= self.districts <= len(names.URBAN_DISTRICTS) + len(names.COUNTY_DISTRICTS):
            raise ValueError("between 1 and 20 districts")
        self.rng = random.Random(seed)
        self.progress = progress or (lambda message: None)
        self.today = today or timezone.localdate()
        self.writer = Writer()
        self.now = timezone.now()
        self.password = make_password(staff.DEMO_PASSWORD)
        self.id_counters: dict[tuple, int] = {}

    # The tree ------------------------------------------------------------------------------------------
    def build_tree(self, plans: list[SchoolPlan]) -> None:
        rng = self.rng
        self.city = org_services.unit_create(kind=OrgUnit.Kind.CITY, name=CITY_NAME, code=CITY_CODE)
        self.hospital = org_services.unit_create(
            kind=OrgUnit.Kind.HOSPITAL, name="润州市第四人民医院（精神卫生中心）", parent=self.city, code=f"{CITY_CODE}-H1"
        )
        urban = list(names.URBAN_DISTRICTS)
        county = list(names.COUNTY_DISTRICTS)
        self.district_units: list[OrgUnit] = []
        self.district_is_county: list[bool] = []
        for index in range(self.districts):
            is_county = index % 2 == 1 and county or not urban
            name = (county if is_county else urban).pop(0)
            unit = org_services.unit_create(kind=OrgUnit.Kind.DISTRICT, name=name, parent=self.city,
                                            code=f"{CITY_CODE}{index + 1:02d}")
            self.district_units.append(unit)
            self.district_is_county.append(bool(is_county))
        places = [names.place_names(rng, "county" if c else "urban") for c in self.district_is_county]
        used: set[str] = set()
        counters: dict[tuple[int, str], int] = {}
        schools = []
        for number, plan in enumerate(plans, start=1):
            district = self.district_units[plan.district_index]
            short = district.name[:-1]
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
            schools.append(OrgUnit(kind=OrgUnit.Kind.SCHOOL, name=name, parent=district,
                                   code=f"{REGION_PREFIX}{number:06d}", school_type=plan.school_type))
        for plan, unit in zip(plans, org_services.units_bulk_create(schools), strict=True):
            plan.unit = unit
        grade_units = [
            OrgUnit(kind=OrgUnit.Kind.GRADE, name=grade_names.grade_name(level), parent=plan.unit,
                    school_year=self.year, grade_level=level)
            for plan in plans for level in plan.class_sizes
        ]
        grade_units = org_services.units_bulk_create(grade_units)
        by_school_level = {(g.school_id, g.grade_level): g for g in grade_units}
        class_units = [
            OrgUnit(kind=OrgUnit.Kind.CLASS, name=grade_names.class_name(level, number),
                    parent=by_school_level[(plan.unit.pk, level)], school_year=self.year, grade_level=level,
                    class_number=number)
            for plan in plans for level, sizes in plan.class_sizes.items() for number in range(1, len(sizes) + 1)
        ]
        self.classes = org_services.units_bulk_create(class_units)
        self.result.districts, self.result.schools, self.result.classes = self.districts, len(plans), len(self.classes)
        self.progress(f"tree: {self.districts} districts, {len(plans)} schools, {len(self.classes)} classes")

    # Students ------------------------------------------------------------------------------------------
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

    def generate_students(self, plans: list[SchoolPlan]) -> None:
        rng = self.rng
        group_ids = dict(SpecialGroup.objects.values_list("code", "id"))
        student_id = (Student.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        plan_by_school = {plan.unit.pk: plan for plan in plans}
        buffers: dict[str, list[tuple]] = {"students": [], "guardians": [], "memberships": [], "enrollments": []}
        started_on = self.year.starts_on
        started = time.monotonic()
        city_id = self.city.pk
        for school_class in self.classes:
            plan = plan_by_school[school_class.school_id]
            spec = TYPES[plan.school_type]
            is_county = self.district_is_county[plan.district_index]
            region = f"{REGION_PREFIX}{plan.district_index + 1:02d}"
            size = plan.class_sizes[school_class.grade_level][school_class.class_number - 1]
            for _ in range(size):
                sex = "M" if rng.random() < 0.515 else "F"
                family = names.surname(rng)
                groups = self._groups(is_county, plan.school_type)
                birth = self._birth(school_class.grade_level, plan.school_type)
                home = rng.choice(MIGRANT_REGIONS) if "migrant" in groups else region
                id_number = self._id(home, birth, sex)
                at_risk = bool(groups & {"bullied", "bereaved", "family_crisis", "orphan"})
                key = rng.random() < (KEY_RATE_AT_RISK if at_risk else KEY_RATE_BASE)
                boarding = "boarding" if rng.random() < spec.boarding * (1.3 if is_county else 0.8) else "day"
                buffers["students"].append((
                    student_id, idnumbers.student_number(id_number), family + names.given_name(rng, sex), sex, birth,
                    id_number, boarding, "enrolled", key, school_class.pk, school_class.parent_id,
                    school_class.school_id, school_class.district_id, city_id, self.now, self.now,
                ))
                for position, (guardian_name, relation) in enumerate(self._guardians(family, groups), start=1):
                    buffers["guardians"].append((student_id, position, guardian_name, relation, names.phone(rng)))
                for code in sorted(groups):
                    buffers["memberships"].append((student_id, group_ids[code], started_on, ""))
                buffers["enrollments"].append(
                    (student_id, school_class.pk, school_class.school_id, self.year.pk, started_on, None, "enrolled", "")
                )
                student_id += 1
            if len(buffers["students"]) >= FLUSH_EVERY:
                self._flush(buffers, started)
        self._flush(buffers, started)

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

    def _flush(self, buffers: dict[str, list[tuple]], started: float) -> None:
        if not buffers["students"]:
            return
        write = self.writer.write
        write(Student, ["id", "student_number", "name", "sex", "birth_date", "id_number", "boarding", "status",
                        "is_key_student", "school_class_id", "grade_id", "school_id", "district_id", "city_id",
                        "created_at", "updated_at"], buffers["students"])
        write(Guardian, ["student_id", "position", "name", "relation", "phone"], buffers["guardians"])
        write(GroupMembership, ["student_id", "group_id", "since", "note"], buffers["memberships"])
        write(Enrollment, ["student_id", "school_class_id", "school_id", "school_year_id", "started_on", "ended_on",
                           "reason", "end_reason"], buffers["enrollments"])
        self.result.students += len(buffers["students"])
        self.result.guardians += len(buffers["guardians"])
        self.result.memberships += len(buffers["memberships"])
        for rows in buffers.values():
            rows.clear()
        elapsed = time.monotonic() - started
        self.progress(f"students: {self.result.students:,} / {self.students:,} "
                      f"({100 * self.result.students // self.students}%), {elapsed:.0f} s")

    # Staff ---------------------------------------------------------------------------------------------
    def generate_staff(self, plans: list[SchoolPlan]) -> None:
        """A leader and a psychology teacher per school, a head teacher per class (one shared password hash)."""
        rng = self.rng
        user_id = (User.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        users: list[tuple] = []
        assignments: list[tuple] = []
        starts_on = self.year.starts_on

        def add(username: str, role: str, unit_id: int, sex: str) -> None:
            nonlocal user_id
            users.append((user_id, self.password, False, username, "", "", "", False, True, self.now,
                          names.person_name(rng, sex, adult=True), names.phone(rng), self.now, False))
            assignments.append((user_id, role, unit_id, None, starts_on, None, True, self.now))
            user_id += 1

        for plan in plans:
            code = plan.unit.code
            add(f"{code}-leader", "school_leader", plan.unit.pk, rng.choice("MF"))
            add(f"{code}-psych", "psych_teacher", plan.unit.pk, "F" if rng.random() < 0.75 else "M")
        for school_class in self.classes:
            if school_class.pk == self.demo_class.pk:
                continue  # the named demo login `head_teacher` leads this class
            username = f"{self.code_of[school_class.school_id]}-head-{school_class.grade_level:02d}{school_class.class_number:02d}"
            add(username, "head_teacher", school_class.pk, "F" if rng.random() < 0.7 else "M")
        self.writer.write(User, ["id", "password", "is_superuser", "username", "first_name", "last_name", "email",
                                 "is_staff", "is_active", "date_joined", "display_name", "phone",
                                 "password_changed_at", "must_change_password"], users)
        self.writer.write(RoleAssignment, ["user_id", "role", "org_unit_id", "student_id", "starts_on", "ends_on",
                                           "is_active", "created_at"], assignments)
        self.result.staff = len(users)
        self.progress(f"staff: {len(users):,} school leaders, psychology teachers and head teachers")

    def _reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), [Student, User])
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def run(self) -> Result:
        started = time.monotonic()
        with transaction.atomic():
            self.year = current_school_year(self.today)
            plans = plan_schools(self.students, self.districts, self.rng)
            self.result = Result(city=None)  # type: ignore[arg-type]
            self.build_tree(plans)
            self.result.city = self.city
            self.code_of = {plan.unit.pk: plan.unit.code for plan in plans}
            self.demo_school = next(p.unit for p in plans if p.school_type == ST.JUNIOR)
            self.demo_class = next(c for c in self.classes if c.school_id == self.demo_school.pk)
            self.generate_students(plans)
            self.generate_staff(plans)
            self._reset_sequences()
            staff.create_demo_logins(city=self.city, hospital=self.hospital, school=self.demo_school,
                                     school_class=self.demo_class, year=self.year, password_hash=self.password,
                                     rng=self.rng)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.result.seconds = time.monotonic() - started
        return self.result
