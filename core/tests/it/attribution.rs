//! Integration tests of `yutang::attribution`: hand-solved chains, published peer numbers,
//! and the law that every model hands out exactly the observed totals.

use proptest::prelude::*;
use yutang::attribution::{
    heuristic_models, markov_model, paths_from_touchpoints, shapley_model, HeuristicOptions, MarkovOptions,
    PathOptions, Paths, PathsBuilder, ShapleyOptions, ShapleyWorth,
};

fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= tol * w.abs().max(1.0), "{got:?} vs {want:?}");
    }
}

/// Four paths over a, b, c, solved by hand (see docs/attribution.md, "A chain solved by hand").
///
/// start → a 2/5, b 3/5; a → b 1/3, c 1/3, conv 1/3; b → c 3/4, a 1/4; c → conv 1/2, null 1/2.
/// P = 3/5. Without a: 9/40 (RE 5/8); without b: 1/5 (RE 2/3); without c: 1/5 (RE 2/3).
/// Value: E = 36/5; without a 27/8 (RE 17/32), without b 9/5 (RE 3/4), without c 6/5 (RE 5/6).
fn hand_solved() -> Paths {
    Paths::parse(
        &["a > b > c", "b > c", "a > c", "b > a"],
        &[1.0, 1.0, 0.0, 1.0],
        Some(&[10.0, 20.0, 0.0, 6.0]),
        Some(&[0.0, 1.0, 1.0, 0.0]),
        ">",
    )
    .unwrap()
}

#[test]
fn markov_three_channels_matches_hand_solution_exactly() {
    for dense_limit in [300, 0] {
        let m = markov_model(&hand_solved(), &MarkovOptions::new().dense_limit(dense_limit)).unwrap();
        assert_eq!(m.channels, ["a", "b", "c"]);
        assert_close(&[m.conversion_probability], &[3.0 / 5.0], 1e-15);
        assert_close(&[m.expected_value], &[36.0 / 5.0], 1e-15);
        assert_close(&m.removal_effects, &[5.0 / 8.0, 2.0 / 3.0, 2.0 / 3.0], 1e-15);
        assert_close(&m.conversions, &[45.0 / 47.0, 48.0 / 47.0, 48.0 / 47.0], 1e-15);
        assert_close(&m.removal_effects_value, &[17.0 / 32.0, 3.0 / 4.0, 5.0 / 6.0], 1e-15);
        assert_close(&m.value, &[51.0 / 203.0 * 36.0, 72.0 / 203.0 * 36.0, 80.0 / 203.0 * 36.0], 1e-14);
        // The transition matrix, by name.
        let t: Vec<(String, String, f64)> =
            m.transitions.iter().map(|t| (m.state_name(t.from, ">"), m.state_name(t.to, ">"), t.probability)).collect();
        let want = [
            ("(start)", "a", 2.0 / 5.0),
            ("(start)", "b", 3.0 / 5.0),
            ("a", "b", 1.0 / 3.0),
            ("a", "c", 1.0 / 3.0),
            ("a", "(conversion)", 1.0 / 3.0),
            ("b", "a", 1.0 / 4.0),
            ("b", "c", 3.0 / 4.0),
            ("c", "(conversion)", 1.0 / 2.0),
            ("c", "(null)", 1.0 / 2.0),
        ];
        assert_eq!(t.len(), want.len(), "{t:?}");
        for ((f, to, p), (wf, wt, wp)) in t.iter().zip(want) {
            assert_eq!((f.as_str(), to.as_str()), (wf, wt));
            assert!((p - wp).abs() < 1e-15);
        }
    }
}

