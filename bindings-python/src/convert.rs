//! Conversions between Python values and core types: Arrow-style columns that arrive as numpy
//! arrays (zero copy), and time arguments.

use numpy::{PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// One input column, borrowed from numpy arrays that view Arrow buffers.
///
/// Python sends `(name, tag, a, b, valid)`:
/// - `"str"`: `a` = int64 offsets (n + 1), `b` = uint8 data (UTF-8), `valid` = bool mask or None
/// - `"f64"`: `a` = float64 values (NaN = missing)
/// - `"i64"`: `a` = int64 values
/// - `"bool"`: `a` = bool values
/// - `"ts_utc"` / `"ts_naive"`: `a` = int64 microseconds (UTC, or wall clock in the business zone)
pub struct ColumnArrays<'py> {
    pub name: String,
    pub tag: String,
    pub a: Bound<'py, PyAny>,
    pub b: Option<Bound<'py, PyAny>>,
    pub valid: Option<PyReadonlyArray1<'py, bool>>,
}

/// The `(name, tag, a, b, valid)` tuple the Python layer sends for one column.
pub type ColTuple<'py> = (String, String, Bound<'py, PyAny>, Option<Bound<'py, PyAny>>, Option<Bound<'py, PyAny>>);

impl<'py> ColumnArrays<'py> {
    /// From the `(name, tag, a, b, valid)` tuple the Python layer sends.
    pub fn from_tuple(t: ColTuple<'py>) -> PyResult<Self> {
        let (name, tag, a, b, valid) = t;
        let valid = match valid {
            Some(v) if !v.is_none() => Some(
                v.extract()
                    .map_err(|_| PyValueError::new_err(format!("column {name:?}: mask must be a bool array")))?,
            ),
            _ => None,
        };
        Ok(ColumnArrays { name, tag, a, b: b.filter(|x| !x.is_none()), valid })
    }
}

/// A column view usable without the GIL.
pub enum Col<'a> {
    /// `text`: the whole data buffer when it is valid UTF-8 (checked once per column, so that a
    /// cell is a cheap slice instead of a validation of its own).
    Str {
        off: &'a [i64],
        data: &'a [u8],
        text: Option<&'a str>,
        valid: Option<&'a [bool]>,
    },
    F64(&'a [f64]),
    I64 {
        v: &'a [i64],
        valid: Option<&'a [bool]>,
    },
    Bool {
        v: &'a [bool],
        valid: Option<&'a [bool]>,
    },
    Ts {
        v: &'a [i64],
        valid: Option<&'a [bool]>,
        naive: bool,
    },
}

