"""experiments: spreads over seeds and the runner over seeds."""

import statistics

import pytest

from cnncourse import experiments


def test_spread_matches_statistics_module():
    values = [1.0, 2.5, 4.0, 3.5]
    s = experiments.spread(values)
    assert s.mean == pytest.approx(statistics.mean(values))
    assert s.std == pytest.approx(statistics.stdev(values))
    assert (s.lowest, s.highest) == (1.0, 4.0)
    assert f"{s:.2f}" == "2.75 ± 1.32"
    assert f"{experiments.spread([-0.5, 0.5]):+.1f}" == "+0.0 ± 0.7"


def test_single_seed_has_no_spread_and_empty_is_refused():
    assert experiments.spread([3.0]).std == 0.0
    with pytest.raises(ValueError, match="at least one"):
        experiments.spread([])


def test_over_seeds_collects_each_name_across_seeds():
    result = experiments.over_seeds(lambda seed: {"a": seed, "b": 10 * seed}, seeds=(1, 2, 3))
    assert result["a"].values == (1.0, 2.0, 3.0) and result["b"].mean == 20.0
