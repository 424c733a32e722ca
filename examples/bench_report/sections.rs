//! The multi-thread, batch and shape sections of the report: each pits
//! two configurations against each other, measured alternately.

use super::{Fill, seconds_per_call};
use tropical_blas::{
    Accum, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, MaxPlus, MinPlus, Par, Semiring,
    TilingParams, arg_kernel_at, gemm_argmax_with, gemm_with,
};

/// Seconds per call of one f32 max-plus product of the given shape.
fn shape_seconds(m: usize, k: usize, n: usize, cfg: GemmConfig) -> f64 {
    let a: Vec<f32> = (0..m * k).map(f32::fill).collect();
    let b: Vec<f32> = (0..k * n).map(|i| f32::fill(i + 3)).collect();
    seconds_per_call(super::timing::product::<MaxPlus<f32>>(
        &a,
        &b,
        (m, k, n),
        cfg,
    ))
}

/// Best times of two configurations measured alternately, 3 rounds each.
fn paired(m: usize, k: usize, n: usize, x: GemmConfig, y: GemmConfig) -> (f64, f64) {
    (0..3).fold((f64::MAX, f64::MAX), |(bx, by), _| {
        (
            bx.min(shape_seconds(m, k, n, x)),
            by.min(shape_seconds(m, k, n, y)),
        )
    })
}

pub fn threads_section(sizes: &[usize]) {
    println!("\nthreads: MaxPlus<f32>, square n, default kernel");
    let seq = GemmConfig::default().with_par(Par::Seq);
    let two = GemmConfig::default().with_par(Par::Rayon(2));
    for &n in sizes {
        let (t1, t2) = paired(n, n, n, seq, two);
        let ops = (n * n * n) as f64;
        println!(
            "  n={n:>5}: 1 thread {:>6.2} Gops/s, 2 threads {:>6.2} Gops/s, speed-up {:.2}x",
            ops / t1 / 1e9,
            ops / t2 / 1e9,
            t1 / t2
        );
    }
}

