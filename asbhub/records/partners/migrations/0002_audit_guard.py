"""The audit chain's head row, and triggers that refuse UPDATE and DELETE on the audit log."""

from django.db import migrations

from asbhub.records.partners import dbguard

#: The hash that the first entry's ``prev_hash`` carries (see asbhub.records.partners.audit).
GENESIS = "0" * 64


def create_head(apps, schema_editor):
    head = apps.get_model("partners", "AuditChainHead")
    head.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults={"seq": 0, "hash": GENESIS}
    )


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(dbguard.install_guard_migration, dbguard.remove_guard_migration),
    ]
