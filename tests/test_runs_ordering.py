"""Runs sorted by a metric or parameter: our indexed query returns exactly MLflow's order and pages."""

from __future__ import annotations

import math

import pytest


@pytest.fixture
def seeded(workspace):
    """Runs with ties, NaN, missing metrics/params, deleted runs and a second experiment."""
    exps = workspace.experiments
    client = exps.client
    exp_id = exps.ensure_experiment("ordering")
    other = exps.ensure_experiment("other")
    values = [
        0.5,
        0.1,
        0.5,
        math.nan,
        None,
        0.9,
        -1.0,
        0.1,
        None,
        math.nan,
        2.0,
        0.5,
        0.3,
        0.7,
    ]
    for i, value in enumerate(values):
        run = client.create_run(
            exp_id, run_name=f"r{i}", start_time=1_000 + (i % 4)
        )  # start-time ties too
        run_id = run.info.run_id
        if value is not None:
            client.log_metric(run_id, "rmse", value)
        if i % 3:
            client.log_param(run_id, "alpha", str(i % 5))
        client.log_metric(run_id, "other", float(i))
        if i == 12:
            client.delete_run(run_id)
    noise = client.create_run(other, run_name="elsewhere")
    client.log_metric(noise.info.run_id, "rmse", -5.0)
    return exps, exp_id


def _all_pages(exps, exp_id: str, order_by: str, limit: int) -> list[str]:
    ids, cursor = [], None
    while True:
        page = exps.list_runs(exp_id, limit, cursor, order_by)
        ids += [r.run_id for r in page.items]
        assert len(page.items) <= limit
        cursor = page.next_cursor
        if not cursor:
            return ids


@pytest.mark.parametrize(
    "order_by",
    [
        "metrics.rmse ASC",
        "metrics.rmse DESC",
        "metrics.rmse",
        "params.alpha ASC",
        "params.alpha DESC",
        "metrics.missing DESC",
    ],
)
def test_order_and_pages_match_mlflow(seeded, order_by):
    exps, exp_id = seeded
    assert exps._ordering.handles(order_by)
    expected = [
        r.info.run_id
        for r in exps.client.search_runs(
            [exp_id], order_by=[order_by], max_results=1000
        )
    ]
    assert (
        len(expected) == 13
    )  # the deleted run and the other experiment's run are not listed
    for limit in (1, 4, 50):
        assert _all_pages(exps, exp_id, order_by, limit) == expected


def test_items_carry_the_run_data(seeded):
    exps, exp_id = seeded
    page = exps.list_runs(exp_id, 3, None, "metrics.rmse DESC")
    assert [r.metrics["rmse"] for r in page.items] == [2.0, 0.9, 0.7]
    assert all(
        r.experiment_id == exp_id and r.run_name.startswith("r")
        for r in page.items
    )
    # MLflow's page tokens work across both paths: the next page starts after the third run
    rest = exps.list_runs(exp_id, 2, page.next_cursor, "metrics.rmse DESC")
    assert [r.metrics["rmse"] for r in rest.items] == [0.5, 0.5]


def test_other_orders_and_filters_keep_mlflow_search(seeded):
    exps, exp_id = seeded
    assert not exps._ordering.handles("attributes.start_time DESC")
    filtered = exps.list_runs(
        exp_id, 50, None, "metrics.rmse ASC", "metrics.rmse > 0.4"
    )
    assert [r.metrics["rmse"] for r in filtered.items] == [
        0.5,
        0.5,
        0.5,
        0.7,
        0.9,
        2.0,
    ]


def test_bad_order_is_a_usage_error(seeded):
    from jupyter_mlservice.core.errors import InvalidRequest

    exps, exp_id = seeded
    with pytest.raises(InvalidRequest, match="cannot list runs"):
        exps.list_runs(exp_id, 10, None, "metrics.rmse SIDEWAYS")
