"""Logward: log-analysis intrusion detection for the Elastic stack."""

__version__ = "0.1.0"
