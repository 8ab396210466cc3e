//! The text syntax: a hand-written lexer and recursive-descent parser with line/column errors.
//! The grammar is in `docs/rules.md`.

use super::ast::*;
use super::limits::*;
use crate::error::{Error, Result};
use crate::model::{Channel, Currency, EventKind};

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Ident(&'a str),
    Str(String),
    /// The number's text (parsed where used).
    Num(&'a str),
    Dur(Duration),
    Sym(&'static str),
    Eof,
}

#[derive(Debug, Clone)]
struct Token<'a> {
    tok: Tok<'a>,
    line: usize,
    col: usize,
}

fn describe(t: &Tok<'_>) -> String {
    match t {
        Tok::Ident(s) => format!("`{}`", truncate(s, 30)),
        Tok::Str(s) => format!("string {:?}", truncate(s, 30)),
        Tok::Num(s) => format!("number {}", truncate(s, 30)),
        Tok::Dur(d) => format!("duration {d}"),
        Tok::Sym(s) => format!("`{s}`"),
        Tok::Eof => "end of input".to_string(),
    }
}

fn err(line: usize, column: usize, expected: impl Into<String>, found: impl Into<String>) -> Error {
    Error::Parse { line, column, expected: expected.into(), found: found.into() }
}

fn unit_of(s: &str) -> Option<Unit> {
    Some(match s {
        "min" => Unit::Minutes,
        "h" => Unit::Hours,
        "d" => Unit::Days,
        "w" => Unit::Weeks,
        _ => return None,
    })
}

fn lex(src: &str) -> Result<Vec<Token<'_>>> {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(src.len() / 3 + 1);
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    // advance over one (possibly multi-byte) character
    let step = |i: &mut usize, col: &mut usize| {
        let n = src[*i..].chars().next().map_or(1, char::len_utf8);
        *i += n;
        *col += 1;
    };
    while i < b.len() {
        let c = b[i];
        let (tl, tc) = (line, col);
        if c == b'\n' {
            i += 1;
            line += 1;
            col = 1;
            continue;
        }
        if c == b' ' || c == b'\t' || c == b'\r' {
            i += 1;
            col += 1;
            continue;
        }
        if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                step(&mut i, &mut col);
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            col += i - start;
            out.push(Token { tok: Tok::Ident(&src[start..i]), line: tl, col: tc });
            continue;
        }
        let digit_at = |k: usize| k < b.len() && b[k].is_ascii_digit();
        if c.is_ascii_digit() || (c == b'-' && digit_at(i + 1)) {
            let start = i;
            i += 1;
            while digit_at(i) {
                i += 1;
            }
            let mut frac = false;
            if i < b.len() && b[i] == b'.' && digit_at(i + 1) {
                frac = true;
                i += 1;
                while digit_at(i) {
                    i += 1;
                }
            }
            let num = &src[start..i];
            if i < b.len() && b[i].is_ascii_alphabetic() {
                let ustart = i;
                while i < b.len() && b[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                let unit = &src[ustart..i];
                col += i - start;
                let found = || format!("{num}{unit}");
                if frac || num.starts_with('-') {
                    return Err(err(tl, tc, "a duration of whole units (30d, 12h, 2w, 90min)", found()));
                }
                let value: Option<u32> = if num.len() <= 9 { num.parse().ok() } else { None };
                match (value, unit_of(unit)) {
                    (Some(value), Some(unit)) => {
                        out.push(Token { tok: Tok::Dur(Duration { value, unit }), line: tl, col: tc })
                    }
                    _ => {
                        return Err(err(
                            tl,
                            tc,
                            "a duration: a whole number (at most 9 digits) followed by min, h, d or w",
                            found(),
                        ))
                    }
                }
            } else {
                col += i - start;
                out.push(Token { tok: Tok::Num(num), line: tl, col: tc });
            }
            continue;
        }
        if c == b'"' {
            i += 1;
            col += 1;
            let mut s = String::new();
            loop {
                if i >= b.len() {
                    return Err(err(tl, tc, "a closing `\"`", "end of input"));
                }
                let ch = b[i];
                if ch == b'"' {
                    i += 1;
                    col += 1;
                    break;
                }
                if ch == b'\n' {
                    return Err(err(line, col, "a closing `\"` on the same line", "a line break"));
                }
                if ch == b'\\' {
                    let (el, ec) = (line, col);
                    i += 1;
                    col += 1;
                    let e = src[i.min(b.len())..].chars().next();
                    if e.is_some() {
                        step(&mut i, &mut col);
                    }
                    match e {
                        Some('"') => s.push('"'),
                        Some('\\') => s.push('\\'),
                        Some('n') => s.push('\n'),
                        Some('t') => s.push('\t'),
                        Some('u') => {
                            if b.get(i) != Some(&b'{') {
                                return Err(err(el, ec, "`\\u{hex}`", "`\\u` without `{`"));
                            }
                            i += 1;
                            col += 1;
                            let hs = i;
                            while i < b.len() && b[i].is_ascii_hexdigit() && i - hs < 6 {
                                i += 1;
                                col += 1;
                            }
                            let hex = &src[hs..i];
                            if b.get(i) != Some(&b'}') {
                                return Err(err(el, ec, "`\\u{hex}` with 1-6 hex digits", "an unterminated escape"));
                            }
                            i += 1;
                            col += 1;
                            match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                                Some(ch) => s.push(ch),
                                None => return Err(err(el, ec, "a valid unicode scalar", format!("\\u{{{hex}}}"))),
                            }
                        }
                        other => {
                            return Err(err(
                                el,
                                ec,
                                "an escape: \\\" \\\\ \\n \\t or \\u{hex}",
                                other.map_or("end of input".to_string(), |c| format!("\\{c}")),
                            ))
                        }
                    }
                    continue;
                }
                let start = i;
                step(&mut i, &mut col);
                s.push_str(&src[start..i]);
            }
            out.push(Token { tok: Tok::Str(s), line: tl, col: tc });
            continue;
        }
        let next = b.get(i + 1).copied();
        let sym: Option<(&'static str, usize)> = match (c, next) {
            (b'=', Some(b'=')) => Some(("==", 2)),
            (b'!', Some(b'=')) => Some(("!=", 2)),
            (b'<', Some(b'=')) => Some(("<=", 2)),
            (b'>', Some(b'=')) => Some((">=", 2)),
            (b'<', _) => Some(("<", 1)),
            (b'>', _) => Some((">", 1)),
            (b'(', _) => Some(("(", 1)),
            (b')', _) => Some((")", 1)),
            (b'[', _) => Some(("[", 1)),
            (b']', _) => Some(("]", 1)),
            (b',', _) => Some((",", 1)),
            (b':', _) => Some((":", 1)),
            _ => None,
        };
        match sym {
            Some((s, n)) => {
                out.push(Token { tok: Tok::Sym(s), line: tl, col: tc });
                i += n;
                col += n;
            }
            None => {
                let ch = src[i..].chars().next().unwrap_or('?');
                if ch.is_whitespace() {
                    step(&mut i, &mut col);
                    continue;
                }
                return Err(err(tl, tc, "a condition, name, string, number or operator", format!("`{ch}`")));
            }
        }
    }
    out.push(Token { tok: Tok::Eof, line, col });
    Ok(out)
}

