"""Sustainability and impact metrics per region × period (see docs/metrics.md)."""