/// The numbers ChannelAttribution 2.2.5 (PyPI) printed for these four rows with
/// `heuristic_models(Data, "path", "conv", var_value="val")`.
#[test]
fn test_heuristics_match_channelattribution_2_2_5() {
    let p = Paths::parse(
        &["a > b > c", "b > a", "c", "a > a > b"],
        &[1.0, 2.0, 0.0, 1.0],
        Some(&[10.0, 5.0, 0.0, 3.0]),
        None,
        ">",
    )
    .unwrap();
    let h = heuristic_models(&p, &HeuristicOptions::new()).unwrap();
    assert_eq!(h.first_touch.conversions, [2.0, 2.0, 0.0]);
    assert_eq!(h.last_touch.conversions, [2.0, 1.0, 1.0]);
    assert_close(&h.linear.conversions, &[2.0, 1.666_666_666_666_666_7, 0.333_333_333_333_333_3], 1e-15);
    assert_close(&h.linear.value, &[7.833_333_333_333_333, 6.833_333_333_333_333, 3.333_333_333_333_333_5], 1e-15);
}

#[test]
fn markov_orders_two_to_four_keep_totals_and_are_deterministic() {
    let p = hand_solved();
    for order in 1..=4 {
        let a = markov_model(&p, &MarkovOptions::new().order(order)).unwrap();
        let b = markov_model(&p, &MarkovOptions::new().order(order)).unwrap();
        assert_eq!(a, b);
        assert_close(&[a.conversions.iter().sum()], &[3.0], 1e-14);
    }
}

#[test]
fn touchpoints_feed_every_model() {
    const DAY: i64 = 86_400_000_000;
    let t = paths_from_touchpoints(
        &[1u32, 1, 1, 2, 2, 3],
        &[0, DAY, 2 * DAY, 0, 3 * DAY, 0],
        &["douyin", "wechat", "", "wechat", "", "sms"],
        &[false, false, true, false, true, false],
        &[0.0, 0.0, 100.0, 0.0, 50.0, 0.0],
        &PathOptions::new(),
    )
    .unwrap();
    assert_eq!(t.paths.len(), 3);
    let h = heuristic_models(&t.paths, &HeuristicOptions::new().half_life(1.0)).unwrap();
    // customer 1: douyin 2 days, wechat 1 day before: weights 1/4 and 1/2.
    assert_close(&h.time_decay.conversions, &[1.0 / 3.0, 5.0 / 3.0, 0.0], 1e-15);
    let m = markov_model(&t.paths, &MarkovOptions::new()).unwrap();
    assert_close(&[m.value.iter().sum()], &[150.0], 1e-13);
}

#[test]
fn bad_rows_are_typed_errors_naming_the_row() {
    let cases: [(&[&str], &[f64], &str); 3] = [
        (&["a > b", "a >> b"], &[1.0, 1.0], "paths[1][1]"),
        (&["a", ""], &[1.0, 1.0], "paths[1]"),
        (&["a", "b", "c"], &[1.0, 1.0, -1.0], "conversions[2]"),
    ];
    for (rows, conv, field) in cases {
        let e = Paths::parse(rows, conv, None, None, ">").unwrap_err();
        assert!(matches!(e, yutang::Error::InvalidField { .. }));
        assert_eq!(e.field(), Some(field));
    }
    let e = Paths::parse(&["a"], &[1.0], Some(&[f64::NAN]), None, ">").unwrap_err();
    assert_eq!(e.field(), Some("values[0]"));
    let e = Paths::parse(&["a"], &[1.0], None, None, "->").unwrap_err();
    assert_eq!(e.field(), Some("sep"));
    let mut b = PathsBuilder::new();
    b.push(&["a"], 1.0, 0.0, 0.0).unwrap();
    let e = b.push(&["a", ""], 1.0, 0.0, 0.0).unwrap_err();
    assert_eq!(e.field(), Some("paths[1][1]"));
}

#[test]
fn empty_input_gives_empty_results() {
    let empty: [&str; 0] = [];
    let p = Paths::parse(&empty, &[], None, None, ">").unwrap();
    assert!(p.is_empty());
    assert!(heuristic_models(&p, &HeuristicOptions::new()).unwrap().channels.is_empty());
    for order in 1..=4 {
        let m = markov_model(&p, &MarkovOptions::new().order(order)).unwrap();
        assert!(m.conversions.is_empty());
        assert_eq!(m.conversion_probability, 0.0);
    }
    for worth in [ShapleyWorth::Conversions, ShapleyWorth::ConversionRate] {
        assert!(shapley_model(&p, &ShapleyOptions::new().worth(worth)).unwrap().conversions.is_empty());
    }
    let t = paths_from_touchpoints::<u64, &str>(&[], &[], &[], &[], &[], &PathOptions::new()).unwrap();
    assert!(t.paths.is_empty());
}