/// Parse rule text into its tree.
///
/// ```
/// use yutang::rules::{parse, to_text};
/// let r = parse(r#"orders(30d) >= 2 and not did(coupon_redeemed, 14d)"#)?;
/// assert_eq!(to_text(&r), r#"count(order, 30d) >= 2 and not did(coupon_redeemed, 14d)"#);
/// # Ok::<(), yutang::Error>(())
/// ```
///
/// # Errors
/// [`Error::Parse`] with line, column and what was expected; [`Error::LimitExceeded`] for a
/// text, depth or size over the limits; then what [`Rule::validate`] finds.
pub fn parse(text: &str) -> Result<Rule> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(Error::limit("rule text bytes", MAX_TEXT_BYTES, text.len()));
    }
    let toks = lex(text)?;
    let mut p = Parser { toks, pos: 0, depth: 0 };
    let root = p.or()?;
    let t = p.peek();
    if t.tok != Tok::Eof {
        return Err(err(t.line, t.col, "`and`, `or` or the end of the rule", describe(&t.tok)));
    }
    let rule = Rule::new(root);
    rule.validate()?;
    Ok(rule)
}

struct Parser<'a> {
    toks: Vec<Token<'a>>,
    pos: usize,
    depth: usize,
}

const CONDITION: &str =
    "a condition (did, sequence, segment, missing, count, orders, spend, since_last, stage, tag, attr, not, `(` …)";

