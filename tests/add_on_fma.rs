//! `TROPICAL_BLAS_ADD_ON_FMA`: the float (max|min, +) kernels that add on
//! the multiply-add units (`1 · a + b`), forced on and off in this test
//! binary's own processes (the variable is read once per process), must
//! give the scalar reference's results bit for bit: sums that round,
//! overflow to ∞, subnormals, signed zeros, NaN; values, argmax, every
//! level; and only those kernels change.

mod common;

use common::{
    Dense, LAYOUTS, Rng, TestScalar, assert_calls_refused, available_levels, check_product,
    reference, reference_arg, rerun_test, sweep,
};
use tropical_blas::{
    Accum, BatchMut, BatchRef, Error, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, MaxMul,
    MaxPlus, MinPlus, NO_ARG, Semiring, TilingParams, arg_kernel_at, dispatch_report,
    gemm_argmax_batched_with, gemm_argmax_with, gemm_batched_with, kernel_at,
};

/// Re-runs this binary with each setting (`TROPICAL_BLAS_FMA_CHILD` marks
/// the child and says what it expects).
#[test]
fn add_on_fma_setting() {
    if let Ok(mode) = std::env::var("TROPICAL_BLAS_FMA_CHILD") {
        return child(&mode);
    }
    for (value, want) in [
        ("on", "on"),
        ("OFF", "off"),
        ("", "default"),
        ("sideways", "invalid"),
    ] {
        let text = rerun_test(
            "add_on_fma_setting",
            &[
                ("TROPICAL_BLAS_ADD_ON_FMA", value),
                ("TROPICAL_BLAS_FMA_CHILD", want),
            ],
        );
        assert!(text.contains("add on FMA: "), "{text}");
    }
}

fn child(want: &str) {
    let report = dispatch_report();
    if want == "invalid" {
        assert_calls_refused(Error::InvalidAddOnFmaSetting {
            value: "sideways".into(),
        });
        println!("add on FMA: invalid setting refused");
        return;
    }
    let on = report.add_on_fma.0;
    let simd = report.active.clone().unwrap() >= IsaLevel::Avx2;
    match want {
        "on" => assert_eq!(on, simd && has_fma()),
        "off" => assert!(!on),
        // Unset: on exactly where the CPU list names this CPU.
        _ => assert_eq!(on, report.add_on_fma.1 == "measured faster on this CPU"),
    }
    println!("add on FMA: {on} ({})", report.add_on_fma.1);
    let fma = has_fma();
    for level in available_levels("add_on_fma") {
        let simd = level != IsaLevel::Scalar;
        let suffix = on && simd && fma;
        for (name, arg_name) in [
            (
                kernel_at::<MaxPlus<f32>>(level).unwrap().name(),
                arg_kernel_at::<MinPlus<f32>>(level).unwrap().name(),
            ),
            (
                kernel_at::<MinPlus<f64>>(level).unwrap().name(),
                arg_kernel_at::<MaxPlus<f64>>(level).unwrap().name(),
            ),
        ] {
            assert_eq!(name.ends_with("-fma"), suffix, "{name} at {level}");
            assert_eq!(arg_name.ends_with("-fma"), suffix, "{arg_name} at {level}");
        }
        // Only a float + moves: max-times keeps its kernel.
        assert!(
            !kernel_at::<MaxMul<f32>>(level)
                .unwrap()
                .name()
                .ends_with("-fma")
        );

        sweep::<MaxPlus<f32>>(level, 31);
        sweep::<MinPlus<f64>>(level, 32);
        rounding_products::<MaxPlus<f32>>(level, 33);
        rounding_products::<MinPlus<f32>>(level, 34);
        rounding_products::<MaxPlus<f64>>(level, 35);
        rounding_products::<MinPlus<f64>>(level, 36);
    }
}

/// Floats whose sums round, overflow and underflow: full-precision values
/// of nearby magnitudes, values near the largest finite one, subnormals
/// and the smallest normals, and the test pool's ties, ±0, ±∞ and NaN.
trait RoundingEdges: TestScalar + Copy {
    fn rounding_edge(rng: &mut Rng) -> Self;
    /// Whether the finite sum `x + y` is not exact.
    fn inexact_sum(x: Self, y: Self) -> bool;
    /// Whether finite `x` and `y` sum to ∞.
    fn is_overflow(x: Self, y: Self, sum: Self) -> bool;
    fn is_subnormal(x: Self) -> bool;
}

