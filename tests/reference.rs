//! Every built-in (semiring, type) against the scalar reference, bitwise,
//! at every ISA level this CPU has.

mod common;

use common::{
    ALL_LAYOUTS, Dense, Layout, Rng, TestScalar, available_levels, check_product, random_dense,
    random_dense_without_zero, random_output, sweep,
};
use tropical_blas::half::{bf16, f16};
use tropical_blas::{
    Accum, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, MaxMin, MaxMul, MaxPlus, MinMax,
    MinPlus, OrAnd, Semiring, TilingParams, gemm_with,
};

macro_rules! sweep_tests {
    ($($name:ident: $s:ty, $seed:expr;)*) => {$(
        #[test]
        fn $name() {
            for level in available_levels(stringify!($name)) {
                sweep::<$s>(level, $seed);
            }
        }
    )*};
}

sweep_tests! {
    max_plus_f32: MaxPlus<f32>, 1;
    max_plus_f64: MaxPlus<f64>, 2;
    max_plus_i32: MaxPlus<i32>, 3;
    max_plus_i64: MaxPlus<i64>, 4;
    min_plus_f32: MinPlus<f32>, 5;
    min_plus_f64: MinPlus<f64>, 6;
    min_plus_i32: MinPlus<i32>, 7;
    min_plus_i64: MinPlus<i64>, 8;
    max_mul_f32: MaxMul<f32>, 9;
    max_mul_f64: MaxMul<f64>, 10;
    max_min_f32: MaxMin<f32>, 11;
    max_min_f64: MaxMin<f64>, 12;
    max_min_i32: MaxMin<i32>, 13;
    max_min_i64: MaxMin<i64>, 14;
    min_max_f32: MinMax<f32>, 15;
    min_max_f64: MinMax<f64>, 16;
    min_max_i32: MinMax<i32>, 17;
    min_max_i64: MinMax<i64>, 18;
    or_and_bool: OrAnd, 19;
    max_plus_i16: MaxPlus<i16>, 25;
    min_plus_i16: MinPlus<i16>, 26;
    max_min_i16: MaxMin<i16>, 27;
    min_max_i16: MinMax<i16>, 28;
    max_plus_f16: MaxPlus<f16>, 20;
    min_plus_f16: MinPlus<f16>, 21;
    max_mul_f16: MaxMul<f16>, 22;
    max_min_f16: MaxMin<f16>, 23;
    min_max_f16: MinMax<f16>, 24;
    max_plus_bf16: MaxPlus<bf16>, 25;
    min_plus_bf16: MinPlus<bf16>, 26;
    max_mul_bf16: MaxMul<bf16>, 27;
    max_min_bf16: MaxMin<bf16>, 28;
    min_max_bf16: MinMax<bf16>, 29;
}

/// OrAnd's A packing (4 copies of each byte, packed with gathers or
/// widening loads where the ISA can) in every A layout, through both the
/// packed path and the direct path, whose row panels differ (8 and 16
/// rows on AVX-512): whole panels and an edge panel (m = 16, 33), depths
/// around the gathers' step of 4 and a long one, an edge and a wide n.
#[test]
fn or_and_packs_a_in_every_layout() {
    let mut rng = Rng::new(20);
    let mut ws = GemmWorkspace::new();
    for level in available_levels("or_and_packs_a_in_every_layout") {
        let kernel = tropical_blas::kernel_at::<OrAnd>(level).expect("level is available");
        for layout in ALL_LAYOUTS {
            for (m, k, n) in [
                (16, 3, 5),
                (16, 4, 130),
                (33, 5, 5),
                (33, 9, 130),
                (16, 67, 5),
                (33, 67, 130),
            ] {
                let a = random_dense::<OrAnd>(&mut rng, m, k);
                let b = random_dense::<OrAnd>(&mut rng, k, n);
                let c = random_output::<OrAnd>(&mut rng, m, n);
                let layouts = [layout, Layout::RowMajor, Layout::RowMajor];
                for small_ops in [0, usize::MAX] {
                    let cfg = GemmConfig::default().with_isa(level).with_tiling(
                        TilingParams::for_problem(m, n, k, kernel.mr(), kernel.nr())
                            .with_small_ops(small_ops),
                    );
                    let what = format!("OrAnd {} [{level}] small_ops {small_ops}", kernel.name());
                    check_product::<OrAnd>(
                        &mut ws,
                        &cfg,
                        &a,
                        &b,
                        &c,
                        layouts,
                        Accum::Replace,
                        &what,
                    );
                }
            }
        }
    }
}

