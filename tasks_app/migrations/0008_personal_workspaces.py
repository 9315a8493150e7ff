"""Every user gets a personal workspace (admin of it), and every existing task moves into its
owner's: nothing is lost, and each owner still sees exactly the tasks they saw before."""

from django.db import migrations


def forwards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Workspace = apps.get_model("tasks_app", "Workspace")
    Membership = apps.get_model("tasks_app", "Membership")
    Task = apps.get_model("tasks_app", "Task")
    for user in User.objects.filter(personal_workspace__isnull=True).iterator():
        workspace = Workspace.objects.create(
            name="Personal", personal_owner=user, created_by=user
        )
        Membership.objects.create(workspace=workspace, user=user, role="admin")
    # One UPDATE per user, not per task.
    for workspace_id, user_id in Workspace.objects.filter(
        personal_owner__isnull=False
    ).values_list("id", "personal_owner_id"):
        Task.objects.filter(user_id=user_id, workspace__isnull=True).update(
            workspace_id=workspace_id
        )


def backwards(apps, schema_editor):
    Task = apps.get_model("tasks_app", "Task")
    Task.objects.update(workspace=None)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks_app", "0007_teams"),
        ("accounts", "0004_auth_sessions"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
