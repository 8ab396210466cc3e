//! Conversions between Python values and core types.
