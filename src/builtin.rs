//! The built-in semirings: one table of their rules, and the vector
//! operations each runs on.
//!
//! Every built-in ⊕ is written as a *selection* that matches the x86 SIMD
//! instruction operand order (`vmaxps x, acc` returns `acc` when either is
//! NaN or both are zeros), so the scalar reference and every vector kernel
//! agree bit for bit, NaN and signed zero included.

use std::fmt;
use std::marker::PhantomData;

use crate::binding::select::{BuiltinSimd, select, select_arg};
use crate::isa::IsaLevel;
use crate::semiring::{
    ArgKernel, DifferentiableSemiring, Kernel, SelectingSemiring, Semiring, select_max, select_min,
};

macro_rules! zero_sized_semiring {
    ($(#[$doc:meta])* $name:ident, $graphblas:literal) => {
        $(#[$doc])*
        #[doc = concat!("\n\nGraphBLAS name: `", $graphblas, "`.")]
        pub struct $name<T>(PhantomData<fn() -> T>);

        impl<T> Clone for $name<T> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<T> Copy for $name<T> {}
        impl<T> Default for $name<T> {
            fn default() -> Self {
                Self(PhantomData)
            }
        }
        impl<T> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}<{}>", stringify!($name), std::any::type_name::<T>())
            }
        }
    };
}

zero_sized_semiring!(
    /// (max, +): ⊕ = max, ⊗ = +, zero = −∞ (`MIN` for integers), one = 0.
    /// Longest paths, Viterbi, tropical tensor networks.
    MaxPlus,
    "MAX_PLUS"
);
zero_sized_semiring!(
    /// (min, +): ⊕ = min, ⊗ = +, zero = +∞ (`MAX` for integers), one = 0.
    /// Shortest paths.
    MinPlus,
    "MIN_PLUS"
);
zero_sized_semiring!(
    /// (max, ×) over non-negative floats: zero = 0, one = 1. Most-probable
    /// paths on probabilities.
    MaxMul,
    "MAX_TIMES"
);
zero_sized_semiring!(
    /// (max, min): zero = −∞, one = +∞ (`MIN`/`MAX` for integers).
    /// Bottleneck (widest) paths.
    MaxMin,
    "MAX_MIN"
);
zero_sized_semiring!(
    /// (min, max): zero = +∞, one = −∞ (`MAX`/`MIN` for integers).
    /// Minimax paths.
    MinMax,
    "MIN_MAX"
);

/// (or, and) over `bool`: zero = false, one = true. Reachability.
///
/// GraphBLAS name: `LOR_LAND`.
#[derive(Clone, Copy, Debug, Default)]
pub struct OrAnd;

/// The scalar ⊕, ⊗ and ⊗-partials the table below names. Every ⊕ is a
/// selection in the x86 `max`/`min` operand order (see `select_max`).
mod rules {
    use std::ops::{Add, Mul};

    use crate::semiring::{IntegerInputLimit, Semiring};

    #[inline(always)]
    pub(super) fn plus<T: Add<Output = T>>(a: T, b: T) -> T {
        a + b
    }
    #[inline(always)]
    pub(super) fn times<T: Mul<Output = T>>(a: T, b: T) -> T {
        a * b
    }
    /// `vmin a, b`: A's element first.
    #[inline(always)]
    pub(super) fn min_first<T: PartialOrd>(a: T, b: T) -> T {
        if a < b { a } else { b }
    }
    /// `vmax a, b`: A's element first.
    #[inline(always)]
    pub(super) fn max_first<T: PartialOrd>(a: T, b: T) -> T {
        if a > b { a } else { b }
    }
    #[inline(always)]
    pub(super) fn or(acc: bool, x: bool) -> bool {
        acc | x
    }
    #[inline(always)]
    pub(super) fn and(a: bool, b: bool) -> bool {
        a & b
    }

    /// Integer + with ZERO absorbing. In-range sums cannot overflow;
    /// outside the range (direct calls only) the sum saturates.
    #[inline(always)]
    pub(super) fn absorbing_plus<S: Semiring<Scalar: SaturatingPlus>>(
        a: S::Scalar,
        b: S::Scalar,
    ) -> S::Scalar {
        if a == S::ZERO || b == S::ZERO {
            S::ZERO
        } else {
            a.saturating_plus(b)
        }
    }

