"""The data sets lifetimes ships, as the same pandas frames (``lifetimes.datasets``).

>>> from yutang.datasets import load_cdnow_summary
>>> load_cdnow_summary(index_col=[0]).shape
(2357, 3)

Origin and licence: ``ORIGIN.md`` in this folder.
"""
from __future__ import annotations

import os
from typing import Any

import pandas as pd

__all__ = [
    "load_dataset",
    "load_cdnow_summary",
    "load_transaction_data",
    "load_cdnow_summary_data_with_monetary_value",
    "load_donations",
]

_HERE = os.path.dirname(os.path.abspath(__file__))


def load_dataset(filename: str, **kwargs: Any) -> pd.DataFrame:
    """One bundled file read with ``pandas.read_csv(..., **kwargs)``: ``CDNOW_master.txt``,
    ``CDNOW_sample.txt`` (both whitespace-separated: pass ``sep=r"\\s+", header=None``),
    ``cdnow_customers_summary.csv``, ``cdnow_customers_summary_with_transactions.csv``,
    ``donations.csv`` or ``example_transactions.csv``."""
    path = os.path.join(_HERE, os.path.basename(filename))
    if os.path.basename(filename) != filename or not os.path.isfile(path) or filename.endswith((".py", ".md")):
        names = sorted(f for f in os.listdir(_HERE) if f.endswith((".csv", ".txt")))
        raise FileNotFoundError(f"no bundled data set {filename!r}; the data sets are {', '.join(names)}")
    return pd.read_csv(path, **kwargs)


def load_donations(**kwargs: Any) -> pd.DataFrame:
    """The BG/BB donations data (frequency, recency, periods, weights)."""
    return load_dataset("donations.csv", **kwargs)


def load_cdnow_summary(**kwargs: Any) -> pd.DataFrame:
    """The CDNOW sample summarised in weeks (ID, frequency, recency, T)."""
    return load_dataset("cdnow_customers_summary.csv", **kwargs)


def load_transaction_data(**kwargs: Any) -> pd.DataFrame:
    """Synthetic transactions (``date``, ``id``) from 2014, as text dates."""
    return load_dataset("example_transactions.csv", **kwargs)


def load_cdnow_summary_data_with_monetary_value(**kwargs: Any) -> pd.DataFrame:
    """The CDNOW summary with the average repeat-transaction value, indexed by
    ``customer_id`` (frequency, recency, T, monetary_value)."""
    df = load_dataset("cdnow_customers_summary_with_transactions.csv", **kwargs)
    df.columns = ["customer_id", "frequency", "recency", "T", "monetary_value"]
    return df.set_index("customer_id")