/// The integer (+) kernels map ZERO to a sentinel when they pack; the
/// direct path reads an operand without ZERO in place instead. Both
/// operands without ZERO, and ZERO in just one of them (once, at a random
/// place, or in a whole row), in every layout, both accumulations, at
/// every level, through the direct path: the reference's bits each time.
#[test]
fn sentinel_kernels_read_operands_without_zero_in_place() {
    /// ZERO at one random place, or along all of row 0.
    fn with_zero<T: Copy>(rng: &mut Rng, mut m: Dense<T>, zero: T, whole_row: bool) -> Dense<T> {
        if whole_row {
            m.data[..m.cols].fill(zero);
        } else {
            let at = rng.below(m.data.len() as u64) as usize;
            m.data[at] = zero;
        }
        m
    }
    fn run<S: Semiring>(seed: u64)
    where
        S::Scalar: TestScalar,
    {
        let name = std::any::type_name::<S>();
        let mut rng = Rng::new(seed);
        let mut ws = GemmWorkspace::new();
        for level in available_levels("sentinel_kernels_read_operands_without_zero_in_place") {
            let cfg = GemmConfig::default()
                .with_isa(level)
                .with_tiling(TilingParams::new(64, 64, 64).with_small_ops(usize::MAX));
            for (m, k, n) in [
                (1, 7, 40),
                (3, 5, 16),
                (16, 16, 16),
                (17, 9, 33),
                (33, 17, 20),
                (64, 64, 64),
            ] {
                for (case, layout) in ALL_LAYOUTS.into_iter().enumerate() {
                    let layouts = [
                        layout,
                        ALL_LAYOUTS[(case + 1) % 7],
                        ALL_LAYOUTS[(case + 2) % 7],
                    ];
                    let whole_row = case % 2 == 0;
                    let free_a = random_dense_without_zero::<S>(&mut rng, m, k);
                    let free_b = random_dense_without_zero::<S>(&mut rng, k, n);
                    let zero_a = with_zero(&mut rng, free_a.clone(), S::ZERO, whole_row);
                    let zero_b = with_zero(&mut rng, free_b.clone(), S::ZERO, whole_row);
                    for (a, b, which) in [
                        (&free_a, &free_b, "neither"),
                        (&zero_a, &free_b, "A"),
                        (&free_a, &zero_b, "B"),
                    ] {
                        let c = random_output::<S>(&mut rng, m, n);
                        for accum in [Accum::Replace, Accum::Combine] {
                            let what = format!(
                                "{name} [{level}] {m}x{k}x{n} {layouts:?} {accum:?}, ZERO in {which}"
                            );
                            check_product::<S>(&mut ws, &cfg, a, b, &c, layouts, accum, &what);
                        }
                    }
                }
            }
        }
    }
    run::<MaxPlus<i32>>(21);
    run::<MinPlus<i32>>(22);
    run::<MaxPlus<i64>>(23);
    run::<MinPlus<i64>>(24);
    run::<MaxPlus<i16>>(29);
    run::<MinPlus<i16>>(30);
}

/// The in-place reading above is the path taken: on the SIMD levels a
/// direct-path product of operands without ZERO packs nothing (a fresh
/// workspace stays empty), and one whose A holds ZERO packs A's panels.
#[test]
fn sentinel_kernels_pack_nothing_without_zero() {
    let n = 64;
    let mut a: Vec<i64> = (0..n * n).map(|i| (i % 7) as i64 - 3).collect();
    let mut c = vec![0i64; n * n];
    for level in available_levels("sentinel_kernels_pack_nothing_without_zero") {
        if level < IsaLevel::Avx2 {
            continue;
        }
        let cfg = GemmConfig::default()
            .with_isa(level)
            .with_tiling(TilingParams::new(n, n, n).with_small_ops(usize::MAX));
        let mut bytes = [0; 2];
        for (with_zero, bytes) in [false, true].into_iter().zip(&mut bytes) {
            a[5] = if with_zero { i64::MIN } else { 2 };
            let mut ws = GemmWorkspace::new();
            gemm_with::<MaxPlus<i64>>(
                &mut ws,
                &cfg,
                MatRef::row_major(&a, n, n).unwrap(),
                MatRef::row_major(&a, n, n).unwrap(),
                MatMut::row_major(&mut c, n, n).unwrap(),
                Accum::Replace,
            )
            .unwrap();
            *bytes = ws.allocated_bytes();
        }
        assert_eq!(bytes[0], 0, "[{level}] operands without ZERO were packed");
        assert!(bytes[1] > 0, "[{level}] operands with ZERO were not packed");
    }
}
