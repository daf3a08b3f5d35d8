from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "seva.documents"
    label = "documents"
    verbose_name = "Issued documents"

    def ready(self) -> None:
        # Listens for files entering a state that issues a document (applications' events),
        # and draws the builder's previews of a draft's documents (definitions.previews).
        from . import preview, services  # noqa: F401, PLC0415
