//! The vector form of the built-in rules: one generic [`Ops`] for every
//! (semiring, lanes) pair, whose ⊕ and ⊗ are the semiring's own rule types
//! (`semiring::rules`) applied to the lanes. An ISA file supplies only its
//! lanes: registers of one element type and the instructions on them.

use std::marker::PhantomData;

use super::{ArgVecOps, IndexLane, LanePermute, VecOps};
use crate::isa::IsaLevel;
use crate::kernels::pack::Lines;
use crate::semiring::rules::{And, Max, MaxFirst, Min, MinFirst, Or, Plus, Times};
use crate::semiring::{SelectingSemiring, Semiring};

/// One ISA's registers of one element type.
///
/// # Safety
/// Every method may execute the ISA's instructions: callers must be inside
/// a function compiled with (and run on a CPU with) those features.
pub(crate) trait Lanes: Copy + Default + Send + Sync + 'static {
    /// The element type.
    type T: Copy + PartialEq;
    /// One register of `LANES` elements.
    type V: LanePermute;
    /// Elements per register.
    const LANES: usize;
    /// The ISA the instructions belong to.
    const LEVEL: IsaLevel;
    /// All lanes set to `x`.
    unsafe fn splat(x: Self::T) -> Self::V;
    /// `LANES` elements from `p` (any alignment).
    unsafe fn load(p: *const Self::T) -> Self::V;
    /// `LANES` elements to `p` (any alignment).
    unsafe fn store(p: *mut Self::T, v: Self::V);

    /// Whether `store_first`/`load_first` exist (masked edge stores).
    const MASKED_EDGES: bool = false;
    /// The first `count` lanes to `p` (see `VecOps::store_first`).
    #[inline(always)]
    unsafe fn store_first(_p: *mut Self::T, _v: Self::V, _count: usize) {
        unreachable!("store_first without MASKED_EDGES")
    }
    /// The first `count` elements from `p` (see `VecOps::load_first`).
    #[inline(always)]
    unsafe fn load_first(_p: *const Self::T, _count: usize) -> Self::V {
        unreachable!("load_first without MASKED_EDGES")
    }

    /// Copies of each element in a packed A panel (see `VecOps::A_SPREAD`).
    const A_SPREAD: usize = 1;
    /// All lanes set to the packed A element at `p`.
    ///
    /// # Safety
    /// `p` is readable for `A_SPREAD` elements; features enabled.
    #[inline(always)]
    unsafe fn broadcast_packed(p: *const Self::T) -> Self::V {
        // SAFETY: `p` is a packed element (caller's contract); features
        // are enabled by the caller.
        unsafe { Self::splat(*p) }
    }
    /// See `VecOps::pack_spread_panel`.
    #[inline(always)]
    unsafe fn pack_spread_panel(
        _rows: usize,
        _kc: usize,
        _a: Lines<Self::T>,
        _dst: *mut Self::T,
    ) -> bool {
        false
    }

    /// Whether the element's scalar arithmetic is a software routine
    /// (`half::f16`: conversions to and from f32 the compiler cannot
    /// vectorize), so that a kernel's scalar ⊗ runs in a register instead.
    const SOFTWARE_SCALARS: bool = false;

    /// Whether the (max|min, +) semirings over these lanes keep ZERO as a
    /// sentinel (integers: see `kernels::simd`).
    const SENTINEL: bool = false;
    /// Sums beyond the max-plus sentinel threshold back to ZERO.
    #[inline(always)]
    unsafe fn finish_max_plus(acc: Self::V) -> Self::V {
        acc
    }
    /// Sums beyond the min-plus sentinel threshold back to ZERO.
    #[inline(always)]
    unsafe fn finish_min_plus(acc: Self::V) -> Self::V {
        acc
    }
    /// ZERO (`MIN`) to the max-plus sentinel.
    #[inline(always)]
    fn packed_max_plus(x: Self::T) -> Self::T {
        x
    }
    /// ZERO (`MAX`) to the min-plus sentinel.
    #[inline(always)]
    fn packed_min_plus(x: Self::T) -> Self::T {
        x
    }
    /// Where a max-plus argmax tile starts: beyond the sentinel threshold.
    fn arg_start_max_plus() -> Self::T {
        unreachable!("no sentinel")
    }
    /// Where a min-plus argmax tile starts: beyond the sentinel threshold.
    fn arg_start_min_plus() -> Self::T {
        unreachable!("no sentinel")
    }
}

