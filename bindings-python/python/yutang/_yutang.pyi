# Type stubs for the private native module `yutang._yutang`.
from typing import Any, Optional, Sequence

__version__: str

class YutangError(ValueError):
    field: Optional[str]
    value: Optional[str]
class InvalidFieldError(YutangError): ...
class LimitExceededError(YutangError): ...
class NotFoundError(YutangError): ...
class SnapshotError(YutangError): ...
class ConvergenceError(YutangError): ...
class CurrencyMismatchError(YutangError): ...

# --- pool ---

# --- ltv ---

# --- attribution ---
# Path columns cross as Arrow large_string buffers: `data` (uint8 bytes) and `offsets`
# (int64, len = rows + 1); numbers as float64 arrays. Results are dicts of lists / arrays.
import numpy as _np
import numpy.typing as _npt
def attribution_heuristics(data: _npt.NDArray[_np.uint8], offsets: _npt.NDArray[_np.int64],
                           conv: _npt.NDArray[_np.float64], value: Optional[_npt.NDArray[_np.float64]],
                           sep: str, half_life: float, position_first: float, position_last: float,
                           direct_channels: Sequence[str]) -> dict[str, Any]: ...
def attribution_markov(data: _npt.NDArray[_np.uint8], offsets: _npt.NDArray[_np.int64],
                       conv: _npt.NDArray[_np.float64], value: Optional[_npt.NDArray[_np.float64]],
                       null: Optional[_npt.NDArray[_np.float64]], sep: str, order: int,
                       converting_channels_only: bool) -> dict[str, Any]: ...
def attribution_shapley(data: _npt.NDArray[_np.uint8], offsets: _npt.NDArray[_np.int64],
                        conv: _npt.NDArray[_np.float64], value: Optional[_npt.NDArray[_np.float64]],
                        null: Optional[_npt.NDArray[_np.float64]], sep: str, worth: str,
                        exact_limit: int, samples: int, seed: int) -> dict[str, Any]: ...
