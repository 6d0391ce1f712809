"""Values in messages as the YAML they came from writes them: the reader wrote YAML, not
Python (true, not True; null, not None)."""

from __future__ import annotations

import json
import math
from typing import Any


def as_written(value: Any) -> str:
    if value is None:
        return "null (nothing)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return repr(value)