macro_rules! rounding_edges {
    ($t:ident, $bits:ident, $mantissa:expr) => {
        impl RoundingEdges for $t {
            fn rounding_edge(rng: &mut Rng) -> Self {
                let sign = if rng.below(2) == 0 { 1.0 } else { -1.0 };
                let mantissa = rng.next_u64() as $bits & $mantissa;
                match rng.below(8) {
                    0 => <$t as TestScalar>::sample(rng),
                    1 => sign * $t::MAX * (0.5 + rng.below(64) as $t / 128.0),
                    2 => sign * $t::from_bits(mantissa),
                    3 => sign * $t::from_bits(mantissa | (1 << ($t::MANTISSA_DIGITS - 1))),
                    _ => {
                        let unit = $t::from_bits(mantissa | (1.0 as $t).to_bits());
                        sign * unit * (1 << rng.below(12)) as $t / 64.0
                    }
                }
            }
            fn inexact_sum(x: Self, y: Self) -> bool {
                let sum = x + y;
                // Two-sum: the rounding error of x + y, exact in floats.
                let y_part = sum - x;
                let error = (x - (sum - y_part)) + (y - y_part);
                sum.is_finite() && error != 0.0
            }
            fn is_overflow(x: Self, y: Self, sum: Self) -> bool {
                x.is_finite() && y.is_finite() && sum.is_infinite()
            }
            fn is_subnormal(x: Self) -> bool {
                x.is_subnormal()
            }
        }
    };
}
rounding_edges!(f32, u32, (1u32 << 23) - 1);
rounding_edges!(f64, u64, (1u64 << 52) - 1);

/// Products of rounding-edge floats, bitwise against the reference: the
/// packed path (forced small blocks, so k-blocks and edge tiles), the
/// default routes (direct for the thin shapes), argmax under both
/// accumulations, and batches of values and argmax; the outer product
/// (k = 1) puts the sums themselves in C, so rounded, overflowing and
/// subnormal sums reach the output.
fn rounding_products<S>(level: IsaLevel, seed: u64)
where
    S: tropical_blas::SelectingSemiring,
    S::Scalar: RoundingEdges,
{
    let mut rng = Rng::new(seed);
    let mut ws = GemmWorkspace::new();
    let edges = |rng: &mut Rng, rows, cols| {
        Dense::from_fn(rows, cols, |_, _| S::Scalar::rounding_edge(rng))
    };
    let what = format!("{} [{level}] rounding edges", std::any::type_name::<S>());
    let shapes = [(48, 1, 40), (37, 53, 29), (3, 200, 70), (64, 9, 48)];
    for (case, (m, k, n)) in shapes.into_iter().enumerate() {
        let a = edges(&mut rng, m, k);
        let b = edges(&mut rng, k, n);
        let c = edges(&mut rng, m, n);
        if k == 1 {
            assert_covers_edges::<S>(&a, &b, &reference::<S>(&a, &b, &c, Accum::Replace));
        }
        let cfg = GemmConfig::default().with_isa(level);
        for accum in [Accum::Replace, Accum::Combine] {
            let layouts = [
                LAYOUTS[case % 6],
                LAYOUTS[(case + 1) % 6],
                LAYOUTS[(case + 3) % 6],
            ];
            let packed = cfg.with_tiling(TilingParams::new(17, 19, 23).with_small_ops(0));
            check_product::<S>(&mut ws, &packed, &a, &b, &c, layouts, accum, &what);
            check_product::<S>(&mut ws, &cfg, &a, &b, &c, layouts, accum, &what);

            let old = Dense::from_fn(m, n, |i, j| ((i * n + j) % 5) as u32);
            let (want_c, want_k) = reference_arg::<S>(&a, &b, &c, &old, accum);
            let (mut got_c, mut got_k) = (c.data.clone(), old.data.clone());
            gemm_argmax_with::<S>(
                &mut ws,
                &cfg,
                MatRef::row_major(&a.data, m, k).unwrap(),
                MatRef::row_major(&b.data, k, n).unwrap(),
                MatMut::row_major(&mut got_c, m, n).unwrap(),
                MatMut::row_major(&mut got_k, m, n).unwrap(),
                accum,
            )
            .unwrap();
            assert_bits::<S>(&got_c, &want_c.data, &format!("{what} argmax {accum:?}"));
            assert_eq!(got_k, want_k.data, "{what} argmax indices {accum:?}");
        }
        batches::<S>(&mut rng, level, (m, k, n), &what);
    }
}

