//! A Python progress callback for the core's long calls: `callback(stage, done, total)`;
//! returning `False` stops the call, and an exception it raises (or a pending Ctrl-C) stops
//! the call and is raised once the call has returned.
use pyo3::prelude::*;
use yutang::progress::Progress;

pub struct PyProgress {
    callback: Option<Py<PyAny>>,
    error: Option<PyErr>,
}

impl PyProgress {
    pub fn new(callback: Option<Py<PyAny>>) -> Self {
        PyProgress { callback, error: None }
    }

    /// Tell the callback (taking the GIL back for the call); `false`: stop.
    pub fn call(&mut self, p: Progress) -> bool {
        let Some(cb) = &self.callback else { return true };
        Python::attach(|py| {
            let answer = py.check_signals().and_then(|_| cb.call1(py, (p.stage.as_str(), p.done, p.total)));
            match answer {
                Ok(v) => !v.bind(py).is(pyo3::types::PyBool::new(py, false).as_any()),
                Err(e) => {
                    self.error = Some(e);
                    false
                }
            }
        })
    }

    /// The exception the callback raised, if any.
    pub fn check(self) -> PyResult<()> {
        self.error.map_or(Ok(()), Err)
    }
}
