//! The built-in semirings: one table of their rules, and the vector
//! operations each runs on.
//!
//! Every built-in ⊕ is written as a *selection* that matches the x86 SIMD
//! instruction operand order (`vmaxps x, acc` returns `acc` when either is
//! NaN or both are zeros), so the scalar reference and every vector kernel
//! agree bit for bit, NaN and signed zero included.

use std::fmt;
use std::marker::PhantomData;

use half::{bf16, f16};

use crate::binding::select::{BuiltinSimd, select, select_arg};
#[cfg(target_arch = "x86_64")]
use crate::binding::select::{select_fp16, select_fp16_arg};
use crate::isa::IsaLevel;
#[cfg(target_arch = "x86_64")]
use crate::kernels::simd::{ElementLanes, on_fma::OnFma, ops::Ops};
use crate::semiring::counting::{CountingKernel, CountingMax, CountingMin, CountingSemiring};
use crate::semiring::rules::{
    And, Max, MaxFirst, Min, MinFirst, Or, Plus, Rule, Selects, Times, in_range,
};
use crate::semiring::{ArgKernel, DifferentiableSemiring, Kernel, SelectingSemiring, Semiring};

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
    ///
    /// Over f32, f64, i16, i32, i64. Integer inputs other than ZERO must
    /// satisfy |x| ≤ 2^(bits−4): 4096 for i16, 2^28 for i32, 2^60 for i64
    /// (else [`Error::ValueOutOfRange`](crate::Error::ValueOutOfRange)).
    MaxPlus,
    "MAX_PLUS"
);
zero_sized_semiring!(
    /// (min, +): ⊕ = min, ⊗ = +, zero = +∞ (`MAX` for integers), one = 0.
    /// Shortest paths.
    ///
    /// Over f32, f64, i16, i32, i64. Integer inputs other than ZERO must
    /// satisfy |x| ≤ 2^(bits−4): 4096 for i16, 2^28 for i32, 2^60 for i64
    /// (else [`Error::ValueOutOfRange`](crate::Error::ValueOutOfRange)).
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
    /// Bottleneck (widest) paths. Over f32, f64, i16, i32, i64; every
    /// integer value is accepted.
    MaxMin,
    "MAX_MIN"
);
zero_sized_semiring!(
    /// (min, max): zero = +∞, one = −∞ (`MAX`/`MIN` for integers).
    /// Minimax paths. Over f32, f64, i16, i32, i64; every integer value is
    /// accepted.
    MinMax,
    "MIN_MAX"
);

/// (or, and) over `bool`: zero = false, one = true. Reachability.
///
/// GraphBLAS name: `LOR_LAND`.
#[derive(Clone, Copy, Debug, Default)]
pub struct OrAnd;

/// The partial derivatives of the float built-ins' ⊗ (the rules themselves
/// are `semiring::rules`).
mod partials {
    /// ∂(a + b): (1, 1).
    #[inline(always)]
    pub(super) fn plus<T: From<u8>>(_a: T, _b: T) -> (T, T) {
        (T::from(1), T::from(1))
    }
    /// ∂(a · b): (b, a).
    #[inline(always)]
    pub(super) fn times<T>(a: T, b: T) -> (T, T) {
        (b, a)
    }
    /// The gradient flows to the operand `MinFirst` returned (B's on a
    /// tie).
    #[inline(always)]
    pub(super) fn min_first<T: PartialOrd + From<u8>>(a: T, b: T) -> (T, T) {
        if a < b {
            (T::from(1), T::from(0))
        } else {
            (T::from(0), T::from(1))
        }
    }
    /// The gradient flows to the operand `MaxFirst` returned (B's on a
    /// tie).
    #[inline(always)]
    pub(super) fn max_first<T: PartialOrd + From<u8>>(a: T, b: T) -> (T, T) {
        if a > b {
            (T::from(1), T::from(0))
        } else {
            (T::from(0), T::from(1))
        }
    }
}