#[test]
fn shapley_rate_game_beyond_exact_limit_is_sampled() {
    let rows: Vec<String> = (0..40).map(|i| format!("c{} > c{}", i % 20, (i * 7) % 20)).collect();
    let conv: Vec<f64> = (0..40).map(|i| (i % 3) as f64).collect();
    let nulls: Vec<f64> = (0..40).map(|i| (i % 4) as f64).collect();
    let p = Paths::parse(&rows, &conv, None, Some(&nulls), ">").unwrap();
    let o = ShapleyOptions::new().worth(ShapleyWorth::ConversionRate).samples(500);
    let s = shapley_model(&p, &o).unwrap();
    assert!(!s.exact);
    assert_close(&[s.conversions.iter().sum()], &[p.total_conversions()], 1e-12);
}

#[derive(Debug, Clone)]
struct Row {
    path: Vec<u8>,
    conv: u8,
    value: f64,
    nulls: u8,
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    let row = (prop::collection::vec(0u8..6, 1..7), 0u8..4, 0.0f64..500.0, 0u8..4)
        .prop_map(|(path, conv, value, nulls)| Row { path, conv, value: if conv == 0 { 0.0 } else { value }, nulls });
    prop::collection::vec(row, 1..40)
}

fn to_paths(rows: &[Row]) -> Paths {
    let names = ["douyin", "taobao", "wechat", "app", "sms", "staff"];
    let mut b = PathsBuilder::new();
    for r in rows {
        let p: Vec<&str> = r.path.iter().map(|&c| names[c as usize]).collect();
        b.push(&p, r.conv as f64, r.value, r.nulls as f64).unwrap();
    }
    b.build()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every model hands out exactly the observed conversions and value.
    #[test]
    fn prop_attributed_totals_equal_observed_totals(rows in rows()) {
        let p = to_paths(&rows);
        let (tc, tv) = (p.total_conversions(), p.total_value());
        let close = |xs: &[f64], t: f64| (xs.iter().sum::<f64>() - t).abs() <= 1e-9 * t.max(1.0);
        let h = heuristic_models(&p, &HeuristicOptions::new()).unwrap();
        for c in [&h.first_touch, &h.last_touch, &h.last_non_direct, &h.linear, &h.time_decay, &h.position_based] {
            prop_assert!(close(&c.conversions, tc));
            prop_assert!(close(&c.value, tv));
        }
        for order in 1..=4 {
            let m = markov_model(&p, &MarkovOptions::new().order(order)).unwrap();
            prop_assert!(close(&m.conversions, tc), "order {} {:?}", order, m.conversions);
            prop_assert!(close(&m.value, tv));
            prop_assert!(m.removal_effects.iter().all(|r| (0.0..=1.0).contains(r)));
        }
        for worth in [ShapleyWorth::Conversions, ShapleyWorth::ConversionRate] {
            let s = shapley_model(&p, &ShapleyOptions::new().worth(worth)).unwrap();
            prop_assert!(close(&s.conversions, tc));
            prop_assert!(close(&s.value, tv));
        }
    }

    /// Parsing the printed paths gives back the same paths.
    #[test]
    fn prop_parse_roundtrips_builder(rows in rows()) {
        let p = to_paths(&rows);
        let strings: Vec<String> = (0..p.len())
            .map(|i| p.path(i).iter().map(|&c| p.channels()[c as usize].as_str()).collect::<Vec<_>>().join(" > "))
            .collect();
        let q = Paths::parse(&strings, p.conversions(), Some(p.values()), Some(p.nulls()), ">").unwrap();
        prop_assert_eq!(p, q);
    }

    /// The fast byte-level parser agrees with a plain `split` + `trim` reference, Unicode
    /// whitespace and non-ASCII names included.
    #[test]
    fn prop_parse_matches_split_and_trim(rows in prop::collection::vec(
        prop::collection::vec(prop::sample::select(vec!['a', 'b', ' ', '\t', '\u{3000}', '>', 'é', '微']), 0..12)
            .prop_map(|cs| cs.into_iter().collect::<String>()),
        1..8,
    )) {
        let conv = vec![1.0; rows.len()];
        let got = Paths::parse(&rows, &conv, None, None, ">");
        let mut b = PathsBuilder::new();
        let mut want = Ok(());
        for r in &rows {
            let parts: Vec<&str> = r.split('>').map(str::trim).collect();
            if let Err(e) = b.push(&parts, 1.0, 0.0, 0.0) {
                want = Err(e);
                break;
            }
        }
        match (got, want) {
            (Ok(p), Ok(())) => prop_assert_eq!(p, b.build()),
            (Err(e), Err(_)) => prop_assert!(e.field().is_some_and(|f| f.starts_with("paths["))),
            (g, w) => prop_assert!(false, "parse {:?} vs reference {:?}", g, w),
        }
    }

    /// Gauss–Seidel and dense LU agree to machine precision.
    #[test]
    fn prop_markov_solvers_agree(rows in rows(), order in 1usize..=3) {
        let p = to_paths(&rows);
        let d = markov_model(&p, &MarkovOptions::new().order(order)).unwrap();
        let g = markov_model(&p, &MarkovOptions::new().order(order).dense_limit(0)).unwrap();
        for (x, y) in d.removal_effects.iter().zip(&g.removal_effects) {
            prop_assert!((x - y).abs() < 1e-12);
        }
    }
}