    /// The inputs the integer (max|min, +) semirings accept: ZERO, and
    /// magnitudes up to `INPUT_LIMIT`.
    #[inline(always)]
    pub(super) fn in_range<S: Semiring<Scalar: IntegerInputLimit + SaturatingPlus>>(
        x: S::Scalar,
    ) -> bool {
        x == S::ZERO || (S::Scalar::NEG_LIMIT..=S::Scalar::INPUT_LIMIT).contains(&x)
    }

    /// `saturating_add` of the integer types, and the negated input limit.
    pub(super) trait SaturatingPlus: Copy + PartialOrd + IntegerInputLimit {
        const NEG_LIMIT: Self;
        fn saturating_plus(self, other: Self) -> Self;
    }
    macro_rules! saturating_plus {
        ($($t:ty),*) => {$(
            impl SaturatingPlus for $t {
                const NEG_LIMIT: $t = -<$t as IntegerInputLimit>::INPUT_LIMIT;
                #[inline(always)]
                fn saturating_plus(self, other: $t) -> $t {
                    self.saturating_add(other)
                }
            }
        )*};
    }
    saturating_plus!(i32, i64);

    /// ∂(a + b): (1, 1).
    #[inline(always)]
    pub(super) fn plus_partials<T: From<u8>>(_a: T, _b: T) -> (T, T) {
        (T::from(1), T::from(1))
    }
    /// ∂(a · b): (b, a).
    #[inline(always)]
    pub(super) fn times_partials<T>(a: T, b: T) -> (T, T) {
        (b, a)
    }
    /// The gradient flows to the operand `min_first` returned (B's on a
    /// tie).
    #[inline(always)]
    pub(super) fn min_first_partials<T: PartialOrd + From<u8>>(a: T, b: T) -> (T, T) {
        if a < b {
            (T::from(1), T::from(0))
        } else {
            (T::from(0), T::from(1))
        }
    }
    /// The gradient flows to the operand `max_first` returned (B's on a
    /// tie).
    #[inline(always)]
    pub(super) fn max_first_partials<T: PartialOrd + From<u8>>(a: T, b: T) -> (T, T) {
        if a > b {
            (T::from(1), T::from(0))
        } else {
            (T::from(0), T::from(1))
        }
    }
}

use rules::*;

/// Implements the traits of every row: `Semiring` (ZERO, ONE, ⊕, ⊗, the
/// SIMD kernels, an input range), `SelectingSemiring` (the strict
/// comparison ⊕ selects by), `DifferentiableSemiring` (⊗'s partials), and
/// `BuiltinSimd` (the vector operations each ISA runs it with, from the
/// lane tables in `kernels::simd`).
macro_rules! builtin_semirings {
    ($(($s:ty, $t:ty): zero = $zero:expr, one = $one:expr, add = $add:path, mul = $mul:path,
        simd = $ops:ident $(, improves = $cmp:tt)? $(, partials = $partials:path)?
        $(, input = $input:ident)?;)*) => {$(
        impl Semiring for $s {
            type Scalar = $t;
            const ZERO: $t = $zero;
            const ONE: $t = $one;
            fn kernel(level: IsaLevel) -> Kernel<Self> {
                select::<Self>(level)
            }
            #[inline(always)]
            fn add(acc: $t, x: $t) -> $t {
                $add(acc, x)
            }
            #[inline(always)]
            fn mul(a: $t, b: $t) -> $t {
                $mul(a, b)
            }
            $(
                const RESTRICTS_INPUT: bool = true;
                #[inline(always)]
                fn accepts_input(x: $t) -> bool {
                    $input::<Self>(x)
                }
            )?
        }
        $(
            impl SelectingSemiring for $s {
                #[inline(always)]
                fn improves(x: $t, acc: $t) -> bool {
                    x $cmp acc
                }
                fn arg_kernel(level: IsaLevel) -> ArgKernel<Self> {
                    select_arg::<Self>(level)
                }
            }
        )?
        $(
            impl DifferentiableSemiring for $s {
                #[inline(always)]
                fn mul_partials(a: $t, b: $t) -> ($t, $t) {
                    $partials(a, b)
                }
            }
        )?
        impl BuiltinSimd for $s {
            #[cfg(target_arch = "x86_64")]
            type Avx512 = crate::kernels::simd::avx512::$ops<Self>;
            #[cfg(target_arch = "x86_64")]
            type Avx2 = crate::kernels::simd::avx2::$ops<Self>;
        }
    )*};
}

