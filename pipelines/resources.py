"""Dagster resources shared by several asset groups (the warehouse's is in warehouse.py)."""

from dagster import ConfigurableResource


class PackageResource(ConfigurableResource):
    """Where the partner data package is (PARTNER_DATA_DIR), the reporting currency, the
    plausible dates and the share of rejected rows a table may have (MAX_REJECTED_SHARE)."""

    data_dir: str
    reporting_currency: str = "EUR"
    plausible_date_from: str = "1900-01-01"
    plausible_date_to: str = "2100-12-31"
    max_rejected_share: float = 0.5

    @property
    def date_window(self):
        from datetime import date

        return date.fromisoformat(self.plausible_date_from), date.fromisoformat(self.plausible_date_to)