// ---- huge and many inputs ------------------------------------------------------------------

fn overflow_field(e: &yutang::Error) -> Option<&str> {
    match e {
        yutang::Error::InvalidField { field, reason, .. } if reason.contains("overflow") => Some(field),
        _ => None,
    }
}

/// Every model on `p`: the first error of each, or `None` when it succeeds.
fn every_model(p: &Paths) -> Vec<(String, Option<yutang::Error>)> {
    let mut out = vec![("heuristics".to_string(), heuristic_models(p, &HeuristicOptions::new()).err())];
    for order in 1..=4 {
        for dense_limit in [300, 0] {
            let o = MarkovOptions::new().order(order).dense_limit(dense_limit);
            out.push((format!("markov order {order} dense_limit {dense_limit}"), markov_model(p, &o).err()));
        }
    }
    for (worth, exact_limit) in
        [(ShapleyWorth::Conversions, 16), (ShapleyWorth::ConversionRate, 16), (ShapleyWorth::ConversionRate, 0)]
    {
        let o = ShapleyOptions::new().worth(worth).exact_limit(exact_limit).samples(50);
        out.push((format!("shapley {worth:?} exact_limit {exact_limit}"), shapley_model(p, &o).err()));
    }
    out
}

#[test]
fn totals_that_overflow_f64_are_typed_errors_from_every_model() {
    let big = 1e308;
    type Case<'a> = (&'a [f64], &'a [f64], &'a [f64], &'a str); // conversions, values, nulls, field
    let cases: [Case; 4] = [
        (&[big, big], &[0.0, 0.0], &[0.0, 0.0], "conversions"),
        (&[1.0, 1.0], &[big, big], &[0.0, 0.0], "values"),
        (&[1.0, 1.0], &[0.0, 0.0], &[big, big], "nulls"),
        (&[big, 0.0], &[0.0, 0.0], &[0.0, big], "conversions + nulls"),
    ];
    for (conv, values, nulls, field) in cases {
        let p = Paths::parse(&["a > b", "b > c"], conv, Some(values), Some(nulls), ">").unwrap();
        for (model, err) in every_model(&p) {
            let e = err.unwrap_or_else(|| panic!("{model}: no error for overflowing {field}"));
            assert_eq!(overflow_field(&e), Some(field), "{model}: {e:?}");
            assert!(e.to_string().contains("overflows f64"), "{model}: {e}");
        }
    }
}

