"""The pivot from a host alert to network records (Zeek), in investigation guides.

Kibana's investigation guides take `!{investigate{...}}` buttons that open Timeline with a
query built from the alert's own values ({{source.ip}}) over a window around the alert's
time. Timeline searches the Security data view, which covers logs-* and so Elastic's
Zeek integration (logs-zeek.*); other Zeek indices (zeek-*) need adding to it, or use the
network pivot dashboard, whose data view follows the deploy's --nsm-index.
"""

from __future__ import annotations

import json

from ..rules.model import FirstSeenRule, FrequencyRule, Rule, SequenceRule
from .dashboards import PIVOT_DASHBOARD
from .options import Target

CONN, SSH, DNS = "zeek.connection", "zeek.ssh", "zeek.dns"
Clause = tuple[str, str]  # (field, value): a phrase filter


def button(label: str, providers: list[list[Clause]], before: int, after: int = 900) -> str:
    """One Timeline button: OR of AND-groups of phrase filters, `before`/`after` seconds around the alert."""
    spec = {
        "label": label,
        "providers": [[{"field": f, "excluded": False, "queryType": "phrase", "value": v, "valueType": "string"}
                       for f, v in group] for group in providers],
        "relativeFrom": f"now-{before}s",
        "relativeTo": f"now+{after}s",
    }
    return "!{investigate" + json.dumps(spec, separators=(",", ":")) + "}"


def _held(rule: Rule, fields: tuple[str, ...]) -> list[str]:
    """Those of the fields every alert of the rule holds: an event rule's alert holds the
    event; a correlation's, its key (`same`) for sure (EQL keeps only what all its events
    share); a first-seen alert, only its key."""
    if isinstance(rule, FirstSeenRule):
        return [f for f in fields if f in rule.key]
    if isinstance(rule, FrequencyRule | SequenceRule):
        return [f for f in fields if f in rule.same]
    return list(fields)


def address_field(rule: Rule) -> str | None:
    """The alert's field for the remote side, if it can hold one (events from a client do):
    the address, or what a correlation counts by, an IPv6 client's /64 network among
    them (Elasticsearch matches an ip field against a network in CIDR form)."""
    held = _held(rule, ("source.ip", "logward.source.origin", "source.address"))
    if not held or held[0] == "source.address":  # a host name, as often as not: no ip to match
        return None
    # What a correlation counts by may be a host name too; its network, an address or a
    # /64, is held with it (the events it counts share it), and is absent for a name.
    return "logward.source.network" if held[0] == "logward.source.origin" else held[0]


_LOGINS = {("user.name", "host.hostname"): "SSH logins of this user to this host",
           ("user.name",): "SSH logins of this user", ("host.hostname",): "SSH logins to this host"}


def dashboard_link(target: Target) -> str:
    space = "" if target.space == "default" else f"/s/{target.space}"
    return (f"{target.base_path}{space}/app/dashboards#/view/{target.saved_object_id(PIVOT_DASHBOARD)}"
            "?_g=(time:(from:now-24h,to:now))")


def guide(rule: Rule, target: Target, lookback: int) -> list[str]:
    """The investigation guide's network section, as Markdown lines."""
    before = lookback + 3600  # the rule's look-back, and an hour of what led up to it
    lines = ["### Network records (Zeek)", ""]
    held = address_field(rule)
    if held is not None:
        ip = "{{" + held + "}}"
        lines += [
            "What the network saw of the alert's source, for an event from a remote client:", "",
            button("Zeek connections of this source", [[("source.ip", ip), ("event.dataset", CONN)],
                                                       [("destination.ip", ip), ("event.dataset", CONN)]], before),
            button("Zeek SSH sessions of this source", [[("source.ip", ip), ("event.dataset", SSH)]], before),
            button("Zeek DNS records of this address", [[("source.ip", ip), ("event.dataset", DNS)],
                                                        [("dns.resolved_ip", ip), ("event.dataset", DNS)]], before),
            "",
        ]
    login = tuple(_held(rule, ("user.name", "host.hostname")))
    if login:
        lines += [
            "For an event local to the host (su, sudo, an account change), which carries no address: "
            "the SSH logins it may have come from, whose source.ip to pivot on:", "",
            button(_LOGINS[login], [[*((f, "{{" + f + "}}") for f in login), ("event.action", "ssh_login"),
                                     ("event.outcome", "success")]], before=86400, after=0),
            "",
        ]
    lines += [f"Or open the [network pivot dashboard]({dashboard_link(target)}) "
                  f"({', '.join(target.nsm_index)}) and filter on the address.", ""]
    return lines