impl<'a> Parser<'a> {
    fn peek(&self) -> &Token<'a> {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> Token<'a> {
        if self.pos < self.toks.len() - 1 {
            // each token is taken once (no backtracking)
            let (line, col) = (self.toks[self.pos].line, self.toks[self.pos].col);
            let t = std::mem::replace(&mut self.toks[self.pos], Token { tok: Tok::Eof, line, col });
            self.pos += 1;
            t
        } else {
            self.peek().clone()
        }
    }

    fn is_sym(&self, s: &str) -> bool {
        matches!(&self.peek().tok, Tok::Sym(x) if *x == s)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(x) if *x == w)
    }

    fn expect_sym(&mut self, s: &'static str) -> Result<()> {
        let t = self.next();
        match &t.tok {
            Tok::Sym(x) if *x == s => Ok(()),
            other => Err(err(t.line, t.col, format!("`{s}`"), describe(other))),
        }
    }

    fn expect_word(&mut self, w: &str) -> Result<()> {
        let t = self.next();
        match &t.tok {
            Tok::Ident(x) if *x == w => Ok(()),
            other => Err(err(t.line, t.col, format!("`{w}`"), describe(other))),
        }
    }

    fn string(&mut self, what: &str) -> Result<String> {
        let t = self.next();
        match t.tok {
            Tok::Str(s) => Ok(s),
            other => Err(err(t.line, t.col, what, describe(&other))),
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let t = self.peek().clone();
            return Err(Error::limit(format!("rule depth (line {}, column {})", t.line, t.col), MAX_DEPTH, self.depth));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Node> {
        self.enter()?;
        let first = self.and()?;
        let mut args = vec![first];
        while self.is_word("or") {
            self.next();
            args.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if args.len() == 1 { args.pop().unwrap_or(Node::Const { value: false }) } else { Node::Or { args } })
    }

    fn and(&mut self) -> Result<Node> {
        self.enter()?;
        let first = self.unary()?;
        let mut args = vec![first];
        while self.is_word("and") {
            self.next();
            args.push(self.unary()?);
        }
        self.depth -= 1;
        Ok(if args.len() == 1 { args.pop().unwrap_or(Node::Const { value: true }) } else { Node::And { args } })
    }

    fn unary(&mut self) -> Result<Node> {
        if self.is_word("not") {
            self.next();
            self.enter()?;
            let n = self.unary()?;
            self.depth -= 1;
            return Ok(Node::not(n));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Node> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Sym("(") => {
                self.next();
                let n = self.or()?;
                self.expect_sym(")")?;
                Ok(n)
            }
            Tok::Ident(w) => match *w {
                "true" | "false" => {
                    self.next();
                    Ok(Node::Const { value: *w == "true" })
                }
                "all" | "any" => {
                    self.next();
                    self.expect_sym("(")?;
                    let mut args = Vec::new();
                    if !self.is_sym(")") {
                        loop {
                            args.push(self.or()?);
                            if self.is_sym(",") {
                                self.next();
                            } else {
                                break;
                            }
                        }
                    }
                    self.expect_sym(")")?;
                    Ok(if *w == "all" { Node::And { args } } else { Node::Or { args } })
                }
                "did" => {
                    self.next();
                    self.expect_sym("(")?;
                    let kind = self.kind_sel()?;
                    let (events, window) = self.args(kind, true, ")")?;
                    self.expect_sym(")")?;
                    Ok(Node::Did { events, window })
                }
                "channel_seen" => {
                    self.next();
                    self.expect_sym("(")?;
                    let ch = self.channel()?;
                    let mut window = Window::All;
                    if self.is_sym(",") {
                        self.next();
                        window = self.window()?;
                    }
                    self.expect_sym(")")?;
                    Ok(Node::Did { events: EventFilter { channels: vec![ch], ..Default::default() }, window })
                }
                "sequence" => self.sequence(),
                "segment" => {
                    self.next();
                    self.expect_sym("(")?;
                    let name = self.string("a segment name (a string)")?;
                    self.expect_sym(")")?;
                    Ok(Node::Segment { name })
                }
                "missing" => {
                    self.next();
                    self.expect_sym("(")?;
                    let operand = self.operand()?;
                    self.expect_sym(")")?;
                    Ok(Node::Missing { operand })
                }
                _ if is_operand_word(w) => {
                    let left = self.operand()?;
                    let ct = self.next();
                    let cmp = match &ct.tok {
                        Tok::Sym(s) => sym_cmp(s),
                        Tok::Ident(s) if *s == "in" => Some(Cmp::In),
                        _ => None,
                    }
                    .ok_or_else(|| err(ct.line, ct.col, "a comparison (== != < <= > >= in)", describe(&ct.tok)))?;
                    let lt = self.peek().clone();
                    let right = if cmp == Cmp::In { self.list()? } else { self.literal()? };
                    let cur = match &left {
                        Operand::Aggregate { events, .. } => events.currency,
                        _ => None,
                    };
                    at(&lt, super::check::check_literal(super::check::operand_type(&left), cmp, &right, cur))?;
                    Ok(Node::Compare { left, cmp, right })
                }
                _ => Err(err(t.line, t.col, CONDITION, describe(&t.tok))),
            },
            _ => Err(err(t.line, t.col, CONDITION, describe(&t.tok))),
        }
    }

    fn sequence(&mut self) -> Result<Node> {
        self.next();
        self.expect_sym("(")?;
        let mut steps = vec![self.step()?];
        while self.is_word("then") {
            self.next();
            steps.push(self.step()?);
        }
        if steps.len() < 2 {
            let t = self.peek().clone();
            return Err(err(t.line, t.col, "`then` and a further step", describe(&t.tok)));
        }
        self.expect_word("within")?;
        let t = self.next();
        let within = match t.tok {
            Tok::Dur(d) => d,
            other => return Err(err(t.line, t.col, "a duration (e.g. 2d)", describe(&other))),
        };
        let mut window = Window::All;
        if self.is_sym(",") {
            self.next();
            window = self.window()?;
        }
        self.expect_sym(")")?;
        Ok(Node::Sequence { steps, within, window })
    }

    fn step(&mut self) -> Result<EventFilter> {
        let kind = self.kind_sel()?;
        if self.is_sym("[") {
            self.next();
            let (f, _) = self.args_list(kind, false, "]")?;
            self.expect_sym("]")?;
            return Ok(f);
        }
        Ok(EventFilter { kind, ..Default::default() })
    }

    fn kind_sel(&mut self) -> Result<Option<EventKind>> {
        let t = self.next();
        match &t.tok {
            Tok::Ident(w) if *w == "any" => Ok(None),
            Tok::Ident(_) | Tok::Str(_) => EventKind::parse(match &t.tok {
                Tok::Ident(w) => w,
                Tok::Str(w) => w.as_ref(),
                _ => "",
            })
            .map(Some)
            .map_err(|_| {
                err(
                    t.line,
                    t.col,
                    "an event kind (order, view, coupon_redeemed, \"custom:<name>\" …) or any",
                    describe(&t.tok),
                )
            }),
            other => Err(err(t.line, t.col, "an event kind (order, view, …) or any", describe(other))),
        }
    }

    fn channel(&mut self) -> Result<Channel> {
        let t = self.next();
        match &t.tok {
            Tok::Str(s) => Channel::parse(s).map_err(|_| {
                err(t.line, t.col, "a channel (\"douyin\", \"wecom\", \"custom:<name>\" …)", describe(&t.tok))
            }),
            other => Err(err(t.line, t.col, "a channel as a string (\"douyin\")", describe(other))),
        }
    }

    fn window(&mut self) -> Result<Window> {
        let t = self.next();
        match &t.tok {
            Tok::Dur(d) => {
                let w = Window::Last(*d);
                at(&t, super::check::check_window(&w))?;
                Ok(w)
            }
            Tok::Ident(w) if *w == "between" => {
                self.expect_sym("(")?;
                let from = self.string("a start time (a string such as \"2024-05-01\")")?;
                self.expect_sym(",")?;
                let to = self.string("an end time (a string such as \"2024-06-01\")")?;
                self.expect_sym(")")?;
                let w = Window::Between { from, to };
                at(&t, super::check::check_window(&w))?;
                Ok(w)
            }
            other => {
                Err(err(t.line, t.col, "a window (30d, 12h, between(\"2024-05-01\", \"2024-06-01\"))", describe(other)))
            }
        }
    }

    /// `, arg, arg …` after the kind (for `did`, `count` …).
    fn args(&mut self, kind: Option<EventKind>, windowed: bool, close: &str) -> Result<(EventFilter, Window)> {
        if self.is_sym(",") {
            self.next();
            self.args_list(kind, windowed, close)
        } else {
            Ok((EventFilter { kind, ..Default::default() }, Window::All))
        }
    }

    /// `arg, arg …` up to `close` (not consumed).
    fn args_list(&mut self, kind: Option<EventKind>, windowed: bool, close: &str) -> Result<(EventFilter, Window)> {
        let mut f = EventFilter { kind, ..Default::default() };
        let mut window: Option<Window> = None;
        let mut seen_channel = false;
        if self.is_sym(close) {
            return Ok((f, Window::All));
        }
        loop {
            let t = self.peek().clone();
            match &t.tok {
                Tok::Dur(_) | Tok::Ident(_)
                    if windowed && (matches!(t.tok, Tok::Dur(_)) || self.is_word("between")) =>
                {
                    if window.is_some() {
                        return Err(err(t.line, t.col, "one window only", describe(&t.tok)));
                    }
                    window = Some(self.window()?);
                }
                Tok::Ident(w) if *w == "channel" => {
                    self.next();
                    self.expect_sym(":")?;
                    if seen_channel {
                        return Err(err(t.line, t.col, "`channel:` once", "a second `channel:`"));
                    }
                    seen_channel = true;
                    if self.is_sym("[") {
                        self.next();
                        loop {
                            f.channels.push(self.channel()?);
                            if self.is_sym(",") {
                                self.next();
                            } else {
                                break;
                            }
                        }
                        self.expect_sym("]")?;
                    } else {
                        f.channels.push(self.channel()?);
                    }
                }
                Tok::Ident(w) if *w == "currency" => {
                    self.next();
                    self.expect_sym(":")?;
                    if f.currency.is_some() {
                        return Err(err(t.line, t.col, "`currency:` once", "a second `currency:`"));
                    }
                    let ct = self.peek().clone();
                    let s = self.string("a currency code as a string (\"CNY\")")?;
                    f.currency = Some(
                        Currency::parse(&s)
                            .map_err(|_| err(ct.line, ct.col, "an ISO-4217 currency code", describe(&ct.tok)))?,
                    );
                }
                Tok::Ident(w) if matches!(*w, "amount" | "group_id" | "order_id" | "prop") => {
                    self.next();
                    let field = match *w {
                        "amount" => Field::Amount,
                        "group_id" => Field::GroupId,
                        "order_id" => Field::OrderId,
                        _ => {
                            self.expect_sym("(")?;
                            let k = self.string("a property key (a string)")?;
                            self.expect_sym(")")?;
                            Field::Prop(k)
                        }
                    };
                    let ct = self.next();
                    let cmp = match &ct.tok {
                        Tok::Sym(s) => sym_cmp(s),
                        Tok::Ident(s) if *s == "in" => Some(Cmp::In),
                        _ => None,
                    }
                    .ok_or_else(|| err(ct.line, ct.col, "a comparison (== != < <= > >= in)", describe(&ct.tok)))?;
                    let lt = self.peek().clone();
                    let value = if cmp == Cmp::In { self.list()? } else { self.literal()? };
                    let ty = match field {
                        Field::Amount => super::check::Ty::Money,
                        Field::GroupId | Field::OrderId => super::check::Ty::Text,
                        Field::Prop(_) => super::check::Ty::Dynamic,
                    };
                    at(&lt, super::check::check_literal(ty, cmp, &value, f.currency))?;
                    f.conditions.push(FieldCond { field, cmp, value });
                }
                other => {
                    let what = if windowed {
                        "a window (30d, between(…)), channel:, currency:, amount, group_id, order_id or prop(\"key\")"
                    } else {
                        "channel:, currency:, amount, group_id, order_id or prop(\"key\")"
                    };
                    return Err(err(t.line, t.col, what, describe(other)));
                }
            }
            if self.is_sym(",") {
                self.next();
            } else {
                break;
            }
        }
        Ok((f, window.unwrap_or_default()))
    }

    fn operand(&mut self) -> Result<Operand> {
        let t = self.next();
        let Tok::Ident(w) = &t.tok else {
            return Err(err(
                t.line,
                t.col,
                "a value (count, orders, spend, since_last, stage, tier, tag, attr …)",
                describe(&t.tok),
            ));
        };
        let agg = match *w {
            "count" => Some(AggFn::Count),
            "sum" => Some(AggFn::Sum),
            "avg" => Some(AggFn::Avg),
            "min" => Some(AggFn::Min),
            "max" => Some(AggFn::Max),
            _ => None,
        };
        if let Some(agg) = agg {
            self.expect_sym("(")?;
            let kind = self.kind_sel()?;
            let (events, window) = self.args(kind, true, ")")?;
            self.expect_sym(")")?;
            return Ok(Operand::Aggregate { agg, events, window });
        }
        match *w {
            "orders" | "spend" => {
                self.expect_sym("(")?;
                let (agg, kind) =
                    if *w == "orders" { (AggFn::Count, Some(EventKind::Order)) } else { (AggFn::Spend, None) };
                let (events, window) = self.args_list(kind, true, ")")?;
                self.expect_sym(")")?;
                Ok(Operand::Aggregate { agg, events, window })
            }
            "since_first" | "since_last" => {
                self.expect_sym("(")?;
                let kind = self.kind_sel()?;
                let (events, _) = self.args(kind, false, ")")?;
                self.expect_sym(")")?;
                Ok(Operand::Since { which: if *w == "since_first" { Which::First } else { Which::Last }, events })
            }
            "stage" => Ok(Operand::Stage),
            "tier" => Ok(Operand::Tier),
            "tag" => {
                self.expect_sym("(")?;
                let group = self.string("a tag group name (a string)")?;
                self.expect_sym(")")?;
                Ok(Operand::Tag { group })
            }
            "attr" => {
                self.expect_sym("(")?;
                let name = self.string("an attribute name (a string)")?;
                self.expect_sym(")")?;
                Ok(Operand::Attr { name })
            }
            _ => Err(err(
                t.line,
                t.col,
                "a value (count, orders, spend, since_last, stage, tier, tag, attr …)",
                describe(&t.tok),
            )),
        }
    }

    fn list(&mut self) -> Result<Value> {
        self.expect_sym("[")?;
        let mut items = Vec::new();
        loop {
            items.push(self.literal()?);
            if items.len() > MAX_LIST {
                return Err(Error::limit("rule list items", MAX_LIST, items.len()));
            }
            if self.is_sym(",") {
                self.next();
            } else {
                break;
            }
        }
        self.expect_sym("]")?;
        Ok(Value::List(items))
    }

    fn literal(&mut self) -> Result<Value> {
        let t = self.next();
        match &t.tok {
            Tok::Str(s) => Ok(Value::Text(s.clone())),
            Tok::Dur(d) => Ok(Value::Duration(DurationLit { duration: *d })),
            Tok::Ident(w) if *w == "true" || *w == "false" => Ok(Value::Bool(*w == "true")),
            Tok::Num(n) => {
                let x: f64 = n.parse().map_err(|_| err(t.line, t.col, "a number", describe(&t.tok)))?;
                if !x.is_finite() || x.abs() > MAX_NUMBER {
                    return Err(err(t.line, t.col, "a number within ±1e15", describe(&t.tok)));
                }
                // an amount with its currency: `500.00 CNY`
                let is_currency = matches!(&self.peek().tok, Tok::Ident(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()));
                if is_currency {
                    let ct = self.next();
                    let code = match &ct.tok {
                        Tok::Ident(c) => c,
                        _ => "",
                    };
                    let currency = Currency::parse(code)
                        .map_err(|_| err(ct.line, ct.col, "an ISO-4217 currency code", describe(&ct.tok)))?;
                    return Ok(Value::Money(MoneyLit { amount: x, currency }));
                }
                Ok(Value::Number(x))
            }
            other => Err(err(
                t.line,
                t.col,
                "a literal (a number, \"string\", true, false or a duration such as 30d)",
                describe(other),
            )),
        }
    }
}

fn sym_cmp(s: &str) -> Option<Cmp> {
    Some(match s {
        "==" => Cmp::Eq,
        "!=" => Cmp::Ne,
        "<" => Cmp::Lt,
        "<=" => Cmp::Le,
        ">" => Cmp::Gt,
        ">=" => Cmp::Ge,
        _ => return None,
    })
}

fn is_operand_word(w: &str) -> bool {
    matches!(
        w,
        "count"
            | "sum"
            | "avg"
            | "min"
            | "max"
            | "orders"
            | "spend"
            | "since_first"
            | "since_last"
            | "stage"
            | "tier"
            | "tag"
            | "attr"
    )
}

/// Turn a type / limit error about a literal into a parse error at its position.
fn at(t: &Token<'_>, r: Result<()>) -> Result<()> {
    r.map_err(|e| match e {
        Error::InvalidField { reason, value, .. } => err(t.line, t.col, reason, value),
        other => other,
    })
}
