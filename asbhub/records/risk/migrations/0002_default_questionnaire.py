"""Publish the bundled victim risk questionnaire as version 1."""

import json

from django.db import migrations
from django.utils import timezone

from asbhub.domain.risk import DEFAULT_QUESTIONNAIRE_PATH, Questionnaire


def seed(apps, schema_editor):
    alias = schema_editor.connection.alias
    version = apps.get_model("risk", "QuestionnaireVersion")
    if version.objects.using(alias).exists():
        return
    data = json.loads(DEFAULT_QUESTIONNAIRE_PATH.read_text(encoding="utf-8"))
    # Validated through the domain class, so a broken bundled file fails the migration loudly.
    definition = Questionnaire.from_dict(data, version=1).to_dict()
    version.objects.using(alias).create(
        number=1,
        definition=definition,
        published=True,
        created_at=timezone.now(),
        created_by="asbhub",
        change_note="The bundled default questionnaire.",
    )


def unseed(apps, schema_editor):
    alias = schema_editor.connection.alias
    apps.get_model("risk", "QuestionnaireVersion").objects.using(alias).filter(
        number=1, assessments__isnull=True, reviews__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
