struct Instant(f64);
impl Instant {
    fn now() -> Self {
        Instant(cpu())
    }
    fn elapsed(&self) -> Dur {
        Dur(cpu() - self.0)
    }
}
struct Dur(f64);
impl Dur {
    fn as_secs_f64(&self) -> f64 {
        self.0
    }
}
fn cpu() -> f64 {
    let mut ts = [0i64; 2];
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    ts[0] = s.split_whitespace().next().unwrap().parse().unwrap();
    ts[0] as f64 / 1e9
}
use yutang::synth::{events, SynthConfig};
use yutang::{parse_time, EventKind, Pool};
fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let cfg = SynthConfig { events: n, customers: n / 10, ..Default::default() };
    let mut pool = Pool::default();
    for start in (0..n).step_by(500_000) {
        pool.ingest(events(&cfg, start..(start + 500_000).min(n)));
    }
    let _ = pool.customer_ids();
    let as_of = parse_time("2025-03-01", pool.time_zone()).unwrap();
    let order = pool.kind_code(&EventKind::Order).unwrap();
    for _ in 0..3 {
        let t = Instant::now();
        let mut s = 0usize;
        for p in 0..pool.customer_count() {
            let v = pool.customer_at(p).unwrap();
            s += v.until(as_of);
        }
        println!("until: {:.3}", t.elapsed().as_secs_f64());
        let t = Instant::now();
        for p in 0..pool.customer_count() {
            let v = pool.customer_at(p).unwrap();
            s += v.events().filter(|e| e.kind_code() == order).count();
        }
        println!("iter: {:.3}", t.elapsed().as_secs_f64());
        let t = Instant::now();
        for p in 0..pool.customer_count() {
            let v = pool.customer_at(p).unwrap();
            s += v.id().len();
        }
        println!("ids: {:.3}", t.elapsed().as_secs_f64());
        let t = Instant::now();
        let l = pool.lifecycle(as_of);
        println!("lifecycle: {:.3}", t.elapsed().as_secs_f64());
        let t = Instant::now();
        let r = pool.rfm(as_of).unwrap();
        println!("rfm: {:.3} {}", t.elapsed().as_secs_f64(), s + l.len() + r.len());
        let t = Instant::now();
        let (a, b) = pool.lifecycle_and_rfm(as_of).unwrap();
        println!("both: {:.3}", t.elapsed().as_secs_f64());
        assert_eq!((a, b), (l, r));
    }
}