builtin_semirings! {
    (MaxPlus<f32>, f32): zero = f32::NEG_INFINITY, one = 0.0, add = select_max, mul = plus,
        simd = MaxPlusF32, improves = >, partials = plus_partials;
    (MinPlus<f32>, f32): zero = f32::INFINITY, one = 0.0, add = select_min, mul = plus,
        simd = MinPlusF32, improves = <, partials = plus_partials;
    (MaxMul<f32>, f32): zero = 0.0, one = 1.0, add = select_max, mul = times,
        simd = MaxMulF32, improves = >, partials = times_partials;
    (MaxMin<f32>, f32): zero = f32::NEG_INFINITY, one = f32::INFINITY, add = select_max, mul = min_first,
        simd = MaxMinF32, improves = >, partials = min_first_partials;
    (MinMax<f32>, f32): zero = f32::INFINITY, one = f32::NEG_INFINITY, add = select_min, mul = max_first,
        simd = MinMaxF32, improves = <, partials = max_first_partials;
    (MaxPlus<f64>, f64): zero = f64::NEG_INFINITY, one = 0.0, add = select_max, mul = plus,
        simd = MaxPlusF64, improves = >, partials = plus_partials;
    (MinPlus<f64>, f64): zero = f64::INFINITY, one = 0.0, add = select_min, mul = plus,
        simd = MinPlusF64, improves = <, partials = plus_partials;
    (MaxMul<f64>, f64): zero = 0.0, one = 1.0, add = select_max, mul = times,
        simd = MaxMulF64, improves = >, partials = times_partials;
    (MaxMin<f64>, f64): zero = f64::NEG_INFINITY, one = f64::INFINITY, add = select_max, mul = min_first,
        simd = MaxMinF64, improves = >, partials = min_first_partials;
    (MinMax<f64>, f64): zero = f64::INFINITY, one = f64::NEG_INFINITY, add = select_min, mul = max_first,
        simd = MinMaxF64, improves = <, partials = max_first_partials;
    (MaxPlus<i32>, i32): zero = i32::MIN, one = 0, add = select_max, mul = absorbing_plus::<Self>,
        simd = MaxPlusI32, improves = >, input = in_range;
    (MinPlus<i32>, i32): zero = i32::MAX, one = 0, add = select_min, mul = absorbing_plus::<Self>,
        simd = MinPlusI32, improves = <, input = in_range;
    (MaxMin<i32>, i32): zero = i32::MIN, one = i32::MAX, add = select_max, mul = min_first,
        simd = MaxMinI32, improves = >;
    (MinMax<i32>, i32): zero = i32::MAX, one = i32::MIN, add = select_min, mul = max_first,
        simd = MinMaxI32, improves = <;
    (MaxPlus<i64>, i64): zero = i64::MIN, one = 0, add = select_max, mul = absorbing_plus::<Self>,
        simd = MaxPlusI64, improves = >, input = in_range;
    (MinPlus<i64>, i64): zero = i64::MAX, one = 0, add = select_min, mul = absorbing_plus::<Self>,
        simd = MinPlusI64, improves = <, input = in_range;
    (MaxMin<i64>, i64): zero = i64::MIN, one = i64::MAX, add = select_max, mul = min_first,
        simd = MaxMinI64, improves = >;
    (MinMax<i64>, i64): zero = i64::MAX, one = i64::MIN, add = select_min, mul = max_first,
        simd = MinMaxI64, improves = <;
    (OrAnd, bool): zero = false, one = true, add = or, mul = and, simd = OrAndBool;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::tuning;

    #[test]
    fn kernels_report_the_blocks_their_caches_give() {
        // A kernel that packs A as is gets the one-copy sizes.
        let k = MaxPlus::<f32>::kernel(IsaLevel::Avx512);
        assert_eq!(
            k.cache_derived_tiling(),
            tuning::cache_derived_tiling(4, k.mr(), k.nr())
        );
        // The bool kernels count every copy of their spread A.
        let k = OrAnd::kernel(IsaLevel::Avx512);
        let t = k.cache_derived_tiling();
        let l = tuning::cache_derived_limits(1, k.a_spread, k.mr(), k.nr());
        assert_eq!(
            (t.mc, t.kc, t.nc, t.small_ops),
            (l.mc, l.kc, l.nc, l.small_ops)
        );
        let budget = (tuning::cache_sizes().l2 / tuning::A_BLOCK_L2_SHARE)
            .max(2 * k.mr() * t.kc * k.a_spread);
        assert!(t.mc * t.kc * k.a_spread <= budget, "{t:?}");
    }
}
