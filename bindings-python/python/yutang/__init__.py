"""yutang: a pure-logic engine for private-domain customer operations.

The native module is private (``yutang._yutang``); everything public lives here.
"""
from ._yutang import (  # noqa: F401
    __version__,
    YutangError,
    InvalidFieldError,
    LimitExceededError,
    NotFoundError,
    SnapshotError,
    ConvergenceError,
    CurrencyMismatchError,
    RuleSyntaxError,
)
from ._errors import ColumnNotFoundError  # noqa: F401
from . import frame, utils, attribution  # noqa: F401
from . import metrics  # noqa: F401
from . import journeys  # noqa: F401
from .fitters import *  # noqa: F401,F403
from .pool import Pool, IngestReport  # noqa: F401
from .lifecycle import rfm_scores  # noqa: F401
from . import rules  # noqa: F401

try:
    from .utils import rfm_summary  # noqa: F401
except ImportError:  # pragma: no cover - until the LTV utilities land
    pass
