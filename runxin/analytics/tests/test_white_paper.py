"""The yearly white paper's content and PDF: sections for a school year from the stored figures, every figure as
published (small counts hidden whoever asks, no school or class named), staffing from role assignments and what
the platform does not record, and a PDF that renders Chinese text and holds no small figure."""

from datetime import date

import pypdfium2
import pytest

from runxin.analytics import pdf, white_paper
from runxin.analytics.models import UnitFigure

LATEST = date(2026, 11, 1)  # the figures run to November of the 2026-2027 school year
TODAY = date(2026, 11, 20)
MONTHS = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]


def put(unit, measure: str, values, *, hidden=()) -> None:
    """Monthly figures of one measure from September: values in month order, `hidden` the months' indexes stored
    suppressed; a single value is a stock stored at November."""
    if isinstance(values, int):
        UnitFigure.objects.create(unit=unit, month=LATEST, measure=measure, value=values,
                                  suppressed=bool(hidden))
        return
    UnitFigure.objects.bulk_create([UnitFigure(unit=unit, month=month, measure=measure, value=value,
                                               suppressed=i in hidden)
                                    for i, (month, value) in enumerate(zip(MONTHS, values, strict=True))])


def paper_figures(w) -> None:
    """The world's city (东区 and 西区) over September–November 2026, as the refresh would store them: 西区 had 3
    incidents (each month's 1 hidden, and 东区's with it where the city line needs it)."""
    units = {"city": w.city, "east": w.east, "west": w.west}
    stocks = {"students": (3000, 1800, 1200), "screening.covered": (2700, 1700, 1000),
              "visits.covered": (900, 500, 400), "visits.key_students": (60, 35, 25),
              "visits.key_covered": (48, 30, 18), "warnings.current": (40, 25, 15)}
    for measure, values in stocks.items():
        for unit, value in zip(units.values(), values, strict=True):
            put(unit, measure, value)
    flows = {
        "screening.results": ((1500, 900, 300), (900, 600, 200), (600, 300, 100)),
        "screening.results.none": ((1200, 700, 240), (720, 470, 160), (480, 230, 80)),
        "screening.results.moderate": ((200, 130, 40), (120, 85, 25), (80, 45, 15)),
        "screening.results.high": ((100, 70, 20), (60, 45, 15), (40, 25, 5)),
        "warnings.new": ((30, 25, 20), (18, 15, 12), (12, 10, 8)),
        "warnings.new.red": ((11, 5, 6), (6, 0, 6), (5, 5, 0)),
        "warnings.new.yellow": ((19, 20, 14), (12, 15, 6), (7, 5, 8)),
        "warnings.cleared": ((10, 12, 15), (6, 7, 9), (4, 5, 6)),
        "referrals.new": ((6, 5, 7), (0, 5, 7), (6, 0, 0)),
        "referrals.first_visit": ((5, 5, 6), (0, 5, 6), (5, 0, 0)),
        "referrals.days_to_first_visit": ((20, 15, 30), (0, 15, 30), (20, 0, 0)),
        "visits.home": ((300, 250, 200), (180, 150, 120), (120, 100, 80)),
    }
    for measure, per_unit in flows.items():
        for unit, values in zip(units.values(), per_unit, strict=True):
            put(unit, measure, list(values))
    # Incidents: 西区 1 in each month (hidden), 东区 0; the city's 1s hidden with them.
    put(w.city, "incidents.new", [1, 1, 1], hidden={0, 1, 2})
    put(w.east, "incidents.new", [0, 0, 0])
    put(w.west, "incidents.new", [1, 1, 1], hidden={0, 1, 2})


@pytest.fixture(autouse=True)
def _staffed_since_the_summer(world):
    """The world's role assignments are made now; date them to before the school year, as a real roster's are."""
    from runxin.people.models import RoleAssignment
    from runxin.testing.clock import local

    RoleAssignment.objects.update(created_at=local(2026, 8, 1))


@pytest.fixture
def paper(world, _staffed_since_the_summer):
    paper_figures(world)
    return white_paper.build(world.city, world.year, latest=LATEST, today=TODAY)


def _table(paper, ident):
    return next(t for s in paper.sections for t in s.tables if t.ident == ident)


def _row(table, label):
    return dict(table.lines)[label]


def test_the_paper_has_its_sections_for_the_school_year(english, paper, world):
    assert [s.ident for s in paper.sections] == ["coverage", "bands", "trends", "warnings", "staffing", "about"]
    assert paper.months == MONTHS and paper.running
    assert paper.subtitle == "测试市 · school year 2026-2027"
    coverage = _row(_table(paper, "coverage"), "测试市")
    assert [v.text for _c, v in coverage][:3] == ["3,000", "2,700", "90.0%"]


def test_figures_are_sums_of_the_months_and_rates_of_them(paper, world):
    cells = [v for _c, v in _row(_table(paper, "warnings"), "东区")]
    assert cells[0].text == "45" and cells[0].fig == f"sum:{world.east.pk}:warnings.new:2026-09:2026-11"
    assert cells[1].text == "25.00" and cells[1].rate_of == cells[0].fig  # 45 per 1,800 students
    bands = [v.text for _c, v in _row(_table(paper, "bands"), "测试市")]
    assert bands[:4] == ["2,700", "79.3%", "13.7%", "7.0%"]


def test_small_counts_are_withheld_whoever_reads_it(paper, world):
    outcomes = [v for _c, v in _row(_table(paper, "outcomes"), "西区")]
    incidents = outcomes[-1]
    assert (incidents.text, incidents.value, incidents.hidden) == ("*", None, "1")
    # The city's sum (3) is withheld too: otherwise it would give 西区's away.
    city = [v for _c, v in _row(_table(paper, "outcomes"), "测试市")][-1]
    assert city.hidden and city.value is None
    # The trend of the city's months shows the stored flags.
    trend = _table(paper, "trends")
    assert all("*" not in v.text or v.hidden for _label, values in trend.rows for v in values)


