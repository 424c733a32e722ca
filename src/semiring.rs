//! The `Semiring` trait and the built-in semirings.
//!
//! Every built-in ⊕ is written as a *selection* that matches the x86 SIMD
//! instruction operand order (`vmaxps x, acc` returns `acc` when either is
//! NaN or both are zeros), so the scalar reference and every vector kernel
//! agree bit for bit, NaN and signed zero included.

use std::fmt;
use std::marker::PhantomData;

use crate::IsaLevel;
use crate::element::Element;
use crate::kernel::{ArgKernel, Kernel};

/// A semiring (S, ⊕, ⊗, 0, 1) over a plain scalar type.
///
/// Implement the five required items for your own zero-sized type and
/// [`gemm`](crate::gemm) works with it through the portable kernel. The
/// product is defined as the scalar reference
///
/// ```text
/// acc = ZERO; for p in 0..k { acc = add(acc, mul(A[i,p], B[p,j])) }
/// C[i,j] = acc                     (Accum::Replace)
/// C[i,j] = add(C[i,j], acc)        (Accum::Combine)
/// ```
///
/// and every kernel, tiling and thread count reproduces it exactly.
///
/// ```
/// use tropical_blas::{gemm, Accum, MatMut, MatRef, Semiring};
///
/// /// (max, min) over u8 "capacities": the widest-path semiring.
/// struct Widest;
/// impl Semiring for Widest {
///     type Scalar = u8;
///     const ZERO: u8 = 0;
///     const ONE: u8 = u8::MAX;
///     fn add(acc: u8, x: u8) -> u8 { acc.max(x) }
///     fn mul(a: u8, b: u8) -> u8 { a.min(b) }
/// }
///
/// let a = [3u8, 9, 4, 1];
/// let b = [5u8, 2, 7, 8];
/// let mut c = [0u8; 4];
/// gemm::<Widest>(
///     MatRef::row_major(&a, 2, 2)?,
///     MatRef::row_major(&b, 2, 2)?,
///     MatMut::row_major(&mut c, 2, 2)?,
///     Accum::Replace,
/// )?;
/// assert_eq!(c, [7, 8, 4, 2]);
/// # Ok::<(), tropical_blas::Error>(())
/// ```
pub trait Semiring: Sized + 'static {
    /// The element type.
    type Scalar: Element;
    /// The ⊕ identity, which ⊗ must absorb (−∞ for max-plus).
    const ZERO: Self::Scalar;
    /// The ⊗ identity (0 for max-plus).
    const ONE: Self::Scalar;
    /// ⊕: folds the product `x` into the accumulator `acc`. The order of
    /// the arguments matters where ties or NaN can occur.
    fn add(acc: Self::Scalar, x: Self::Scalar) -> Self::Scalar;
    /// ⊗: the product of an element of A (`a`) and one of B (`b`).
    fn mul(a: Self::Scalar, b: Self::Scalar) -> Self::Scalar;

    /// Set to `true` when [`accepts_input`](Semiring::accepts_input) can
    /// return `false`; `gemm` then scans A and B before computing.
    const RESTRICTS_INPUT: bool = false;

    /// Whether `x` may appear in A or B. The built-in integer (max|min, +)
    /// semirings accept only a range that cannot overflow; every other
    /// semiring accepts all values. `gemm` checks this before it writes
    /// anything and returns [`Error::ValueOutOfRange`](crate::Error::ValueOutOfRange).
    #[inline(always)]
    fn accepts_input(x: Self::Scalar) -> bool {
        let _ = x;
        true
    }

    /// The kernel that runs for this semiring when the ISA level is capped
    /// at `level`. The built-in semirings return their SIMD kernels here
    /// (only for levels this CPU supports); any other semiring gets the
    /// portable kernel, which is always correct.
    fn kernel(level: IsaLevel) -> Kernel<Self> {
        let _ = level;
        Kernel::portable()
    }
}

