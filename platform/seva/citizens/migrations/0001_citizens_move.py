"""Citizens' accounts and sign-in codes, which the portal's migrations made: this app takes
over their tables as they are (ADR 0016), and their content types, so that permissions
granted on them are kept."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MOVED = ["citizenprofile", "otpchallenge", "otplockout"]


def _content_types_follow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="citizens", model=model).exists():
            ContentType.objects.filter(app_label="portal", model=model).update(
                app_label="citizens"
            )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("portal", "0004_citizens_move"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(_content_types_follow, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
        migrations.CreateModel(
            name='OtpLockout',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('mobile', models.CharField(max_length=10, unique=True)),
                ('until', models.DateTimeField()),
            ],
            options={
                'db_table': 'portal_otplockout',
            },
        ),
        migrations.CreateModel(
            name='CitizenProfile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('mobile', models.CharField(max_length=10, unique=True)),
                ('language', models.CharField(blank=True, default='', max_length=8)),
                ('other_messages', models.BooleanField(default=True)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='citizen', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'portal_citizenprofile',
            },
        ),
        migrations.CreateModel(
            name='OtpChallenge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('mobile', models.CharField(db_index=True, max_length=10)),
                ('code_hash', models.CharField(help_text='salt$hmac-sha256 of the code', max_length=100)),
                ('created_at', models.DateTimeField()),
                ('expires_at', models.DateTimeField()),
                ('failed_attempts', models.PositiveSmallIntegerField(default=0)),
                ('used_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'db_table': 'portal_otpchallenge',
                'ordering': ['-created_at'],
                'indexes': [models.Index(fields=['mobile', '-created_at'], name='otp_mobile_recent_idx')],
            },
        ),
                ],
        ),
    ]
