//! Kotlin/Swift bindings for `yutang::attribution`.