pub fn batched_section(count: usize) {
    use tropical_blas::{BatchMut, BatchRef, gemm_batched_with};
    let n = 16;
    let item = n * n;
    let a: Vec<f32> = (0..count * item).map(f32::fill).collect();
    let b: Vec<f32> = (0..count * item).map(|i| f32::fill(i + 3)).collect();
    let mut c = vec![0.0f32; count * item];
    let mut ws = GemmWorkspace::new();
    // A batch that fits in L2 shows the compute side alone; the whole
    // batch (3 × count × 1 KiB) does not fit in cache.
    let cached = 100.min(count);
    let cases = [
        (cached, "in cache, 1 thread", Par::Seq),
        (count, "1 thread", Par::Seq),
        (count, "2 threads", Par::Rayon(2)),
    ];
    // Alternating rounds, best of each: the reference rate, the memory
    // floor (an element-wise max of A and B into C: the batch's reads and
    // writes without the product) and every batch feel the same host.
    let mut large = f64::MAX;
    let mut stream = f64::MAX;
    let mut stream_two = f64::MAX;
    let mut batch = [f64::MAX; 3];
    for _round in 0..3 {
        large = large.min(shape_seconds(
            1024,
            1024,
            1024,
            GemmConfig::default().with_par(Par::Seq),
        ));
        stream = stream.min(seconds_per_call(|| {
            for ((ci, ai), bi) in c.iter_mut().zip(&a).zip(&b) {
                *ci = ai.max(*bi);
            }
            std::hint::black_box(&mut c);
        }));
        // The same on two threads, each streaming its half of the items
        // (the split the batch itself makes).
        stream_two = stream_two.min(seconds_per_call(|| {
            use rayon::prelude::*;
            let half = count.div_ceil(2) * item;
            c.par_chunks_mut(half)
                .zip(a.par_chunks(half))
                .zip(b.par_chunks(half))
                .for_each(|((cs, as_), bs)| {
                    for ((ci, ai), bi) in cs.iter_mut().zip(as_).zip(bs) {
                        *ci = ai.max(*bi);
                    }
                });
            std::hint::black_box(&mut c);
        }));
        for (best, &(items, _, par)) in batch.iter_mut().zip(&cases) {
            let cfg = GemmConfig::default().with_par(par);
            *best = best.min(seconds_per_call(|| {
                gemm_batched_with::<MaxPlus<f32>>(
                    &mut ws,
                    &cfg,
                    BatchRef::row_major(&a[..items * item], items, n, n).unwrap(),
                    BatchRef::row_major(&b[..items * item], items, n, n).unwrap(),
                    BatchMut::row_major(&mut c[..items * item], items, n, n).unwrap(),
                    Accum::Replace,
                )
                .unwrap()
            }));
        }
    }
    let large_rate = (1024usize.pow(3)) as f64 / large / 1e9;
    println!(
        "\nbatched: products of {n}x{n} by {n}x{n}, MaxPlus<f32>; single-thread n=1024 rate {large_rate:.2} Gops/s (best of 3 alternating rounds)"
    );
    println!(
        "  memory floor for {count} items (read A and B, write C once): {:.0} ns per item on 1 thread, {:.0} on 2",
        stream / count as f64 * 1e9,
        stream_two / count as f64 * 1e9
    );
    // What 70 % of the n = 1024 rate per core would take, next to the
    // floor: a batch cannot run faster than its bytes stream.
    let target_ns = (n * n * n) as f64 / (0.7 * large_rate);
    println!(
        "  70 % of the n=1024 rate per core is {:.0} ns per item on 1 thread, {:.0} on 2",
        target_ns,
        target_ns / 2.0
    );
    for (secs, &(items, label, par)) in batch.iter().zip(&cases) {
        let threads = if par == Par::Seq { 1.0 } else { 2.0 };
        let rate = (items * n * n * n) as f64 / secs / 1e9;
        println!(
            "  {items:>6} items, {label:<18}: {rate:>6.2} Gops/s = {:>3.0}% of the n=1024 rate per core, {:>5.0} ns per item",
            100.0 * rate / threads / large_rate,
            secs / items as f64 * 1e9
        );
    }
}

pub fn shapes_section() {
    println!(
        "\nshapes: MaxPlus<f32>, default routing vs the generic packed path (same kernel), 1 thread"
    );
    let seq = GemmConfig::default().with_par(Par::Seq);
    for (label, m, k, n) in [
        ("tall-skinny", 1 << 20, 4, 4),
        ("matrix-vector n=1", 4096, 4096, 1),
        ("vector-matrix m=1", 1, 4096, 4096),
        ("outer product k=1", 2048, 1, 2048),
        ("short-wide", 4, 4, 1 << 20),
    ] {
        let kernel = tropical_blas::kernel_for::<MaxPlus<f32>>().unwrap();
        let packed = seq.with_tiling(
            TilingParams::for_problem(m, n, k, kernel.mr(), kernel.nr()).with_small_ops(0),
        );
        let (t_default, t_packed) = paired(m, k, n, seq, packed);
        println!(
            "  {label:<18} {m}x{k}x{n}: {:>8.3} ms routed, {:>8.3} ms packed ({:.2}x faster)",
            t_default * 1e3,
            t_packed * 1e3,
            t_packed / t_default
        );
    }
    // Tall-skinny against memory: reading A once and writing C once.
    let (m, k, n) = (1usize << 20, 4, 4);
    let a: Vec<f32> = (0..m * k).map(f32::fill).collect();
    let mut c = vec![0.0f32; m * n];
    for (label, cfg) in [
        ("1 thread", seq),
        ("2 threads", GemmConfig::default().with_par(Par::Rayon(2))),
    ] {
        // Alternating rounds, best of each: the copy and the product feel
        // the same memory contention from other tenants.
        let (t, copy) = (0..3).fold((f64::MAX, f64::MAX), |(best_t, best_copy), _| {
            let copy = seconds_per_call(|| c.copy_from_slice(std::hint::black_box(&a[..m * n])));
            (best_t.min(shape_seconds(m, k, n, cfg)), best_copy.min(copy))
        });
        println!(
            "  tall-skinny {m}x{k}x{n} {label}: {:.3} ms; copying A's bytes to C takes {:.3} ms: {:.2}x that",
            t * 1e3,
            copy * 1e3,
            t / copy
        );
    }
}