/// A semiring whose ⊕ *selects* one of its operands (max or min), so every
/// output of a product has a winning k: what
/// [`gemm_argmax`](crate::gemm_argmax) reports.
///
/// The contract ties [`improves`](SelectingSemiring::improves) to ⊕:
/// `add(acc, x)` is `x` when `improves(x, acc)` and `acc` otherwise. A tie
/// does not improve, so the smallest k wins.
///
/// ```
/// use tropical_blas::{MaxPlus, MinPlus, SelectingSemiring};
/// assert!(MaxPlus::<f32>::improves(2.0, 1.0));
/// assert!(!MaxPlus::<f32>::improves(1.0, 1.0)); // ties keep the first
/// assert!(!MaxPlus::<f32>::improves(f32::NAN, 1.0)); // NaN never wins
/// assert!(MinPlus::<f32>::improves(1.0, 2.0));
/// ```
pub trait SelectingSemiring: Semiring {
    /// Whether the candidate `x` strictly beats the incumbent `acc`.
    fn improves(x: Self::Scalar, acc: Self::Scalar) -> bool;

    /// The argmax kernel at ISA level `level`; the built-ins return SIMD
    /// kernels, any other semiring the portable one.
    fn arg_kernel(level: IsaLevel) -> ArgKernel<Self> {
        let _ = level;
        ArgKernel::portable()
    }
}

/// A selecting semiring over a float type whose ⊗ has partial
/// derivatives: what [`argmax_backward`](crate::argmax_backward) needs to
/// route an upstream gradient through the winning products.
pub trait DifferentiableSemiring: SelectingSemiring {
    /// (∂(a ⊗ b)/∂a, ∂(a ⊗ b)/∂b) at (a, b).
    fn mul_partials(a: Self::Scalar, b: Self::Scalar) -> (Self::Scalar, Self::Scalar);
}

/// `if x > acc { x } else { acc }`: the x86 `max` operand order.
#[inline(always)]
pub(crate) fn select_max<T: PartialOrd>(acc: T, x: T) -> T {
    if x > acc { x } else { acc }
}

/// `if x < acc { x } else { acc }`: the x86 `min` operand order.
#[inline(always)]
pub(crate) fn select_min<T: PartialOrd>(acc: T, x: T) -> T {
    if x < acc { x } else { acc }
}

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
        crate::kernel::simd::select::<Self>(level)
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
                crate::kernel::simd::select::<Self>(level)
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
                crate::kernel::simd::select::<Self>(level)
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
                crate::kernel::simd::select::<Self>(level)
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
                crate::kernel::simd::select::<Self>(level)
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
                crate::kernel::simd::select::<Self>(level)
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
                crate::kernel::simd::select_arg::<Self>(level)
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

/// Largest magnitude a finite input of the integer (max|min, +) semirings
/// may have: 2^28 for `i32`, 2^60 for `i64`. Sums of two such values never
/// overflow, and the SIMD kernels can represent ZERO by a sentinel that
/// stays below every finite sum (see `kernel::simd`).
pub trait IntegerInputLimit {
    /// The bound, inclusive, on |x| for a finite input.
    const INPUT_LIMIT: Self;
}
impl IntegerInputLimit for i32 {
    const INPUT_LIMIT: i32 = 1 << 28;
}
impl IntegerInputLimit for i64 {
    const INPUT_LIMIT: i64 = 1 << 60;
}

macro_rules! integer_semirings {
    ($t:ident) => {
        impl Semiring for MaxPlus<$t> {
            type Scalar = $t;
            const ZERO: $t = $t::MIN;
            const ONE: $t = 0;
            fn kernel(level: IsaLevel) -> Kernel<Self> {
                crate::kernel::simd::select::<Self>(level)
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
                crate::kernel::simd::select::<Self>(level)
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
                crate::kernel::simd::select::<Self>(level)
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
                crate::kernel::simd::select::<Self>(level)
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
