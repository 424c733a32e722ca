//! Macros that declare lane primitives and the vector operations of a
//! semiring from them.

/// Declares a zero-sized `VecOps` type from lane primitives.
///
/// `$lanes` is a module of primitives (`splat`, `load`, `store`, and the
/// operations named in `add`/`mul`); `finish`/`packed` optionally name the
/// integer-sentinel helpers, and `edges` the ISA's masked store and load
/// of a row's last lanes (`VecOps::MASKED_EDGES`).
macro_rules! vec_ops {
    ($level:ident; $name:ident: $t:ty, $lanes:ident, add = $add:ident, mul = $mul:ident $(, sentinel = $fin:ident / $packed:ident)? $(, spread_a = $spread:literal)? $(, edges = $store_first:ident / $load_first:ident)?) => {
        /// Vector operations over these lanes for any semiring `S` whose
        /// ⊕ and ⊗ they compute (the built-in table pairs them).
        pub(crate) struct $name<S>(std::marker::PhantomData<fn() -> S>);
        impl<S> Clone for $name<S> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<S> Copy for $name<S> {}
        impl<S> Default for $name<S> {
            fn default() -> Self {
                Self(std::marker::PhantomData)
            }
        }
        impl<S: $crate::semiring::Semiring<Scalar = $t>> $crate::kernels::simd::VecOps for $name<S> {
            type S = S;
            type V = $lanes::V;
            const LANES: usize = $lanes::LANES;
            const LEVEL: $crate::isa::IsaLevel = $crate::isa::IsaLevel::$level;
            #[inline(always)]
            unsafe fn splat(x: $t) -> Self::V {
                // SAFETY: forwarded trait contract (features enabled).
                unsafe { $lanes::splat(x) }
            }
            #[inline(always)]
            unsafe fn load(p: *const $t) -> Self::V {
                // SAFETY: forwarded trait contract (LANES readable).
                unsafe { $lanes::load(p) }
            }
            #[inline(always)]
            unsafe fn store(p: *mut $t, v: Self::V) {
                // SAFETY: forwarded trait contract (LANES writable).
                unsafe { $lanes::store(p, v) }
            }
            #[inline(always)]
            unsafe fn add(acc: Self::V, x: Self::V) -> Self::V {
                // SAFETY: forwarded trait contract (features enabled).
                unsafe { $lanes::$add(acc, x) }
            }
            #[inline(always)]
            unsafe fn mul(a: Self::V, b: Self::V) -> Self::V {
                // SAFETY: forwarded trait contract (features enabled).
                unsafe { $lanes::$mul(a, b) }
            }
            $(
                const PACKS_AS_IS: bool = false;
                #[inline(always)]
                unsafe fn finish(acc: Self::V) -> Self::V {
                    // SAFETY: forwarded trait contract (features enabled).
                    unsafe { $lanes::$fin(acc) }
                }
                #[inline(always)]
                fn packed_value(x: $t) -> $t {
                    $lanes::$packed(x)
                }
            )?
            $(
                const MASKED_EDGES: bool = true;
                #[inline(always)]
                unsafe fn store_first(p: *mut $t, v: Self::V, count: usize) {
                    // SAFETY: forwarded trait contract (0 < count < LANES, writable).
                    unsafe { $store_first(p, v, count) }
                }
                #[inline(always)]
                unsafe fn load_first(p: *const $t, count: usize) -> Self::V {
                    // SAFETY: forwarded trait contract (0 < count < LANES, readable).
                    unsafe { $load_first(p, count) }
                }
            )?
            $(
                const A_SPREAD: usize = $spread;
                #[inline(always)]
                unsafe fn broadcast_packed(p: *const $t) -> Self::V {
                    // SAFETY: forwarded trait contract (A_SPREAD readable).
                    unsafe { $lanes::broadcast_spread(p) }
                }
                #[inline(always)]
                unsafe fn pack_spread_panel(
                    rows: usize,
                    src: *const $t,
                    row_stride: isize,
                    col_stride: isize,
                    kc: usize,
                    dst: *mut $t,
                ) -> bool {
                    // SAFETY: forwarded trait contract (a whole panel).
                    unsafe { $lanes::pack_spread_panel(rows, src, row_stride, col_stride, kc, dst) }
                }
            )?
        }
    };
}
pub(crate) use vec_ops;

/// Declares the `VecOps` types of every built-in semiring for one ISA, and
/// ties them to the semirings through `BuiltinSimd`.
macro_rules! builtin_ops {
    ($level:ident; $($name:ident: $t:ty, $lanes:ident, add = $add:ident, mul = $mul:ident $(, sentinel = $fin:ident / $packed:ident)? $(, spread_a = $spread:literal)? $(, edges = $store_first:ident / $load_first:ident)?;)*) => {
        $( $crate::kernels::simd::lanes::vec_ops!($level; $name: $t, $lanes, add = $add, mul = $mul $(, sentinel = $fin / $packed)? $(, spread_a = $spread)? $(, edges = $store_first / $load_first)?); )*
    };
}
pub(crate) use builtin_ops;

