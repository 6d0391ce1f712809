"""The detection half of the embedded engine: rules evaluated on each parsed event."""

from .alerts import Alert
from .detector import Detector

__all__ = ["Alert", "Detector"]
