"""The field catalog (pipelines/fields.yml) against ECS 9.5 and against what the
pipelines actually write."""

from __future__ import annotations

import gzip
import json

from logward.content.fields import load_fields
from tests.conftest import ROOT, SHARED
from tests.pipeline_fixtures import fixtures

CATALOG = load_fields(ROOT)
with gzip.open(SHARED / "elastic" / "ecs_flat-9.5.0.json.gz") as _ecs:
    ECS = json.loads(_ecs.read())


def _paths(doc: dict, prefix: str = "") -> set[str]:
    out = set()
    for key, value in doc.items():
        out |= _paths(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}"}
    return out


def _lists(doc: dict, prefix: str = "") -> set[str]:
    """The fields of a document that hold a list."""
    out = set()
    for key, value in doc.items():
        if isinstance(value, dict):
            out |= _lists(value, f"{prefix}{key}.")
        elif isinstance(value, list):
            out.add(f"{prefix}{key}")
    return out


def test_ecs_fields_exist_in_ecs_with_the_same_type():
    wrong = [
        f"{f.name}: catalog says {f.type}, ECS 9.5 says {ECS.get(f.name, {}).get('type', 'no such field')}"
        for f in CATALOG.values() if f.ecs and ECS.get(f.name, {}).get("type") != f.type
    ]
    assert not wrong, wrong


def test_fields_outside_ecs_are_marked_so_and_namespaced():
    for f in CATALOG.values():
        if not f.ecs:
            assert f.name not in ECS, f"{f.name} is an ECS field: mark it ecs: true"
            assert f.name.startswith(("system.auth.", "logward.")), f.name


def test_every_field_the_pipelines_write_is_in_the_catalog(pipelines):
    written: set[str] = set()
    for fixture in fixtures(pipelines):
        for doc in fixture.expected():
            written |= _paths(doc)
    missing = sorted(written - set(CATALOG) - {"event.ingested"})
    assert not missing, f"fields written but not in pipelines/fields.yml: {missing}"


def test_ecs_array_fields_are_marked_array():
    """A correlation may not key on a field holding a list: the catalog must know which do."""
    wrong = [f"{f.name}: catalog says array: {f.array}, ECS 9.5 says normalize {ECS[f.name].get('normalize')}"
             for f in CATALOG.values() if f.ecs and f.array != ("array" in ECS[f.name].get("normalize", []))]
    assert not wrong, wrong


def test_every_field_the_pipelines_write_as_a_list_is_marked_array(pipelines):
    lists: set[str] = set()
    for fixture in fixtures(pipelines):
        for doc in fixture.expected():
            lists |= _lists(doc)
    unmarked = sorted(name for name in lists if name in CATALOG and not CATALOG[name].array)
    assert not unmarked, f"fields written as lists but not marked array: true in pipelines/fields.yml: {unmarked}"
