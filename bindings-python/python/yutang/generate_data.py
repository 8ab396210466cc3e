"""Seeded simulators of the customer-base models, with the names, arguments and columns of
``lifetimes.generate_data`` plus ``seed``: draw customers from known parameters, to check a
fit recovers them or to plan with synthetic data.

Each customer is drawn exactly from the model in one vectorised pass (no loop per customer
or per purchase): the count of purchases in (0, T] and the time of the last one come from
their exact distributions given the customer's latent rates. Deliberate difference from
lifetimes: ``frequency`` counts every repeat purchase in continuous time (lifetimes counts
distinct whole time units, a daily summary of the same draw).

>>> from yutang.generate_data import beta_geometric_nbd_model
>>> df = beta_geometric_nbd_model(39, 0.243, 4.414, 0.793, 2.426, size=1000, seed=7)
>>> list(df.columns), df.index.name
(['frequency', 'recency', 'T', 'lambda', 'p', 'alive'], 'customer_id')
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
import pandas as pd

__all__ = [
    "beta_geometric_nbd_model",
    "modified_beta_geometric_nbd_model",
    "pareto_nbd_model",
    "beta_geometric_beta_binom_model",
    "gamma_gamma_model",
]


def _per_customer(v: Any, size: int, name: str) -> np.ndarray:
    arr = np.asarray(v, dtype=float)
    arr = np.full(size, float(arr)) if arr.ndim == 0 else arr.ravel()
    if arr.shape != (size,) or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must be one finite value >= 0 or one per customer ({size})")
    return arr


def _check(**params: float) -> None:
    for k, v in params.items():
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"{k} must be finite and > 0 (got {v})")


def _last_of(n: np.ndarray, x: np.ndarray, span: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The time of the x-th of n uniform arrivals on (0, span): Beta(x, n - x + 1) * span, 0 when
    x = 0."""
    out = np.zeros(len(x))
    k = x > 0
    out[k] = rng.beta(x[k], n[k] - x[k] + 1) * span[k]
    return out


def _geometric_nbd(T: Any, r: float, alpha: float, a: float, b: float, size: int, seed: Optional[int],
                   death_at_zero: bool) -> pd.DataFrame:
    _check(r=r, alpha=alpha, a=a, b=b)
    rng = np.random.default_rng(seed)
    t = _per_customer(T, size, "T")
    p = rng.beta(a, b, size)
    lam = rng.gamma(r, 1.0 / alpha, size)
    n = rng.poisson(lam * t)  # arrivals of the purchase process in (0, T] while alive
    # repeat purchases made before dropping out: after each purchase (and, for MBG/NBD, at
    # time 0 too) the customer drops out with probability p
    k = rng.geometric(p) - (1 if death_at_zero else 0)
    x = np.minimum(n, k)
    df = pd.DataFrame({"frequency": x.astype(float), "recency": _last_of(n, x, t, rng), "T": t, "lambda": lam, "p": p,
                       "alive": (k > n).astype(float)})
    df.index.name = "customer_id"
    return df


def beta_geometric_nbd_model(T: Any, r: float, alpha: float, a: float, b: float, size: int = 1,
                             seed: Optional[int] = None) -> pd.DataFrame:
    """Customers of a BG/NBD model (Fader, Hardie & Lee 2005) observed for ``T`` (one value or
    one per customer): columns ``frequency, recency, T, lambda, p, alive``, indexed by
    ``customer_id``."""
    return _geometric_nbd(T, r, alpha, a, b, size, seed, death_at_zero=False)


def modified_beta_geometric_nbd_model(T: Any, r: float, alpha: float, a: float, b: float, size: int = 1,
                                      seed: Optional[int] = None) -> pd.DataFrame:
    """Customers of an MBG/NBD model (Batislam et al. 2007: a customer may also drop out right
    after the first purchase); columns as :func:`beta_geometric_nbd_model`."""
    return _geometric_nbd(T, r, alpha, a, b, size, seed, death_at_zero=True)


