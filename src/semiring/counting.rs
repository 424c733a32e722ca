//! Counting tropical semirings (TropicalNumbers.jl's `CountingTropical`):
//! an element is a (value, count) pair; ⊗ adds the values and multiplies
//! the counts, ⊕ keeps the better value and adds the counts on a tie.
//!
//! This module says what the product is (the scalar rule every kernel
//! reproduces) and what a counting kernel handle holds; the kernels are
//! in `kernels::counting`, the loop in `frame::counting`, the choice of
//! kernel in `binding::counting`.

use std::marker::PhantomData;

use crate::isa::IsaLevel;

/// Counts are `f64` holding integers: exact below this bound (2^53), the
/// largest power of two below which every integer is an `f64`. A product
/// whose counts are all below it is exact whatever the order of the sums;
/// a count that reaches it is an [`Error::CountOverflow`](crate::Error::CountOverflow).
pub const COUNT_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Whether `count` is a count the rule accepts: an integer in [0, 2^53),
/// and not −0.0 (the kernels add counts to +0.0, the scalar rule keeps a
/// lone −0.0: only +0.0 gives the same bits on every path).
///
/// Integral by adding and subtracting 2^52, which rounds a number below
/// 2^52 to an integer (every float from 2^52 up is one): `fract` is a call
/// to libm's `trunc` on the baseline target; this is branch-free, so that
/// a scan of counts vectorizes.
#[inline(always)]
pub(crate) fn valid_count(count: f64) -> bool {
    const TWO_52: f64 = (1u64 << 52) as f64;
    let integral = (count >= TWO_52) | ((count + TWO_52) - TWO_52 == count);
    (0.0..COUNT_LIMIT).contains(&count) & integral & count.is_sign_positive()
}

pub(crate) mod sealed {
    /// Seals the counting traits: the kernels exist for the built-ins only.
    pub trait Sealed {}
}

/// The value types of the counting semirings: `f32` and `f64`.
pub trait CountValue: crate::element::Element + PartialOrd + sealed::Sealed {
    /// −∞.
    const NEG_INFINITY: Self;
    /// +∞.
    const INFINITY: Self;
    /// 0.
    const ZERO: Self;
    /// `a + b`.
    fn plus(a: Self, b: Self) -> Self;
}
macro_rules! count_values {
    ($($t:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl CountValue for $t {
            const NEG_INFINITY: $t = $t::NEG_INFINITY;
            const INFINITY: $t = $t::INFINITY;
            const ZERO: $t = 0.0;
            #[inline(always)]
            fn plus(a: $t, b: $t) -> $t {
                a + b
            }
        }
    )*};
}
count_values!(f32, f64);

/// Counting max-plus: (max, +) on the values, the number of ways the
/// maximum is reached in the counts. ZERO = (−∞, 0), ONE = (0, 1).
#[derive(Clone, Copy, Debug, Default)]
pub struct CountingMax<T>(PhantomData<T>);

/// Counting min-plus: (min, +) on the values, the number of ways the
/// minimum is reached in the counts. ZERO = (+∞, 0), ONE = (0, 1).
#[derive(Clone, Copy, Debug, Default)]
pub struct CountingMin<T>(PhantomData<T>);

/// A counting tropical semiring: the direction of its ⊕ over the value
/// type `Value`. Sealed: the kernels exist for the four built-ins only.
pub trait CountingSemiring: Sized + Send + Sync + 'static + sealed::Sealed {
    /// The value type (`f32` or `f64`); counts are always `f64`.
    type Value: CountValue;
    /// `true` for max (⊕ keeps the larger value), `false` for min.
    const MAXIMIZES: bool;
    /// The value of ZERO: −∞ for max, +∞ for min. An element with this
    /// value is ZERO whatever its count.
    const ZERO_VALUE: Self::Value = if Self::MAXIMIZES {
        Self::Value::NEG_INFINITY
    } else {
        Self::Value::INFINITY
    };

    /// Whether the candidate `x` strictly beats the incumbent `acc`
    /// (`x > acc` for max, `x < acc` for min; false when either is NaN).
    #[inline(always)]
    fn improves(x: Self::Value, acc: Self::Value) -> bool {
        if Self::MAXIMIZES { x > acc } else { x < acc }
    }

    /// ⊕ of the product (`x`, `q`) into the accumulator: the one rule the
    /// kernels reproduce. A win replaces the pair, a tie (`==`, so
    /// −0 ties +0 and keeps the earlier value) adds the counts, anything
    /// else (a worse value, a NaN on either side) keeps the accumulator.
    #[inline(always)]
    fn fold(acc: (Self::Value, f64), x: Self::Value, q: f64) -> (Self::Value, f64) {
        if Self::improves(x, acc.0) {
            (x, q)
        } else if x == acc.0 {
            (acc.0, acc.1 + q)
        } else {
            acc
        }
    }

    /// The kernel handle for this semiring at `level` (capped by what
    /// the CPU has): the built-ins' impls (in `builtin`) ask
    /// `binding::counting` for it.
    fn counting_kernel(level: IsaLevel) -> CountingKernel<Self>;
}

/// The operands of one MR×NR tile of a counting product: `kc` depths of
/// packed A (values `[kc][MR]`, counts `[kc][MR]`) and packed B (values
/// `[kc][NR]`, counts `[kc][NR]`), and the accumulator tile (values and
/// counts, both `[MR][NR]` row-major), which the tile reads first and
/// writes back.
#[derive(Clone, Copy)]
pub(crate) struct CountingTile<T> {
    /// Depths in the panels.
    pub kc: usize,
    /// A's packed values.
    pub a_values: *const T,
    /// A's packed counts.
    pub a_counts: *const f64,
    /// B's packed values.
    pub b_values: *const T,
    /// B's packed counts.
    pub b_counts: *const f64,
    /// The accumulator values.
    pub acc_values: *mut T,
    /// The accumulator counts.
    pub acc_counts: *mut f64,
}

/// Folds one [`CountingTile`].
///
/// # Safety
/// The tile's pointers hold its extents; the kernel's ISA is available.
pub(crate) type CountingTileFn<T> = unsafe fn(CountingTile<T>);

/// A counting kernel: its tile shape and its tile function, as plain data.
/// Only the binding builds one with a SIMD tile (after detecting the ISA),
/// which is what makes calling `tile` sound.
pub struct CountingKernel<S: CountingSemiring> {
    pub(crate) name: &'static str,
    pub(crate) level: IsaLevel,
    pub(crate) mr: usize,
    pub(crate) nr: usize,
    pub(crate) tile: CountingTileFn<S::Value>,
}

impl<S: CountingSemiring> Clone for CountingKernel<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S: CountingSemiring> Copy for CountingKernel<S> {}

impl<S: CountingSemiring> std::fmt::Debug for CountingKernel<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountingKernel")
            .field("name", &self.name)
            .field("level", &self.level)
            .field("mr", &self.mr)
            .field("nr", &self.nr)
            .finish()
    }
}

impl<S: CountingSemiring> CountingKernel<S> {
    /// The kernel's name, e.g. `"avx512-count-6x16"`.
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// The ISA level it runs at.
    pub fn level(&self) -> IsaLevel {
        self.level
    }
    /// Rows of its tile.
    pub fn mr(&self) -> usize {
        self.mr
    }
    /// Columns of its tile.
    pub fn nr(&self) -> usize {
        self.nr
    }
}
