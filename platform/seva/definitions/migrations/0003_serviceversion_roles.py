from django.db import migrations, models


def _roles_named(workflow_doc: dict) -> set[str]:
    """The officer roles a workflow document names (as Workflow.roles_used, on the raw
    document, so that this migration keeps working whatever the engine becomes)."""

    def as_list(value):
        if value is None:
            return []
        return [value] if isinstance(value, str) else list(value)

    roles = set()
    for state in (workflow_doc.get("states") or {}).values():
        roles.update(as_list(state.get("role")))
        roles.update(as_list(state.get("escalate_to")))
    for transition in workflow_doc.get("transitions") or []:
        roles.update(as_list(transition.get("roles")))
    return roles - {"citizen"}


def record_roles(apps, schema_editor):
    ServiceVersion = apps.get_model("definitions", "ServiceVersion")
    Role = apps.get_model("org", "Role")
    role_ids = dict(Role.objects.values_list("code", "pk"))
    for version in ServiceVersion.objects.only("pk", "workflow_doc").iterator():
        named = _roles_named(version.workflow_doc)
        version.roles.set([role_ids[code] for code in named if code in role_ids])


class Migration(migrations.Migration):
    dependencies = [
        ("definitions", "0002_service_drafts"),
        ("org", "0003_oversight_officer_profile"),
    ]

    operations = [
        migrations.AddField(
            model_name="serviceversion",
            name="roles",
            field=models.ManyToManyField(blank=True, related_name="+", to="org.role"),
        ),
        migrations.RunPython(record_roles, migrations.RunPython.noop),
    ]
