//! The built-in semirings over any number type: [`Number`], and the
//! semiring impls it gives `MaxPlus<T>`, `MinPlus<T>`, `MaxMul<T>`,
//! `MaxMin<T>` and `MinMax<T>` on the portable kernel.
//!
//! The types with SIMD kernels (the rows of `builtin`) do not implement
//! [`Number`]; their own impls keep their kernels. A `Number` is every
//! other type: the crate's `i8`, `u8`, `u16`, `u32`, `u64`, and a type of
//! yours.
//!
//! The rules are the built-ins' (⊕ selects with the x86 operand order,
//! ZERO absorbs ⊗), with one input rule that makes every sum or product
//! exact without a sentinel: an input `x` other than ZERO is accepted
//! when `x ⊗ x` is representable (`checked_add`/`checked_mul`) and is not
//! ZERO. Then no product of two accepted inputs overflows (it lies
//! between `x ⊗ x` and `y ⊗ y`, or between them and ONE) nor reads as
//! ZERO, and [`gemm`](crate::gemm) returns
//! [`Error::ValueOutOfRange`](crate::Error::ValueOutOfRange) for any other
//! input before it writes anything.

use std::ops::Neg;

use num_traits::{CheckedAdd, CheckedMul, ConstOne, ConstZero};

use crate::builtin::{MaxMin, MaxMul, MaxPlus, MinMax, MinPlus};
use crate::element::Element;
use crate::semiring::rules::{Addition, Max, MaxFirst, Min, MinFirst, Plus, Rule, Selects, Times};
use crate::semiring::{SelectingSemiring, Semiring};

/// A number type the built-in semirings run on through the portable
/// kernel: an ordered [`Element`] with `num-traits`' constant 0 and 1 and
/// checked `+` and `×`, and its two ends as constants (`num-traits` has
/// its bounds only as functions, and a semiring's ZERO is a constant).
///
/// Which built-ins a `Number` gets: `MinPlus`, `MaxMin`, `MinMax` and
/// `MaxMul` always; `MaxPlus` when it has negatives (`Neg`): over an
/// unsigned type its ZERO, the least value, would also be its ONE.
///
/// ```
/// use tropical_blas::{gemm, Accum, MatMut, MatRef, MinPlus};
/// // Shortest two-hop paths over u16 distances (u16::MAX: no edge).
/// let a = [0u16, 4, u16::MAX, 0];
/// let b = [0u16, 1, 3, 0];
/// let mut c = [0u16; 4];
/// gemm::<MinPlus<u16>>(
///     MatRef::row_major(&a, 2, 2)?,
///     MatRef::row_major(&b, 2, 2)?,
///     MatMut::row_major(&mut c, 2, 2)?,
///     Accum::Replace,
/// )?;
/// assert_eq!(c, [0, 1, 3, 0]);
/// # Ok::<(), tropical_blas::Error>(())
/// ```
pub trait Number: Element + PartialOrd + ConstZero + ConstOne + CheckedAdd + CheckedMul {
    /// The least value: ZERO of the max semirings (−∞ for a float type).
    const LOWEST: Self;
    /// The greatest value: ZERO of the min semirings (+∞ for a float type).
    const HIGHEST: Self;
}

macro_rules! integer_numbers {
    ($($t:ty),*) => {$(
        impl Number for $t {
            const LOWEST: $t = <$t>::MIN;
            const HIGHEST: $t = <$t>::MAX;
        }
    )*};
}
integer_numbers!(i8, u8, u16, u32, u64);

/// `+` of a `Number` for the `Plus` rule, as the crate's integers have it:
/// ZERO absorbs, and accepted inputs never overflow (see the module
/// documentation); a sum that would is ZERO rather than a wrapped value.
impl<T: Number> Addition for T {
    #[inline(always)]
    fn plus<S: Semiring<Scalar = T>>(a: T, b: T) -> T {
        if a == S::ZERO || b == S::ZERO {
            return S::ZERO;
        }
        a.checked_add(&b).unwrap_or(S::ZERO)
    }
}

/// The input rule of the plus semirings: ZERO, or `x + x` representable
/// and not ZERO.
#[inline(always)]
fn sum_in_range<S: Semiring<Scalar: Number>>(x: S::Scalar) -> bool {
    x == S::ZERO || x.checked_add(&x).is_some_and(|twice| twice != S::ZERO)
}

