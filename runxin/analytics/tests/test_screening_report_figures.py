"""The campaign figures behind the screening reports (campaign_figures.py): equal to a raw SQL recomputation over the
base tables on a demo-like city, suppressed so that the subtraction attack learns nothing, and kept up to date by
the scheduler's pass."""

import uuid
from collections import Counter

import pytest
from django.db import connection

from runxin.analytics import campaign_figures as cf
from runxin.analytics.core.disclosure import attack
from runxin.analytics.core.suppression import SMALL
from runxin.analytics.models import CampaignFigure, RefreshState
from runxin.screening import services
from runxin.screening.models import CampaignTarget
from runxin.screening.tests.helpers import gad7_answers, phqa_answers

from .screening_report_city import city_fixture  # noqa: F401 — the module fixture "city"

pytestmark = pytest.mark.django_db


def stored(campaign) -> dict[tuple, int]:
    return {row[:5]: row[5] for row in CampaignFigure.objects.filter(campaign=campaign, value__gt=0).values_list(
        "unit_id", "instrument_code", "dimension", "key", "measure", "value")}


# The recomputation: every target counts in each (unit, dimension, key) of its placement; each figure is one
# GROUP BY over those cells — written apart from campaign_figures.py, from the score JSON rather than the band
# columns, the district's parent for the city.
RAW = """
WITH tgt AS (
  SELECT t.id AS target_id, t.student_id, s.sex, COALESCE(t.grade_level::text, 'none') AS grade,
         t.finished_at IS NOT NULL AS done,
         t.finished_at IS NULL AND (t.student_decision = 'declined' OR COALESCE(c.state, '') = 'declined') AS declined,
         t.school_class_id, t.grade_id, t.school_id, t.district_id, d.parent_id AS city_id
  FROM screening_campaigntarget t JOIN people_student s ON s.id = t.student_id
  LEFT JOIN screening_consentrecord c ON c.target_id = t.id LEFT JOIN org_orgunit d ON d.id = t.district_id
  WHERE t.campaign_id = %(c)s
), cell AS (
  SELECT tgt.target_id, v.unit_id, v.dim, v.key FROM tgt CROSS JOIN LATERAL (VALUES
    (school_class_id, 'all', ''), (grade_id, 'all', ''), (school_id, 'all', ''), (district_id, 'all', ''),
    (city_id, 'all', ''), (school_id, 'grade', grade), (district_id, 'grade', grade), (city_id, 'grade', grade),
    (school_id, 'sex', sex), (district_id, 'sex', sex), (city_id, 'sex', sex)) v(unit_id, dim, key)
  WHERE v.unit_id IS NOT NULL
  UNION ALL
  SELECT tgt.target_id, v.unit_id, 'group', g.code FROM tgt
  JOIN people_groupmembership gm ON gm.student_id = tgt.student_id JOIN people_specialgroup g ON g.id = gm.group_id
  CROSS JOIN LATERAL (VALUES (school_id), (district_id), (city_id)) v(unit_id) WHERE v.unit_id IS NOT NULL
), res AS (
  SELECT r.id, r.target_id, r.instrument_code, r.validity, r.critical, r.score,
         CASE WHEN v.not_scored THEN NULL ELSE COALESCE(r.score->'total'->'band', r.score->'outcome') END AS cls
  FROM screening_result r JOIN screening_instrumentversion v ON v.id = r.instrument_version_id
  WHERE r.campaign_id = %(c)s
)
SELECT unit_id, '', dim, key, m.measure, COUNT(*) FROM cell JOIN tgt USING (target_id)
CROSS JOIN LATERAL (VALUES ('targets', true), ('done', done), ('declined', declined),
  ('pending', NOT done AND NOT declined),
  ('key', EXISTS (SELECT 1 FROM res WHERE res.target_id = tgt.target_id
                  AND (res.critical OR res.cls->>'level' IN ('high', 'critical'))))) m(measure, yes)
WHERE yes GROUP BY 1, 2, 3, 4, 5
UNION ALL
SELECT unit_id, instrument_code, dim, key, m.measure, COUNT(*) FROM cell JOIN res USING (target_id)
CROSS JOIN LATERAL (VALUES ('results', true), ('band:' || (cls->>'code'), cls IS NOT NULL),
  ('level:' || (cls->>'level'), cls IS NOT NULL), ('unbanded', cls IS NULL), ('invalid', validity <> 'valid'),
  ('critical', critical)) m(measure, yes)
WHERE yes GROUP BY 1, 2, 3, 4, 5
UNION ALL
SELECT cell.unit_id, i.code, dim, key, 'unanswered', COUNT(*) FROM cell JOIN tgt USING (target_id)
CROSS JOIN (SELECT DISTINCT instrument_code AS code FROM res) i
WHERE tgt.done AND NOT EXISTS (SELECT 1 FROM res WHERE res.target_id = tgt.target_id AND res.instrument_code = i.code)
GROUP BY 1, 2, 3, 4
UNION ALL
SELECT unit_id, instrument_code, dim, key, 'positive:' || (sc->>'id'), COUNT(DISTINCT res.id)
FROM cell JOIN res USING (target_id) CROSS JOIN LATERAL jsonb_array_elements(res.score->'scales') sc
WHERE res.instrument_code = ANY(%(subscales)s) AND res.cls IS NOT NULL
  AND sc->>'id' <> COALESCE(res.score->'total'->>'id', '') AND sc->'band'->>'level' <> 'none'
GROUP BY 1, 2, 3, 4, 5
UNION ALL
SELECT unit_id, instrument_code, dim, key, 'positive:' || (f->>'item'), COUNT(DISTINCT res.id)
FROM cell JOIN res USING (target_id) CROSS JOIN LATERAL jsonb_array_elements(res.score->'flags') f
WHERE NOT res.instrument_code = ANY(%(subscales)s) AND f->>'kind' = 'critical_item'
GROUP BY 1, 2, 3, 4, 5
UNION ALL
SELECT unit_id, instrument_code, dim, key, 'invalid:' || (f->>'kind'), COUNT(DISTINCT res.id)
FROM cell JOIN res USING (target_id) CROSS JOIN LATERAL jsonb_array_elements(res.score->'flags') f
WHERE dim = 'all' AND f->>'validity' IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
"""