/// `gemm_argmax` and `gemm` under `Accum::Combine` on the shapes of a
/// blocked shortest-paths strip (k = 256) and at 1024³, into a C that
/// holds either the product itself (a tie: kept) or ZERO (improved), each
/// with probability one half by a splitmix64 hash of the position, so
/// that no branch predictor learns which (at 1024³ that holds for the
/// first k-block; later ones improve where the block's products do): the
/// case where a store that branches on the comparison mispredicts. Each
/// call first restores C (m·n copies, 2-3 % of the time), on both sides.
pub fn combine_argmax_section(levels: &[IsaLevel]) {
    println!(
        "\nargmax under Combine, MinPlus<f32>, half of C improved, 1 thread, G tropical-ops/s (best of 3 alternating rounds)"
    );
    for (m, k, n) in [(256, 256, 4096), (4096, 256, 256), (1024, 1024, 1024)] {
        for &level in levels {
            let Ok(arg_kernel) = arg_kernel_at::<MinPlus<f32>>(level) else {
                continue;
            };
            if arg_kernel.isa() != level {
                continue;
            }
            let cfg = GemmConfig::default().with_isa(level).with_par(Par::Seq);
            let (value, arg) = (0..3).fold((0.0f64, 0.0f64), |(v, a), _| {
                let (value, arg) = combine_rates((m, k, n), cfg);
                (v.max(value), a.max(arg))
            });
            println!(
                "{m:>5}x{k:<5}x{n:<5} {:<16} {value:>7.2}   argmax {arg:>7.2}   argmax/value {:.2}",
                arg_kernel.name(),
                arg / value
            );
        }
    }
}

/// G tropical-ops/s of `gemm` and of `gemm_argmax` with `Accum::Combine`
/// (see [`combine_argmax_section`]).
fn combine_rates((m, k, n): (usize, usize, usize), cfg: GemmConfig) -> (f64, f64) {
    let a: Vec<f32> = (0..m * k).map(f32::fill).collect();
    let b: Vec<f32> = (0..k * n).map(|i| f32::fill(i + 3)).collect();
    let (av, bv) = (
        MatRef::row_major(&a, m, k).unwrap(),
        MatRef::row_major(&b, k, n).unwrap(),
    );
    let mut ws = GemmWorkspace::new();
    // C holds the product itself (a tie: kept) or ZERO (improved).
    let mut start = vec![0.0f32; m * n];
    let c = MatMut::row_major(&mut start, m, n).unwrap();
    gemm_with::<MinPlus<f32>>(&mut ws, &cfg, av, bv, c, Accum::Replace).unwrap();
    for (i, x) in start.iter_mut().enumerate() {
        if splitmix64(i as u64) & 1 == 1 {
            *x = MinPlus::<f32>::ZERO;
        }
    }
    let (mut c, mut argk) = (start.clone(), vec![0u32; m * n]);
    let ops = (m * n * k) as f64;
    let value = seconds_per_call(|| {
        c.copy_from_slice(&start);
        let cv = MatMut::row_major(&mut c, m, n).unwrap();
        gemm_with::<MinPlus<f32>>(&mut ws, &cfg, av, bv, cv, Accum::Combine).unwrap();
    });
    let arg = seconds_per_call(|| {
        c.copy_from_slice(&start);
        let cv = MatMut::row_major(&mut c, m, n).unwrap();
        let gv = MatMut::row_major(&mut argk, m, n).unwrap();
        gemm_argmax_with::<MinPlus<f32>>(&mut ws, &cfg, av, bv, cv, gv, Accum::Combine).unwrap();
    });
    (ops / value / 1e9, ops / arg / 1e9)
}

/// The splitmix64 finalizer: a well-mixed 64-bit hash of `x`.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
