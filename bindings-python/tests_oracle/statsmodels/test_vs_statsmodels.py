"""Journey-results statistics against statsmodels 0.15 (pinned in scripts/oracle/statsmodels.txt):
the Wilson interval (proportion_confint), Newcombe's interval of the difference and the
log-adjusted interval of the ratio (confint_proportions_2indep), the score test
(test_proportions_2indep), each to 1e-10, on random counts and on the shared vectors."""
import json
import pathlib

import numpy as np
import pytest
from statsmodels.stats import proportion as smp

import yutang

VECTORS = pathlib.Path(__file__).resolve().parents[3] / "tests" / "vectors"


def expected(x1, n1, x0, n0, alpha):
    lo, hi = smp.proportion_confint(x1, n1, alpha=alpha, method="wilson")
    l, h = smp.confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff", alpha=alpha)
    rl, rh = smp.confint_proportions_2indep(x1, n1, x0, n0, method="log-adjusted", compare="ratio", alpha=alpha)
    out = {"rate_low": lo, "rate_high": hi, "lift_low": l, "lift_high": h,
           "relative_lift_low": rl - 1, "relative_lift_high": rh - 1}
    if 0 < x1 + x0 < n1 + n0:
        out["p_value"] = smp.test_proportions_2indep(x1, n1, x0, n0, method="score", compare="diff").pvalue
    return out


def check(x1, n1, x0, n0, level):
    got = yutang.journeys.compare_rates(x1, n1, x0, n0, level=level)
    for k, v in expected(x1, n1, x0, n0, 1 - level).items():
        assert got[k] == pytest.approx(float(v), rel=1e-10, abs=1e-12), (k, x1, n1, x0, n0, level)


@pytest.mark.parametrize("seed", range(5))
def test_random_counts(seed):
    rng = np.random.default_rng(seed)
    for _ in range(200):
        n1, n0 = (int(v) for v in rng.integers(1, 100_000, 2))
        x1, x0 = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n0 + 1))
        check(x1, n1, x0, n0, float(rng.choice([0.8, 0.9, 0.95, 0.99])))


@pytest.mark.parametrize("counts", [(0, 10, 0, 10), (10, 10, 10, 10), (0, 1, 1, 1), (1, 3, 0, 5), (5, 5, 0, 5),
                                    (1, 1_000_000, 3, 1_000_000)])
def test_edges(counts):
    check(*counts, 0.95)


def test_the_shared_vectors_hold_statsmodels_values():
    doc = json.loads((VECTORS / "journey_results.json").read_text())
    for case in doc["cases"]:
        arms = case["expect"]["arms"]
        base = next(a for a in arms if a["arm"] == case["expect"]["baseline"])
        for a in arms:
            if a is base:
                continue
            want = expected(a["converted"], a["entered"], base["converted"], base["entered"], 0.05)
            for k, v in want.items():
                assert a[k] == pytest.approx(float(v), rel=1e-12), (case["name"], k)
