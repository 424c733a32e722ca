//! Macros that declare one ISA's lane primitives (the modules `f32s`, …
//! `bools` of each ISA file) and its argmax marks, and the integer
//! sentinel constants.

/// An ISA's `marks` module: for each lane type, `greater` and `less` set
/// the lanes of `chunk` to `k` where `now` is strictly above or below
/// `then` (`$above(x, y)` compares, `$record(chunk, mask, k)` writes).
macro_rules! marks {
    ($($lanes:ident: $v:ty, above = $above:expr, below = $below:expr, record = $record:expr;)*) => {
        /// The argmax tile's chunk marks, per lane type.
        pub(crate) mod marks {$(
            pub(crate) mod $lanes {
                #[allow(unused_imports)]
                use super::super::*;
                #[inline(always)]
                pub(crate) unsafe fn greater(chunk: &mut $v, now: $v, then: $v, k: $v) {
                    // SAFETY: callers run with the ISA enabled.
                    unsafe { *chunk = ($record)(*chunk, ($above)(now, then), k) }
                }
                #[inline(always)]
                pub(crate) unsafe fn less(chunk: &mut $v, now: $v, then: $v, k: $v) {
                    // SAFETY: callers run with the ISA enabled.
                    unsafe { *chunk = ($record)(*chunk, ($below)(now, then), k) }
                }
            }
        )*}
    };
}
pub(crate) use marks;

/// The integer sentinel constants for the (max|min, +) kernels.
pub(crate) mod sentinel {
    /// ZERO's stand-in in packed panels, as a magnitude.
    pub const I32: i32 = (1 << 30) - 1;
    /// Sums beyond ±this came from a sentinel.
    pub const I32_THRESHOLD: i32 = 1 << 29;
    pub const I64: i64 = (1 << 62) - 1;
    pub const I64_THRESHOLD: i64 = 1 << 61;
}

/// Float lane primitives for one ISA, named after the scalar operations
/// they reproduce.
macro_rules! float_lanes {
    ($mod:ident, $t:ty, $v:ty, $lanes:expr, $set1:ident, $loadu:ident, $storeu:ident, $max:ident, $min:ident, $addv:ident, $mulv:ident) => {
        pub(crate) mod $mod {
            use std::arch::x86_64::*;
            pub(crate) type V = $v;
            pub(crate) const LANES: usize = $lanes;
            // SAFETY: (every function) callers run with the ISA enabled and
            // pass pointers valid for LANES elements.
            #[inline(always)]
            pub(crate) unsafe fn splat(x: $t) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $set1(x) }
            }
            #[inline(always)]
            pub(crate) unsafe fn load(p: *const $t) -> V {
                // SAFETY: the caller runs with the ISA enabled and passes a pointer valid for LANES elements.
                unsafe { $loadu(p) }
            }
            #[inline(always)]
            pub(crate) unsafe fn store(p: *mut $t, v: V) {
                // SAFETY: the caller runs with the ISA enabled and passes a pointer valid for LANES elements.
                unsafe { $storeu(p, v) }
            }
            /// `if x > acc { x } else { acc }`: `vmax x, acc`.
            #[inline(always)]
            pub(crate) unsafe fn max(acc: V, x: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $max(x, acc) }
            }
            /// `if x < acc { x } else { acc }`: `vmin x, acc`.
            #[inline(always)]
            pub(crate) unsafe fn min(acc: V, x: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $min(x, acc) }
            }
            #[inline(always)]
            pub(crate) unsafe fn plus(a: V, b: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $addv(a, b) }
            }
            #[inline(always)]
            pub(crate) unsafe fn times(a: V, b: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $mulv(a, b) }
            }
            /// `if a < b { a } else { b }`: `vmin a, b`.
            #[inline(always)]
            pub(crate) unsafe fn min_first(a: V, b: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $min(a, b) }
            }
            /// `if a > b { a } else { b }`: `vmax a, b`.
            #[inline(always)]
            pub(crate) unsafe fn max_first(a: V, b: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $max(a, b) }
            }
        }
    };
}
pub(crate) use float_lanes;
