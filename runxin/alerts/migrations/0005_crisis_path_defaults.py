"""Defaults for the crisis path (issue 8):
- the school's psychology teacher acknowledges and assesses a red warning too (she is the one who acts
  first; the school leader stays named);
- a minimum time in monitoring before clearing may be requested: red 14 days, orange 7, yellow 3 (policy
  data: the city administrator changes it);
- the risk phrases that put a human report at the highest level, which the city administrator edits.
A level the city has already changed keeps its own values: only the shipped defaults are touched."""

from django.db import migrations

MIN_MONITORING_DAYS = {"red": 14, "orange": 7, "yellow": 3}

RISK_PHRASES = [
    "不想活", "活不下去", "活着没意思", "活着没有意思", "想死", "去死", "寻死", "自杀", "轻生", "结束生命",
    "结束自己", "了结自己", "跳楼", "跳河", "跳桥", "割腕", "割手", "划手", "上吊", "吃药死", "安眠药",
    "伤害自己", "自残", "自伤", "遗书", "不想活了", "死了算了", "消失就好", "离开这个世界",
]


def forward(apps, schema_editor):
    WarningLevel = apps.get_model("alerts", "WarningLevel")
    red = WarningLevel.objects.filter(code="red").first()
    if red is not None and red.ack_roles == ["school_leader"]:
        red.ack_roles = ["psych_teacher", "school_leader"]
        red.save(update_fields=["ack_roles"])
    for code, days in MIN_MONITORING_DAYS.items():
        WarningLevel.objects.filter(code=code, min_monitoring_days=0).update(min_monitoring_days=days)
    RiskPhrase = apps.get_model("alerts", "RiskPhrase")
    for phrase in RISK_PHRASES:
        RiskPhrase.objects.get_or_create(phrase=phrase)


def backward(apps, schema_editor):
    apps.get_model("alerts", "RiskPhrase").objects.filter(phrase__in=RISK_PHRASES).delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0004_crisis_path")]
    operations = [migrations.RunPython(forward, backward)]
