"""Dagster resources shared by several asset groups (the warehouse's is in warehouse.py)."""

from dagster import ConfigurableResource


class PackageResource(ConfigurableResource):
    """Where the partner data package is (PARTNER_DATA_DIR) and the reporting currency."""

    data_dir: str
    reporting_currency: str = "EUR"
