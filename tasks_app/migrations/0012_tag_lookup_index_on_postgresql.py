from django.db import migrations, models


def tag_lookup_index() -> models.Index:
    # The API list writes each task's tags by looking every tag up by its id (tasks_app.task_json).
    # With name and colour in the index that is an index-only scan; without, PostgreSQL read
    # the small tag table through for every tag of every task (bench/LOAD.md).
    return models.Index(fields=["id"], include=["name", "color"], name="tag_lookup")


def create_tag_lookup_index(apps, schema_editor):
    # PostgreSQL only, and kept out of the migration state: SQLite has no covering index.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("tasks_app", "Tag"), tag_lookup_index())


def drop_tag_lookup_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("tasks_app", "Tag"), tag_lookup_index())


class Migration(migrations.Migration):
    dependencies = [("tasks_app", "0011_storage_unavailable_error_code")]

    operations = [migrations.RunPython(create_tag_lookup_index, drop_tag_lookup_index)]
