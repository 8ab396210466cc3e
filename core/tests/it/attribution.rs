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
