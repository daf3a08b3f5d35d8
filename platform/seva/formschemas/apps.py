from django.apps import AppConfig


class FormSchemasConfig(AppConfig):
    name = "seva.formschemas"
    label = "formschemas"
    verbose_name = "Form schemas"
