"""Seed the problem types with seed 003's list (section 5.33) and the default Case Review rule."""

from django.db import migrations

from asbhub.domain.cases import PROBLEM_TYPES


def seed(apps, schema_editor):
    alias = schema_editor.connection.alias
    problem_type = apps.get_model("cases", "ProblemType")
    for name in PROBLEM_TYPES:
        problem_type.objects.using(alias).get_or_create(name=name)
    # The default rule (blank area): three complaints in six months, each within a month.
    apps.get_model("cases", "ThresholdRule").objects.using(alias).get_or_create(area="")


def unseed(apps, schema_editor):
    alias = schema_editor.connection.alias
    apps.get_model("cases", "ProblemType").objects.using(alias).filter(
        name__in=PROBLEM_TYPES, pmps__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
