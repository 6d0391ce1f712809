"""Whether what a server holds is what Logward would write.

Servers hand back more than they were given (ids, timestamps, defaults) and never less,
so an object is unchanged when everything Logward sets is there with the same value.
Rules carry a fingerprint instead, because Kibana rewrites parts of a rule it stores.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def contains(current: Any, wanted: Any) -> bool:
    """True if `current` holds every key and value of `wanted` (recursively; lists item by item)."""
    if isinstance(wanted, dict):
        return isinstance(current, dict) and all(k in current and contains(current[k], v) for k, v in wanted.items())
    if isinstance(wanted, list):
        return (isinstance(current, list) and len(current) == len(wanted)
                and all(contains(c, w) for c, w in zip(current, wanted)))
    return current == wanted


def fingerprint(body: Any, leave_out: tuple[str, ...] = ()) -> str:
    """A short stable digest of a body, without the keys that are not Logward's to decide."""
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in leave_out}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
