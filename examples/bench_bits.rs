//! Bit-packed or-and (`bits::gemm`) against the byte `OrAnd` gemm, and
//! against its own kernel's peak probe, measured side by side in one run.
//!
//! ```text
//! cargo run --release --example bench_bits                # n = 4096 bits, bytes at 4096
//! cargo run --release --example bench_bits -- 1024 1024   # bit n, byte n
//! ```
//!
//! One thread. An entry operation is one AND and one OR on one entry: an
//! m×k by k×n product is m·n·k of them, whatever the storage.

use std::time::{Duration, Instant};

use tropical_blas::bits::{self, BitMatrix};
use tropical_blas::{Accum, GemmConfig, GemmWorkspace, MatMut, MatRef, OrAnd, Par, gemm_with};

/// Best seconds per call over 3 runs after a warm-up (noise only adds).
fn best_seconds(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Entries with density about 1/5, as bench_report fills bool matrices.
fn fill(i: usize) -> bool {
    (i * 7919).is_multiple_of(5)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n_bits = args.first().copied().unwrap_or(4096);
    let n_bytes = args.get(1).copied().unwrap_or(n_bits);
    let cfg = GemmConfig::default().with_par(Par::Seq);
    let kernel = bits::kernel_for().expect("a usable level");
    let byte_kernel = tropical_blas::kernel_for::<OrAnd>().expect("a usable level");

    // Bits.
    let dense: Vec<bool> = (0..n_bits * n_bits).map(fill).collect();
    let a = BitMatrix::from_bools(MatRef::row_major(&dense, n_bits, n_bits).unwrap()).unwrap();
    let b_dense: Vec<bool> = (0..n_bits * n_bits).map(|i| fill(i + 3)).collect();
    let b = BitMatrix::from_bools(MatRef::row_major(&b_dense, n_bits, n_bits).unwrap()).unwrap();
    let mut c = BitMatrix::zeros(n_bits, n_bits);
    let bit_secs = best_seconds(3, || {
        bits::gemm_with(&cfg, a.as_ref(), b.as_ref(), c.as_mut(), Accum::Replace).unwrap()
    });
    let bit_rate = (n_bits as f64).powi(3) / bit_secs / 1e9;
    let peak = kernel.peak_ops_per_second(Duration::from_millis(200)) / 1e9;

    // Bytes.
    let a8: Vec<bool> = (0..n_bytes * n_bytes).map(fill).collect();
    let b8: Vec<bool> = (0..n_bytes * n_bytes).map(|i| fill(i + 3)).collect();
    let mut c8 = vec![false; n_bytes * n_bytes];
    let mut ws = GemmWorkspace::new();
    let byte_secs = best_seconds(if n_bytes >= 4096 { 1 } else { 3 }, || {
        gemm_with::<OrAnd>(
            &mut ws,
            &cfg,
            MatRef::row_major(&a8, n_bytes, n_bytes).unwrap(),
            MatRef::row_major(&b8, n_bytes, n_bytes).unwrap(),
            MatMut::row_major(&mut c8, n_bytes, n_bytes).unwrap(),
            Accum::Replace,
        )
        .unwrap()
    });
    let byte_rate = (n_bytes as f64).powi(3) / byte_secs / 1e9;
    if n_bits == n_bytes {
        let same = c.as_ref().to_bools() == c8;
        assert!(same, "bit and byte products differ");
    }

    println!("| product | kernel | n | seconds | G entry ops/s | ratio |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| bits, or-and | {} | {n_bits} | {bit_secs:.4} | {bit_rate:.0} | {:.1}× bytes, {:.0} % of peak |",
        kernel.name(),
        bit_rate / byte_rate,
        100.0 * bit_rate / peak
    );
    println!("| bits, peak probe | {} | | | {peak:.0} | |", kernel.name());
    println!(
        "| bytes, OrAnd | {} | {n_bytes} | {byte_secs:.4} | {byte_rate:.1} | 1× |",
        byte_kernel.name()
    );
}
