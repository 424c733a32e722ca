//! A semiring the crate does not ship runs through the portable path,
//! and so do the built-in semirings over a `Number` type: the crate's
//! `i8`, `u16`, `u32`, `u64`, and a fixed-point type of the test's own.

mod common;

use std::ops::{Add, Mul, Neg};

use common::{
    Dense, LAYOUTS, Rng, TestScalar, check_product, random_dense, random_output, reference_arg,
    store, sweep,
};
use num_traits::{CheckedAdd, CheckedMul, ConstOne, ConstZero, One, Zero};
use tropical_blas::{
    Accum, Element, Error, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, MaxMin, MaxMul,
    MaxPlus, MinMax, MinPlus, NO_ARG, Number, Par, SelectingSemiring, Semiring, TilingParams, gemm,
    gemm_argmax_with, kernel_for,
};

/// Widest path over u8 capacities: (max, min), implementing exactly the
/// five required items.
struct Widest;

impl Semiring for Widest {
    type Scalar = u8;
    const ZERO: u8 = 0;
    const ONE: u8 = u8::MAX;
    fn add(acc: u8, x: u8) -> u8 {
        acc.max(x)
    }
    fn mul(a: u8, b: u8) -> u8 {
        a.min(b)
    }
}

/// Ordinary (+, ×) over wrapping i64: a non-selecting ⊕.
struct Counting;

impl Semiring for Counting {
    type Scalar = i64;
    const ZERO: i64 = 0;
    const ONE: i64 = 1;
    fn add(acc: i64, x: i64) -> i64 {
        acc.wrapping_add(x)
    }
    fn mul(a: i64, b: i64) -> i64 {
        a.wrapping_mul(b)
    }
}

#[test]
fn user_semiring_gets_the_portable_kernel() {
    let kernel = kernel_for::<Widest>().unwrap();
    assert_eq!(kernel.name(), "portable");
}

#[test]
fn user_semiring_matches_reference_on_every_path() {
    let mut rng = Rng::new(5);
    let mut ws = GemmWorkspace::new();
    let mut case = 0;
    for (m, k, n) in [(1, 1, 1), (9, 3, 17), (33, 40, 5), (64, 64, 64), (4, 0, 4)] {
        let a = random_dense::<Widest>(&mut rng, m, k);
        let b = random_dense::<Widest>(&mut rng, k, n);
        let c = random_output::<Widest>(&mut rng, m, n);
        for cfg in [
            GemmConfig::default(),
            GemmConfig::default().with_tiling(TilingParams::new(5, 7, 9)),
        ] {
            for accum in [Accum::Replace, Accum::Combine] {
                let layouts = [
                    LAYOUTS[case % 6],
                    LAYOUTS[(case + 1) % 6],
                    LAYOUTS[(case + 2) % 6],
                ];
                check_product::<Widest>(&mut ws, &cfg, &a, &b, &c, layouts, accum, "Widest");
                case += 1;
            }
        }
    }
}

#[test]
fn counting_semiring_counts_paths() {
    // Adjacency of a directed 4-cycle plus a chord 0→2: (A²)[0][2] counts
    // the 2-step paths 0→1→2 (one).
    let adj = [0i64, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0];
    let mut two = [0i64; 16];
    gemm::<Counting>(
        MatRef::row_major(&adj, 4, 4).unwrap(),
        MatRef::row_major(&adj, 4, 4).unwrap(),
        MatMut::row_major(&mut two, 4, 4).unwrap(),
        Accum::Replace,
    )
    .unwrap();
    assert_eq!(two, [0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0]);
}

/// A fixed-point number with 8 fractional bits over i32: a type the crate
/// does not ship, made a `Number` through num-traits.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
#[repr(transparent)]
struct Fixed(i32);

// SAFETY: an i32 in a transparent struct: every bit pattern is valid.
unsafe impl Element for Fixed {}

