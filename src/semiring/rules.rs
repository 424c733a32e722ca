//! The operations the built-in semirings are made of, as types: `Max`,
//! `Min`, `Plus`, `Times`, `MinFirst`, `MaxFirst`, `Or`, `And`. A built-in
//! names its ⊕ and ⊗ once, as two of these; its scalar rule comes from
//! [`Rule`] here, its vector rule from the kernels' lane traits
//! (`kernels::simd::lanes`), and its argmax comparison from [`Selects`].

use std::ops::Mul;

use super::{IntegerInputLimit, Semiring};

/// `if x > acc { x } else { acc }`: the x86 `max` operand order.
#[derive(Clone, Copy, Debug, Default)]
pub struct Max;
/// `if x < acc { x } else { acc }`: the x86 `min` operand order.
#[derive(Clone, Copy, Debug, Default)]
pub struct Min;
/// `a + b` (integers: ZERO absorbs; in-range sums cannot overflow).
#[derive(Clone, Copy, Debug, Default)]
pub struct Plus;
/// `a · b` (`f16`, `bf16`: the `half` crate's product, computed in `f32`
/// and rounded once, which is correctly rounded: two 11-bit (8-bit)
/// significands multiply to at most 22 (16) bits, exact in `f32`, so the
/// one rounding is the only one).
#[derive(Clone, Copy, Debug, Default)]
pub struct Times;
/// `if a < b { a } else { b }`: `vmin a, b`, A's element first.
#[derive(Clone, Copy, Debug, Default)]
pub struct MinFirst;
/// `if a > b { a } else { b }`: `vmax a, b`, A's element first.
#[derive(Clone, Copy, Debug, Default)]
pub struct MaxFirst;
/// `a | b`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Or;
/// `a & b`.
#[derive(Clone, Copy, Debug, Default)]
pub struct And;

/// An operation's scalar rule in semiring `S` (`⊕(acc, x)` or `⊗(a, b)`).
pub trait Rule<S: Semiring> {
    /// The rule applied to two scalars.
    fn scalar(a: S::Scalar, b: S::Scalar) -> S::Scalar;
}

/// A ⊕ that selects one operand: the strict comparison it selects by.
pub trait Selects<T> {
    /// Whether the candidate `x` strictly beats the incumbent `acc`.
    fn improves(x: T, acc: T) -> bool;
}

impl<S: Semiring<Scalar: PartialOrd>> Rule<S> for Max {
    #[inline(always)]
    fn scalar(acc: S::Scalar, x: S::Scalar) -> S::Scalar {
        if x > acc { x } else { acc }
    }
}
impl<S: Semiring<Scalar: PartialOrd>> Rule<S> for Min {
    #[inline(always)]
    fn scalar(acc: S::Scalar, x: S::Scalar) -> S::Scalar {
        if x < acc { x } else { acc }
    }
}
impl<T: PartialOrd> Selects<T> for Max {
    #[inline(always)]
    fn improves(x: T, acc: T) -> bool {
        x > acc
    }
}
impl<T: PartialOrd> Selects<T> for Min {
    #[inline(always)]
    fn improves(x: T, acc: T) -> bool {
        x < acc
    }
}
impl<S: Semiring<Scalar: PartialOrd>> Rule<S> for MinFirst {
    #[inline(always)]
    fn scalar(a: S::Scalar, b: S::Scalar) -> S::Scalar {
        if a < b { a } else { b }
    }
}
impl<S: Semiring<Scalar: PartialOrd>> Rule<S> for MaxFirst {
    #[inline(always)]
    fn scalar(a: S::Scalar, b: S::Scalar) -> S::Scalar {
        if a > b { a } else { b }
    }
}
impl<S: Semiring<Scalar: Mul<Output = S::Scalar>>> Rule<S> for Times {
    #[inline(always)]
    fn scalar(a: S::Scalar, b: S::Scalar) -> S::Scalar {
        a * b
    }
}
impl<S: Semiring<Scalar = bool>> Rule<S> for Or {
    #[inline(always)]
    fn scalar(acc: bool, x: bool) -> bool {
        acc | x
    }
}
impl<S: Semiring<Scalar = bool>> Rule<S> for And {
    #[inline(always)]
    fn scalar(a: bool, b: bool) -> bool {
        a & b
    }
}
impl<S: Semiring<Scalar: Addition>> Rule<S> for Plus {
    #[inline(always)]
    fn scalar(a: S::Scalar, b: S::Scalar) -> S::Scalar {
        S::Scalar::plus::<S>(a, b)
    }
}

