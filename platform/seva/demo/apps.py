from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data, the demo roster, the data generator and the benchmarks: not the product.
    Installed by the development and test settings; production settings leave it out."""

    name = "seva.demo"
    label = "demo"
    verbose_name = "Demo data and benchmarks"
