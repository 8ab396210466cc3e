//! What `Pool::memory_bytes` reports against what the process holds, on a pool in service:
//! events ingested, a manual tag and an attribute on every tenth customer, a segment, the
//! coffee coupon ladder running (`advance` once a day for a month), the merge log. Prints the
//! process's resident memory (Linux: VmRSS, VmHWM) before the pool, once the pool is at rest,
//! and the peak during a snapshot into memory.
//!
//! `cargo run --release --example memory -- [events=1100000]`
use yutang::segment::AttrValue;
use yutang::synth::{events, SynthConfig};
use yutang::{Pool, Timestamp};

fn status_mb(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key)).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Return freed memory to the system (glibc), so that resident memory is what is live (the
/// one unsafe call of the project: a measurement aid in an example, not in the library).
#[allow(unsafe_code)]
fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: glibc's malloc_trim only releases free heap pages; it takes no pointers.
        unsafe {
            malloc_trim(0);
        }
    }
}

fn main() -> yutang::Result<()> {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1_100_000);
    let cfg = SynthConfig { events: n, customers: n / 10, ..Default::default() };
    let base = status_mb("VmRSS:");
    let mut pool = Pool::default();
    for start in (0..n).step_by(100_000) {
        pool.ingest(events(&cfg, start..(start + 100_000).min(n)));
    }
    let mb = |b: usize| b as f64 / 1e6;
    let core_only = pool.memory_bytes();
    let start = Timestamp::from_micros(cfg.start_micros)?;
    let end = start.plus_seconds(365 * 86_400);
    let ids = pool.customer_ids();
    for id in ids.iter().step_by(10) {
        pool.set_manual_tag(id, "value_level", "vip", "crm-import", start)?;
        pool.set_attribute(id, "member_card", AttrValue::Text(format!("card-{id}")))?;
    }
    pool.define_segment("big_spenders", yutang::rules::parse(r#"spend(365d, currency: "CNY") > 300.00"#)?)?;
    pool.add_journey(yutang::journey::examples::coffee_coupon_ladder(), Some(end.plus_seconds(-30 * 86_400)))?;
    for d in (0..30).rev() {
        pool.advance(end.plus_seconds(-d * 86_400))?;
    }
    let members = pool.segment_members("big_spenders", end)?.len();
    let instances = pool.journey_instances().len();
    trim();
    let at_rest = status_mb("VmRSS:");
    let reported = pool.memory_bytes();
    let blob = pool.snapshot();
    let peak = status_mb("VmHWM:");
    println!(
        "{n} events, {} customers, {members} in the segment, {instances} journey instances, {} merges: \
         memory_bytes {:.1} MB (the core {:.1} MB); resident memory held for the pool {:.1} MB \
         (VmRSS {at_rest:.0} MB at rest after returning freed memory, {base:.0} MB before); snapshot {:.1} MB, peak VmHWM {peak:.0} MB",
        ids.len(),
        pool.merge_log().len(),
        mb(reported),
        mb(core_only),
        at_rest - base,
        mb(blob.len()),
    );
    Ok(())
}
