import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("org", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReadinessReview",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("item", models.CharField(max_length=40, verbose_name="item")),
                ("reviewed_at", models.DateTimeField()),
                ("note", models.CharField(blank=True, default="", max_length=500, verbose_name="note")),
                ("reviewed_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                  to=settings.AUTH_USER_MODEL)),
                ("unit", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                           to="org.orgunit")),
            ],
            options={
                "ordering": ["-reviewed_at", "-id"],
                "indexes": [models.Index(fields=["unit", "item", "-reviewed_at"], name="front_readi_unit_id_a82e6d_idx")],
            },
        ),
    ]