/// `+` of a scalar type: plain for floats; for integers ZERO absorbs and
/// the sum saturates (in-range sums never reach the bounds).
pub trait Addition: Copy {
    /// `a + b` in the semiring `S`.
    fn plus<S: Semiring<Scalar = Self>>(a: Self, b: Self) -> Self;
}
impl Addition for f32 {
    #[inline(always)]
    fn plus<S: Semiring<Scalar = f32>>(a: f32, b: f32) -> f32 {
        a + b
    }
}
impl Addition for f64 {
    #[inline(always)]
    fn plus<S: Semiring<Scalar = f64>>(a: f64, b: f64) -> f64 {
        a + b
    }
}
/// The half-precision floats add in `f32` and round once: the sum is the
/// correctly rounded `f16` (`bf16`) sum, as the hardware `vaddph` gives it.
///
/// Why one rounding from `f32` is exact enough. Every `f16` and `bf16` is
/// an `f32` exactly, so the `f32` sum is the exact sum rounded once to 24
/// bits. Rounding that again to p bits equals rounding the exact sum once
/// to p bits whenever 24 ≥ 2p + 2 (Figueroa, "When is double rounding
/// innocuous?", 1995, for + − × ÷ √ under round-to-nearest-even): p = 11
/// for `f16` (24 ≥ 24), p = 8 for `bf16` (24 ≥ 18). Below the normal
/// range no first rounding happens: a sum of two `f16`s is a multiple of
/// 2⁻²⁴, all of `f16`'s range lies inside `f32`'s normal range, and a sum
/// under 2⁻¹⁴ has at most 11 significant bits, exact in `f32`; a sum of
/// two `bf16`s is a multiple of 2⁻¹³³, exact in `f32` below 2⁻¹²⁶ too.
/// Overflow: a sum at or beyond `f16::MAX` + half an ulp (65520) rounds to
/// ±∞ in the conversion, as round-to-nearest prescribes (two `f16`s
/// cannot overflow `f32`); `bf16`'s overflow threshold lies below `f32`'s
/// largest value and is an `f32`, so rounding to `f32` first never moves a
/// sum across it. NaN: a NaN operand's payload passes through, quieted,
/// as on x86; of two NaN operands one passes (as for `f32`, which one is
/// unspecified). ∞ − ∞ gives the x86 default NaN (`0xFE00` as `f16`).
macro_rules! half_addition {
    ($($t:ty),*) => {$(
        impl Addition for $t {
            #[inline(always)]
            fn plus<S: Semiring<Scalar = $t>>(a: $t, b: $t) -> $t {
                <$t>::from_f32(a.to_f32() + b.to_f32())
            }
        }
    )*};
}
half_addition!(half::f16, half::bf16);

macro_rules! absorbing_addition {
    ($($t:ty),*) => {$(
        impl Addition for $t {
            #[inline(always)]
            fn plus<S: Semiring<Scalar = $t>>(a: $t, b: $t) -> $t {
                if a == S::ZERO || b == S::ZERO {
                    S::ZERO
                } else {
                    a.saturating_add(b)
                }
            }
        }
    )*};
}
absorbing_addition!(i16, i32, i64);

/// The inputs the integer (max|min, +) semirings accept: ZERO, and
/// magnitudes up to `INPUT_LIMIT`.
#[inline(always)]
pub(crate) fn in_range<S>(x: S::Scalar) -> bool
where
    S: Semiring<Scalar: IntegerInputLimit + PartialOrd + std::ops::Neg<Output = S::Scalar>>,
{
    let limit = S::Scalar::INPUT_LIMIT;
    x == S::ZERO || (-limit..=limit).contains(&x)
}
