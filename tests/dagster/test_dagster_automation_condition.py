"""The marts' automation: rebuilt after a load, but never from a load whose blocking checks failed."""

import pytest
from dagster import (
    AssetCheckResult,
    AssetKey,
    AssetSpec,
    DagsterInstance,
    Definitions,
    asset,
    asset_check,
    evaluate_automation_conditions,
    materialize,
)

from pipelines.definitions import KEEP_CURRENT, apply_policies

pytestmark = pytest.mark.filterwarnings(
    "ignore::dagster.BetaWarning"
)  # evaluate_automation_conditions uses a beta selection

CHECK_PASSES = {"value": True}


@asset(key=["staging", "table"])
def staging_table() -> None:
    return None


@asset_check(asset=staging_table, blocking=True)
def rows_ok() -> AssetCheckResult:
    return AssetCheckResult(passed=CHECK_PASSES["value"])


def test_policy_puts_metric_assets_on_automation_and_leaves_others_alone():
    assert apply_policies(AssetSpec("m", group_name="metrics")).automation_condition == KEEP_CURRENT
    assert apply_policies(AssetSpec("r", group_name="reports")).automation_condition is None
    assert apply_policies(AssetSpec("s", group_name="ingest")).owners == ["team:data-engineering"]


def test_mart_follows_a_good_load_but_not_a_load_whose_blocking_check_failed():
    @asset(key=["marts", "table"], deps=[staging_table], automation_condition=KEEP_CURRENT)
    def mart() -> None:
        return None

    defs = Definitions(assets=[staging_table, mart], asset_checks=[rows_ok])
    instance = DagsterInstance.ephemeral()
    materialize([staging_table, mart], instance=instance)  # both exist
    cursor = evaluate_automation_conditions(defs=defs, instance=instance).cursor  # first look: nothing new

    CHECK_PASSES["value"] = False
    materialize([staging_table, rows_ok], instance=instance, raise_on_error=False)
    result = evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    assert result.get_num_requested(AssetKey(["marts", "table"])) == 0

    CHECK_PASSES["value"] = True
    materialize([staging_table, rows_ok], instance=instance)
    result = evaluate_automation_conditions(defs=defs, instance=instance, cursor=result.cursor)
    assert result.get_num_requested(AssetKey(["marts", "table"])) == 1
