"""Buy-Till-You-Die models with the public API of ``lifetimes`` 0.11.3.

A lifetimes user switches by changing the import::

    from yutang import BetaGeoFitter          # was: from lifetimes import BetaGeoFitter

Differences from lifetimes (see docs/migrating-from-lifetimes.md):

- Fits are exact maximum-likelihood estimates (gradient norm on log-parameters <= ``tol``,
  default 1e-6) and raise :class:`yutang.ConvergenceError` when they are not reached.
- ``log_likelihood_`` is the total log-likelihood (comparable with the papers), not lifetimes'
  mean ``_negative_log_likelihood_``.
- ``save_model`` / ``load_model`` write JSON, not dill pickles; ``to_json`` / ``from_json``
  do the same in memory.
- Non-whole frequencies raise an error instead of being truncated.
"""
from __future__ import annotations

import json
from typing import Any, Optional, Type, TypeVar

import numpy as np
import pandas as pd

from . import _yutang
from ._errors import invalid

__all__ = [
    "BetaGeoFitter",
    "ParetoNBDFitter",
    "ModifiedBetaGeoFitter",
    "BetaGeoBetaBinomFitter",
    "GammaGammaFitter",
]


_F = TypeVar("_F", bound="BaseFitter")
_T = TypeVar("_T", bound="_TransactionFitter")


def _to_numpy(x: Any, dtype: Any = np.float64) -> np.ndarray:
    """numpy / pandas / polars / pyarrow / scalar / list -> contiguous 1-d numpy array."""
    if isinstance(x, np.ndarray):
        arr = x
    elif isinstance(x, (pd.Series, pd.Index)):
        arr = x.to_numpy()
    elif hasattr(x, "to_numpy") and type(x).__module__.startswith("polars"):
        arr = x.to_numpy()
    elif type(x).__module__.startswith("pyarrow"):
        arr = x.to_numpy(zero_copy_only=False) if hasattr(x, "to_numpy") else np.asarray(x)
    else:
        arr = np.asarray(x)
    arr = np.ascontiguousarray(np.atleast_1d(arr), dtype=dtype)
    if arr.ndim != 1:
        arr = arr.ravel()
    return arr


def _index_of(*xs: Any) -> Optional[pd.Index]:
    for x in xs:
        if isinstance(x, pd.Series):
            return x.index
    return None


def _shape_like(values: np.ndarray, *inputs: Any, scalar_ok: bool = True) -> Any:
    """Return a Series if any input was one, a float for all-scalar input, else the array."""
    idx = _index_of(*inputs)
    if idx is not None and len(idx) == len(values):
        return pd.Series(values, index=idx)
    if scalar_ok and all(np.ndim(x) == 0 for x in inputs if x is not None) and values.shape == (1,):
        return float(values[0])
    return values


def _whole(v: Any, field: str) -> int:
    """A count given as a number: whole and >= 0, else an InvalidFieldError naming it."""
    f = float(v)
    if not (np.isfinite(f) and f >= 0 and f == np.floor(f)):
        raise invalid(field, v, "must be a whole number >= 0")
    return int(f)


def _broadcast(*xs: Any) -> list:
    arrs = [_to_numpy(x) for x in xs]
    n = max(len(a) for a in arrs)
    out = []
    for a in arrs:
        if len(a) == n:
            out.append(a)
        elif len(a) == 1:
            out.append(np.full(n, a[0]))
        else:
            raise ValueError(f"inputs of lengths {[len(a) for a in arrs]} cannot be broadcast")
    return out