/// Lanes with an order: max, min and the argmax marks.
pub(crate) trait Ordered: Lanes {
    /// `if x > acc { x } else { acc }`, lane-wise.
    unsafe fn max(acc: Self::V, x: Self::V) -> Self::V;
    /// `if x < acc { x } else { acc }`, lane-wise.
    unsafe fn min(acc: Self::V, x: Self::V) -> Self::V;
    /// `if a > b { a } else { b }`, lane-wise.
    unsafe fn max_first(a: Self::V, b: Self::V) -> Self::V;
    /// `if a < b { a } else { b }`, lane-wise.
    unsafe fn min_first(a: Self::V, b: Self::V) -> Self::V;
    /// Sets `chunk` to `k` where `now` is strictly above `then`.
    unsafe fn mark_greater(chunk: &mut Self::V, now: Self::V, then: Self::V, k: Self::V);
    /// Sets `chunk` to `k` where `now` is strictly below `then`.
    unsafe fn mark_less(chunk: &mut Self::V, now: Self::V, then: Self::V, k: Self::V);
}

/// Lanes with addition.
pub(crate) trait Additive: Lanes {
    /// `a + b`, lane-wise (wrapping for integers: the sentinels keep sums
    /// in range).
    unsafe fn plus(a: Self::V, b: Self::V) -> Self::V;
}

/// Float lanes that also add on the multiply-add units (`on_fma::PlusOnFma`).
pub(crate) trait AdditiveOnFma: Additive {
    /// `a + b` as `1 · a + b`: the same sum, on the multiply-add units.
    unsafe fn plus_on_fma(a: Self::V, b: Self::V) -> Self::V;
    /// `plus_on_fma` of the element at `p` (readable) in every lane and `b`.
    unsafe fn plus_on_fma_at(p: *const Self::T, b: Self::V) -> Self::V;
}

/// Lanes with multiplication.
pub(crate) trait Multiplicative: Lanes {
    /// `a · b`, lane-wise.
    unsafe fn times(a: Self::V, b: Self::V) -> Self::V;
}

/// Boolean lanes.
pub(crate) trait Logical: Lanes {
    /// `a | b`, lane-wise.
    unsafe fn or(a: Self::V, b: Self::V) -> Self::V;
    /// `a & b`, lane-wise.
    unsafe fn and(a: Self::V, b: Self::V) -> Self::V;
}

/// A rule type's vector form over lanes `L`, with the scalar rule's
/// operand order (`⊕(acc, x)`, `⊗(a, b)`).
pub(crate) trait LaneRule<L: Lanes> {
    /// The rule, lane-wise.
    ///
    /// # Safety
    /// `L`'s features are enabled.
    unsafe fn lanes(a: L::V, b: L::V) -> L::V;
    /// The rule of the packed A element at `p` (`A_SPREAD` copies, in
    /// every lane) and `b`: the tile's step, which a rule may compute with
    /// `p` as a memory operand.
    ///
    /// # Safety
    /// `p` is readable for `A_SPREAD` elements; `L`'s features are enabled.
    #[inline(always)]
    unsafe fn lanes_at(p: *const L::T, b: L::V) -> L::V {
        // SAFETY: forwarded contract.
        unsafe { Self::lanes(L::broadcast_packed(p), b) }
    }
    /// Whether this is `+`, which integer lanes compute on sentinels.
    const PLUS: bool = false;
    /// Whether this is `+` on the multiply-add units (`PlusOnFma`): the
    /// kernel then needs FMA, and its name says so.
    const ON_FMA: bool = false;
}

