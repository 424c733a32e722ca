//! Counting tropical products against MaxPlus in the same run, one
//! thread: G ops/s (an n×n by n×n product is n³ ops; a counting op is one
//! ⊗ on the values and the counts and one ⊕ with the tie rule), best of
//! alternating rounds so that a busy host slows both sides alike.
//!
//! ```text
//! cargo run --release --example bench_counting            # n = 1024, every level
//! cargo run --release --example bench_counting -- 512
//! cargo run --release --example bench_counting -- 1024 distinct
//! ```
//!
//! The values are small integers by default (61 levels: an entry's
//! optimum is tied every 61 depths or so, as energies of a spin glass
//! are), so the counting kernels take their count-update path often;
//! `distinct` draws them from 2^20 levels by a hash, where ties are rare and
//! the kernels mostly compare and move on.

#[path = "common/timing.rs"]
mod timing;

use std::time::Duration;

use tropical_blas::counting::{
    self, CountingMax, CountingMin, CountingMut, CountingRef, CountingSemiring,
};
use tropical_blas::{
    Accum, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, MaxPlus, Par, Semiring,
};

/// Rounds of the side-by-side comparison.
const ROUNDS: usize = 3;

/// Best seconds per call over 3 batches of at least 100 ms.
fn seconds_per_call(f: impl FnMut()) -> f64 {
    timing::seconds_per_call(Duration::from_millis(100), 3, f)
}

/// Which values the matrices hold (see the module docs).
#[derive(Clone, Copy)]
enum Data {
    Ties,
    Distinct,
}

/// Entry i of a matrix of values, exact in f32 and f64.
trait Values: Copy {
    fn fill(i: usize, data: Data) -> Self;
}
fn level(i: usize, data: Data) -> i32 {
    match data {
        Data::Ties => ((i * 7919) % 61) as i32 - 30,
        // A multiplicative hash: no arithmetic progression along a row or
        // a column, whose running maximum would improve at every depth.
        Data::Distinct => ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 44) as i32 - (1 << 19),
    }
}
impl Values for f32 {
    fn fill(i: usize, data: Data) -> Self {
        level(i, data) as f32
    }
}
impl Values for f64 {
    fn fill(i: usize, data: Data) -> Self {
        level(i, data) as f64
    }
}

fn value_rate<S: Semiring<Scalar: Values>>(n: usize, cfg: GemmConfig, data: Data) -> f64 {
    let a: Vec<S::Scalar> = (0..n * n).map(|i| S::Scalar::fill(i, data)).collect();
    let b: Vec<S::Scalar> = (0..n * n).map(|i| S::Scalar::fill(i + 3, data)).collect();
    let secs = seconds_per_call(timing::product::<S>(&a, &b, (n, n, n), cfg));
    (n * n * n) as f64 / secs / 1e9
}

fn counting_rate<S: CountingSemiring<Value: Values>>(n: usize, cfg: GemmConfig, data: Data) -> f64 {
    let av: Vec<S::Value> = (0..n * n).map(|i| S::Value::fill(i, data)).collect();
    let bv: Vec<S::Value> = (0..n * n).map(|i| S::Value::fill(i + 3, data)).collect();
    let counts: Vec<f64> = (0..n * n).map(|i| (1 + i % 3) as f64).collect();
    let (mut cv, mut cc) = (vec![S::ZERO_VALUE; n * n], vec![0.0f64; n * n]);
    let mut ws = GemmWorkspace::new();
    let secs = seconds_per_call(|| {
        counting::gemm_with::<S>(
            &mut ws,
            &cfg,
            CountingRef::new(
                MatRef::row_major(&av, n, n).unwrap(),
                MatRef::row_major(&counts, n, n).unwrap(),
            )
            .unwrap(),
            CountingRef::new(
                MatRef::row_major(&bv, n, n).unwrap(),
                MatRef::row_major(&counts, n, n).unwrap(),
            )
            .unwrap(),
            CountingMut::new(
                MatMut::row_major(&mut cv, n, n).unwrap(),
                MatMut::row_major(&mut cc, n, n).unwrap(),
            )
            .unwrap(),
            Accum::Replace,
        )
        .unwrap()
    });
    (n * n * n) as f64 / secs / 1e9
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(1024, |s| s.parse().expect("n"));
    let (data, values) = match std::env::args().nth(2).as_deref() {
        None | Some("ties") => (Data::Ties, "61 levels, many ties"),
        Some("distinct") => (Data::Distinct, "2^20 levels, few ties"),
        Some(other) => panic!("unknown data {other:?}: ties or distinct"),
    };
    let detected = tropical_blas::detected_isa();
    println!(
        "counting tropical vs MaxPlus, n = {n}, values of {values}, 1 thread, G ops/s (best of {ROUNDS} alternating rounds)"
    );
    println!(
        "| level | MaxPlus<f32> | CountingMax<f32> | ratio | CountingMin<f32> | MaxPlus<f64> | CountingMax<f64> | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for level in IsaLevel::ALL.into_iter().rev().filter(|&l| l <= detected) {
        let cfg = GemmConfig::default().with_isa(level).with_par(Par::Seq);
        let mut best = [0.0f64; 5];
        for _ in 0..ROUNDS {
            let rates = [
                value_rate::<MaxPlus<f32>>(n, cfg, data),
                counting_rate::<CountingMax<f32>>(n, cfg, data),
                counting_rate::<CountingMin<f32>>(n, cfg, data),
                value_rate::<MaxPlus<f64>>(n, cfg, data),
                counting_rate::<CountingMax<f64>>(n, cfg, data),
            ];
            for (b, r) in best.iter_mut().zip(rates) {
                *b = b.max(r);
            }
        }
        let name = counting::kernel_at::<CountingMax<f32>>(level)
            .unwrap()
            .name();
        println!(
            "| {level} ({name}) | {:.2} | {:.2} | {:.0} % | {:.2} | {:.2} | {:.2} | {:.0} % |",
            best[0],
            best[1],
            100.0 * best[1] / best[0],
            best[2],
            best[3],
            best[4],
            100.0 * best[4] / best[3],
        );
    }
}
