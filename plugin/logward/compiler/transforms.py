"""First-time-seen rules as Elasticsearch pivot transforms.

One entity index per rule holds, per key (say host and user), when it was first and last
seen, how often, and when its first event was ingested. Because the transform covers all
the data it has ever read, "first time" means first time ever, not first time within a
rule's look-back window.
"""

from __future__ import annotations

from typing import Any

from ..content.detections import RuleSet
from ..rules.limits import WINDOW
from ..rules.model import FirstSeenRule
from .options import Target
from .queries import query_dsl

# The entity fields, beside the key fields.
FIRST_SEEN, LAST_SEEN, COUNT, FIRST_INGESTED = "first_seen", "last_seen", "count", "first_ingested"
# How often the transform checks for new data, and how long it waits for late documents.
FREQUENCY, SYNC_DELAY = "1m", "60s"
# The longest an entity can take to appear in its index after its first event is ingested:
# the delay, then up to two checks (one may have just begun without it).
ENTITY_LAG_SECONDS = WINDOW.parse(SYNC_DELAY, "delay") + 2 * WINDOW.parse(FREQUENCY, "frequency")


def transform_id(rule: FirstSeenRule) -> str:
    return f"logward-fts-{rule.id}"


def entity_index(rule: FirstSeenRule, target: Target) -> str:
    return f"{target.entity_prefix}{rule.id}"


def transform_body(rule: FirstSeenRule, rules: RuleSet, target: Target) -> dict[str, Any]:
    return {
        "description": f"Logward {rule.id}: {rule.title} (entities keyed by {', '.join(rule.key)})",
        "source": {"index": list(target.index), "query": query_dsl(rules.condition(rule.events))},
        "dest": {"index": entity_index(rule, target)},
        "frequency": FREQUENCY,
        # Sync on ingest time: old logs replayed today are still read, and counted as new
        # entities if they are.
        "sync": {"time": {"field": "event.ingested", "delay": SYNC_DELAY}},
        "pivot": {
            "group_by": {field: {"terms": {"field": field}} for field in rule.key},
            "aggregations": {
                FIRST_SEEN: {"min": {"field": "@timestamp"}},
                LAST_SEEN: {"max": {"field": "@timestamp"}},
                COUNT: {"value_count": {"field": "@timestamp"}},
                FIRST_INGESTED: {"min": {"field": "event.ingested"}},
            },
        },
        "settings": {"max_page_search_size": 500},
        "_meta": {"managed_by": "logward", "rule": rule.id, "logward_id": transform_id(rule)},
    }