impl Add for Fixed {
    type Output = Fixed;
    fn add(self, other: Fixed) -> Fixed {
        Fixed(self.0 + other.0)
    }
}
impl Mul for Fixed {
    type Output = Fixed;
    fn mul(self, other: Fixed) -> Fixed {
        Fixed(((i64::from(self.0) * i64::from(other.0)) >> 8) as i32)
    }
}
impl Neg for Fixed {
    type Output = Fixed;
    fn neg(self) -> Fixed {
        Fixed(-self.0)
    }
}
impl Zero for Fixed {
    fn zero() -> Fixed {
        Fixed(0)
    }
    fn is_zero(&self) -> bool {
        self.0 == 0
    }
}
impl One for Fixed {
    fn one() -> Fixed {
        Fixed(1 << 8)
    }
}
impl ConstZero for Fixed {
    const ZERO: Fixed = Fixed(0);
}
impl ConstOne for Fixed {
    const ONE: Fixed = Fixed(1 << 8);
}
impl CheckedAdd for Fixed {
    fn checked_add(&self, other: &Fixed) -> Option<Fixed> {
        self.0.checked_add(other.0).map(Fixed)
    }
}
impl CheckedMul for Fixed {
    fn checked_mul(&self, other: &Fixed) -> Option<Fixed> {
        i32::try_from((i64::from(self.0) * i64::from(other.0)) >> 8)
            .ok()
            .map(Fixed)
    }
}
impl Number for Fixed {
    const LOWEST: Fixed = Fixed(i32::MIN);
    const HIGHEST: Fixed = Fixed(i32::MAX);
}

macro_rules! test_numbers {
    ($($t:ty: |$x:ident| $bits:expr, garbage = $garbage:expr, sample = |$rng:ident| $sample:expr;)*) => {$(
        impl TestScalar for $t {
            fn bits(self) -> u64 {
                let $x = self;
                $bits
            }
            fn sample($rng: &mut Rng) -> Self {
                $sample
            }
            fn garbage() -> Self {
                $garbage
            }
        }
    )*};
}

test_numbers! {
    i8: |x| x as u8 as u64, garbage = 0x5A, sample = |rng| match rng.below(8) {
        0 => i8::MIN,
        1 => i8::MAX,
        2 => -64,
        3 => 63,
        _ => rng.below(9) as i8 - 4,
    };
    u16: |x| u64::from(x), garbage = 0x5A5A, sample = |rng| match rng.below(8) {
        0 => u16::MAX,
        1 => 0,
        2 => 32768,
        3 => 32767,
        _ => rng.below(9) as u16,
    };
    u32: |x| u64::from(x), garbage = 0x5A5A, sample = |rng| match rng.below(8) {
        0 => u32::MAX,
        1 => 0,
        2 => 1 << 16,
        _ => rng.below(9) as u32,
    };
    u64: |x| x, garbage = 0x5A5A, sample = |rng| match rng.below(8) {
        0 => u64::MAX,
        1 => 0,
        _ => rng.below(9),
    };
    Fixed: |x| x.0 as u32 as u64, garbage = Fixed(0x5A5A), sample = |rng| match rng.below(8) {
        0 => Fixed(i32::MIN),
        1 => Fixed(i32::MAX),
        2 => Fixed(1 << 8),
        _ => Fixed((rng.below(9) as i32 - 4) << 7),
    };
}

#[test]
fn number_types_run_the_builtins_on_the_portable_kernel() {
    assert_eq!(kernel_for::<MinPlus<u16>>().unwrap().name(), "portable");
    assert_eq!(kernel_for::<MaxPlus<Fixed>>().unwrap().name(), "portable");
    for level in common::available_levels("number types") {
        sweep::<MaxPlus<i8>>(level, 1);
        sweep::<MinPlus<u16>>(level, 2);
        sweep::<MaxMin<u32>>(level, 3);
        sweep::<MinMax<u64>>(level, 4);
        sweep::<MaxMul<u16>>(level, 5);
        sweep::<MaxPlus<Fixed>>(level, 6);
        sweep::<MinPlus<Fixed>>(level, 7);
        sweep::<MaxMul<Fixed>>(level, 8);
    }
}