/// Implements the traits of every row: `Semiring` (ZERO, ONE, and ⊕ and ⊗
/// as the named rule types, whose scalar form is the reference and whose
/// lane form the SIMD kernels run; an input range), `SelectingSemiring`
/// (for a selecting ⊕: its comparison), `DifferentiableSemiring` (⊗'s
/// partials), and the kernels' vector operations per ISA.
macro_rules! builtin_semirings {
    ($($simd:ident ($s:ty, $t:ty): zero = $zero:expr, one = $one:expr, add = $add:ty, mul = $mul:ty
        $(, $selects:ident)? $(, partials = $partials:path)? $(, input = $input:ident)?;)*) => {$(
        impl Semiring for $s {
            type Scalar = $t;
            const ZERO: $t = $zero;
            const ONE: $t = $one;
            fn kernel(level: IsaLevel) -> Kernel<Self> {
                ladder!($simd value, level, $t, $add, $mul)
            }
            #[inline(always)]
            fn add(acc: $t, x: $t) -> $t {
                <$add as Rule<Self>>::scalar(acc, x)
            }
            #[inline(always)]
            fn mul(a: $t, b: $t) -> $t {
                <$mul as Rule<Self>>::scalar(a, b)
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
            #[doc = concat!("`", stringify!($add), "` ", stringify!($selects), ": its comparison is `improves`.")]
            impl SelectingSemiring for $s {
                #[inline(always)]
                fn improves(x: $t, acc: $t) -> bool {
                    <$add as Selects<$t>>::improves(x, acc)
                }
                fn arg_kernel(level: IsaLevel) -> ArgKernel<Self> {
                    ladder!($simd arg, level, $t, $add, $mul)
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
        simd_lanes!($simd $s, $t, $add, $mul);
    )*};
}

/// A row's kernels (`value` or `arg`) at a level, by the ladder its first
/// word names: `lanes` (the element type's AVX-512 and AVX2 lanes, through
/// `BuiltinSimd`), `fp16` (`f16`'s AVX-512 FP16 lanes at `Avx512Fp16`, the
/// portable kernel below) or `portable` (the portable kernel on every
/// level).
macro_rules! ladder {
    (lanes value, $level:expr, $t:ty, $add:ty, $mul:ty) => {
        select::<Self>($level)
    };
    (lanes arg, $level:expr, $t:ty, $add:ty, $mul:ty) => {
        select_arg::<Self>($level)
    };
    (fp16 $kind:ident, $level:expr, $t:ty, $add:ty, $mul:ty) => {{
        #[cfg(target_arch = "x86_64")]
        let kernel = ladder!(@fp16 $kind, Ops<Self, crate::kernels::simd::avx512::F16s, $add, $mul>)($level);
        #[cfg(not(target_arch = "x86_64"))]
        let kernel = ladder!(portable $kind, $level, $t, $add, $mul);
        kernel
    }};
    (@fp16 value, $ops:ty) => {
        select_fp16::<$ops>
    };
    (@fp16 arg, $ops:ty) => {
        select_fp16_arg::<$ops>
    };
    (portable value, $level:expr, $t:ty, $add:ty, $mul:ty) => {{
        let _ = $level;
        Kernel::portable()
    }};
    (portable arg, $level:expr, $t:ty, $add:ty, $mul:ty) => {{
        let _ = $level;
        ArgKernel::portable()
    }};
}

/// `BuiltinSimd` (the vector operations per ISA) for the rows on the
/// `lanes` ladder.
macro_rules! simd_lanes {
    (lanes $s:ty, $t:ty, $add:ty, $mul:ty) => {
        impl BuiltinSimd for $s {
            #[cfg(target_arch = "x86_64")]
            type Avx512 = Ops<Self, <$t as ElementLanes>::Avx512, $add, $mul>;
            #[cfg(target_arch = "x86_64")]
            type Avx2 = Ops<Self, <$t as ElementLanes>::Avx2, $add, $mul>;
            #[cfg(target_arch = "x86_64")]
            type Avx512OnFma =
                Ops<Self, <$t as ElementLanes>::Avx512, $add, <$mul as OnFma<$t>>::Rule>;
            #[cfg(target_arch = "x86_64")]
            type Avx2OnFma = Ops<Self, <$t as ElementLanes>::Avx2, $add, <$mul as OnFma<$t>>::Rule>;
        }
    };
    ($other:ident $s:ty, $t:ty, $add:ty, $mul:ty) => {};
}

/// The rules of each (semiring, kind of scalar) as one `builtin_semirings!`
/// row: the semiring `$s` over the scalar `$t`, on the kernel ladder
/// `$ladder`. Integers have no ∞ (ZERO is `MIN` or `MAX`) and their
/// (max|min, +) rows accept inputs in range only; the half-precision rows
/// (the `half` crate's `f16` and `bf16`) compute ⊗ in `f32` and round once
/// (see `semiring::rules::Addition`).
macro_rules! rules {
    (MaxPlus float, $ladder:ident, $s:ty, $t:ty) => { builtin_semirings! {
        $ladder ($s, $t): zero = <$t>::NEG_INFINITY, one = 0.0, add = Max, mul = Plus, selects,
            partials = partials::plus;
    } };
    (MinPlus float, $ladder:ident, $s:ty, $t:ty) => { builtin_semirings! {
        $ladder ($s, $t): zero = <$t>::INFINITY, one = 0.0, add = Min, mul = Plus, selects,
            partials = partials::plus;
    } };
    (MaxMul float, $ladder:ident, $s:ty, $t:ty) => { builtin_semirings! {
        $ladder ($s, $t): zero = 0.0, one = 1.0, add = Max, mul = Times, selects,
            partials = partials::times;
    } };
    (MaxMin float, $ladder:ident, $s:ty, $t:ty) => { builtin_semirings! {
        $ladder ($s, $t): zero = <$t>::NEG_INFINITY, one = <$t>::INFINITY, add = Max, mul = MinFirst,
            selects, partials = partials::min_first;
    } };
    (MinMax float, $ladder:ident, $s:ty, $t:ty) => { builtin_semirings! {
        $ladder ($s, $t): zero = <$t>::INFINITY, one = <$t>::NEG_INFINITY, add = Min, mul = MaxFirst,
            selects, partials = partials::max_first;
    } };
    (MaxPlus half, $ladder:ident, $s:ty, $t:ty) => { builtin_semirings! {
        $ladder ($s, $t): zero = <$t>::NEG_INFINITY, one = <$t>::ZERO, add = Max, mul = Plus, selects,
            partials = partials::plus;
    } };
    (MinPlus half, $ladder:ident, $s:ty, $t:ty) => { builtin_semirings! {
        $ladder ($s, $t): zero = <$t>::INFINITY, one = <$t>::ZERO, add = Min, mul = Plus, selects,
            partials = partials::plus;
    } };
    (MaxMul half, $ladder:ident, $s:ty, $t:ty) => { builtin_semirings! {
        $ladder ($s, $t): zero = <$t>::ZERO, one = <$t>::ONE, add = Max, mul = Times, selects,
            partials = partials::times;
    } };
    (MaxMin half, $ladder:ident, $s:ty, $t:ty) => { rules!(MaxMin float, $ladder, $s, $t); };
    (MinMax half, $ladder:ident, $s:ty, $t:ty) => { rules!(MinMax float, $ladder, $s, $t); };
    (MaxPlus integer, $ladder:ident, $s:ty, $t:ty) => { builtin_semirings! {
        $ladder ($s, $t): zero = <$t>::MIN, one = 0, add = Max, mul = Plus, selects, input = in_range;
    } };
    (MinPlus integer, $ladder:ident, $s:ty, $t:ty) => { builtin_semirings! {
        $ladder ($s, $t): zero = <$t>::MAX, one = 0, add = Min, mul = Plus, selects, input = in_range;
    } };
    (MaxMin integer, $ladder:ident, $s:ty, $t:ty) => { builtin_semirings! {
        $ladder ($s, $t): zero = <$t>::MIN, one = <$t>::MAX, add = Max, mul = MinFirst, selects;
    } };
    (MinMax integer, $ladder:ident, $s:ty, $t:ty) => { builtin_semirings! {
        $ladder ($s, $t): zero = <$t>::MAX, one = <$t>::MIN, add = Min, mul = MaxFirst, selects;
    } };
    (OrAnd bool, $ladder:ident, $s:ty, $t:ty) => { builtin_semirings! {
        $ladder ($s, $t): zero = false, one = true, add = Or, mul = And;
    } };
}

/// What [`visit_builtins`] calls once for each built-in (semiring, scalar)
/// pair: the crate's own use of the table (the dispatch report), where the
/// exported list cannot be named by path.
pub(crate) trait BuiltinVisitor {
    /// One pair: its name (`"MaxPlus<f32>"`) and type.
    fn visit<S: Semiring>(&mut self, name: &'static str);
}

/// Everything that is per built-in pair, from the one table below: each
/// row's traits (through `rules!`), the exported list behind
/// `for_each_builtin_semiring!` and `for_each_selecting_semiring!`
/// (`$d` is a `$`, for the generated macro's own variables), and
/// [`visit_builtins`].
macro_rules! builtin_table {
    ($d:tt
     selecting: $($name:literal = $s:ident<$t:ident>: $ladder:ident $kind:ident;)*
     other: $($other_name:literal = $other:ident($other_t:ident): $other_ladder:ident $other_kind:ident;)*) => {
        $(rules!($s $kind, $ladder, $s<$t>, $t);)*
        $(rules!($other $other_kind, $other_ladder, $other, $other_t);)*

        /// The list behind `for_each_builtin_semiring!` (`all`) and
        /// `for_each_selecting_semiring!` (`selecting`).
        #[doc(hidden)]
        #[macro_export]
        macro_rules! __builtin_pairs {
            ($d callback:ident, selecting) => {
                $d callback! { $(($name, $crate::$s<$crate::__scalars::$t>),)* }
            };
            ($d callback:ident, all) => {
                $d callback! {
                    $(($name, $crate::$s<$crate::__scalars::$t>),)*
                    $(($other_name, $crate::$other),)*
                }
            };
        }

        /// Calls `visitor` for every built-in pair, in the exported list's
        /// order.
        pub(crate) fn visit_builtins(visitor: &mut impl BuiltinVisitor) {
            $(visitor.visit::<$s<$t>>($name);)*
            $(visitor.visit::<$other>($other_name);)*
        }
    };
}

// Every built-in (semiring, scalar) pair, once: its name, its semiring
// over its scalar, its kernels' ladder (`ladder!`) and its rules' kind
// (`rules!`). A new pair is one row here (and its rules, if new).
builtin_table! { $
    selecting:
    "MaxPlus<f32>" = MaxPlus<f32>: lanes float;
    "MinPlus<f32>" = MinPlus<f32>: lanes float;
    "MaxMul<f32>" = MaxMul<f32>: lanes float;
    "MaxMin<f32>" = MaxMin<f32>: lanes float;
    "MinMax<f32>" = MinMax<f32>: lanes float;
    "MaxPlus<f64>" = MaxPlus<f64>: lanes float;
    "MinPlus<f64>" = MinPlus<f64>: lanes float;
    "MaxMul<f64>" = MaxMul<f64>: lanes float;
    "MaxMin<f64>" = MaxMin<f64>: lanes float;
    "MinMax<f64>" = MinMax<f64>: lanes float;
    "MaxPlus<i32>" = MaxPlus<i32>: lanes integer;
    "MinPlus<i32>" = MinPlus<i32>: lanes integer;
    "MaxMin<i32>" = MaxMin<i32>: lanes integer;
    "MinMax<i32>" = MinMax<i32>: lanes integer;
    "MaxPlus<i64>" = MaxPlus<i64>: lanes integer;
    "MinPlus<i64>" = MinPlus<i64>: lanes integer;
    "MaxMin<i64>" = MaxMin<i64>: lanes integer;
    "MinMax<i64>" = MinMax<i64>: lanes integer;
    "MaxPlus<i16>" = MaxPlus<i16>: lanes integer;
    "MinPlus<i16>" = MinPlus<i16>: lanes integer;
    "MaxMin<i16>" = MaxMin<i16>: lanes integer;
    "MinMax<i16>" = MinMax<i16>: lanes integer;
    "MaxPlus<f16>" = MaxPlus<f16>: fp16 half;
    "MinPlus<f16>" = MinPlus<f16>: fp16 half;
    "MaxMul<f16>" = MaxMul<f16>: fp16 half;
    "MaxMin<f16>" = MaxMin<f16>: fp16 half;
    "MinMax<f16>" = MinMax<f16>: fp16 half;
    "MaxPlus<bf16>" = MaxPlus<bf16>: portable half;
    "MinPlus<bf16>" = MinPlus<bf16>: portable half;
    "MaxMul<bf16>" = MaxMul<bf16>: portable half;
    "MaxMin<bf16>" = MaxMin<bf16>: portable half;
    "MinMax<bf16>" = MinMax<bf16>: portable half;
    other:
    "OrAnd" = OrAnd(bool): lanes bool;
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

/// The counting tropical built-ins: one row per (semiring, value type),
/// naming its direction once; the scalar rule is
/// `CountingSemiring::fold`, the lanes' `fold::<MAX>` its vector form.
macro_rules! counting_rows {
    ($($s:ident<$t:ty>: maximizes = $max:expr;)*) => {$(
        impl crate::semiring::counting::sealed::Sealed for $s<$t> {}
        impl CountingSemiring for $s<$t> {
            type Value = $t;
            const MAXIMIZES: bool = $max;
            fn counting_kernel(level: IsaLevel) -> CountingKernel<Self> {
                crate::binding::counting::select::<Self>(level)
            }
        }
    )*};
}
counting_rows! {
    CountingMax<f32>: maximizes = true;
    CountingMin<f32>: maximizes = false;
    CountingMax<f64>: maximizes = true;
    CountingMin<f64>: maximizes = false;
}
