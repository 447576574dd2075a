"""dbt Labs' own best-practice rules (dbt-project-evaluator), checked on the parsed graph.

The package cannot be installed here (the dbt hub is out of reach), so its rules, as
its documentation lists them, are checked on dbt's own manifest: a new model that
breaks one fails this test with the rule's name. dbt_project/README.md says why
each rule matters.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner

from sendwatch.settings import PROJECT_ROOT

DBT_PROJECT = PROJECT_ROOT / "dbt_project"
PREFIXES = {"staging": "stg_", "intermediate": "int_", "marts": ("fct_", "dim_")}
CHAINED_VIEWS_AT_MOST = 3
PRIMARY_KEY_TESTS = ({"unique", "not_null"}, {"unique_combination_of_columns"})


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    target = tmp_path_factory.mktemp("dbt_parse")
    result = dbtRunner().invoke(
        ["parse", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
         "--target-path", str(target), "--vars", '{"as_of": "2026-12-01T02:00:00+00:00"}',
         "--quiet"]
    )  # fmt: skip
    assert result.success, result.exception
    return json.loads((target / "manifest.json").read_text(encoding="utf-8"))


def _models(manifest: dict) -> dict[str, dict]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "sendwatch"
    }


def _parents(manifest: dict) -> dict[str, set[str]]:
    """Model, seed and source -> its direct parents (by name), tests left out."""
    names = {**manifest["nodes"], **manifest["sources"]}
    parents: dict[str, set[str]] = {}
    for node in _models(manifest).values():
        parents[node["name"]] = {
            names[p]["name"] for p in node["depends_on"]["nodes"] if p in names
        }
    return parents


def _layer(node: dict) -> str:
    return Path(node["original_file_path"]).parts[1]


def test_models_are_named_and_placed_by_layer(manifest: dict) -> None:
    """fct_model_naming_conventions, fct_model_directories, fct_staging_directories."""
    for name, node in _models(manifest).items():
        layer = _layer(node)
        assert layer in PREFIXES and name.startswith(PREFIXES[layer]), node["original_file_path"]
        if layer == "staging":
            source = name.removeprefix("stg_").split("__")[0]
            folder = Path(node["original_file_path"]).parts[2]
            assert folder == source, f"{name} belongs in models/staging/{source}/"


def test_sources_are_declared_in_their_folder_with_freshness(manifest: dict) -> None:
    """fct_source_directories, fct_sources_without_freshness."""
    for source in manifest["sources"].values():
        folder = Path(source["original_file_path"]).parts
        assert folder[1:3] == ("staging", source["source_name"]), source["original_file_path"]
        freshness = source.get("freshness") or {}
        assert (freshness.get("warn_after") or {}).get("count"), f"{source['name']}: no freshness"


def test_layers_depend_only_downward(manifest: dict) -> None:
    """fct_direct_join_to_source, fct_marts_or_intermediate_dependent_on_source,
    fct_staging_dependent_on_staging, fct_staging_dependent_on_marts_or_intermediate,
    fct_root_models, fct_multiple_sources_joined."""
    sources = {s["name"] for s in manifest["sources"].values()}
    models = _models(manifest)
    for name, parents in _parents(manifest).items():
        assert parents, f"{name} has no parent (a root model)"
        layer = _layer(models[name])
        if layer == "staging":
            assert len(parents) == 1 and not parents & set(models), name
        else:
            assert not parents & sources, f"{name} reads a source: only staging may"


def test_no_upstream_concept_is_joined_again(manifest: dict) -> None:
    """fct_rejoining_of_upstream_concepts: A feeds B and C, B feeds only C."""
    parents = _parents(manifest)
    children: dict[str, set[str]] = defaultdict(set)
    for child, direct in parents.items():
        for parent in direct:
            children[parent].add(child)
    for child, direct in parents.items():
        for middle in direct:
            rejoined = direct & parents.get(middle, set())
            assert not (rejoined and children[middle] == {child}), (
                f"{sorted(rejoined)} feed {middle} and {child}, and {middle} feeds only {child}"
            )


def test_no_long_chain_of_views(manifest: dict) -> None:
    """fct_chained_views_dependencies: materialise before a chain grows long."""
    models = _models(manifest)
    parents = _parents(manifest)

    def chain(name: str) -> int:
        if models[name]["config"]["materialized"] not in ("view", "ephemeral"):
            return 0
        upstream = [chain(p) for p in parents[name] if p in models]
        return 1 + max(upstream, default=0)

    for name in models:
        assert chain(name) <= CHAINED_VIEWS_AT_MOST, name


def test_every_model_has_a_primary_key_test_and_is_documented(manifest: dict) -> None:
    """fct_missing_primary_key_tests, fct_undocumented_models, fct_test_directories."""
    tests_on: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("attached_node"):
            continue
        model = manifest["nodes"][node["attached_node"]]
        name = node["test_metadata"]["name"]
        tests_on[model["name"]][node.get("column_name") or ""].add(name)
        model_folder = Path(model["original_file_path"]).parent
        assert Path(node["original_file_path"]).parent == model_folder, node["name"]
    for name, node in _models(manifest).items():
        keyed = any(
            wanted <= found for found in tests_on[name].values() for wanted in PRIMARY_KEY_TESTS
        )
        assert keyed, f"{name} has no primary key test"
        assert node["description"].strip(), f"{name} is not described"
        for column in node["columns"].values():
            assert column["description"].strip(), f"{name}.{column['name']} is not described"


def test_public_marts_have_contracts_and_exposures_read_only_them(manifest: dict) -> None:
    """fct_public_models_without_contract, fct_undocumented_public_models,
    fct_exposures_dependent_on_private_models, fct_exposure_parents_materializations."""
    models = _models(manifest)
    public = {name for name, node in models.items() if node["access"] == "public"}
    marts = {name for name, node in models.items() if _layer(node) == "marts"}
    assert public == marts
    for name in public:
        node = models[name]
        assert node["contract"]["enforced"], f"{name}: public without an enforced contract"
        assert node["config"]["materialized"] == "table", name
        assert all(c.get("data_type") for c in node["columns"].values()), name
    assert {e["name"] for e in manifest["exposures"].values()} == {
        "sendwatch_dashboard",
        "sendwatch_exports",
    }
    for exposure in manifest["exposures"].values():
        read = {manifest["nodes"][n]["name"] for n in exposure["depends_on"]["nodes"]}
        assert read and read <= public, exposure["name"]


def test_yaml_files_are_named_for_what_they_hold(manifest: dict) -> None:
    """fct_resource_yml_naming_conventions and one resource type per YAML file."""
    held: dict[str, set[str]] = defaultdict(set)
    for node in [*manifest["nodes"].values(), *manifest["sources"].values(),
                 *manifest["exposures"].values(), *manifest["unit_tests"].values()]:  # fmt: skip
        if node.get("patch_path") or node["resource_type"] in ("source", "exposure", "unit_test"):
            path = (node.get("patch_path") or node["original_file_path"]).split("://")[-1]
            held[path].add(node["resource_type"])
    for path, kinds in held.items():
        assert len(kinds) == 1, f"{path} holds {sorted(kinds)}"
        kind = kinds.pop()
        folder = Path(path).parent.name
        assert Path(path).name in (f"_{kind}s.yml", f"_{folder}__{kind}s.yml"), path


def test_what_readers_select_from_is_a_public_mart_of_their_exposure(manifest: dict) -> None:
    """Readers read public marts only, and the exposures say which (dbt's lineage knows)."""
    public = {n for n, node in _models(manifest).items() if node["access"] == "public"}
    exposures = {
        e["name"]: {manifest["nodes"][n]["name"] for n in e["depends_on"]["nodes"]}
        for e in manifest["exposures"].values()
    }
    import inspect

    from dashboards import data

    dashboard = sorted((PROJECT_ROOT / "dashboards").rglob("*.py"))
    readers = {
        "sendwatch_dashboard": [p.read_text(encoding="utf-8") for p in dashboard],
        # `sendwatch export` writes what the data layer's export functions return
        "sendwatch_exports": [
            inspect.getsource(data.duty_export),
            inspect.getsource(data.submission_export),
        ],
    }
    for exposure, texts in readers.items():
        read: set[str] = set()
        for text in texts:
            assert not re.search(r"\b(?:stg|int)_[a-z_]+", text), (
                f"{exposure} names a private model"
            )
            read |= set(re.findall(r"\b(?:from|join)\s+((?:fct|dim)_[a-z0-9_]+)", text))
        assert read and read <= public, (exposure, read - public)
        assert read <= exposures[exposure], (exposure, read - exposures[exposure])
