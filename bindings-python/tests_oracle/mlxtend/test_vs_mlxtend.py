"""yutang.metrics.affinity against mlxtend 0.25's apriori + association_rules (pinned in
scripts/oracle/mlxtend.txt): the same item pairs with the same support, confidence and lift."""
import numpy as np
import pandas as pd
import pytest
from mlxtend.frequent_patterns import apriori, association_rules

import yutang


def baskets(seed: int, n_orders: int = 2000):
    rng = np.random.default_rng(seed)
    items = [f"sku{i}" for i in range(25)]
    rows = []
    for o in range(n_orders):
        k = 1 + rng.integers(0, 4)
        first = rng.integers(0, 25)
        chosen = {items[first]}
        if rng.random() < 0.5:
            chosen.add(items[(first + 1) % 25])  # companions
        while len(chosen) < k:
            chosen.add(items[rng.integers(0, 25)])
        rows += [(o, x) for x in sorted(chosen)]
    return pd.DataFrame(rows, columns=["order_id", "sku"])


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("min_support", [0.0005, 0.01])
def test_pairs_match_mlxtend(seed, min_support):
    df = baskets(seed)
    onehot = pd.crosstab(df["order_id"], df["sku"]).astype(bool)
    freq = apriori(onehot, min_support=min_support, use_colnames=True, max_len=2)
    rules = association_rules(freq, metric="confidence", min_threshold=0.0)
    rules = rules[(rules["antecedents"].apply(len) == 1) & (rules["consequents"].apply(len) == 1)]
    want = pd.DataFrame({
        "antecedent": rules["antecedents"].apply(lambda s: next(iter(s))),
        "consequent": rules["consequents"].apply(lambda s: next(iter(s))),
        "support": rules["support"], "confidence": rules["confidence"], "lift": rules["lift"],
        "antecedent_support": rules["antecedent support"], "consequent_support": rules["consequent support"],
    }).set_index(["antecedent", "consequent"]).sort_index()
    got = yutang.metrics.affinity(df, min_support=min_support).set_index(["antecedent", "consequent"]).sort_index()
    assert list(got.index) == list(want.index)
    for c in ["support", "confidence", "lift", "antecedent_support", "consequent_support"]:
        np.testing.assert_allclose(got[c].to_numpy(), want[c].to_numpy(), rtol=1e-12, err_msg=c)