/// Implements `Semiring` and `SelectingSemiring` for `$s<T>` over every
/// `T: Number` (and the extra bounds), from ZERO, ONE and the rule types
/// of ⊕ and ⊗, as the built-in table names them.
macro_rules! number_semiring {
    ($s:ident<T: $($bound:path),+>: zero = $zero:expr, one = $one:expr, add = $add:ty,
     mul = $mul:ty $(, input = $input:expr)?) => {
        impl<T: $($bound +)+> Semiring for $s<T> {
            type Scalar = T;
            const ZERO: T = $zero;
            const ONE: T = $one;
            #[inline(always)]
            fn add(acc: T, x: T) -> T {
                <$add as Rule<Self>>::scalar(acc, x)
            }
            #[inline(always)]
            fn mul(a: T, b: T) -> T {
                <$mul as Rule<Self>>::scalar(a, b)
            }
            $(
                const RESTRICTS_INPUT: bool = true;
                #[inline(always)]
                fn accepts_input(x: T) -> bool {
                    $input(x)
                }
            )?
        }
        impl<T: $($bound +)+> SelectingSemiring for $s<T> {
            #[inline(always)]
            fn improves(x: T, acc: T) -> bool {
                <$add as Selects<T>>::improves(x, acc)
            }
        }
    };
}

number_semiring!(MaxPlus<T: Number, Neg<Output = T>>: zero = T::LOWEST, one = T::ZERO, add = Max,
    mul = Plus, input = sum_in_range::<Self>);
number_semiring!(MinPlus<T: Number>: zero = T::HIGHEST, one = T::ZERO, add = Min, mul = Plus,
    input = sum_in_range::<Self>);
number_semiring!(MaxMin<T: Number>: zero = T::LOWEST, one = T::HIGHEST, add = Max, mul = MinFirst);
number_semiring!(MinMax<T: Number>: zero = T::HIGHEST, one = T::LOWEST, add = Min, mul = MaxFirst);
// `Times` is `a · b`: accepted inputs' products never overflow.
number_semiring!(MaxMul<T: Number>: zero = T::ZERO, one = T::ONE, add = Max, mul = Times,
    input = product_in_range::<T>);

/// The input rule of max-times: 0, or `x ≥ 0` with `x · x` representable
/// (a negative input is outside its domain, as for the float built-ins,
/// where it is documented rather than checked).
#[inline(always)]
fn product_in_range<T: Number>(x: T) -> bool {
    x == T::ZERO || (x > T::ZERO && x.checked_mul(&x).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_input_rule_keeps_every_sum_exact_and_apart_from_zero() {
        // i8: x + x fits and is not MIN for x in -63..=63; -64 doubles to MIN.
        assert!(MaxPlus::<i8>::accepts_input(63));
        assert!(MaxPlus::<i8>::accepts_input(-63));
        assert!(!MaxPlus::<i8>::accepts_input(-64));
        assert!(!MaxPlus::<i8>::accepts_input(64));
        assert!(MaxPlus::<i8>::accepts_input(i8::MIN)); // ZERO itself
        for a in -63i8..=63 {
            for b in -63i8..=63 {
                assert_eq!(MaxPlus::<i8>::mul(a, b), a + b);
                assert_ne!(MaxPlus::<i8>::mul(a, b), i8::MIN);
            }
        }
        assert_eq!(MaxPlus::<i8>::mul(i8::MIN, 5), i8::MIN);
        // u16 min-plus: MAX is ZERO; x + x must fit below it.
        assert!(MinPlus::<u16>::accepts_input(32767));
        assert!(!MinPlus::<u16>::accepts_input(32768));
        assert_eq!(MinPlus::<u16>::mul(u16::MAX, 0), u16::MAX);
        assert_eq!(MinPlus::<u16>::mul(32767, 32767), 65534);
    }

    #[test]
    fn max_times_rejects_negatives_and_overflowing_squares() {
        assert!(MaxMul::<u8>::accepts_input(15));
        assert!(!MaxMul::<u8>::accepts_input(16));
        assert!(!MaxMul::<i8>::accepts_input(-1));
        assert_eq!(MaxMul::<u8>::mul(0, 200), 0);
    }
}