#[test]
fn large_finite_counts_that_fit_still_work() {
    // One path of 1e308 conversions: every total is finite, so every model answers, finitely.
    let p = Paths::parse(&["a > b", "b > c"], &[1e308, 0.0], Some(&[1e308, 0.0]), Some(&[0.0, 1e307]), ">").unwrap();
    let h = heuristic_models(&p, &HeuristicOptions::new()).unwrap();
    assert_eq!(h.last_touch.conversions, [0.0, 1e308, 0.0]);
    for c in [&h.first_touch, &h.linear, &h.time_decay, &h.position_based] {
        assert!(c.conversions.iter().chain(&c.value).all(|x| x.is_finite()));
    }
    for order in 1..=4 {
        let m = markov_model(&p, &MarkovOptions::new().order(order)).unwrap();
        assert!(m.conversions.iter().all(|x| x.is_finite()));
        assert_close(&[m.conversions.iter().sum::<f64>() / 1e308], &[1.0], 1e-12);
    }
    let s = shapley_model(&p, &ShapleyOptions::new()).unwrap();
    assert_eq!(s.conversions, [5e307, 5e307, 0.0]);
}

#[test]
fn a_path_counted_once_per_step_can_overflow_the_markov_chain_only() {
    // Each total is finite, but the path takes a → b twice: that transition weighs 2e308.
    let p = Paths::parse(&["a > b > a > b"], &[1e308], None, None, ">").unwrap();
    let e = markov_model(&p, &MarkovOptions::new()).unwrap_err();
    assert_eq!(overflow_field(&e), Some("conversions + nulls"), "{e:?}");
    let h = heuristic_models(&p, &HeuristicOptions::new()).unwrap();
    assert_eq!(h.linear.conversions, [5e307, 5e307]);
    assert!(shapley_model(&p, &ShapleyOptions::new()).is_ok());
}

#[test]
fn non_finite_and_negative_numbers_are_rejected_everywhere() {
    for bad in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -1.0, -f64::MIN_POSITIVE] {
        let ok = [1.0, 1.0];
        let with_bad = [1.0, bad];
        for (which, field) in [(0, "conversions[1]"), (1, "values[1]"), (2, "nulls[1]")] {
            let pick = |k: usize| if k == which { &with_bad } else { &ok };
            let e = Paths::parse(&["a", "b"], pick(0), Some(pick(1)), Some(pick(2)), ">").unwrap_err();
            assert!(matches!(e, yutang::Error::InvalidField { .. }), "{bad}: {e:?}");
            assert_eq!(e.field(), Some(field), "{bad}");
            let e =
                Paths::parse_concatenated("ab", &[0, 1, 2], pick(0), Some(pick(1)), Some(pick(2)), ">").unwrap_err();
            assert_eq!(e.field(), Some(field), "{bad}");
        }
        let mut b = PathsBuilder::new();
        b.push(&["a"], 1.0, 0.0, 0.0).unwrap();
        for (args, field) in
            [((bad, 0.0, 0.0), "conversions[1]"), ((1.0, bad, 0.0), "values[1]"), ((1.0, 0.0, bad), "nulls[1]")]
        {
            assert_eq!(b.push(&["b"], args.0, args.1, args.2).unwrap_err().field(), Some(field), "{bad}");
            assert_eq!(b.len(), 1, "nothing appended on error");
        }
        let e =
            paths_from_touchpoints(&[1u8, 1], &[0, 1], &["a", ""], &[false, true], &[0.0, bad], &PathOptions::new())
                .unwrap_err();
        assert_eq!(e.field(), Some("values[1]"), "{bad}");
    }
    // Negative zero is zero.
    assert!(Paths::parse(&["a"], &[-0.0], None, None, ">").is_ok());
}