def recomputed(campaign, subscale_instruments: list[str]) -> dict[tuple, int]:
    with connection.cursor() as cursor:
        cursor.execute(RAW, {"c": campaign.pk, "subscales": subscale_instruments})
        rows = cursor.fetchall()
    out: dict[tuple, int] = {}
    for unit, code, dim, key, measure, n in rows:
        # Classes and grades carry "all" only (the SQL above gives them nothing else).
        out[(unit, code, dim, key, measure)] = n
    return out


def test_the_figures_equal_a_raw_sql_recomputation(city):
    for campaign in (city.campaign, city.spring, city.last_year):
        expected = recomputed(campaign, ["mini-mht"])
        got = stored(campaign)
        assert got == expected, sorted(set(got.items()) ^ set(expected.items()))[:20]
    figures = stored(city.campaign)
    # The city as a whole, the demo-like numbers: 110 asked, 2 refused, most handed in, key students found,
    # each instrument's bands adding up to its results, PHQ-A's q9 and the mini scale's subscales counted.
    assert figures[(city.city.pk, "", "all", "", "targets")] == 110
    assert figures[(city.city.pk, "", "all", "", "declined")] == 2
    done = figures[(city.city.pk, "", "all", "", "done")]
    assert 80 < done < 108
    assert figures[(city.city.pk, "", "all", "", "key")] > 0
    for code in ("phqa", "gad7", "asq", "mini-mht"):
        results = figures[(city.city.pk, code, "all", "", "results")]
        assert results == done
        bands = sum(v for k, v in figures.items() if k[:4] == (city.city.pk, code, "all", "") and
                    (k[4].startswith("band:") or k[4] == "unbanded"))
        assert bands == results
    assert figures[(city.city.pk, "phqa", "all", "", "positive:q9")] > 0
    assert figures[(city.city.pk, "mini-mht", "all", "", "positive:study")] > 0
    assert (city.city.pk, "mini-mht", "all", "", "positive:total") not in figures  # the total is not a subscale
    # Grades, sexes, groups and every unit of the tree are there.
    assert figures[(city.school.pk, "", "grade", "7", "targets")] + figures[(city.school.pk, "", "grade", "8",
                                                                            "targets")] == \
        figures[(city.school.pk, "", "all", "", "targets")]
    assert figures[(city.class1.pk, "", "all", "", "targets")] == 16
    assert any(k[2] == "group" for k in figures)


def test_small_figures_are_hidden_and_the_subtraction_attack_learns_nothing(city):
    computed = cf.compute(city.campaign)
    rows = {row[:5]: (row[5], row[6]) for row in CampaignFigure.objects.filter(campaign=city.campaign).values_list(
        "unit_id", "instrument_code", "dimension", "key", "measure", "value", "suppressed")}
    hidden = {k for k, (_v, s) in rows.items() if s}
    values = {k: v for k, (v, _s) in rows.items()}
    assert hidden == set(cf.decide_hidden(computed))
    for key, (value, suppressed) in rows.items():
        public = key[2] in cf.PUBLIC_DIMENSIONS and key[4] in cf.PUBLIC_MEASURES
        if public:
            assert not suppressed, key  # how many were asked and screened is public
        elif 0 < value < SMALL:
            assert suppressed, key  # every small figure about risk or a group is hidden
    # Hidden zeros are stored (so a page can mark them), visible zeros are not.
    assert all(v > 0 or k in hidden for k, v in values.items())
    result = attack(values, computed.lines, hidden)
    assert result.recovered == {}
    # What is left: lines whose public total is itself 1–4 (3 results in a class): all their parts are hidden,
    # and nothing can stop the attacker knowing that each is small.
    for line, _sum in result.small_sums:
        assert line[0] not in cf.CANDIDATES and 0 < values.get(line[0], 0) < SMALL, line
    # The protection is not bought by hiding everything: big figures of the city stay visible (with two districts,
    # each district's care team knowing its own, fewer than an outsider alone would allow).
    city_public = [suppressed for key, (_value, suppressed) in rows.items()
                   if key[0] == city.city.pk and key not in cf.CANDIDATES]
    assert city_public and not any(city_public)  # how many were asked and handed in at the city: always shown