class BaseFitter:
    """Shared behaviour of the fitters: parameters, summary, serialisation."""

    _native_cls: Any = None
    _param_names: tuple = ()
    _data_cols: tuple = ()

    def __init__(self, penalizer_coef: float = 0.0):
        self.penalizer_coef = penalizer_coef
        self._model: Any = None

    def __repr__(self) -> str:
        name = type(self).__name__
        if self._model is None:
            return f"<yutang.{name}>"
        subj = ""
        if getattr(self, "data", None) is not None:
            subj = f" fitted with {self.data.shape[0]:d} subjects,"
        params = ", ".join(f"{k}: {v:.2f}" for k, v in sorted(self.params_.items()))
        return f"<yutang.{name}:{subj} {params}>"

    # -- fitted attributes --------------------------------------------------------------
    def _check_fitted(self) -> None:
        if self._model is None:
            raise ValueError("Model has not been fit yet. Please call the .fit method first.")

    def _unload_params(self, *names: str) -> list:
        self._check_fitted()
        return [self.params_[n] for n in names]

    def _set_model(self, model: Any) -> None:
        self._model = model
        self.__dict__["params_"] = pd.Series(model.params(), index=list(self._param_names), dtype=float)
        self._report_cache: Any = None
        self._report_loaded = False

    @property
    def params_(self) -> pd.Series:
        """The parameters (lifetimes' names), a copy: changing it changes nothing.

        Assigning a Series or mapping that names every parameter sets the model (validated:
        each finite and > 0), as in lifetimes: predictions then use the new values, and the
        fit report (standard errors) is gone. A wrong name or value raises
        :class:`yutang.InvalidFieldError` and leaves the model as it was."""
        p = self.__dict__.get("params_")
        if p is None:
            raise AttributeError(f"'{type(self).__name__}' has no params_ yet: call fit or assign params_")
        return p.copy()

    @params_.setter
    def params_(self, value: Any) -> None:
        series = pd.Series(value, dtype=float) if not isinstance(value, pd.Series) else value.astype(float)
        if self._native_cls is None:  # the bare base class holds any named values
            self.__dict__["params_"] = series.copy()
            return
        names = list(self._param_names)
        extra = [str(k) for k in series.index if k not in names]
        missing = [n for n in names if n not in series.index]
        if extra or missing or series.index.has_duplicates:
            raise invalid("params_", ", ".join(map(str, series.index)), f"expected each of {', '.join(names)} once")
        model = self._native_cls.from_params([float(series[n]) for n in names])
        self._set_model(model)

    def _rep(self) -> Any:
        if not self._report_loaded:
            self._report_cache = self._model.report()
            self._report_loaded = True
        return self._report_cache

    # Fitted attributes are computed on first access (pandas objects are costly to build).
    @property
    def standard_errors_(self) -> pd.Series:
        """Standard errors of the parameters (delta method from the Hessian)."""
        self._check_fitted()
        rep = self._rep()
        vals = np.nan if rep is None else rep["std_errors"]
        return pd.Series(vals, index=self.params_.index, dtype=float)

    @property
    def variance_matrix_(self) -> pd.DataFrame:
        """Covariance matrix of the parameters."""
        self._check_fitted()
        rep = self._rep()
        vals = np.nan if rep is None else rep["covariance"]
        return pd.DataFrame(vals, index=self.params_.index, columns=self.params_.index, dtype=float)

    @property
    def confidence_intervals_(self) -> pd.DataFrame:
        """95 % confidence intervals (estimate ± 1.96 se, as lifetimes)."""
        se = self.standard_errors_
        return pd.DataFrame(
            {"lower 95% bound": self.params_ - 1.96 * se, "upper 95% bound": self.params_ + 1.96 * se},
            index=self.params_.index,
        )

    @property
    def log_likelihood_(self) -> float:
        """Total log-likelihood at the estimate, in the data's time unit (comparable with papers)."""
        self._check_fitted()
        rep = self._rep()
        return float("nan") if rep is None else float(rep["log_likelihood"])

    @property
    def data(self) -> Optional[pd.DataFrame]:
        """The data given to ``fit`` (built on first access)."""
        d = self.__dict__.get("data")
        if callable(d):
            d = d()
            self.__dict__["data"] = d
        return d

    @data.setter
    def data(self, value: Any) -> None:
        self.__dict__["data"] = value

    # -- lifetimes' objective ------------------------------------------------------------
    # How lifetimes normalises the summed weighted log-likelihood in its objective, and whether
    # the objective takes log-parameters (Pareto/NBD's takes the parameters themselves).
    _nll_divisor = "sum"
    _nll_takes_logs = True

    @classmethod
    def _negative_log_likelihood(cls, log_params: Any, *columns_weights_penalizer: Any) -> float:
        """lifetimes' objective: ``log_params`` (natural logs of the parameters in lifetimes'
        order; for Pareto/NBD the parameters themselves, as lifetimes), the data columns,
        ``weights`` and ``penalizer_coef``; the weighted negative log-likelihood divided by the
        total weight (by the mean weight for Pareto/NBD), plus
        ``penalizer_coef * sum(params ** 2)``."""
        *columns, weights, penalizer_coef = columns_weights_penalizer
        given = np.asarray(log_params, dtype=float).ravel()
        params = np.exp(given) if cls._nll_takes_logs else given
        cols = _broadcast(*columns, weights)
        w = cols[-1]
        ll = cls._native_cls.from_params([float(v) for v in params]).log_likelihood(*cols[:-1], w)
        div = w.sum() if cls._nll_divisor == "sum" else w.mean()
        return float(-ll / div + float(penalizer_coef) * float(np.sum(params ** 2)))

    def _store_objective(self, log_params: np.ndarray, *columns: np.ndarray, weights: Optional[np.ndarray]) -> None:
        """lifetimes' ``_negative_log_likelihood_``: the objective at the estimate, on the data
        as lifetimes fits it (time columns scaled by ``_scale``)."""
        w = np.ones_like(columns[0]) if weights is None else weights
        at = log_params if self._nll_takes_logs else np.exp(log_params)
        self.__dict__["_negative_log_likelihood_"] = type(self)._negative_log_likelihood(
            at, *columns, w, self.penalizer_coef)

    @property
    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors and 95 % intervals (lifetimes' columns)."""
        self._check_fitted()
        df = pd.DataFrame(index=self.params_.index)
        df["coef"] = self.params_
        df["se(coef)"] = self.standard_errors_
        df["lower 95% bound"] = self.confidence_intervals_["lower 95% bound"]
        df["upper 95% bound"] = self.confidence_intervals_["upper 95% bound"]
        return df

    # -- serialisation -------------------------------------------------------------------
    # Fitted attributes that lifetimes keeps on the object (and its save/load restore).
    _kept = ("_scale", "_negative_log_likelihood_")

    def to_json(self, save_data: bool = False) -> str:
        """The fitted model (parameters, fit report, penalizer, lifetimes' ``_scale`` and
        ``_negative_log_likelihood_``) as a JSON string; with ``save_data``, the fit data too."""
        self._check_fitted()
        d: dict = {"class": type(self).__name__, "penalizer_coef": self.penalizer_coef,
                   "model": json.loads(self._model.to_json())}
        d.update({k: self.__dict__[k] for k in self._kept if k in self.__dict__})
        if save_data and isinstance(self.data, pd.DataFrame):
            data = self.data
            default_index = isinstance(data.index, pd.RangeIndex) and data.index.start == 0 and data.index.step == 1
            d["data"] = {"columns": {str(c): data[c].tolist() for c in data.columns},
                         "index": None if default_index else data.index.tolist()}
        return json.dumps(d)

    @classmethod
    def from_json(cls: Type[_F], s: str) -> _F:
        """Restore a fitter written by :meth:`to_json` (with its data, if saved)."""
        d = json.loads(s)
        if d.get("class") != cls.__name__:
            raise ValueError(f"JSON holds a {d.get('class')}, not a {cls.__name__}")
        self = cls(penalizer_coef=d.get("penalizer_coef", 0.0))
        self._set_model(cls._native_cls.from_json(json.dumps(d["model"])))
        self.__dict__.update({k: d[k] for k in cls._kept if k in d})
        self.data = None
        if "data" in d:
            self.data = pd.DataFrame(d["data"]["columns"], index=d["data"]["index"])
        return self

    def save_model(self, path: str, save_data: bool = True, save_generate_data_method: bool = True,
                   values_to_save: Any = None) -> None:
        """Write the model as JSON (lifetimes used dill pickles), with the fit data when
        ``save_data``. As lifetimes, ``values_to_save`` gives the placeholders loaded instead
        of what is not saved, by position: ``data`` (used when ``save_data`` is false), then
        ``generate_new_data`` (when ``save_generate_data_method`` is false); default None."""
        d = json.loads(self.to_json(save_data=save_data))
        holders = list(values_to_save) if values_to_save is not None else []
        holders += [None] * (2 - len(holders))  # by position: data, then generate_new_data
        d["placeholders"] = {k: v for k, v, saved in zip(["data", "generate_new_data"], holders,
                                                          [save_data, save_generate_data_method]) if not saved}
        with open(path, "w") as f:
            json.dump(d, f)

    def load_model(self, path: str) -> None:
        """Load a model written by :meth:`save_model` into this object."""
        with open(path) as f:
            d = json.load(f)
        other = type(self).from_json(json.dumps(d))
        keep_predict = self.__dict__.get("predict")
        self.__dict__.update(other.__dict__)
        if keep_predict is not None:  # bound to this object, not to the temporary one
            self.__dict__["predict"] = keep_predict
        for k, v in d.get("placeholders", {}).items():
            self.__dict__[k] = v

    @classmethod
    def from_params(cls: Type[_F], **params: float) -> _F:
        """A fitter with known parameters (lifetimes' names), e.g. for predictions only."""
        self = cls()
        self._set_model(cls._native_cls.from_params([float(params[n]) for n in cls._param_names]))
        self.data = None
        return self


class _TransactionFitter(BaseFitter):
    """Shared code of BG/NBD, MBG/NBD and Pareto/NBD."""

    _penalizer_per_row = False  # Pareto/NBD in lifetimes divides by mean weight instead of total

    def __init__(self, penalizer_coef: float = 0.0):
        super().__init__(penalizer_coef)
        # lifetimes keeps predict as an instance attribute (its save/load tests read it there)
        self.predict = self.conditional_expected_number_of_purchases_up_to_time

    def fit(
        self: _T,
        frequency: Any,
        recency: Any,
        T: Any,
        weights: Any = None,
        initial_params: Any = None,
        verbose: bool = False,
        tol: float = 1e-6,
        index: Any = None,
        **kwargs: Any,
    ) -> _T:
        """Fit by exact maximum likelihood (GIL released); returns self.

        Parameters
        ----------
        frequency, recency, T : array_like
            Repeat purchases, time of the last purchase, age (any 1-d column type).
        weights : array_like, optional
            Number of customers sharing each row.
        initial_params : array_like, optional
            Starting parameters in lifetimes' order.
        tol : float
            Gradient-norm tolerance on log-parameters of the total log-likelihood.

        Raises
        ------
        InvalidFieldError
            An invalid value; ``.field`` names the column and row, e.g. ``recency[17]``.
        ConvergenceError
            The fit did not converge.
        """
        x, r, t = _to_numpy(frequency), _to_numpy(recency), _to_numpy(T)
        w = None if weights is None else _to_numpy(weights)
        pen = float(self.penalizer_coef)
        if self._penalizer_per_row and pen > 0:
            pen = pen / len(x)
        init = None if initial_params is None else [float(v) for v in np.asarray(initial_params).ravel()]
        model = self._native_cls.fit(x, r, t, w, pen, float(tol), int(kwargs.get("maxiter", 200)), init)
        self._set_model(model)
        # lifetimes fits on time divided by the largest T (yutang does too) and keeps the factor
        scale = 1.0 / float(t.max()) if len(t) and t.max() > 0 else 1.0
        self.__dict__["_scale"] = scale
        scaled = np.log(np.array([v * scale if n in ("alpha", "beta") else v
                                  for n, v in zip(self._param_names, model.params())]))
        self._store_objective(scaled, x, r * scale, t * scale, weights=w)
        self.data = lambda: pd.DataFrame(
            {"frequency": x, "recency": r, "T": t, "weights": np.ones_like(x) if w is None else w}, index=index
        )
        return self

    def conditional_expected_number_of_purchases_up_to_time(self, t: Any, frequency: Any, recency: Any, T: Any) -> Any:
        """Expected repeat purchases in the next ``t`` periods given the history."""
        self._check_fitted()
        h, x, r, tt = _broadcast(t, frequency, recency, T)
        return _shape_like(self._model.conditional_expected(h, x, r, tt), t, frequency, recency, T)

    def predict(self, t: Any, frequency: Any, recency: Any, T: Any) -> Any:
        """Alias of :meth:`conditional_expected_number_of_purchases_up_to_time`."""
        return self.conditional_expected_number_of_purchases_up_to_time(t, frequency, recency, T)

    def conditional_probability_alive(self, frequency: Any, recency: Any, T: Any) -> Any:
        """Probability that a customer with this history is alive (1-d array, as lifetimes)."""
        self._check_fitted()
        x, r, tt = _broadcast(frequency, recency, T)
        return _shape_like(self._model.probability_alive(x, r, tt), frequency, recency, T, scalar_ok=False)

    def conditional_probability_alive_matrix(self, max_frequency: Optional[int] = None, max_recency: Optional[int] = None) -> np.ndarray:
        """P(alive) for recency 0..max_recency (rows) and frequency 0..max_frequency (columns), T = max_recency."""
        self._check_fitted()
        max_frequency = max_frequency or int(self.data["frequency"].max())
        max_recency = max_recency or int(self.data["T"].max())
        rec, freq = np.meshgrid(np.arange(max_recency + 1, dtype=float), np.arange(max_frequency + 1, dtype=float), indexing="ij")
        out = self._model.probability_alive(freq.ravel(), rec.ravel(), np.full(rec.size, float(max_recency)))
        return out.reshape(rec.shape)

    def expected_number_of_purchases_up_to_time(self, t: Any) -> Any:
        """Expected repeat purchases in (0, t] for a new customer."""
        self._check_fitted()
        return _shape_like(self._model.expected(_to_numpy(t)), t)

    _generator = ""

    def generate_new_data(self, size: int = 1, seed: Optional[int] = None, T: Any = None) -> pd.DataFrame:
        """``size`` customers drawn from the fitted model (:mod:`yutang.generate_data`), as
        lifetimes: observed for the first ``size`` ages of the fitted data (or for ``T``, one
        value or one per customer)."""
        self._check_fitted()
        from . import generate_data
        n = int(size)
        if T is None:
            ages = self.data["T"].to_numpy() if isinstance(self.data, pd.DataFrame) else np.array([])
            if len(ages) < n:
                raise ValueError(f"size ({n}) is more than the {len(ages)} fitted customers: give T")
            T = ages[:n]
        gen = getattr(generate_data, self._generator)
        return gen(T, *[float(self.params_[k]) for k in self._param_names], size=n, seed=seed)

    def probability_of_n_purchases_up_to_time(self, t: Any, n: Any) -> Any:
        """P(X(t) = n) for a new customer; ``t`` and ``n`` broadcast against each other (scalars
        give a float, arrays an array, a Series a Series)."""
        self._check_fitted()
        if np.ndim(t) == 0 and np.ndim(n) == 0:
            return self._model.probability_of_n(float(t), _whole(n, "n"))
        tt, nn = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(n, dtype=float))
        vals = np.array([self._model.probability_of_n(float(a), _whole(b, f"n[{i}]"))
                         for i, (a, b) in enumerate(zip(tt.ravel(), nn.ravel()))]).reshape(tt.shape)
        return _shape_like(vals.ravel(), t, n, scalar_ok=False) if vals.ndim == 1 else vals