#[test]
fn shapley_samples_are_bounded() {
    use yutang::attribution::MAX_SHAPLEY_SAMPLES;
    let p = Paths::parse(&["a > b", "b > c", "c"], &[1.0, 2.0, 0.0], None, Some(&[1.0, 0.0, 2.0]), ">").unwrap();
    let sampled = ShapleyOptions::new().worth(ShapleyWorth::ConversionRate).exact_limit(0);
    for (samples, value) in [(MAX_SHAPLEY_SAMPLES + 1, "1000001"), (usize::MAX, "18446744073709551615"), (0, "0")] {
        let e = shapley_model(&p, &sampled.clone().samples(samples)).unwrap_err();
        match &e {
            yutang::Error::InvalidField { field, value: v, .. } => {
                assert_eq!((field.as_str(), v.as_str()), ("samples", value));
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(shapley_model(&p, &sampled.clone().samples(MAX_SHAPLEY_SAMPLES.min(2_000))).is_ok());
    // Not sampled: `samples` is not used, so not checked.
    for worth in [ShapleyWorth::Conversions, ShapleyWorth::ConversionRate] {
        assert!(shapley_model(&p, &ShapleyOptions::new().worth(worth).samples(usize::MAX)).is_ok());
    }
}

/// Paths over `channels` distinct channels drawn uniformly, 1–3 touches each: a sparse random
/// chain full of cycles (the input that made order 1 quadratic in the channels).
fn many_channels(channels: usize, rows: usize) -> Paths {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    let names: Vec<String> = (0..channels).map(|i| format!("c{i}")).collect();
    let mut b = PathsBuilder::new();
    for _ in 0..rows {
        let len = 1 + next() % 3;
        let p: Vec<&str> = (0..len).map(|_| names[next() % channels].as_str()).collect();
        let conv = next() % 7 == 0;
        b.push(&p, conv as u8 as f64, if conv { (next() % 300) as f64 } else { 0.0 }, (!conv) as u8 as f64).unwrap();
    }
    b.build()
}

#[test]
fn markov_order_one_on_twenty_thousand_channels() {
    let p = many_channels(20_000, 20_000);
    let t = std::time::Instant::now();
    let m = markov_model(&p, &MarkovOptions::new()).unwrap();
    // Seconds of a debug build; the old per-channel re-solves took minutes in release.
    assert!(t.elapsed().as_secs() < 60, "{:?}", t.elapsed());
    assert!(m.channels.len() > 15_000);
    assert_close(&[m.conversions.iter().sum()], &[p.total_conversions()], 1e-12);
    assert_close(&[m.value.iter().sum()], &[p.total_value()], 1e-12);
    assert!(m.removal_effects.iter().all(|r| (0.0..=1.0).contains(r)));
}

#[test]
fn markov_work_beyond_max_work_is_limit_exceeded() {
    let p = many_channels(300, 3_000);
    for order in 1..=2 {
        let o = MarkovOptions::new().order(order).dense_limit(0);
        assert!(markov_model(&p, &o).is_ok());
        let e = markov_model(&p, &o.max_work(1_000)).unwrap_err();
        match e {
            yutang::Error::LimitExceeded { what, limit, got } => {
                assert!(what.contains("max_work"), "{what}");
                assert_eq!(limit, 1_000);
                assert!(got > limit);
            }
            other => panic!("order {order}: {other:?}"),
        }
    }
}

/// An independent reference from the model's own output: the transient chain rebuilt from
/// `transitions`, value per state from the paths, and one dense elimination per channel with
/// its states removed.
fn reference_removal_effects(
    p: &Paths,
    m: &yutang::attribution::MarkovAttribution,
    order: usize,
) -> (Vec<f64>, Vec<f64>) {
    use yutang::attribution::MarkovState;
    let n = m.states.len() - 2; // transient: start and channel tuples
    let conv_state = n;
    let mut q = vec![vec![0.0f64; n]; n];
    let mut r = vec![[0.0f64; 2]; n];
    let mut total = vec![0.0f64; n];
    for t in &m.transitions {
        total[t.from] += t.count;
    }
    // Value of the converting paths ending in each state.
    let mut value = vec![0.0f64; n];
    for i in 0..p.len() {
        if p.conversions()[i] == 0.0 && p.nulls()[i] == 0.0 {
            continue;
        }
        let mut touches: Vec<u32> = p.path(i).to_vec();
        if order == 1 {
            touches.dedup();
        }
        let last: Vec<u32> = touches[touches.len().saturating_sub(order)..].to_vec();
        let s = m.states.iter().position(|st| *st == MarkovState::Channels(last.clone())).unwrap();
        if p.conversions()[i] > 0.0 {
            value[s] += p.values()[i];
        }
    }
    for t in &m.transitions {
        if t.to < n {
            q[t.from][t.to] = t.probability;
        } else if t.to == conv_state {
            r[t.from][0] = t.probability;
        }
    }
    for s in 0..n {
        if total[s] > 0.0 {
            r[s][1] = value[s] / total[s];
        }
    }
    let solve = |removed: &[bool]| -> [f64; 2] {
        // (I − Q) x = r with x_s = 0 on removed states; Gaussian elimination, partial pivoting.
        let mut a: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let mut row: Vec<f64> =
                    (0..n).map(|j| if i == j { 1.0 } else { 0.0 } - if removed[i] { 0.0 } else { q[i][j] }).collect();
                let rhs = if removed[i] { [0.0; 2] } else { r[i] };
                row.extend(rhs);
                row
            })
            .collect();
        for k in 0..n {
            let piv = (k..n).max_by(|&x, &y| a[x][k].abs().total_cmp(&a[y][k].abs())).unwrap();
            a.swap(k, piv);
            let (top, below) = a.split_at_mut(k + 1);
            let pivot_row = &top[k];
            for row in below {
                let f = row[k] / pivot_row[k];
                if f != 0.0 {
                    row[k..].iter_mut().zip(&pivot_row[k..]).for_each(|(x, y)| *x -= f * y);
                }
            }
        }
        let mut x = vec![[0.0f64; 2]; n];
        for k in (0..n).rev() {
            for c in 0..2 {
                let s: f64 = (k + 1..n).map(|j| a[k][j] * x[j][c]).sum();
                x[k][c] = (a[k][n + c] - s) / a[k][k];
            }
        }
        x[0]
    };
    let [pc, pv] = solve(&vec![false; n]);
    let mut re = Vec::new();
    let mut re_v = Vec::new();
    for c in 0..m.channels.len() as u32 {
        let removed: Vec<bool> =
            (0..n).map(|s| matches!(&m.states[s], MarkovState::Channels(ids) if ids.contains(&c))).collect();
        let [kc, kv] = solve(&removed);
        re.push(if pc > 0.0 { (1.0 - kc / pc).clamp(0.0, 1.0) } else { 0.0 });
        re_v.push(if pv > 0.0 { (1.0 - kv / pv).clamp(0.0, 1.0) } else { 0.0 });
    }
    (re, re_v)
}

fn cyclic_rows() -> impl Strategy<Value = Vec<Row>> {
    // More channels and longer paths than `rows()`: revisits, so cycles in the chain.
    let row = (prop::collection::vec(0u8..6, 1..9), 0u8..4, 0.0f64..500.0, 0u8..4)
        .prop_map(|(path, conv, value, nulls)| Row { path, conv, value: if conv == 0 { 0.0 } else { value }, nulls });
    prop::collection::vec(row, 1..30)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    /// The solver's removal effects (order 1: first-visit identity and sparse elimination;
    /// orders 2–3: restricted re-solves) equal a dense per-channel reference rebuilt from the
    /// published transitions.
    #[test]
    fn prop_markov_removal_effects_match_a_dense_reference(rows in cyclic_rows(), order in 1usize..=3) {
        let p = to_paths(&rows);
        for dense_limit in [300, 0] {
            let m = markov_model(&p, &MarkovOptions::new().order(order).dense_limit(dense_limit)).unwrap();
            let (re, re_v) = reference_removal_effects(&p, &m, order);
            for (x, y) in m.removal_effects.iter().zip(&re) {
                prop_assert!((x - y).abs() <= 1e-12, "order {} dense_limit {}: {:?} vs {:?}", order, dense_limit, m.removal_effects, re);
            }
            for (x, y) in m.removal_effects_value.iter().zip(&re_v) {
                prop_assert!((x - y).abs() <= 1e-12, "value, order {}: {:?} vs {:?}", order, m.removal_effects_value, re_v);
            }
        }
    }
}
