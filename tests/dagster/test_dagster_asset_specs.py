"""What the asset graph promises analysts, and a snapshot of it for review.

The snapshot (asset_specs.yaml, next to this file) lists every asset's key, group, kinds,
owners, dependencies, automation and checks, and the partitions of a partitioned asset.
When you change the graph on purpose, refresh it and commit the diff with your change:

    UPDATE_SNAPSHOTS=1 make test        # or: UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/dagster
"""

import os
from pathlib import Path

import yaml

from pipelines.definitions import build_definitions
from pipelines.settings import Settings

SNAPSHOT = Path(__file__).with_name("asset_specs.yaml")


def project_graph(tmp_path):
    settings = Settings.from_env({"PARTNER_DATA_DIR": str(tmp_path), "WAREHOUSE_PATH": str(tmp_path / "w.duckdb")})
    return build_definitions(settings).resolve_asset_graph()


def specs_snapshot(graph) -> dict:
    snapshot = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        entry = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "owners": list(node.owners),
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "automation": node.automation_condition.get_label() if node.automation_condition else None,
            "checks": {
                c.name: {"blocking": graph.get_check_spec(c).blocking}
                for c in sorted(node.check_keys, key=lambda c: c.name)
            },
        }
        if node.partitions_def is not None:
            entry["partitions"] = str(node.partitions_def)
        if not node.is_materializable:
            entry = {"defined_elsewhere": True}  # a dependency on an asset no module defines (yet)
        snapshot[key.to_user_string()] = entry
    return snapshot


def test_asset_specs_match_the_reviewed_snapshot(tmp_path):
    current = specs_snapshot(project_graph(tmp_path))
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(
            yaml.safe_dump(current, sort_keys=False, default_flow_style=None, width=110), encoding="utf-8"
        )
    recorded = yaml.safe_load(SNAPSHOT.read_text(encoding="utf-8"))
    changed = sorted(k for k in current.keys() | recorded.keys() if current.get(k) != recorded.get(k))
    assert not changed, (
        f"The asset graph differs from {SNAPSHOT.name} for: {', '.join(changed)}.\n"
        "If the change is intended, refresh the snapshot and commit it with your change:\n"
        "    UPDATE_SNAPSHOTS=1 make test   (or UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/dagster)"
    )


def test_every_asset_explains_itself(tmp_path):
    """Group, kinds, owner, a one-line description and a link to its code, on every asset."""
    graph = project_graph(tmp_path)
    for key in graph.materializable_asset_keys:
        node, name = graph.get(key), key.to_user_string()
        assert node.group_name in {"ingest", "metrics", "reports"}, f"{name}: group {node.group_name!r}"
        assert node.kinds, f"{name} has no kinds"
        assert node.owners, f"{name} has no owner"
        assert node.description and "\n" not in node.description.strip(), f"{name}: no one-line description"
        references = node.metadata["dagster/code_references"].code_references
        assert references and all(Path(r.file_path).is_file() for r in references), name
    for check_key in graph.asset_check_keys:
        assert graph.get_check_spec(check_key).description, f"check {check_key} has no description"


def test_checks_on_loaded_tables_block_bad_data(tmp_path):
    graph = project_graph(tmp_path)
    ingest_checks = [c for c in graph.asset_check_keys if graph.get(c.asset_key).group_name == "ingest"]
    assert len(ingest_checks) >= 10
    assert all(graph.get_check_spec(c).blocking for c in ingest_checks)