class BetaGeoFitter(_TransactionFitter):
    """BG/NBD model (Fader, Hardie & Lee 2005), lifetimes' ``BetaGeoFitter``.

    Examples
    --------
    >>> import yutang
    >>> bgf = yutang.BetaGeoFitter().fit([0, 2, 5, 1], [0, 20.0, 35.0, 5.0], [38, 38, 39, 30.0])
    >>> list(bgf.params_.index)
    ['r', 'alpha', 'a', 'b']
    """

    _native_cls = _yutang.BgNbd
    _param_names = ("r", "alpha", "a", "b")
    _generator = "beta_geometric_nbd_model"


class ModifiedBetaGeoFitter(_TransactionFitter):
    """MBG/NBD model (Batislam et al. 2007), lifetimes' ``ModifiedBetaGeoFitter``."""

    _native_cls = _yutang.MbgNbd
    _param_names = ("r", "alpha", "a", "b")
    _generator = "modified_beta_geometric_nbd_model"


class ParetoNBDFitter(_TransactionFitter):
    """Pareto/NBD model (Schmittlein et al. 1987), lifetimes' ``ParetoNBDFitter``.

    Fitted exactly (lifetimes uses Nelder-Mead with tol 1e-4); ``iterative_fitting`` and
    ``fit_method`` are accepted and ignored.
    """

    _native_cls = _yutang.ParetoNbd
    _param_names = ("r", "alpha", "s", "beta")
    _generator = "pareto_nbd_model"
    _penalizer_per_row = True
    _nll_divisor = "mean"
    _nll_takes_logs = False

    def fit(self, frequency: Any, recency: Any, T: Any, weights: Any = None, iterative_fitting: int = 1,
            initial_params: Any = None, verbose: bool = False, tol: float = 1e-6, index: Any = None,
            fit_method: str = "Nelder-Mead", maxiter: int = 200, **kwargs: Any) -> "ParetoNBDFitter":
        """Fit by exact maximum likelihood; see :meth:`BetaGeoFitter.fit`."""
        super().fit(frequency, recency, T, weights, initial_params, verbose, tol, index, maxiter=maxiter)
        return self

    def conditional_probability_of_n_purchases_up_to_time(self, n: int, t: float, frequency: Any, recency: Any, T: Any) -> Any:
        """P(n purchases in the next t | history) (Fader & Hardie 2006 note)."""
        self._check_fitted()
        x, r, tt = _broadcast(frequency, recency, T)
        vals = np.array([_yutang.pareto_conditional_probability_of_n(self._model, int(n), float(t), a, b, c) for a, b, c in zip(x, r, tt)])
        return _shape_like(vals, frequency, recency, T)


