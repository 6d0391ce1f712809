"""Options that more than one command takes."""

from __future__ import annotations

import argparse
from typing import Any

from ..engine.ingest.dates import DateError
from ..engine.ingest.zones import zone

_ZONE_HELP = ("the zone of the logs' clock, for timestamps without an offset (BSD syslog's have none), as a "
              "shipper gives it in event.timezone: a tz name (Europe/Paris) or an offset (+02:00) (default: UTC)")


def add_timezone(parser: Any, per_file: bool = False) -> None:
    """`per_file`: also FILE=ZONE, given once per file, for logs of hosts in several zones
    read together."""
    if not per_file:
        parser.add_argument("--timezone", metavar="ZONE", type=_zone, help=_ZONE_HELP)
        return
    parser.add_argument("--timezone", metavar="[FILE=]ZONE", type=_file_zone, action="append", default=[],
                        help=f"{_ZONE_HELP}; FILE=ZONE for one of the files (as named here), "
                             "given once for each file in another zone")


def _file_zone(text: str) -> tuple[str | None, str]:
    """(the file named, or None for all of them; its zone)."""
    name, _, given = text.rpartition("=")
    return (name or None), _zone(given)


def _zone(text: str) -> str:
    """Refused here, not on every line: a zone the node would refuse loses every timestamp."""
    try:
        zone(text)
    except DateError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time zone Elasticsearch takes: {e}") from None
    return text