/// The vector operations of every built-in semiring for one ISA, from
/// that ISA file's lane modules (`f32s`, `f64s`, `i32s`, `i64s`, `bools`,
/// named alike in every ISA file) and edge functions: ⊕ and ⊗ as lane
/// operations, written once for all ISAs.
macro_rules! builtin_vec_ops {
    ($level:ident) => {
        $crate::kernels::simd::lanes::builtin_ops! { $level;
            MaxPlusF32: f32, f32s, add = max, mul = plus, edges = store_first_ps / load_first_ps;
            MinPlusF32: f32, f32s, add = min, mul = plus, edges = store_first_ps / load_first_ps;
            MaxMulF32: f32, f32s, add = max, mul = times, edges = store_first_ps / load_first_ps;
            MaxMinF32: f32, f32s, add = max, mul = min_first, edges = store_first_ps / load_first_ps;
            MinMaxF32: f32, f32s, add = min, mul = max_first, edges = store_first_ps / load_first_ps;
            MaxPlusF64: f64, f64s, add = max, mul = plus, edges = store_first_pd / load_first_pd;
            MinPlusF64: f64, f64s, add = min, mul = plus, edges = store_first_pd / load_first_pd;
            MaxMulF64: f64, f64s, add = max, mul = times, edges = store_first_pd / load_first_pd;
            MaxMinF64: f64, f64s, add = max, mul = min_first, edges = store_first_pd / load_first_pd;
            MinMaxF64: f64, f64s, add = min, mul = max_first, edges = store_first_pd / load_first_pd;
            MaxPlusI32: i32, i32s, add = max, mul = plus, sentinel = finish_max_plus / packed_max_plus, edges = store_first_epi32 / load_first_epi32;
            MinPlusI32: i32, i32s, add = min, mul = plus, sentinel = finish_min_plus / packed_min_plus, edges = store_first_epi32 / load_first_epi32;
            MaxMinI32: i32, i32s, add = max, mul = min_first, edges = store_first_epi32 / load_first_epi32;
            MinMaxI32: i32, i32s, add = min, mul = max_first, edges = store_first_epi32 / load_first_epi32;
            MaxPlusI64: i64, i64s, add = max, mul = plus, sentinel = finish_max_plus / packed_max_plus, edges = store_first_epi64 / load_first_epi64;
            MinPlusI64: i64, i64s, add = min, mul = plus, sentinel = finish_min_plus / packed_min_plus, edges = store_first_epi64 / load_first_epi64;
            MaxMinI64: i64, i64s, add = max, mul = min_first, edges = store_first_epi64 / load_first_epi64;
            MinMaxI64: i64, i64s, add = min, mul = max_first, edges = store_first_epi64 / load_first_epi64;
            OrAndBool: bool, bools, add = or, mul = and, spread_a = 4;
        }
    };
}
pub(crate) use builtin_vec_ops;

/// The argmax operations of every selecting built-in for one ISA, from
/// that ISA file's `marks` (per lane type: `greater` and `less` record `k`
/// in the lanes where a chunk's value moved strictly up or down). The
/// integer plus semirings start beyond the sentinel threshold.
macro_rules! builtin_arg_ops {
    () => {
        $crate::kernels::simd::lanes::arg_ops! {
            MaxPlusF32<f32>: f32s, greater; MinPlusF32<f32>: f32s, less; MaxMulF32<f32>: f32s, greater;
            MaxMinF32<f32>: f32s, greater; MinMaxF32<f32>: f32s, less;
            MaxPlusF64<f64>: f64s, greater; MinPlusF64<f64>: f64s, less; MaxMulF64<f64>: f64s, greater;
            MaxMinF64<f64>: f64s, greater; MinMaxF64<f64>: f64s, less;
            MaxPlusI32<i32>: i32s, greater, start = -($crate::kernels::simd::lanes::sentinel::I32_THRESHOLD + 1);
            MinPlusI32<i32>: i32s, less, start = $crate::kernels::simd::lanes::sentinel::I32_THRESHOLD + 1;
            MaxMinI32<i32>: i32s, greater; MinMaxI32<i32>: i32s, less;
            MaxPlusI64<i64>: i64s, greater, start = -($crate::kernels::simd::lanes::sentinel::I64_THRESHOLD + 1);
            MinPlusI64<i64>: i64s, less, start = $crate::kernels::simd::lanes::sentinel::I64_THRESHOLD + 1;
            MaxMinI64<i64>: i64s, greater; MinMaxI64<i64>: i64s, less;
        }
    };
}
pub(crate) use builtin_arg_ops;

/// `ArgVecOps` for vector-operation types, each marking with its lane
/// type's `marks::<lanes>::<direction>`.
macro_rules! arg_ops {
    ($($name:ident<$t:ty>: $lanes:ident, $direction:ident $(, start = $start:expr)?;)*) => {$(
        impl<S: $crate::semiring::SelectingSemiring<Scalar = $t>> $crate::kernels::simd::ArgVecOps for $name<S> {
            #[inline(always)]
            unsafe fn mark_improved(chunk: &mut $lanes::V, now: $lanes::V, then: $lanes::V, k: $lanes::V) {
                // SAFETY: callers run with the ISA enabled (trait contract).
                unsafe { marks::$lanes::$direction(chunk, now, then, k) }
            }
            $(
                #[inline(always)]
                fn arg_start() -> $t {
                    $start
                }
            )?
        }
    )*};
}
pub(crate) use arg_ops;

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
