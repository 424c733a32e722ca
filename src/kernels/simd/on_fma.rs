//! Float `+` on the multiply-add units: the lane form `PlusOnFma` and
//! the map `OnFma` from a row's ⊗ to the rule its kernels on those units
//! compute (see `binding::select` for where they run).

use super::ops::{AdditiveOnFma, LaneRule};
use crate::semiring::rules::{And, MaxFirst, MinFirst, Plus, Times};

/// The `+` of float lanes computed as `1 · a + b` on the multiply-add
/// units: the same sum bit for bit (the product by 1 is exact and the sum
/// rounded once; only a NaN's payload may differ, and a NaN product never
/// wins), in other execution units. On a core whose add and max share
/// two ports while its multiply-add units sit on two others (AMD Zen 4),
/// max-plus then issues twice as fast; `binding::select` decides where
/// to use it. The tile's form takes A's element as a memory operand
/// (AVX-512: an embedded broadcast), which a separate broadcast would
/// otherwise put back on the shared ports.
pub(crate) struct PlusOnFma;

impl<L: AdditiveOnFma> LaneRule<L> for PlusOnFma {
    #[inline(always)]
    unsafe fn lanes(a: L::V, b: L::V) -> L::V {
        // SAFETY: features enabled (trait contract).
        unsafe { L::plus_on_fma(a, b) }
    }
    #[inline(always)]
    unsafe fn lanes_at(p: *const L::T, b: L::V) -> L::V {
        // `p` holds A_SPREAD copies; the memory operand reads the first.
        const { assert!(L::A_SPREAD == 1) };
        // SAFETY: `p` readable, features enabled (trait contract).
        unsafe { L::plus_on_fma_at(p, b) }
    }
    const PLUS: bool = true;
    const ON_FMA: bool = true;
}

/// The ⊗ rule a kernel on the multiply-add units computes for element
/// type `T`: `PlusOnFma` for a float `Plus`, the rule itself otherwise
/// (so those kernels are the same type, compiled once).
pub(crate) trait OnFma<T> {
    /// The rule.
    type Rule;
}

impl OnFma<f32> for Plus {
    type Rule = PlusOnFma;
}
impl OnFma<f64> for Plus {
    type Rule = PlusOnFma;
}
macro_rules! same_on_fma {
    (plus: $($t:ty),*; rules: $($rule:ty),*) => {
        $(impl OnFma<$t> for Plus {
            type Rule = Plus;
        })*
        $(impl<T> OnFma<T> for $rule {
            type Rule = $rule;
        })*
    };
}
same_on_fma!(plus: i16, i32, i64; rules: Times, MinFirst, MaxFirst, And);
