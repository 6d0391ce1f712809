"""Saved objects and data views for the stand-in: a generic store per space, keyed by (type, id).

Why: Logward also deploys non-rule content (data views, saved searches...) through the Saved
Objects API, which is not in the Detections contract; only its envelopes are mimicked here.
Data views are saved objects of type `index-pattern`, as in Kibana, so both APIs see them.
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from typing import Any

from tests.kibana.errors import ApiError
from tests.kibana.rulestore import now

DATA_VIEW = "index-pattern"
# Fields Kibana's data view API fills in when a create body leaves them out.
DATA_VIEW_DEFAULTS: dict[str, Any] = {
    "name": "", "timeFieldName": None, "sourceFilters": [], "fields": {}, "runtimeFieldMap": {},
    "fieldFormats": {}, "fieldAttrs": {}, "allowNoIndex": False,
}


class ObjectStore:
    """The saved objects of one Kibana space."""

    def __init__(self, space: str) -> None:
        self.space = space
        self._objects: dict[tuple[str, str], dict[str, Any]] = {}
        self._writes = 0

    def snapshot(self, type: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
        return copy.deepcopy({k: v for k, v in self._objects.items() if type is None or k[0] == type})

    def get(self, type: str, id: str) -> dict[str, Any]:
        if (type, id) not in self._objects:
            raise _not_found(type, id)
        return copy.deepcopy(self._objects[type, id])

    def create(self, type: str, id: str | None, body: dict[str, Any], overwrite: bool = False) -> dict[str, Any]:
        id = id or body.get("id") or str(uuid.uuid4())
        old = self._objects.get((type, id))
        if old is not None and not overwrite:
            raise ApiError(409, f"Saved object [{type}/{id}] conflict")
        stamp = now()
        saved = {"id": id, "type": type, "attributes": copy.deepcopy(body.get("attributes", {})),
                 "references": copy.deepcopy(body.get("references", [])), "namespaces": [self.space],
                 "created_at": old["created_at"] if old else stamp, "updated_at": stamp, "version": self._version()}
        self._objects[type, id] = saved
        return copy.deepcopy(saved)

    def update(self, type: str, id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT: merge top-level attributes, replace references if given; honours `version` like Kibana."""
        old = self._objects.get((type, id))
        if old is None:
            raise _not_found(type, id)
        if body.get("version") not in (None, old["version"]):
            raise ApiError(409, f"Saved object [{type}/{id}] conflict")
        old["attributes"].update(copy.deepcopy(body.get("attributes", {})))
        if "references" in body:
            old["references"] = copy.deepcopy(body["references"])
        old.update(updated_at=now(), version=self._version())
        return copy.deepcopy(old)

    def delete(self, type: str, id: str) -> dict[str, Any]:
        if self._objects.pop((type, id), None) is None:
            raise _not_found(type, id)
        return {}

    def bulk_get(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        found = []
        for item in items:
            try:
                found.append(self.get(item["type"], item["id"]))
            except ApiError as e:
                found.append({"id": item["id"], "type": item["type"], "error": e.body()})
        return {"saved_objects": found}

    def bulk_create(self, items: list[dict[str, Any]], overwrite: bool = False) -> dict[str, Any]:
        created = []
        for item in items:
            try:
                created.append(self.create(item["type"], item.get("id"), item, overwrite))
            except ApiError as e:
                created.append({"id": item.get("id"), "type": item["type"], "error": e.body()})
        return {"saved_objects": created}

    def find(self, types: list[str], page: int = 1, per_page: int = 20, search: str | None = None,
             search_fields: list[str] | None = None) -> dict[str, Any]:
        """Objects of `types`; `search` is a case-insensitive substring (trailing `*` ignored) of `search_fields`."""
        hits = [o for (t, _), o in sorted(self._objects.items()) if t in types]
        if search:
            needle = search.rstrip("*").lower()
            fields = search_fields or ["title"]
            hits = [o for o in hits if any(needle in str(o["attributes"].get(f, "")).lower() for f in fields)]
        start = (page - 1) * per_page
        return {"page": page, "per_page": per_page, "total": len(hits),
                "saved_objects": copy.deepcopy(hits[start:start + per_page])}

    # ---- data views (/api/data_views/data_view) ----

    def create_data_view(self, body: dict[str, Any]) -> dict[str, Any]:
        spec = body.get("data_view")
        if not isinstance(spec, dict) or not spec.get("title"):
            raise ApiError(400, "[request body.data_view.title]: expected value of type [string] but got [undefined]")
        override = bool(body.get("override"))
        views = {k: o for k, o in self._objects.items() if k[0] == DATA_VIEW}
        same_title = [k for k, o in views.items() if o["attributes"].get("title") == spec["title"]]
        if same_title and not override:
            raise ApiError(400, f"Duplicate data view: {spec['title']}")
        for key in same_title:  # override replaces the data view holding that title
            del self._objects[key]
        given = {k: v for k, v in spec.items() if k not in ("id", "version", "namespaces")}
        attributes = {**DATA_VIEW_DEFAULTS, **given}
        saved = self.create(DATA_VIEW, spec.get("id"), {"attributes": attributes}, overwrite=override)
        return {"data_view": _data_view(saved)}

    def get_data_view(self, id: str) -> dict[str, Any]:
        return {"data_view": _data_view(self.get(DATA_VIEW, id))}

    def _version(self) -> str:
        """Kibana's opaque optimistic-concurrency token: base64 of [sequence number, primary term]."""
        self._writes += 1
        return base64.b64encode(json.dumps([self._writes, 1], separators=(",", ":")).encode()).decode()


def _data_view(saved: dict[str, Any]) -> dict[str, Any]:
    return {**saved["attributes"], "id": saved["id"], "version": saved["version"], "namespaces": saved["namespaces"]}


def _not_found(type: str, id: str) -> ApiError:
    return ApiError(404, f"Saved object [{type}/{id}] not found")