def test_no_school_or_class_is_named(paper, world):
    text = " ".join([*(p for s in paper.sections for p in s.paragraphs),
                     *(label for s in paper.sections for t in s.tables for label, _v in t.rows)])
    for name in ("东区第一中学", "西区实验学校", "七年级"):
        assert name not in text


def test_staffing_counts_psychology_teachers_and_says_what_is_not_recorded(english, paper, world):
    staffing = _table(paper, "staffing")
    city = [v.text for _c, v in _row(staffing, "测试市")]
    assert city == ["2", "2", "100.0%", "2", "0.67"]  # 2 teachers per 3,000 students
    note = " ".join(next(s for s in paper.sections if s.ident == "staffing").paragraphs)
    assert "full-time or part-time" in note and "counseling rooms" in note and "certificates" in note


def test_an_ended_psychology_teacher_is_not_counted(world, english):
    from runxin.people.models import RoleAssignment

    RoleAssignment.objects.filter(user=world.other_psych).update(is_active=False, ends_on=date(2026, 10, 1))
    counts = white_paper.psych_teachers([world.city, world.west], date(2026, 11, 20))
    assert counts[world.west.pk] == {"schools": 1, "staffed": 0, "teachers": 0}
    # On a day before the end it was.
    assert white_paper.psych_teachers([world.west], date(2026, 9, 20))[world.west.pk]["teachers"] == 1


def test_a_district_paper_shows_the_district_and_hides_as_the_city_paper_does(world):
    paper_figures(world)
    city_paper = white_paper.build(world.city, world.year, latest=LATEST, today=TODAY)
    west_paper = white_paper.build(world.west, world.year, latest=LATEST, today=TODAY)
    assert [label for label, _v in _table(west_paper, "outcomes").rows] == ["西区"]
    assert _row(_table(west_paper, "outcomes"), "西区") == _row(_table(city_paper, "outcomes"), "西区")


# ------------------------------------------------------------------------------------------------------ PDF

def _pdf_text(data: bytes) -> tuple[list[str], pypdfium2.PdfDocument]:
    document = pypdfium2.PdfDocument(data)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))], document


def test_the_pdf_renders_chinese_text(paper, tmp_path):
    data = pdf.white_paper(paper)
    pages, document = _pdf_text(data)
    assert "学生心理健康年度白皮书" in pages[0] or "yearly white paper" in pages[0].lower()
    assert "测试市" in pages[0]
    image = document[0].render(scale=1.2).to_pil().convert("L")
    image.save(tmp_path / "white-paper-page-1.png")
    # Not blank: ink in the title's band at the top of the page, and on the page as a whole.
    width, height = image.size
    title_band = image.crop((0, 0, width, height // 8))
    assert title_band.getextrema()[0] < 100
    dark = sum(image.histogram()[:128])
    assert dark > width * height * 0.005


def test_the_pdf_holds_no_small_figure(paper):
    pages, _document = _pdf_text(pdf.white_paper(paper))
    text = "\n".join(pages)
    # 西区's incidents (3 in all, 1 a month) and the city's: withheld in every table they appear in.
    for line in text.splitlines():
        if line.startswith(("西区", "测试市")) and "*" in line:
            cells = line.split()
            assert not any(cell in {"1", "2", "3", "4"} for cell in cells[1:]), line
    assert "*" in text


def test_the_pdf_says_what_is_not_recorded(english, paper):
    text = "\n".join(_pdf_text(pdf.white_paper(paper))[0])
    assert "full-time or part-time" in " ".join(text.split())


def _campaign(world, name: str, owner, start: date):
    from runxin.screening.models import Campaign

    return Campaign.objects.create(name=name, kind=Campaign.Kind.UNIVERSAL, owner=owner, status=Campaign.Status.CLOSED,
                                   window_start=start, window_end=start.replace(day=28), created_by=world.city_admin)


def test_the_citys_universal_screenings_give_the_share_in_each_band(world, english):
    from runxin.analytics.models import CampaignFigure

    paper_figures(world)
    city_run = _campaign(world, "2026年秋季全市普测", world.city, date(2026, 9, 10))
    school_run = _campaign(world, "东区第一中学自查", world.school, date(2026, 10, 10))
    last_year = _campaign(world, "2025年秋季全市普测", world.city, date(2025, 9, 10))
    rows = {("", "targets"): (3000, False), ("", "done"): (2700, False), ("phqa", "results"): (2000, False),
            ("phqa", "level:none"): (1600, False), ("phqa", "level:moderate"): (300, False),
            ("phqa", "level:high"): (97, False), ("phqa", "level:critical"): (3, True)}
    for campaign in (city_run, school_run, last_year):
        CampaignFigure.objects.bulk_create([
            CampaignFigure(campaign=campaign, unit=world.city, instrument_code=instrument, measure=measure, value=value,
                           suppressed=hidden) for (instrument, measure), (value, hidden) in rows.items()])
    paper = white_paper.build(world.city, world.year, latest=LATEST, today=TODAY)
    table = _table(paper, "campaigns")
    assert [label for label, _values in table.rows] == ["2026年秋季全市普测 · PHQA"]  # no school's own, no other year
    cells = table.rows[0][1]
    assert [v.text for v in cells] == ["2,000", "80.0%", "15.0%", "4.9%", "—", "90.0%"]
    assert cells[0].fig == f"c:{city_run.pk}:{world.city.pk}:phqa:all::results"
    assert cells[4].rate_of == f"c:{city_run.pk}:{world.city.pk}:phqa:all::level:critical"  # withheld: its 3
