"""Progress feedback for long calls (``progress=`` of :meth:`Pool.ingest` and :meth:`Pool.simulate`).

``progress`` may be ``None`` / ``False`` (silent), ``True`` (a tqdm bar per stage when tqdm is
installed, else one line on stderr that rewrites itself), or a callable
``progress(stage, done, total)`` called when each stage starts and ends and after every
hundredth of it: ``stage`` is ``"ingest"``, ``"link"`` or ``"journeys"``; returning ``False``
stops the call. An exception raised by the callable stops the call and propagates.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Optional, Union

from ._errors import invalid

Callback = Callable[[str, int, int], Optional[bool]]
ProgressArg = Union[None, bool, Callback]

_UNITS = {"ingest": "events", "link": "events", "journeys": "customers"}


class _Bar:
    """One bar per stage: tqdm's when it is installed, a plain stderr line otherwise."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.stage: Optional[str] = None
        self.bar: Any = None
        try:
            from tqdm.auto import tqdm  # type: ignore[import-untyped]
        except ImportError:
            tqdm = None
        self.tqdm = tqdm

    def __call__(self, stage: str, done: int, total: int) -> bool:
        if stage != self.stage:
            self.close()
            self.stage = stage
            if self.tqdm is not None:
                self.bar = self.tqdm(total=total, desc=f"{self.what}: {stage}", unit=f" {_UNITS.get(stage, '')}",
                                     unit_scale=True, leave=False)
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
        else:
            pct = 100 if total == 0 else 100 * done // total
            sys.stderr.write(f"\r{self.what}: {stage} {pct:3d}% ({done:,}/{total:,} {_UNITS.get(stage, '')})")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        if done >= total:
            self.close()
        return True

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        self.stage = None


def callback(progress: ProgressArg, what: str) -> Optional[Callback]:
    """The native-layer callback for a ``progress=`` argument (``None``: no feedback)."""
    if progress is None or progress is False:
        return None
    if progress is True:
        return _Bar(what)
    if callable(progress):
        return progress
    raise invalid("progress", progress, "expected True, False, None or a callable progress(stage, done, total)")
