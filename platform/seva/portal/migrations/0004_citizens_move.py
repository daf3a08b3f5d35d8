"""Citizens' accounts and sign-in codes move to the citizens app (ADR 0016). Only Django's
picture of the models changes: the tables stay, under their names, and are the citizens
app's from its migration 0001."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_citizen_message_choices"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="citizenprofile",
                    name="user",
                ),
                migrations.DeleteModel(
                    name="OtpChallenge",
                ),
                migrations.DeleteModel(
                    name="OtpLockout",
                ),
                migrations.DeleteModel(
                    name="CitizenProfile",
                ),
            ],
            database_operations=[],
        ),
    ]
