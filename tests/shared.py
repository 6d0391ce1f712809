"""Where the shared reference data lives (loghub corpora, ECS field list, Kibana's API spec):
../shared beside the repository, as in the workplace, or wherever $LOGWARD_SHARED points."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_root() -> Path:
    return Path(os.environ.get("LOGWARD_SHARED") or ROOT.parent / "shared")


SHARED = shared_root()