/// A ⊕ rule: how it maps the integer sentinels back, and, for a selecting
/// one, how the argmax tile marks an improvement.
pub(crate) trait AddRule<L: Lanes>: LaneRule<L> {
    /// Maps sentinel sums back to ZERO (integer lanes with a + ⊗).
    unsafe fn finish_sentinel(acc: L::V) -> L::V {
        acc
    }
    /// ZERO's sentinel in a packed panel.
    fn packed_sentinel(x: L::T) -> L::T {
        x
    }
    /// Where an argmax tile starts with sentinels.
    fn arg_start_sentinel() -> L::T {
        unreachable!("a sentinel ⊕ selects")
    }
    /// Sets `chunk` to `k` where `now` strictly beats `then`.
    unsafe fn mark(_chunk: &mut L::V, _now: L::V, _then: L::V, _k: L::V) {
        unreachable!("a non-selecting ⊕ has no argmax")
    }
}

macro_rules! lane_rules {
    ($($rule:ty: $bound:ident, |$a:ident, $b:ident| $body:expr $(, $plus:ident)?;)*) => {$(
        impl<L: $bound> LaneRule<L> for $rule {
            #[inline(always)]
            unsafe fn lanes($a: L::V, $b: L::V) -> L::V {
                // SAFETY: features enabled (trait contract).
                unsafe { $body }
            }
            $(const $plus: bool = true;)?
        }
    )*};
}

lane_rules! {
    Max: Ordered, |acc, x| L::max(acc, x);
    Min: Ordered, |acc, x| L::min(acc, x);
    MaxFirst: Ordered, |a, b| L::max_first(a, b);
    MinFirst: Ordered, |a, b| L::min_first(a, b);
    Plus: Additive, |a, b| L::plus(a, b), PLUS;
    Times: Multiplicative, |a, b| L::times(a, b);
    Or: Logical, |acc, x| L::or(acc, x);
    And: Logical, |a, b| L::and(a, b);
}

/// The selecting ⊕ rules: each names its own sentinel lane functions
/// and its argmax comparison.
macro_rules! ordered_add_rules {
    ($($rule:ty: $finish:ident, $packed:ident, $arg_start:ident, $mark:ident;)*) => {$(
        impl<L: Ordered> AddRule<L> for $rule {
            #[inline(always)]
            unsafe fn finish_sentinel(acc: L::V) -> L::V {
                // SAFETY: features enabled (trait contract).
                unsafe { L::$finish(acc) }
            }
            #[inline(always)]
            fn packed_sentinel(x: L::T) -> L::T {
                L::$packed(x)
            }
            #[inline(always)]
            fn arg_start_sentinel() -> L::T {
                L::$arg_start()
            }
            #[inline(always)]
            unsafe fn mark(chunk: &mut L::V, now: L::V, then: L::V, k: L::V) {
                // SAFETY: features enabled (trait contract).
                unsafe { L::$mark(chunk, now, then, k) }
            }
        }
    )*};
}

ordered_add_rules! {
    Max: finish_max_plus, packed_max_plus, arg_start_max_plus, mark_greater;
    Min: finish_min_plus, packed_min_plus, arg_start_min_plus, mark_less;
}

impl<L: Logical> AddRule<L> for Or {}

/// The vector operations of semiring `S` over lanes `L`, with ⊕ `A` and
/// ⊗ `M` (the rule types the built-in table names).
pub(crate) struct Ops<S, L, A, M>(Marker<S, L, A, M>);

/// `Ops`'s zero-sized marker of its four parameters.
type Marker<S, L, A, M> = PhantomData<fn() -> (S, L, A, M)>;