def pareto_nbd_model(T: Any, r: float, alpha: float, s: float, beta: float, size: int = 1,
                     seed: Optional[int] = None) -> pd.DataFrame:
    """Customers of a Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): columns
    ``frequency, recency, T, lambda, mu, alive``, indexed by ``customer_id``."""
    _check(r=r, alpha=alpha, s=s, beta=beta)
    rng = np.random.default_rng(seed)
    t = _per_customer(T, size, "T")
    lam = rng.gamma(r, 1.0 / alpha, size)
    mu = rng.gamma(s, 1.0 / beta, size)
    life = rng.exponential(1.0 / mu)
    span = np.minimum(life, t)
    x = rng.poisson(lam * span)
    df = pd.DataFrame({"frequency": x.astype(float), "recency": _last_of(x, x, span, rng), "T": t, "lambda": lam,
                       "mu": mu, "alive": (life > t).astype(float)})
    df.index.name = "customer_id"
    return df


def beta_geometric_beta_binom_model(N: Any, alpha: float, beta: float, gamma: float, delta: float, size: int = 1,
                                    seed: Optional[int] = None) -> pd.DataFrame:
    """Customers of a BG/BB model (Fader, Hardie & Shang 2010) over ``N`` transaction
    opportunities: at each, a customer still alive drops out with probability theta and
    otherwise buys with probability p. Columns ``frequency, recency, n_periods, p, theta,
    alive`` (recency: the last opportunity with a purchase, 0 for none), indexed by
    ``customer_id``."""
    _check(alpha=alpha, beta=beta, gamma=gamma, delta=delta)
    rng = np.random.default_rng(seed)
    n = _per_customer(N, size, "N")
    if np.any(n != np.floor(n)):
        raise ValueError("N must be whole numbers of opportunities")
    p = rng.beta(alpha, beta, size)
    theta = rng.beta(gamma, delta, size)
    # opportunities survived: each opportunity is reached alive with probability 1 - theta
    survived = np.minimum(rng.geometric(theta) - 1, n.astype(np.int64))
    width = int(n.max()) if size else 0
    steps = np.arange(1, width + 1)
    bought = (rng.random((size, width)) < p[:, None]) & (steps[None, :] <= survived[:, None])
    x = bought.sum(axis=1)
    recency = np.where(x > 0, width - np.argmax(bought[:, ::-1], axis=1), 0)
    # alive after the last opportunity: one more survival draw, as the model states
    alive = (survived == n) & (rng.random(size) >= theta)
    df = pd.DataFrame({"frequency": x.astype(float), "recency": recency.astype(float), "n_periods": n, "p": p,
                       "theta": theta, "alive": alive.astype(float)})
    df.index.name = "customer_id"
    return df


def gamma_gamma_model(frequency: Any, p: float, q: float, v: float, size: Optional[int] = None,
                      seed: Optional[int] = None) -> pd.DataFrame:
    """Average transaction values of customers of a Gamma-Gamma spend model (Fader, Hardie &
    Lee 2005) with the given ``frequency`` (one value or one per customer, each >= 1): each
    customer's transactions are Gamma(p, nu) with nu ~ Gamma(q, v). Columns ``frequency,
    monetary_value, nu``, indexed by ``customer_id``."""
    _check(p=p, q=q, v=v)
    rng = np.random.default_rng(seed)
    count = size if size is not None else np.size(frequency)
    x = _per_customer(frequency, count, "frequency")
    if np.any(x < 1) or np.any(x != np.floor(x)):
        raise ValueError("frequency must be whole numbers >= 1")
    nu = rng.gamma(q, 1.0 / v, count)
    # the sum of x Gamma(p, nu) values is Gamma(p * x, nu)
    m = rng.gamma(p * x, 1.0 / nu) / x
    df = pd.DataFrame({"frequency": x, "monetary_value": m, "nu": nu})
    df.index.name = "customer_id"
    return df