/// Owned borrows that keep the numpy arrays alive while `Col`s point into them.
pub enum Held<'py> {
    Str(PyReadonlyArray1<'py, i64>, PyReadonlyArray1<'py, u8>, Option<PyReadonlyArray1<'py, bool>>),
    F64(PyReadonlyArray1<'py, f64>),
    I64(PyReadonlyArray1<'py, i64>, Option<PyReadonlyArray1<'py, bool>>, &'static str),
    Bool(PyReadonlyArray1<'py, bool>, Option<PyReadonlyArray1<'py, bool>>),
}

impl<'py> Held<'py> {
    pub fn from_arrays(c: ColumnArrays<'py>, n: usize) -> PyResult<(String, Held<'py>)> {
        let bad = |what: &str| PyValueError::new_err(format!("column {:?}: {what}", c.name));
        let check = |len: usize, want: usize| {
            if len == want {
                Ok(())
            } else {
                Err(bad(&format!("length {len}, expected {want}")))
            }
        };
        if let Some(v) = &c.valid {
            check(v.len(), n)?;
        }
        let held = match c.tag.as_str() {
            "str" => {
                let off: PyReadonlyArray1<i64> = c.a.extract().map_err(|_| bad("offsets must be int64"))?;
                let data: PyReadonlyArray1<u8> =
                    c.b.as_ref()
                        .ok_or_else(|| bad("missing data"))?
                        .extract()
                        .map_err(|_| bad("data must be uint8"))?;
                check(off.len(), n + 1)?;
                let o = off.as_slice().map_err(|_| bad("offsets not contiguous"))?;
                let last = *o.last().unwrap_or(&0);
                if o.first().copied().unwrap_or(0) < 0
                    || last as usize > data.len()
                    || o.windows(2).any(|w| w[1] < w[0])
                {
                    return Err(bad("offsets out of range"));
                }
                Held::Str(off, data, c.valid)
            }
            "f64" => {
                let v: PyReadonlyArray1<f64> = c.a.extract().map_err(|_| bad("values must be float64"))?;
                check(v.len(), n)?;
                Held::F64(v)
            }
            "i64" | "ts_utc" | "ts_naive" => {
                let v: PyReadonlyArray1<i64> = c.a.extract().map_err(|_| bad("values must be int64"))?;
                check(v.len(), n)?;
                let t = match c.tag.as_str() {
                    "i64" => "i64",
                    "ts_utc" => "ts_utc",
                    _ => "ts_naive",
                };
                Held::I64(v, c.valid, t)
            }
            "bool" => {
                let v: PyReadonlyArray1<bool> = c.a.extract().map_err(|_| bad("values must be bool"))?;
                check(v.len(), n)?;
                Held::Bool(v, c.valid)
            }
            other => return Err(bad(&format!("unknown column type tag {other:?}"))),
        };
        Ok((c.name, held))
    }

    pub fn view(&self) -> PyResult<Col<'_>> {
        fn valid<'b>(v: &'b Option<PyReadonlyArray1<'_, bool>>) -> PyResult<Option<&'b [bool]>> {
            match v {
                Some(v) => Ok(Some(v.as_slice().map_err(|_| PyValueError::new_err("mask not contiguous"))?)),
                None => Ok(None),
            }
        }
        let nc = |_| PyValueError::new_err("array not contiguous");
        Ok(match self {
            Held::Str(o, d, v) => {
                let data = d.as_slice().map_err(nc)?;
                Col::Str {
                    off: o.as_slice().map_err(nc)?,
                    data,
                    text: std::str::from_utf8(data).ok(),
                    valid: valid(v)?,
                }
            }
            Held::F64(v) => Col::F64(v.as_slice().map_err(nc)?),
            Held::I64(v, m, t) => {
                let v = v.as_slice().map_err(nc)?;
                match *t {
                    "i64" => Col::I64 { v, valid: valid(m)? },
                    "ts_utc" => Col::Ts { v, valid: valid(m)?, naive: false },
                    _ => Col::Ts { v, valid: valid(m)?, naive: true },
                }
            }
            Held::Bool(v, m) => Col::Bool { v: v.as_slice().map_err(nc)?, valid: valid(m)? },
        })
    }
}

/// A cell value.
pub enum Cell<'a> {
    Missing,
    Str(&'a str),
    F64(f64),
    I64(i64),
    Bool(bool),
    Ts { micros: i64, naive: bool },
}

impl<'a> Col<'a> {
    #[inline]
    pub fn get(&self, i: usize) -> Cell<'a> {
        let ok = |v: &Option<&[bool]>| v.is_none_or(|m| m[i]);
        match self {
            Col::Str { off, data, text, valid } => {
                if !ok(valid) {
                    return Cell::Missing;
                }
                let (a, b) = (off[i] as usize, off[i + 1] as usize);
                // a slice of valid UTF-8 is valid exactly when it starts and ends on a char boundary
                let s = match text {
                    Some(t) => t.get(a..b),
                    None => std::str::from_utf8(&data[a..b]).ok(),
                };
                s.map_or(Cell::Missing, Cell::Str)
            }
            Col::F64(v) => {
                if v[i].is_nan() {
                    Cell::Missing
                } else {
                    Cell::F64(v[i])
                }
            }
            Col::I64 { v, valid } => {
                if ok(valid) {
                    Cell::I64(v[i])
                } else {
                    Cell::Missing
                }
            }
            Col::Bool { v, valid } => {
                if ok(valid) {
                    Cell::Bool(v[i])
                } else {
                    Cell::Missing
                }
            }
            Col::Ts { v, valid, naive } => {
                if ok(valid) {
                    Cell::Ts { micros: v[i], naive: *naive }
                } else {
                    Cell::Missing
                }
            }
        }
    }
}