def test_lines_are_exact_partitions(city):
    """Every line the suppression protects adds up (total = sum of parts), or it would protect nothing."""
    computed = cf.compute(city.campaign)
    values = computed.values
    for line in computed.lines:
        assert values.get(line[0], 0) == sum(values.get(k, 0) for k in line[1:]), line


def test_the_refresh_computes_what_changed_and_backfills_the_rest(city):
    RefreshState.objects.filter(name__startswith="campaign:").delete()
    CampaignFigure.objects.filter(campaign__in=[city.campaign, city.spring, city.last_year]).delete()
    first = cf.refresh_campaign_figures()
    assert set(first["computed"]) >= {city.campaign.pk, city.spring.pk, city.last_year.pk}
    assert first["failed"] == []
    assert cf.refresh_campaign_figures()["computed"] == []  # nothing changed since
    before = stored(city.campaign)
    target = (CampaignTarget.objects.filter(campaign=city.campaign, finished_at__isnull=True)
              .exclude(student_decision="declined").select_related("campaign", "student").first())
    services.submission_accept(target=target, client_id=uuid.uuid4(), answers={
        "phqa": phqa_answers(3, q9=2), "gad7": gad7_answers(3), "asq": {"q1": "no", "q2": "no", "q3": "no", "q4": "no"},
        "mini-mht": {"q1": "2", "q2": "2", "q3": "0", "q4": "0"}})
    assert cf.refresh_campaign_figures()["computed"] == [city.campaign.pk]
    after = stored(city.campaign)
    city_done = (city.city.pk, "", "all", "", "done")
    assert after[city_done] == before[city_done] + 1
    assert after[(city.city.pk, "phqa", "all", "", "critical")] == before[(city.city.pk, "phqa", "all", "",
                                                                          "critical")] + 1
    # The closed campaigns are left alone once computed.
    assert city.spring.pk not in cf.refresh_campaign_figures()["computed"]


def test_a_failing_campaign_is_recorded_and_does_not_stop_the_others(city, monkeypatch):
    RefreshState.objects.filter(name__startswith="campaign:").delete()
    real = cf.compute

    def broken(campaign):
        if campaign.pk == city.spring.pk:
            raise RuntimeError("disk full")
        return real(campaign)

    monkeypatch.setattr(cf, "compute", broken)
    outcome = cf.refresh_campaign_figures()
    assert outcome["failed"] == [city.spring.pk]
    assert city.campaign.pk in outcome["computed"]
    assert "disk full" in RefreshState.objects.get(name=cf.state_name(city.spring.pk)).error


def test_figures_per_unit_kind(city):
    """Classes and grades carry the campaign as a whole only; schools, districts and the city every dimension."""
    kinds = Counter()
    for unit_id, dim in CampaignFigure.objects.filter(campaign=city.campaign).values_list("unit_id", "dimension"):
        kinds[(unit_id, dim)] += 1
    assert {d for (u, d) in kinds if u == city.class1.pk} == {"all"}
    assert {d for (u, d) in kinds if u == city.school.pk} == {"all", "grade", "sex", "group"}
    assert {d for (u, d) in kinds if u == city.city.pk} == {"all", "grade", "sex", "group"}


def test_the_scheduler_runs_the_refresh(city, settings):
    from runxin.alerts import scheduler

    entry = settings.CELERY_BEAT_SCHEDULE["analytics-campaign-figures"]
    task = scheduler.task_for(entry["task"])
    assert task.name == "runxin.analytics.tasks.campaign_figures" and float(entry["schedule"]) <= 300
    RefreshState.objects.filter(name=cf.state_name(city.campaign.pk)).delete()
    task()
    assert RefreshState.objects.get(name=cf.state_name(city.campaign.pk)).finished_at is not None


def test_the_command_recomputes_one_campaign_or_all(city):
    from io import StringIO

    from django.core.management import CommandError, call_command

    CampaignFigure.objects.filter(campaign=city.spring).delete()
    out = StringIO()
    call_command("campaign_figures", campaign=city.spring.pk, stdout=out)
    assert f"{city.spring.pk} {city.spring.name}:" in out.getvalue()
    assert stored(city.spring) == recomputed(city.spring, ["mini-mht"])
    out = StringIO()
    call_command("campaign_figures", "--all", stdout=out)
    assert all(f"{c.pk} {c.name}:" in out.getvalue() for c in (city.last_year, city.spring, city.campaign))
    with pytest.raises(CommandError):
        call_command("campaign_figures", campaign=999_999_999, stdout=StringIO())
