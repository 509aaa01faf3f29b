"""The default levels' meanings in Chinese: 0002 seeded them in English with the Chinese in brackets, and the
field holds one text that the city's admins read (and edit) in the Chinese interface. A meaning a city has
changed is left as it is."""

from django.db import migrations

MEANINGS = {
    "red": ("Risk of self-harm, suicide or harming others within a day (自伤、自杀或伤人风险).",
            "一天内存在自伤、自杀或伤人的风险。"),
    "orange": ("Severe distress needing professional intervention (严重心理困扰).",
               "严重心理困扰，需要专业干预。"),
    "yellow": ("Needs attention and watching (需要关注).", "需要关注和观察。"),
}


def forward(apps, schema_editor):
    WarningLevel = apps.get_model("alerts", "WarningLevel")
    for code, (english, chinese) in MEANINGS.items():
        WarningLevel.objects.filter(code=code, description=english).update(description=chinese)


def backward(apps, schema_editor):
    WarningLevel = apps.get_model("alerts", "WarningLevel")
    for code, (english, chinese) in MEANINGS.items():
        WarningLevel.objects.filter(code=code, description=chinese).update(description=english)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0007_follow_ups_beyond_clearing")]
    operations = [migrations.RunPython(forward, backward)]