/// Three items of rounding-edge floats through `gemm_batched` and
/// `gemm_argmax_batched`, each item against the reference.
fn batches<S>(rng: &mut Rng, level: IsaLevel, (m, k, n): (usize, usize, usize), what: &str)
where
    S: tropical_blas::SelectingSemiring,
    S::Scalar: RoundingEdges,
{
    const ITEMS: usize = 3;
    let items: Vec<_> = (0..ITEMS)
        .map(|_| {
            let a = Dense::from_fn(m, k, |_, _| S::Scalar::rounding_edge(rng));
            let b = Dense::from_fn(k, n, |_, _| S::Scalar::rounding_edge(rng));
            (a, b)
        })
        .collect();
    let a_all: Vec<_> = items
        .iter()
        .flat_map(|(a, _)| a.data.iter().copied())
        .collect();
    let b_all: Vec<_> = items
        .iter()
        .flat_map(|(_, b)| b.data.iter().copied())
        .collect();
    let a_view = || BatchRef::row_major(&a_all, ITEMS, m, k).unwrap();
    let b_view = || BatchRef::row_major(&b_all, ITEMS, k, n).unwrap();
    let cfg = GemmConfig::default().with_isa(level);
    let mut ws = GemmWorkspace::new();
    let mut c = vec![S::ZERO; ITEMS * m * n];
    let mut c_arg = vec![S::ZERO; ITEMS * m * n];
    let mut argk = vec![0u32; ITEMS * m * n];
    let c_view = BatchMut::row_major(&mut c, ITEMS, m, n).unwrap();
    gemm_batched_with::<S>(&mut ws, &cfg, a_view(), b_view(), c_view, Accum::Replace).unwrap();
    gemm_argmax_batched_with::<S>(
        &mut ws,
        &cfg,
        a_view(),
        b_view(),
        BatchMut::row_major(&mut c_arg, ITEMS, m, n).unwrap(),
        BatchMut::row_major(&mut argk, ITEMS, m, n).unwrap(),
        Accum::Replace,
    )
    .unwrap();
    let (zeros, none) = (
        Dense::from_fn(m, n, |_, _| S::ZERO),
        Dense::from_fn(m, n, |_, _| NO_ARG),
    );
    for (item, (a, b)) in items.iter().enumerate() {
        let (want_c, want_k) = reference_arg::<S>(a, b, &zeros, &none, Accum::Replace);
        let range = item * m * n..(item + 1) * m * n;
        assert_bits::<S>(
            &c[range.clone()],
            &want_c.data,
            &format!("{what} batch item {item}"),
        );
        assert_bits::<S>(
            &c_arg[range.clone()],
            &want_c.data,
            &format!("{what} argmax batch item {item}"),
        );
        assert_eq!(
            argk[range], want_k.data,
            "{what} argmax batch item {item} indices"
        );
    }
}

fn assert_bits<S: Semiring>(got: &[S::Scalar], want: &[S::Scalar], what: &str)
where
    S::Scalar: TestScalar,
{
    for (idx, (got, want)) in got.iter().zip(want).enumerate() {
        assert_eq!(
            got.bits(),
            want.bits(),
            "{what} [{idx}]: {got:?} vs {want:?}"
        );
    }
}

/// The outputs of an outer product (k = 1: each output is the sum of its
/// row's and column's element, or ZERO for NaN) hold what the test claims:
/// sums that rounded, that overflowed to ∞, and that are subnormal.
fn assert_covers_edges<S: Semiring>(
    a: &Dense<S::Scalar>,
    b: &Dense<S::Scalar>,
    sums: &Dense<S::Scalar>,
) where
    S::Scalar: RoundingEdges,
{
    let (mut rounded, mut overflowed, mut subnormal) = (0, 0, 0);
    for i in 0..sums.rows {
        for j in 0..sums.cols {
            let (x, y, sum) = (a.at(i, 0), b.at(0, j), sums.at(i, j));
            rounded += usize::from(S::Scalar::inexact_sum(x, y));
            overflowed += usize::from(S::Scalar::is_overflow(x, y, sum));
            subnormal += usize::from(S::Scalar::is_subnormal(sum));
        }
    }
    assert!(
        rounded > 100 && overflowed > 0 && subnormal > 0,
        "{rounded} {overflowed} {subnormal}"
    );
}

#[test]
fn rounding_edges_hold_at_the_default_setting() {
    if std::env::var("TROPICAL_BLAS_FMA_CHILD").is_ok() {
        return;
    }
    for level in available_levels("rounding_edges") {
        rounding_products::<MaxPlus<f32>>(level, 41);
        rounding_products::<MinPlus<f64>>(level, 42);
    }
}

/// Whether this CPU has FMA (the `-fma` kernels are bound only then).
fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    return false;
}
