from django.db import migrations

# The built-in special-attention groups (DOMAIN.md capability 1; the student-status system's flags).
BUILTIN = [
    ("left_behind_one", "留守儿童（单亲外出）", "Left-behind (one parent away)"),
    ("left_behind_both", "留守儿童（双亲外出）", "Left-behind (both parents away)"),
    ("migrant", "流动/随迁子女", "Migrant worker's child"),
    ("single_parent", "单亲家庭", "Single-parent family"),
    ("poor", "家庭经济困难", "Low-income family"),
    ("disabled", "残疾", "Disability"),
    ("orphan", "孤儿", "Orphan"),
    ("bereaved", "丧亲", "Bereaved"),
    ("bullied", "遭受欺凌", "Bullied"),
    ("family_crisis", "家庭变故", "Family crisis"),
]


def add_groups(apps, schema_editor):
    SpecialGroup = apps.get_model("people", "SpecialGroup")
    for order, (code, zh, en) in enumerate(BUILTIN):
        SpecialGroup.objects.update_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "is_builtin": True, "sort_order": order * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(add_groups, migrations.RunPython.noop)]
