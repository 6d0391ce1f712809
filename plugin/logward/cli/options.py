"""Options that more than one command takes."""

from __future__ import annotations

import argparse
from typing import Any

from ..engine.ingest.dates import DateError
from ..engine.ingest.zones import zone


def add_timezone(parser: Any) -> None:
    parser.add_argument("--timezone", metavar="ZONE", type=_zone,
                        help="the zone of the logs' clock, for timestamps without an offset (BSD syslog's have "
                             "none), as a shipper gives it in event.timezone: a tz name (Europe/Paris) or an "
                             "offset (+02:00) (default: UTC)")


def _zone(text: str) -> str:
    """Refused here, not on every line: a zone the node would refuse loses every timestamp."""
    try:
        zone(text)
    except DateError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time zone Elasticsearch takes: {e}") from None
    return text