class BetaGeoBetaBinomFitter(BaseFitter):
    """BG/BB model for discrete opportunities (Fader, Hardie & Shang 2010), lifetimes' ``BetaGeoBetaBinomFitter``."""

    _native_cls = _yutang.BgBb
    _param_names = ("alpha", "beta", "gamma", "delta")

    def fit(self, frequency: Any, recency: Any, n_periods: Any, weights: Any = None, initial_params: Any = None,
            verbose: bool = False, tol: float = 1e-6, index: Any = None, **kwargs: Any) -> "BetaGeoBetaBinomFitter":
        """Fit by exact maximum likelihood; returns self."""
        x, r, n = _to_numpy(frequency), _to_numpy(recency), _to_numpy(n_periods)
        w = None if weights is None else _to_numpy(weights)
        init = None if initial_params is None else [float(v) for v in np.asarray(initial_params).ravel()]
        self._set_model(self._native_cls.fit(x, r, n, w, float(self.penalizer_coef), float(tol), int(kwargs.get("maxiter", 200)), init))
        self._store_objective(np.log(self._model.params()), x, r, n, weights=w)
        self.data = lambda: pd.DataFrame(
            {"frequency": x, "recency": r, "n_periods": n, "weights": np.ones_like(x) if w is None else w}, index=index
        )
        return self

    def conditional_expected_number_of_purchases_up_to_time(self, m_periods_in_future: int, frequency: Any, recency: Any, n_periods: Any) -> Any:
        """Expected purchases in the next ``m_periods_in_future`` opportunities."""
        self._check_fitted()
        x, r, n = _broadcast(frequency, recency, n_periods)
        return _shape_like(self._model.conditional_expected(int(m_periods_in_future), x, r, n), frequency, recency, n_periods)

    def conditional_probability_alive(self, m_periods_in_future: int, frequency: Any, recency: Any, n_periods: Any) -> Any:
        """Probability of being alive at opportunity n_periods + m_periods_in_future."""
        self._check_fitted()
        x, r, n = _broadcast(frequency, recency, n_periods)
        return _shape_like(self._model.probability_alive(int(m_periods_in_future), x, r, n), frequency, recency, n_periods)

    def expected_number_of_transactions_in_first_n_periods(self, n: int) -> pd.DataFrame:
        """Expected number of customers with each frequency in the first ``n`` opportunities."""
        self._check_fitted()
        counts = self.data.groupby("frequency")["weights"].sum()
        total = counts.sum()
        vals = [self._model.probability_of_n_in_first_n_periods(int(n), int(x)) * total for x in counts.index]
        return pd.DataFrame({"model": vals}, index=pd.Index(counts.index, name="frequency"))