impl<S, L, A, M> Clone for Ops<S, L, A, M> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S, L, A, M> Copy for Ops<S, L, A, M> {}
impl<S, L, A, M> Default for Ops<S, L, A, M> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<S, L, A, M> VecOps for Ops<S, L, A, M>
where
    S: Semiring<Scalar = L::T>,
    L: Lanes,
    A: AddRule<L> + 'static,
    M: LaneRule<L> + 'static,
{
    type S = S;
    type V = L::V;
    const LANES: usize = L::LANES;
    const LEVEL: IsaLevel = L::LEVEL;

    #[inline(always)]
    unsafe fn splat(x: L::T) -> L::V {
        // SAFETY: forwarded trait contract (features enabled).
        unsafe { L::splat(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const L::T) -> L::V {
        // SAFETY: forwarded trait contract (LANES readable).
        unsafe { L::load(p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut L::T, v: L::V) {
        // SAFETY: forwarded trait contract (LANES writable).
        unsafe { L::store(p, v) }
    }
    #[inline(always)]
    unsafe fn add(acc: L::V, x: L::V) -> L::V {
        // SAFETY: forwarded trait contract (features enabled).
        unsafe { A::lanes(acc, x) }
    }
    #[inline(always)]
    unsafe fn mul(a: L::V, b: L::V) -> L::V {
        // SAFETY: forwarded trait contract (features enabled).
        unsafe { M::lanes(a, b) }
    }
    #[inline(always)]
    unsafe fn mul_at(p: *const L::T, b: L::V) -> L::V {
        // SAFETY: forwarded trait contract (A_SPREAD readable).
        unsafe { M::lanes_at(p, b) }
    }
    const ON_FMA: bool = M::ON_FMA;

    const PACKS_AS_IS: bool = !(L::SENTINEL && M::PLUS);
    #[inline(always)]
    unsafe fn finish(acc: L::V) -> L::V {
        if Self::PACKS_AS_IS {
            acc
        } else {
            // SAFETY: forwarded trait contract (features enabled).
            unsafe { A::finish_sentinel(acc) }
        }
    }
    #[inline(always)]
    fn packed_value(x: L::T) -> L::T {
        if Self::PACKS_AS_IS {
            x
        } else {
            A::packed_sentinel(x)
        }
    }

    const MASKED_EDGES: bool = L::MASKED_EDGES;
    #[inline(always)]
    unsafe fn store_first(p: *mut L::T, v: L::V, count: usize) {
        // SAFETY: forwarded trait contract (0 < count < LANES, writable).
        unsafe { L::store_first(p, v, count) }
    }
    #[inline(always)]
    unsafe fn load_first(p: *const L::T, count: usize) -> L::V {
        // SAFETY: forwarded trait contract (0 < count < LANES, readable).
        unsafe { L::load_first(p, count) }
    }

    const A_SPREAD: usize = L::A_SPREAD;
    #[inline(always)]
    unsafe fn broadcast_packed(p: *const L::T) -> L::V {
        // SAFETY: forwarded trait contract (A_SPREAD readable).
        unsafe { L::broadcast_packed(p) }
    }
    #[inline(always)]
    unsafe fn pack_spread_panel(rows: usize, kc: usize, a: Lines<L::T>, dst: *mut L::T) -> bool {
        // SAFETY: forwarded trait contract (a whole panel).
        unsafe { L::pack_spread_panel(rows, kc, a, dst) }
    }
}

impl<S, L, A, M> ArgVecOps for Ops<S, L, A, M>
where
    S: SelectingSemiring<Scalar = L::T>,
    L: Lanes<T: IndexLane>,
    A: AddRule<L> + 'static,
    M: LaneRule<L> + 'static,
{
    #[inline(always)]
    unsafe fn mark_improved(chunk: &mut L::V, now: L::V, then: L::V, k: L::V) {
        // SAFETY: forwarded trait contract (features enabled).
        unsafe { A::mark(chunk, now, then, k) }
    }
    #[inline(always)]
    fn arg_start() -> L::T {
        if <Self as VecOps>::PACKS_AS_IS {
            S::ZERO
        } else {
            A::arg_start_sentinel()
        }
    }
    #[inline(always)]
    unsafe fn packed_product(a: L::T, b: L::T) -> L::T {
        if !L::SOFTWARE_SCALARS {
            return S::mul(a, b);
        }
        const { assert!(L::LANES <= 64) };
        // The vector ⊗ of two splats, lane 0: the vector's own result,
        // without the scalar type's software conversions. Whole registers
        // (`black_box`): narrowed to the lane that is read, LLVM asked for
        // 128-bit half instructions the kernel's features do not name.
        let mut lanes = [a; 64];
        // SAFETY: features enabled (trait contract); `lanes` holds LANES
        // ≤ 64 elements.
        unsafe {
            let product = std::hint::black_box(M::lanes(L::splat(a), L::splat(b)));
            L::store(lanes.as_mut_ptr(), product);
        }
        lanes[0]
    }
}

/// Implements the lane traits for the lane types of one ISA file, from its
/// lane modules (`f32s`, … `bools`, declared with `lanes::lanes!`:
/// functions named after the operations). The same table for every ISA:
/// per lane type, the optional parts of [`Lanes`] it has, then the
/// operation traits.
macro_rules! lane_types {
    ($level:ident) => {
        $crate::kernels::simd::ops::lane_type!($level; F32s = f32s: f32
            [edges] [ordered additive on_fma multiplicative]);
        $crate::kernels::simd::ops::lane_type!($level; F64s = f64s: f64
            [edges] [ordered additive on_fma multiplicative]);
        $crate::kernels::simd::ops::lane_type!($level; I16s = i16s: i16 [edges sentinel] [ordered additive]);
        $crate::kernels::simd::ops::lane_type!($level; I32s = i32s: i32 [edges sentinel] [ordered additive]);
        $crate::kernels::simd::ops::lane_type!($level; I64s = i64s: i64 [edges sentinel] [ordered additive]);
        $crate::kernels::simd::ops::lane_type!($level; Bools = bools: bool [spread] [logical]);
    };
}
pub(crate) use lane_types;

/// One lane type: `Lanes`, with the optional `parts` it has, and the
/// operation traits `traits` names.
macro_rules! lane_type {
    ($level:ident; $name:ident = $m:ident: $t:ty [$($part:ident)*] [$($trait_:ident)*]) => {
        #[doc = concat!("The `", stringify!($m), "` registers as a lane type.")]
        #[derive(Clone, Copy, Default, Debug)]
        pub(crate) struct $name;

        impl $crate::kernels::simd::ops::Lanes for $name {
            type T = $t;
            type V = $m::V;
            const LANES: usize = $m::LANES;
            const LEVEL: $crate::isa::IsaLevel = $crate::isa::IsaLevel::$level;
            #[inline(always)]
            unsafe fn splat(x: $t) -> $m::V {
                // SAFETY: forwarded trait contract (features enabled).
                unsafe { $m::splat(x) }
            }
            #[inline(always)]
            unsafe fn load(p: *const $t) -> $m::V {
                // SAFETY: forwarded trait contract (LANES readable).
                unsafe { $m::load(p) }
            }
            #[inline(always)]
            unsafe fn store(p: *mut $t, v: $m::V) {
                // SAFETY: forwarded trait contract (LANES writable).
                unsafe { $m::store(p, v) }
            }
            $(
                $crate::kernels::simd::ops::lane_part!($part $m: $t);
            )*
        }
        $(
            $crate::kernels::simd::ops::lane_trait!($trait_ $name = $m);
        )*
    };
}
pub(crate) use lane_type;

/// One optional part of [`Lanes`], forwarding to the lane module.
macro_rules! lane_part {
    (software_scalars $m:ident: $t:ty) => {
        const SOFTWARE_SCALARS: bool = true;
    };
    (edges $m:ident: $t:ty) => {
        const MASKED_EDGES: bool = true;
        #[inline(always)]
        unsafe fn store_first(p: *mut $t, v: $m::V, count: usize) {
            // SAFETY: forwarded trait contract (0 < count < LANES, writable).
            unsafe { $m::store_first(p, v, count) }
        }
        #[inline(always)]
        unsafe fn load_first(p: *const $t, count: usize) -> $m::V {
            // SAFETY: forwarded trait contract (0 < count < LANES, readable).
            unsafe { $m::load_first(p, count) }
        }
    };
    (sentinel $m:ident: $t:ty) => {
        const SENTINEL: bool = true;
        #[inline(always)]
        unsafe fn finish_max_plus(acc: $m::V) -> $m::V {
            // SAFETY: forwarded trait contract (features enabled).
            unsafe { $m::finish_max_plus(acc) }
        }
        #[inline(always)]
        unsafe fn finish_min_plus(acc: $m::V) -> $m::V {
            // SAFETY: forwarded trait contract (features enabled).
            unsafe { $m::finish_min_plus(acc) }
        }
        #[inline(always)]
        fn packed_max_plus(x: $t) -> $t {
            $m::packed_max_plus(x)
        }
        #[inline(always)]
        fn packed_min_plus(x: $t) -> $t {
            $m::packed_min_plus(x)
        }
        #[inline(always)]
        fn arg_start_max_plus() -> $t {
            $m::ARG_START_MAX_PLUS
        }
        #[inline(always)]
        fn arg_start_min_plus() -> $t {
            $m::ARG_START_MIN_PLUS
        }
    };
    (spread $m:ident: $t:ty) => {
        const A_SPREAD: usize = 4;
        #[inline(always)]
        unsafe fn broadcast_packed(p: *const $t) -> $m::V {
            // SAFETY: forwarded trait contract (A_SPREAD readable).
            unsafe { $m::broadcast_spread(p) }
        }
        #[inline(always)]
        unsafe fn pack_spread_panel(
            rows: usize,
            kc: usize,
            a: $crate::kernels::pack::Lines<$t>,
            dst: *mut $t,
        ) -> bool {
            // SAFETY: forwarded trait contract (a whole panel).
            unsafe { $m::pack_spread_panel(rows, kc, a, dst) }
        }
    };
}
pub(crate) use lane_part;

/// One operation trait for a lane type, forwarding to its module.
macro_rules! lane_trait {
    (ordered $name:ident = $m:ident) => {
        impl $crate::kernels::simd::ops::Ordered for $name {
            $crate::kernels::simd::ops::forward_binary!($m: max, min, max_first, min_first);
            #[inline(always)]
            unsafe fn mark_greater(chunk: &mut $m::V, now: $m::V, then: $m::V, k: $m::V) {
                // SAFETY: forwarded trait contract (features enabled).
                unsafe { $m::mark_greater(chunk, now, then, k) }
            }
            #[inline(always)]
            unsafe fn mark_less(chunk: &mut $m::V, now: $m::V, then: $m::V, k: $m::V) {
                // SAFETY: forwarded trait contract (features enabled).
                unsafe { $m::mark_less(chunk, now, then, k) }
            }
        }
    };
    (additive $name:ident = $m:ident) => {
        impl $crate::kernels::simd::ops::Additive for $name {
            $crate::kernels::simd::ops::forward_binary!($m: plus);
        }
    };
    (on_fma $name:ident = $m:ident) => {
        impl $crate::kernels::simd::ops::AdditiveOnFma for $name {
            $crate::kernels::simd::ops::forward_binary!($m: plus_on_fma);
            #[inline(always)]
            unsafe fn plus_on_fma_at(p: *const Self::T, b: $m::V) -> $m::V {
                // SAFETY: forwarded trait contract (`p` readable).
                unsafe { $m::plus_on_fma_at(p, b) }
            }
        }
    };
    (multiplicative $name:ident = $m:ident) => {
        impl $crate::kernels::simd::ops::Multiplicative for $name {
            $crate::kernels::simd::ops::forward_binary!($m: times);
        }
    };
    (logical $name:ident = $m:ident) => {
        impl $crate::kernels::simd::ops::Logical for $name {
            $crate::kernels::simd::ops::forward_binary!($m: or, and);
        }
    };
}
pub(crate) use lane_trait;

/// Trait methods `unsafe fn(V, V) -> V` that call the lane module's
/// function of the same name.
macro_rules! forward_binary {
    ($m:ident: $($op:ident),+) => {$(
        #[inline(always)]
        unsafe fn $op(a: $m::V, b: $m::V) -> $m::V {
            // SAFETY: forwarded trait contract (features enabled).
            unsafe { $m::$op(a, b) }
        }
    )+};
}
pub(crate) use forward_binary;