/// One argmax product checked against the reference, bitwise.
fn check_argmax<S: SelectingSemiring>(rng: &mut Rng, m: usize, k: usize, n: usize, par: Par)
where
    S::Scalar: TestScalar,
{
    let a = random_dense::<S>(rng, m, k);
    let b = random_dense::<S>(rng, k, n);
    let c0 = random_output::<S>(rng, m, n);
    let k0 = Dense::from_fn(m, n, |i, j| if (i + j) % 3 == 0 { NO_ARG } else { 7 });
    let cfg = GemmConfig::default().with_par(par);
    for accum in [Accum::Replace, Accum::Combine] {
        let (want_c, want_k) = reference_arg::<S>(&a, &b, &c0, &k0, accum);
        let (sa, sb) = (
            store(&a, LAYOUTS[0], S::ZERO),
            store(&b, LAYOUTS[3], S::ZERO),
        );
        let (mut c, mut argk) = (c0.clone(), k0.clone());
        gemm_argmax_with::<S>(
            &mut GemmWorkspace::new(),
            &cfg,
            sa.view(),
            sb.view(),
            MatMut::row_major(&mut c.data, m, n).unwrap(),
            MatMut::row_major(&mut argk.data, m, n).unwrap(),
            accum,
        )
        .unwrap();
        let bits = |d: &Dense<S::Scalar>| d.data.iter().map(|x| x.bits()).collect::<Vec<_>>();
        assert_eq!(bits(&c), bits(&want_c), "{}", std::any::type_name::<S>());
        assert_eq!(argk.data, want_k.data, "{}", std::any::type_name::<S>());
    }
}

#[test]
fn number_types_argmax_matches_reference() {
    let mut rng = Rng::new(11);
    for (m, k, n) in [(1, 1, 1), (7, 13, 9), (40, 70, 33), (5, 0, 3)] {
        for par in [Par::Seq, Par::Rayon(2)] {
            check_argmax::<MaxPlus<i8>>(&mut rng, m, k, n, par);
            check_argmax::<MinPlus<u16>>(&mut rng, m, k, n, par);
            check_argmax::<MaxMin<u64>>(&mut rng, m, k, n, par);
            check_argmax::<MaxMul<u32>>(&mut rng, m, k, n, par);
            check_argmax::<MinMax<Fixed>>(&mut rng, m, k, n, par);
            check_argmax::<MaxPlus<Fixed>>(&mut rng, m, k, n, par);
        }
    }
}

#[test]
fn number_inputs_out_of_range_are_errors_and_write_nothing() {
    // i8 max-plus: -64 doubles to MIN (ZERO), 64 overflows.
    for bad in [-64i8, 64, 127] {
        let a = [1i8, bad];
        let b = [1i8, 1];
        let mut c = [9i8];
        let result = gemm::<MaxPlus<i8>>(
            MatRef::row_major(&a, 1, 2).unwrap(),
            MatRef::row_major(&b, 2, 1).unwrap(),
            MatMut::row_major(&mut c, 1, 1).unwrap(),
            Accum::Replace,
        );
        assert!(
            matches!(result, Err(Error::ValueOutOfRange { .. })),
            "{bad}: {result:?}"
        );
        assert_eq!(c, [9]);
    }
    // Max-times: negatives and factors whose square overflows.
    for bad in [-1i8, 12] {
        let mut c = [3i8];
        let result = gemm::<MaxMul<i8>>(
            MatRef::row_major(&[bad], 1, 1).unwrap(),
            MatRef::row_major(&[1i8], 1, 1).unwrap(),
            MatMut::row_major(&mut c, 1, 1).unwrap(),
            Accum::Replace,
        );
        assert!(
            matches!(result, Err(Error::ValueOutOfRange { .. })),
            "{bad}: {result:?}"
        );
        assert_eq!(c, [3]);
    }
    // In range at the edge: exact.
    let mut c = [0i8];
    gemm::<MaxPlus<i8>>(
        MatRef::row_major(&[63i8, -63], 1, 2).unwrap(),
        MatRef::row_major(&[63i8, 63], 2, 1).unwrap(),
        MatMut::row_major(&mut c, 1, 1).unwrap(),
        Accum::Replace,
    )
    .unwrap();
    assert_eq!(c, [126]);
    assert_eq!(IsaLevel::Scalar.name(), "scalar");
}
