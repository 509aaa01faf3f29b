"""InstrumentVersion.not_scored: a version published as "not scored" (collect only). Versions already
published that could not be published as scored today (no bands, or no critical items although they ask
about self-harm) are marked, so their results stop showing "no risk"."""

from django.db import migrations, models


def mark_unscorable(apps, schema_editor):
    from runxin.screening.core.publishing import publish_problems
    from runxin.screening.core.validation import DefinitionError, parse_definition

    InstrumentVersion = apps.get_model("screening", "InstrumentVersion")
    for version in InstrumentVersion.objects.filter(is_published=True).exclude(source="shipped").iterator():
        try:
            definition = parse_definition(version.definition)
        except DefinitionError:
            continue
        if publish_problems(definition):
            InstrumentVersion.objects.filter(pk=version.pk).update(not_scored=True)


class Migration(migrations.Migration):
    dependencies = [("screening", "0003_target_fillfactor")]

    operations = [
        migrations.AddField(
            model_name="instrumentversion",
            name="not_scored",
            field=models.BooleanField(default=False, verbose_name="not scored (collect only)"),
        ),
        migrations.RunPython(mark_unscorable, migrations.RunPython.noop),
    ]
