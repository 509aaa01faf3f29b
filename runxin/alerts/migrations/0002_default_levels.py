"""The default warning levels (red / orange / yellow) with their policies, and the append-only guard on the
warning history. Levels are data: the city administrator renames, re-times or adds levels afterwards.

Defaults, from the seeds (常州 三级预警: class—school—society with named responsibilities; 苏州/长春 networks):
  red     risk of self-harm or of harming others within a day. Acknowledged by the school leader (一把手
          校长负责) within 30 minutes, assessed within 2 hours, intervention within 4 hours; visible to the
          district and city centres at once; clearing approved by the district centre; everyone up to the city
          is told, by in-app message, e-mail and SMS.
  orange  severe. Acknowledged at the school within 4 hours, assessed within a day, intervention within
          3 days; clearing approved by the school leader.
  yellow  attention. Acknowledged at the class (the head teacher, 一级预警) within a day, assessed within
          3 days, intervention within a week; clearing approved by the school leader.
"""

from django.db import migrations

CLASS, SCHOOL, DISTRICT, CITY = 1, 2, 3, 4

LEVELS = [
    {
        "code": "red", "name_zh": "红色预警", "name_en": "Red", "colour": "red", "severity": 30,
        "description": "Risk of self-harm, suicide or harming others within a day (自伤、自杀或伤人风险).",
        "ack_tier": SCHOOL, "ack_roles": ["school_leader"], "ack_minutes": 30, "assess_minutes": 120,
        "progress_minutes": 240, "clear_tier": DISTRICT, "notify_tiers": [CLASS, SCHOOL, DISTRICT, CITY],
        "channels": ["inbox", "email", "sms"], "follow_up_days": [7, 14, 30, 60, 90],
        "screening_codes": ["critical"], "visible_to_centres": True,
    },
    {
        "code": "orange", "name_zh": "橙色预警", "name_en": "Orange", "colour": "orange", "severity": 20,
        "description": "Severe distress needing professional intervention (严重心理困扰).",
        "ack_tier": SCHOOL, "ack_roles": ["school_leader", "psych_teacher"], "ack_minutes": 240,
        "assess_minutes": 1440, "progress_minutes": 4320, "clear_tier": SCHOOL, "notify_tiers": [CLASS, SCHOOL],
        "channels": ["inbox", "email"], "follow_up_days": [14, 30, 90], "screening_codes": ["high"],
        "visible_to_centres": False,
    },
    {
        "code": "yellow", "name_zh": "黄色预警", "name_en": "Yellow", "colour": "yellow", "severity": 10,
        "description": "Needs attention and watching (需要关注).",
        "ack_tier": CLASS, "ack_roles": ["head_teacher", "psych_teacher", "school_leader"], "ack_minutes": 1440,
        "assess_minutes": 4320, "progress_minutes": 10080, "clear_tier": SCHOOL, "notify_tiers": [CLASS, SCHOOL],
        "channels": ["inbox"], "follow_up_days": [30, 90], "screening_codes": ["moderate", "review"],
        "visible_to_centres": False,
    },
]


def add_levels(apps, schema_editor):
    WarningLevel = apps.get_model("alerts", "WarningLevel")
    for fields in LEVELS:
        WarningLevel.objects.update_or_create(code=fields["code"], defaults=fields)


def remove_levels(apps, schema_editor):
    apps.get_model("alerts", "WarningLevel").objects.filter(code__in=[lv["code"] for lv in LEVELS]).delete()


GUARD = """
CREATE OR REPLACE FUNCTION alerts_warningevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the warning history is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER alerts_warningevent_append_only
    BEFORE UPDATE OR DELETE ON alerts_warningevent
    FOR EACH ROW EXECUTE FUNCTION alerts_warningevent_append_only();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS alerts_warningevent_append_only ON alerts_warningevent;
DROP FUNCTION IF EXISTS alerts_warningevent_append_only();
"""


def add_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def remove_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]

    operations = [
        migrations.RunPython(add_levels, remove_levels),
        migrations.RunPython(add_guard, remove_guard),
    ]
