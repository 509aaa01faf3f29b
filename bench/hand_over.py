"""Hand-over of screening flags to the warnings app: flags per second, and which go first.

    .venv/bin/python bench/hand_over.py [--students 6000] [--flags 2000] [--reuse]

Loads a demo city of --students students into its own PostgreSQL database (runxin_bench_hand_over), then writes
--flags pending flags (10 % critical, 30 % high, 60 % moderate, each on a student without an open warning, with a
result of its own, as a submission writes them) and times `flags_hand_over_pending()` draining them: flags/s,
and the position at which the last critical flag was handed over (red first: it should be within the first
10 %). With --reuse a run takes further students (each run needs --flags students without an open warning).
"""

import argparse
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import use_database  # noqa: E402

DATABASE = "runxin_bench_hand_over"


def seed_flags(count: int) -> str:
    """`count` pending flags on students without an open warning, each with its own target, submission and
    result in a bench campaign cloned from the demo's (bulk_create: this is fixture data, not the path timed)."""
    from django.utils import timezone

    from runxin.alerts import states
    from runxin.alerts.models import Warning
    from runxin.people.models import Student
    from runxin.screening.models import CampaignTarget, Result, ScreeningFlag, Submission

    template = Result.objects.select_related("submission", "target", "campaign").order_by("id").first()
    if template is None:
        raise SystemExit("the demo city made no screening results to clone; load it with activity")
    campaign = template.campaign
    campaign.pk = None
    campaign.name = f"bench hand-over {uuid.uuid4().hex[:6]}"
    campaign.save()
    busy = Warning.objects.filter(state__in=states.OPEN).values("student_id")
    students = list(Student.objects.exclude(pk__in=busy).order_by("id")[:count])
    if len(students) < count:
        raise SystemExit(f"only {len(students)} students without an open warning: use more --students")
    now = timezone.now()
    targets = CampaignTarget.objects.bulk_create(
        CampaignTarget(campaign=campaign, student=s, school_class_id=s.school_class_id, grade_id=s.grade_id,
                       school_id=s.school_id, district_id=s.district_id, started_at=now, finished_at=now)
        for s in students)
    submissions = Submission.objects.bulk_create(
        Submission(client_id=uuid.uuid4(), target=t, answers=template.submission.answers, received_at=now,
                   via="code", risk_rank=2, critical=False) for t in targets)
    results = Result.objects.bulk_create(
        Result(submission=sub, target=t, campaign=campaign, student_id=t.student_id,
               instrument_version_id=template.instrument_version_id, instrument_code=template.instrument_code,
               score=template.score, total=template.total, band_code=template.band_code,
               band_level=template.band_level, validity=template.validity, risk_level=template.risk_level,
               risk_reasons=template.risk_reasons, scored_at=now)
        for sub, t in zip(submissions, targets, strict=True))
    # Arrival order mixes the levels, as a burst does: every tenth is critical.
    levels = ["critical" if i % 10 == 9 else "high" if i % 10 < 3 else "moderate" for i in range(count)]
    ScreeningFlag.objects.bulk_create(
        ScreeningFlag(result=r, student_id=r.student_id, level=level, instrument_code=r.instrument_code,
                      reasons=[{"en": "bench", "zh-Hans": "bench"}], created_at=now + timedelta(milliseconds=i))
        for i, (r, level) in enumerate(zip(results, levels, strict=True)))
    return campaign.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=6000)
    parser.add_argument("--flags", type=int, default=2000)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded bench database")
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args()

    use_database(args.database, fresh=not args.reuse)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    from runxin.org.models import OrgUnit

    if not OrgUnit.objects.filter(kind=OrgUnit.Kind.CITY).exists():
        start = time.monotonic()
        call_command("demo_city", students=args.students, verbosity=0)
        print(f"loaded a city of {args.students:,} students in {time.monotonic() - start:.0f} s")

    from runxin.notify import services as notify_services
    from runxin.screening import services
    from runxin.screening.models import ScreeningFlag

    # Delivering e-mail and SMS is the notify worker's job, not the hand-over's.
    notify_services.schedule_delivery = lambda: None
    services.flags_hand_over_pending(limit=10**9)  # whatever the demo left pending
    campaign = seed_flags(args.flags)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    count = [0]

    def counted(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    start = time.perf_counter()
    handed = 0
    with connection.execute_wrapper(counted):
        while True:
            went = services.flags_hand_over_pending()
            handed += went
            if not went:
                break
    seconds = time.perf_counter() - start
    order = list(ScreeningFlag.objects.filter(result__campaign__name=campaign)
                 .order_by("handed_over_at", "id").values_list("level", flat=True))
    last_critical = max((i for i, level in enumerate(order) if level == "critical"), default=-1) + 1
    left = ScreeningFlag.objects.filter(handed_over_at__isnull=True).count()
    print(f"handed over {handed:,} flags in {seconds:.1f} s: {handed / seconds:,.0f} flags/s; "
          f"{left} left pending; the last critical flag went {last_critical:,}th of {len(order):,}; "
          f"{count[0] / max(handed, 1):.1f} queries per flag")


if __name__ == "__main__":
    main()
