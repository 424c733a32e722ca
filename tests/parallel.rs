//! Every thread count gives the bits of the scalar reference.

mod common;

use common::{LAYOUTS, Rng, TestScalar, check_product, quick, random_dense, random_output};
use tropical_blas::{
    Accum, GemmConfig, GemmWorkspace, IsaLevel, MaxMin, MaxPlus, MinPlus, OrAnd, Par, Semiring,
    TilingParams,
};

/// Shapes above the parallel threshold, with odd extents: many row parts,
/// a few rows and many columns (column parts), and several k-slices; one
/// row and three rows (the direct path's wide tiles, split by columns);
/// a short inner dimension (the direct path, split by rows).
const SHAPES: [(usize, usize, usize); 7] = [
    (700, 7, 501),
    (301, 129, 97),
    (1000, 40, 71),
    (5, 3001, 203),
    (45, 700, 333),
    (1, 2100, 1030),
    (3, 900, 801),
];

fn check_threads<S: Semiring>(seed: u64)
where
    S::Scalar: TestScalar,
{
    check_threads_on::<S>(seed, random_dense::<S>);
}

/// As [`check_threads`], with operands from `operand`.
fn check_threads_on<S: Semiring>(
    seed: u64,
    operand: fn(&mut Rng, usize, usize) -> common::Dense<S::Scalar>,
) where
    S::Scalar: TestScalar,
{
    let mut rng = Rng::new(seed);
    let mut ws = GemmWorkspace::new();
    let detected = tropical_blas::detected_isa();
    for (case, &(m, k, n)) in SHAPES.iter().enumerate() {
        let a = operand(&mut rng, m, k);
        let b = operand(&mut rng, k, n);
        let c = random_output::<S>(&mut rng, m, n);
        // Under emulation (the quick run) one odd count beside one thread.
        let thread_counts: &[usize] = if quick() { &[1, 3] } else { &[1, 2, 3, 8] };
        for &threads in thread_counts {
            for (tiling, level) in [
                (None, detected),
                (Some(TilingParams::new(37, 61, 83)), detected),
                (Some(TilingParams::new(64, 128, 256)), IsaLevel::Scalar),
            ] {
                let mut cfg = GemmConfig::default()
                    .with_par(Par::Rayon(threads))
                    .with_isa(level);
                if let Some(t) = tiling {
                    cfg = cfg.with_tiling(t);
                }
                let accum = if (case + threads) % 2 == 0 {
                    Accum::Replace
                } else {
                    Accum::Combine
                };
                let layouts = [
                    LAYOUTS[case % 6],
                    LAYOUTS[(case + threads) % 6],
                    LAYOUTS[(threads + 2) % 6],
                ];
                let what = format!(
                    "{} threads={threads} tiling={tiling:?} level={level}",
                    std::any::type_name::<S>()
                );
                check_product::<S>(&mut ws, &cfg, &a, &b, &c, layouts, accum, &what);
            }
        }
    }
}

#[test]
fn max_plus_f32_every_thread_count() {
    check_threads::<MaxPlus<f32>>(41);
}

#[test]
fn min_plus_i32_every_thread_count() {
    check_threads::<MinPlus<i32>>(42);
}

/// Operands without ZERO, which the sentinel kernels read in place on the
/// direct path (split by rows or by columns).
#[test]
fn max_plus_i64_without_zero_every_thread_count() {
    check_threads_on::<MaxPlus<i64>>(45, common::random_dense_without_zero::<MaxPlus<i64>>);
}

/// f16: the AVX-512 FP16 kernel (32 lanes) split among threads, and the
/// portable kernel below its level.
#[test]
fn max_plus_f16_every_thread_count() {
    check_threads::<MaxPlus<tropical_blas::half::f16>>(46);
}

#[test]
fn max_plus_i16_every_thread_count() {
    check_threads::<MaxPlus<i16>>(46);
}

#[test]
fn min_plus_i16_without_zero_every_thread_count() {
    check_threads_on::<MinPlus<i16>>(47, common::random_dense_without_zero::<MinPlus<i16>>);
}

#[test]
fn max_min_i16_every_thread_count() {
    check_threads::<MaxMin<i16>>(48);
}

#[test]
fn max_min_f64_every_thread_count() {
    check_threads::<MaxMin<f64>>(43);
}

#[test]
fn or_and_every_thread_count() {
    check_threads::<OrAnd>(44);
}

/// The row-group tile (several rows of C per register) split among 1, 2
/// and 3 threads: a tall-skinny product above the one-thread threshold,
/// with a partial last group, at every level this CPU has.
fn check_row_group_threads<S: Semiring>(seed: u64)
where
    S::Scalar: TestScalar,
{
    let mut rng = Rng::new(seed);
    let mut ws = GemmWorkspace::new();
    let (m, k, n) = ((1 << 17) + 5, 4, 4);
    let a = random_dense::<S>(&mut rng, m, k);
    let b = random_dense::<S>(&mut rng, k, n);
    let c = random_output::<S>(&mut rng, m, n);
    let levels = IsaLevel::ALL
        .into_iter()
        .filter(|&level| level <= tropical_blas::detected_isa());
    for (case, level) in levels.enumerate() {
        for (threads, accum) in [
            (1, Accum::Combine),
            (2, Accum::Replace),
            (3, Accum::Combine),
        ] {
            let cfg = GemmConfig::default()
                .with_isa(level)
                .with_par(Par::Rayon(threads));
            check_product::<S>(
                &mut ws,
                &cfg,
                &a,
                &b,
                &c,
                [
                    common::Layout::RowMajor,
                    LAYOUTS[case % 6],
                    common::Layout::RowMajor,
                ],
                accum,
                &format!("row groups [{level}] on {threads} threads"),
            );
        }
    }
}

#[test]
fn row_groups_every_thread_count() {
    check_row_group_threads::<MaxPlus<f32>>(40);
    check_row_group_threads::<MinPlus<i64>>(41);
    // 2-byte lanes take the direct tile instead: the same split, checked.
    check_row_group_threads::<MaxPlus<i16>>(42);
}

#[test]
fn par_settings() {
    assert_eq!(Par::Seq.threads(), 1);
    assert_eq!(Par::Rayon(3).threads(), 3);
    assert_eq!(Par::Rayon(0).threads(), rayon::current_num_threads());
    assert_eq!(GemmConfig::default().par(), Par::Rayon(0));
}
