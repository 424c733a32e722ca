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
    ArgKernel, DifferentiableSemiring, IntegerInputLimit, Kernel, SelectingSemiring, Semiring,
    select_max, select_min,
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

impl Semiring for OrAnd {
    type Scalar = bool;
    const ZERO: bool = false;
    const ONE: bool = true;
    fn kernel(level: IsaLevel) -> Kernel<Self> {
        select::<Self>(level)
    }
    #[inline(always)]
    fn add(acc: bool, x: bool) -> bool {
        acc | x
    }
    #[inline(always)]
    fn mul(a: bool, b: bool) -> bool {
        a & b
    }
}

macro_rules! float_semirings {
    ($t:ident) => {
        impl Semiring for MaxPlus<$t> {
            type Scalar = $t;
            const ZERO: $t = $t::NEG_INFINITY;
            const ONE: $t = 0.0;
            fn kernel(level: IsaLevel) -> Kernel<Self> {
                select::<Self>(level)
            }
            #[inline(always)]
            fn add(acc: $t, x: $t) -> $t {
                select_max(acc, x)
            }
            #[inline(always)]
            fn mul(a: $t, b: $t) -> $t {
                a + b
            }
        }
        impl Semiring for MinPlus<$t> {
            type Scalar = $t;
            const ZERO: $t = $t::INFINITY;
            const ONE: $t = 0.0;
            fn kernel(level: IsaLevel) -> Kernel<Self> {
                select::<Self>(level)
            }
            #[inline(always)]
            fn add(acc: $t, x: $t) -> $t {
                select_min(acc, x)
            }
            #[inline(always)]
            fn mul(a: $t, b: $t) -> $t {
                a + b
            }
        }
        impl Semiring for MaxMul<$t> {
            type Scalar = $t;
            const ZERO: $t = 0.0;
            const ONE: $t = 1.0;
            fn kernel(level: IsaLevel) -> Kernel<Self> {
                select::<Self>(level)
            }
            #[inline(always)]
            fn add(acc: $t, x: $t) -> $t {
                select_max(acc, x)
            }
            #[inline(always)]
            fn mul(a: $t, b: $t) -> $t {
                a * b
            }
        }
        impl Semiring for MaxMin<$t> {
            type Scalar = $t;
            const ZERO: $t = $t::NEG_INFINITY;
            const ONE: $t = $t::INFINITY;
            fn kernel(level: IsaLevel) -> Kernel<Self> {
                select::<Self>(level)
            }
            #[inline(always)]
            fn add(acc: $t, x: $t) -> $t {
                select_max(acc, x)
            }
            #[inline(always)]
            fn mul(a: $t, b: $t) -> $t {
                // `vminps a, b`: A's element first.
                if a < b { a } else { b }
            }
        }
        impl Semiring for MinMax<$t> {
            type Scalar = $t;
            const ZERO: $t = $t::INFINITY;
            const ONE: $t = $t::NEG_INFINITY;
            fn kernel(level: IsaLevel) -> Kernel<Self> {
                select::<Self>(level)
            }
            #[inline(always)]
            fn add(acc: $t, x: $t) -> $t {
                select_min(acc, x)
            }
            #[inline(always)]
            fn mul(a: $t, b: $t) -> $t {
                // `vmaxps a, b`: A's element first.
                if a > b { a } else { b }
            }
        }
    };
}

float_semirings!(f32);
float_semirings!(f64);

/// `SelectingSemiring` for the built-ins: `improves` is the strict
/// comparison their ⊕ selects by, and the kernels are the SIMD ones.
macro_rules! selecting {
    ($($s:ident<$t:ty>: $cmp:tt;)*) => {$(
        impl SelectingSemiring for $s<$t> {
            #[inline(always)]
            fn improves(x: $t, acc: $t) -> bool {
                x $cmp acc
            }
            fn arg_kernel(level: IsaLevel) -> ArgKernel<Self> {
                select_arg::<Self>(level)
            }
        }
    )*};
}

selecting! {
    MaxPlus<f32>: >; MinPlus<f32>: <; MaxMul<f32>: >; MaxMin<f32>: >; MinMax<f32>: <;
    MaxPlus<f64>: >; MinPlus<f64>: <; MaxMul<f64>: >; MaxMin<f64>: >; MinMax<f64>: <;
    MaxPlus<i32>: >; MinPlus<i32>: <; MaxMin<i32>: >; MinMax<i32>: <;
    MaxPlus<i64>: >; MinPlus<i64>: <; MaxMin<i64>: >; MinMax<i64>: <;
}