_PERIODS_PER_MONTH = {"W": 4.345, "M": 1.0, "D": 30.0, "H": 720.0, "h": 720.0}


class GammaGammaFitter(BaseFitter):
    """Gamma-Gamma spend model (Fader, Hardie & Lee 2005), lifetimes' ``GammaGammaFitter``."""

    _native_cls = _yutang.GammaGamma
    _param_names = ("p", "q", "v")

    def fit(self, frequency: Any, monetary_value: Any, weights: Any = None, initial_params: Any = None,
            verbose: bool = False, tol: float = 1e-6, index: Any = None, q_constraint: bool = False,
            **kwargs: Any) -> "GammaGammaFitter":
        """Fit on repeat buyers' (frequency > 0) average monetary values; returns self.

        ``q_constraint=True`` keeps q >= 1 (as lifetimes: below 1 the population mean spend
        is negative or infinite, and so is every CLV built on it); when the free estimate has
        q < 1 the fit holds q at 1 and fits p and v."""
        x, m = _to_numpy(frequency), _to_numpy(monetary_value)
        w = None if weights is None else _to_numpy(weights)
        init = None if initial_params is None else [float(v) for v in np.asarray(initial_params).ravel()]
        self._set_model(self._native_cls.fit(x, m, w, float(self.penalizer_coef), float(tol), int(kwargs.get("maxiter", 200)), init,
                                             bool(q_constraint)))
        self._store_objective(np.log(self._model.params()), x, m, weights=w)
        self.data = lambda: pd.DataFrame({"monetary_value": m, "frequency": x, "weights": np.ones_like(x) if w is None else w}, index=index)
        return self

    def conditional_expected_average_profit(self, frequency: Any = None, monetary_value: Any = None) -> Any:
        """Expected average transaction value given the customer's history."""
        self._check_fitted()
        if monetary_value is None:
            monetary_value = self.data["monetary_value"]
        if frequency is None:
            frequency = self.data["frequency"]
        x, m = _broadcast(frequency, monetary_value)
        return _shape_like(self._model.expected_average_profit(x, m), frequency, monetary_value)

    def customer_lifetime_value(self, transaction_prediction_model: Any, frequency: Any, recency: Any, T: Any,
                                monetary_value: Any, time: int = 12, discount_rate: float = 0.01, freq: str = "D") -> pd.Series:
        """Discounted CLV over ``time`` months (lifetimes' semantics: a month is 30 days = 4.345 weeks)."""
        self._check_fitted()
        if freq not in _PERIODS_PER_MONTH:
            raise ValueError(f"freq must be one of W, M, D, H (got {freq!r})")
        transaction_prediction_model._check_fitted()
        x, r, t, m = _broadcast(frequency, recency, T, monetary_value)
        v = self._model.customer_lifetime_value(transaction_prediction_model._model, x, r, t, m, int(time), float(discount_rate), _PERIODS_PER_MONTH[freq])
        idx = _index_of(frequency, recency, T, monetary_value)
        return pd.Series(v, index=idx if idx is not None else pd.RangeIndex(len(v)), name="clv")
