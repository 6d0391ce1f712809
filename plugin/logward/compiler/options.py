"""Where compiled rules look for data: the settings a deployment may change."""

from __future__ import annotations

from dataclasses import dataclass

DATA_STREAM = "logs-logward.auth-default"
# The oldest Kibana the compiled rules are for: investigation_fields as an object, and the
# 2023-10-31 public API, came with 8.11. Deploy refuses an older Kibana, export a request for one.
MIN_KIBANA = (8, 11)
NEEDS_KIBANA = f"Logward's detection rules need {'.'.join(map(str, MIN_KIBANA))} or later"


@dataclass(frozen=True)
class Target:
    index: tuple[str, ...] = ("logs-logward.auth-*",)  # where Logward's events are
    entity_prefix: str = "logward-fts-"  # first-time-seen entity indices, one per rule
    interval_minutes: int = 5  # how often Kibana runs each rule
    nsm_index: tuple[str, ...] = ("logs-zeek.*", "zeek-*")  # network records to pivot to
    space: str = "default"  # the Kibana space, for links between Logward's objects
    base_path: str = ""  # Kibana's server.basePath ("/kibana"), which links begin with
    # Suppress repeats of a correlation's alert by its key: Kibana accepts it on EQL
    # sequences from 8.18 on (on query rules, which first-seen rules are, from 8.8 on), and
    # applies it with a Platinum license or better.
    sequence_suppression: bool = True

    def saved_object_id(self, id: str) -> str:
        """A Logward saved object's id in this space. Kibana 8 keeps one id per object across
        all spaces (dashboards, Lens, data views can be shared), so a second space cannot
        take the same ids: outside the default space they carry the space's name."""
        if self.space == "default" or not id.startswith("logward-"):
            return id
        return f"logward-{self.space}-{id.removeprefix('logward-')}"


DEFAULT_TARGET = Target()
