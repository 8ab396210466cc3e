"""yutang: a pure-logic engine for private-domain customer operations.

The native module is private (``yutang._yutang``); everything public lives here.
"""
from ._yutang import (
    __version__,
    YutangError,
    InvalidFieldError,
    LimitExceededError,
    NotFoundError,
    SnapshotError,
    ConvergenceError,
    CurrencyMismatchError,
    RuleSyntaxError,
    CancelledError,
)
from ._errors import ColumnNotFoundError
from . import frame, utils, attribution, datasets, generate_data, plotting
from . import metrics
from . import journeys
from . import fitters
from .fitters import (
    BetaGeoFitter,
    ParetoNBDFitter,
    ModifiedBetaGeoFitter,
    BetaGeoBetaBinomFitter,
    GammaGammaFitter,
)
from . import pool
from .pool import Pool, IngestReport, Report
from . import lifecycle
from .lifecycle import rfm_scores
from . import rules
from .utils import rfm_summary

# The public names: `from yutang import Pool` and `yutang.Pool` type-check under
# `mypy --strict` (no implicit re-export), and `from yutang import *` gets exactly these.
__all__ = [
    "__version__",
    # the pool
    "Pool",
    "Report",
    "IngestReport",
    # errors
    "YutangError",
    "InvalidFieldError",
    "LimitExceededError",
    "NotFoundError",
    "SnapshotError",
    "ConvergenceError",
    "CurrencyMismatchError",
    "RuleSyntaxError",
    "CancelledError",
    "ColumnNotFoundError",
    # customer lifetime value (the lifetimes API)
    "BetaGeoFitter",
    "ParetoNBDFitter",
    "ModifiedBetaGeoFitter",
    "BetaGeoBetaBinomFitter",
    "GammaGammaFitter",
    "rfm_summary",
    # lifecycle
    "rfm_scores",
    # modules
    "attribution",
    "datasets",
    "fitters",
    "frame",
    "generate_data",
    "journeys",
    "lifecycle",
    "metrics",
    "plotting",
    "pool",
    "rules",
    "utils",
]
