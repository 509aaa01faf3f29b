"""Jiaxing's "six categories of key students" (六类重点学生, seed 003: every one visited at home).

The bureau's reply names the six categories without listing them; these six are the ones Zhejiang's home-visit
notices use, and the city renames, deactivates or adds to them on the key-student categories page."""

from django.db import migrations

SIX = [
    ("psychological", "心理问题学生", "Students with psychological difficulties"),
    ("family_hardship", "家庭经济困难学生", "Students from families in financial hardship"),
    ("left_behind", "留守儿童", "Left-behind children"),
    ("single_parent", "单亲或重组家庭学生", "Students of single-parent or reconstituted families"),
    ("learning_difficulty", "学习困难学生", "Students with learning difficulties"),
    ("behaviour", "行为偏差学生", "Students with behavioural problems"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("people", "KeyStudentCategory")
    for order, (code, zh, en) in enumerate(SIX, start=1):
        Category.objects.update_or_create(code=code, defaults={
            "name_zh": zh, "name_en": en, "is_builtin": True, "sort_order": order * 10})


def unseed(apps, schema_editor):
    apps.get_model("people", "KeyStudentCategory").objects.filter(code__in=[c for c, _zh, _en in SIX]).delete()


class Migration(migrations.Migration):
    dependencies = [("people", "0005_committee_key_students")]
    operations = [migrations.RunPython(seed, unseed)]
