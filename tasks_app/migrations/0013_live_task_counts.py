import django.db.models.deletion
from django.db import migrations, models

from tasks_app.workspaces import counts


def install_counts(apps, schema_editor):
    # PostgreSQL only (see LiveTaskCount): the triggers, then every workspace's tasks counted.
    if schema_editor.connection.vendor == "postgresql":
        counts.install(schema_editor.connection)
        counts.recount(schema_editor.connection)


def uninstall_counts(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        counts.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("tasks_app", "0012_tag_lookup_index_on_postgresql")]

    operations = [
        migrations.CreateModel(
            name="LiveTaskCount",
            fields=[
                (
                    "workspace",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="tasks_app.workspace",
                    ),
                ),
                ("live", models.IntegerField(default=0)),
            ],
        ),
        migrations.RunPython(install_counts, uninstall_counts),
    ]
