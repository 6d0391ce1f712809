"""Everything `deploy` would write, as files, for teams that deploy through their own pipeline.

    DIR/kibana/rules.ndjson          one rule per line: Kibana's rule import takes it as is
    DIR/kibana/saved_objects.ndjson  data views and dashboards: Kibana's saved objects import
    DIR/elasticsearch/NN-<kind>-<id>.json
                                     {"method", "path", "body"}: one request each, in order;
                                     "create_only": send it only if the object does not exist;
                                     "ok_statuses": answers that mean it is already done
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .elastic import PATHS, TRANSFORM_UPDATABLE
from .errors import DeployError
from .objects import Desired

# Saved objects say which shape they are in, as a Kibana export does: without it, import
# takes them for 7.x objects and runs every migration since (Lens's then fail on the
# 8.x "formBased" state). These are the latest shapes of each type that Kibana 8.11, the
# oldest Kibana Logward supports, knows.
CORE_MIGRATION_VERSION = "8.8.0"
TYPE_MIGRATION_VERSIONS = {"dashboard": "8.9.0", "lens": "8.9.0", "index-pattern": "8.0.0"}


def requests(objects: list[Desired]) -> list[dict[str, Any]]:
    """The Elasticsearch requests that create the objects, in the order they must run."""
    out: list[dict[str, Any]] = []
    for d in objects:
        if d.system != "elasticsearch":
            continue
        path = PATHS[d.kind].format(id=d.id)
        if d.kind == "transform":
            # Sent again, the export updates what may change and leaves a started one be.
            out.append({"method": "PUT", "path": f"{path}?defer_validation=true", "body": d.body, "label": d.label,
                        "create_only": True})
            out.append({"method": "POST", "path": f"{path}/_update", "label": f"update {d.label}",
                        "body": {k: v for k, v in d.body.items() if k in TRANSFORM_UPDATABLE}})
            out.append({"method": "POST", "path": f"{path}/_start", "label": f"start {d.label}",
                        "ok_statuses": [409]})  # 409: already started
            continue
        elif d.kind == "data_stream":
            out.append({"method": "PUT", "path": path, "label": d.label, "create_only": True})
            # One made before (by a shipper started first) gets Logward's pipeline too.
            out.append({"method": "PUT", "path": f"/{d.id}/_settings", "body": d.body,
                        "label": f"default pipeline of {d.label}"})
            continue
        else:
            out.append({"method": "PUT", "path": path, "body": d.body, "label": d.label})
        if d.create_only:
            out[-1]["create_only"] = True  # send only if it does not exist: it is the user's after that
    return out


def export(objects: list[Desired], folder: Path) -> list[Path]:
    """Write the files; returns their paths. A folder that cannot be written is a one-line
    DeployError naming the path and the reason."""
    if folder.exists() and not folder.is_dir():
        raise DeployError(f"cannot export to {folder}: it is not a folder")
    try:
        return _write(objects, folder)
    except OSError as e:
        where = f"{e.filename}: " if e.filename and Path(e.filename) != folder else ""
        raise DeployError(f"cannot export to {folder}: {where}{e.strerror or e}") from None


def _write(objects: list[Desired], folder: Path) -> list[Path]:
    written: list[Path] = []
    kibana, elasticsearch = folder / "kibana", folder / "elasticsearch"
    kibana.mkdir(parents=True, exist_ok=True)
    elasticsearch.mkdir(parents=True, exist_ok=True)
    for stale in elasticsearch.glob("*.json"):
        stale.unlink()  # an export is a whole: no files left from an older one
    rules = [d.body for d in objects if d.kind == "rule"]
    saved = []
    for d in objects:
        if d.kind == "saved_object":
            kind, id = d.id.split("/", 1)
            versions = {"coreMigrationVersion": CORE_MIGRATION_VERSION,
                        "typeMigrationVersion": TYPE_MIGRATION_VERSIONS[kind]}
            saved.append({"type": kind, "id": id, **d.body, **versions})
    for name, items in (("rules.ndjson", rules), ("saved_objects.ndjson", saved)):
        path = kibana / name
        path.write_text("".join(json.dumps(item, sort_keys=True) + "\n" for item in items), encoding="utf-8")
        written.append(path)
    for n, request in enumerate(requests(objects), 1):
        slug = re.sub(r"[^A-Za-z0-9.@_-]+", "-", request.pop("label")).strip("-")
        path = elasticsearch / f"{n:02d}-{slug}.json"
        path.write_text(json.dumps(request, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