macro_rules! differentiable {
    ($($t:ident),*) => {$(
        impl DifferentiableSemiring for MaxPlus<$t> {
            #[inline(always)]
            fn mul_partials(_a: $t, _b: $t) -> ($t, $t) {
                (1.0, 1.0)
            }
        }
        impl DifferentiableSemiring for MinPlus<$t> {
            #[inline(always)]
            fn mul_partials(_a: $t, _b: $t) -> ($t, $t) {
                (1.0, 1.0)
            }
        }
        impl DifferentiableSemiring for MaxMul<$t> {
            #[inline(always)]
            fn mul_partials(a: $t, b: $t) -> ($t, $t) {
                (b, a)
            }
        }
        impl DifferentiableSemiring for MaxMin<$t> {
            /// The gradient flows to the operand `mul` returned (B's on a tie).
            #[inline(always)]
            fn mul_partials(a: $t, b: $t) -> ($t, $t) {
                if a < b { (1.0, 0.0) } else { (0.0, 1.0) }
            }
        }
        impl DifferentiableSemiring for MinMax<$t> {
            /// The gradient flows to the operand `mul` returned (B's on a tie).
            #[inline(always)]
            fn mul_partials(a: $t, b: $t) -> ($t, $t) {
                if a > b { (1.0, 0.0) } else { (0.0, 1.0) }
            }
        }
    )*};
}

differentiable!(f32, f64);

macro_rules! integer_semirings {
    ($t:ident) => {
        impl Semiring for MaxPlus<$t> {
            type Scalar = $t;
            const ZERO: $t = $t::MIN;
            const ONE: $t = 0;
            fn kernel(level: IsaLevel) -> Kernel<Self> {
                select::<Self>(level)
            }
            #[inline(always)]
            fn add(acc: $t, x: $t) -> $t {
                select_max(acc, x)
            }
            #[inline(always)]
            fn mul(a: $t, b: $t) -> $t {
                // ZERO absorbs; in-range sums cannot overflow, and outside
                // the range (direct calls only) the sum saturates.
                if a == Self::ZERO || b == Self::ZERO {
                    Self::ZERO
                } else {
                    a.saturating_add(b)
                }
            }
            const RESTRICTS_INPUT: bool = true;
            #[inline(always)]
            fn accepts_input(x: $t) -> bool {
                x == Self::ZERO || (-$t::INPUT_LIMIT..=$t::INPUT_LIMIT).contains(&x)
            }
        }
        impl Semiring for MinPlus<$t> {
            type Scalar = $t;
            const ZERO: $t = $t::MAX;
            const ONE: $t = 0;
            fn kernel(level: IsaLevel) -> Kernel<Self> {
                select::<Self>(level)
            }
            #[inline(always)]
            fn add(acc: $t, x: $t) -> $t {
                select_min(acc, x)
            }
            #[inline(always)]
            fn mul(a: $t, b: $t) -> $t {
                if a == Self::ZERO || b == Self::ZERO {
                    Self::ZERO
                } else {
                    a.saturating_add(b)
                }
            }
            const RESTRICTS_INPUT: bool = true;
            #[inline(always)]
            fn accepts_input(x: $t) -> bool {
                x == Self::ZERO || (-$t::INPUT_LIMIT..=$t::INPUT_LIMIT).contains(&x)
            }
        }
        impl Semiring for MaxMin<$t> {
            type Scalar = $t;
            const ZERO: $t = $t::MIN;
            const ONE: $t = $t::MAX;
            fn kernel(level: IsaLevel) -> Kernel<Self> {
                select::<Self>(level)
            }
            #[inline(always)]
            fn add(acc: $t, x: $t) -> $t {
                select_max(acc, x)
            }
            #[inline(always)]
            fn mul(a: $t, b: $t) -> $t {
                if a < b { a } else { b }
            }
        }
        impl Semiring for MinMax<$t> {
            type Scalar = $t;
            const ZERO: $t = $t::MAX;
            const ONE: $t = $t::MIN;
            fn kernel(level: IsaLevel) -> Kernel<Self> {
                select::<Self>(level)
            }
            #[inline(always)]
            fn add(acc: $t, x: $t) -> $t {
                select_min(acc, x)
            }
            #[inline(always)]
            fn mul(a: $t, b: $t) -> $t {
                if a > b { a } else { b }
            }
        }
    };
}

integer_semirings!(i32);
integer_semirings!(i64);

macro_rules! builtin_simd {
    ($($s:ty => $ops:ident;)*) => {$(
        impl BuiltinSimd for $s {
            #[cfg(target_arch = "x86_64")]
            type Avx512 = crate::kernels::simd::avx512::$ops<Self>;
            #[cfg(target_arch = "x86_64")]
            type Avx2 = crate::kernels::simd::avx2::$ops<Self>;
        }
    )*};
}

builtin_simd! {
    MaxPlus<f32> => MaxPlusF32; MinPlus<f32> => MinPlusF32; MaxMul<f32> => MaxMulF32;
    MaxMin<f32> => MaxMinF32; MinMax<f32> => MinMaxF32;
    MaxPlus<f64> => MaxPlusF64; MinPlus<f64> => MinPlusF64; MaxMul<f64> => MaxMulF64;
    MaxMin<f64> => MaxMinF64; MinMax<f64> => MinMaxF64;
    MaxPlus<i32> => MaxPlusI32; MinPlus<i32> => MinPlusI32; MaxMin<i32> => MaxMinI32; MinMax<i32> => MinMaxI32;
    MaxPlus<i64> => MaxPlusI64; MinPlus<i64> => MinPlusI64; MaxMin<i64> => MaxMinI64; MinMax<i64> => MinMaxI64;
    OrAnd => OrAndBool;
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
