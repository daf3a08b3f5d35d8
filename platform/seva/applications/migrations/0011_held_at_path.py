"""Where a file is held (held_at_path): the applicant's place for every file filed so far,
copied before the queue's index moves to it."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def held_where_filed(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    Application.objects.update(held_at_path=F("place_path"))


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0010_consultations"),
        ("definitions", "0003_serviceversion_roles"),
        ("org", "0004_role_second_factor"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="application",
            name="app_open_queue_idx",
        ),
        migrations.AddField(
            model_name="application",
            name="held_at_path",
            field=models.CharField(default="", max_length=400),
        ),
        migrations.RunPython(held_where_filed, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("closed_at__isnull", True)),
                fields=["department", "holder_role", "held_at_path"],
                include=("stage_due_at",),
                name="app_open_queue_idx",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
        ),
    ]
