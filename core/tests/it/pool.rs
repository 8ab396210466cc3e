//! Pool integration tests.
