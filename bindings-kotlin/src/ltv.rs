//! Kotlin/Swift bindings for `yutang::ltv`.
