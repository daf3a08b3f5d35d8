from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "seva.documents"
    label = "documents"
    verbose_name = "Issued documents"

    def ready(self) -> None:
        # Listens for files entering a state that issues a document (applications' events).
        from . import services  # noqa: F401, PLC0415
