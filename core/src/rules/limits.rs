//! The limits of the condition language. Exceeding one is a typed error naming the path.

/// Longest rule text (bytes).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Deepest nesting of conditions (`and` / `or` / `not` / parentheses).
pub const MAX_DEPTH: usize = 32;
/// Most nodes (conditions, operands and literals) in one rule.
pub const MAX_NODES: usize = 2_000;
/// Longest window, `within` or duration literal (days).
pub const MAX_WINDOW_DAYS: i64 = 3_660;
/// Longest name (segment, tag group, tag value, attribute, property key; bytes).
pub const MAX_NAME_BYTES: usize = 64;
/// Longest string literal (bytes).
pub const MAX_STRING_BYTES: usize = 256;
/// Most items in an `in [...]` list or a channel list.
pub const MAX_LIST: usize = 256;
/// Most steps in a sequence.
pub const MAX_STEPS: usize = 16;
/// Largest absolute number literal.
pub const MAX_NUMBER: f64 = 1e15;
/// Most segment / tag-group references followed through while compiling (nesting).
pub const MAX_REFERENCE_DEPTH: usize = 16;
