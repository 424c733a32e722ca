//! The macro that declares an ISA's lane modules (`f32s`, … `bools` of
//! each ISA file: loads, stores, masked edges, the lane operations and
//! the argmax marks) from its instructions, and the integer sentinel
//! constants.

/// The integer sentinel constants for the (max|min, +) kernels.
pub(crate) mod sentinel {
    /// ZERO's stand-in in packed panels, as a magnitude.
    pub const I16: i16 = (1 << 14) - 1;
    /// Sums beyond ±this came from a sentinel.
    pub const I16_THRESHOLD: i16 = 1 << 13;
    pub const I32: i32 = (1 << 30) - 1;
    /// Sums beyond ±this came from a sentinel.
    pub const I32_THRESHOLD: i32 = 1 << 29;
    pub const I64: i64 = (1 << 62) - 1;
    pub const I64_THRESHOLD: i64 = 1 << 61;
}

/// One lane module of an ISA file (`f32s`, … `bools`): the register
/// type `V` of `$count` elements of `$t`, and one function per lane
/// operation, named after the scalar operation it reproduces. Every ISA
/// and element type shares these functions and their `SAFETY` contracts;
/// an invocation supplies only the instructions, each as `|args| body`
/// (the body is pasted into the function, so no closure stands between
/// the kernel and the intrinsic).
///
/// The optional groups, in this order:
/// - `edges`: masked stores and loads of the first `count` lanes;
/// - `ordered`: `max`/`min` as the ISA's `vmax a, b`/`vmin a, b` (the
///   second operand on ties and NaN), `above`/`below` as comparison masks
///   (of type `mask`) of `x > y`/`x < y`, and `record`, which sets the
///   lanes of an argmax chunk to `k` where a mask is set;
/// - `plus`, then, for floats, `plus_on_fma` (the same sum as `1 · a + b`
///   on the multiply-add units: see `on_fma::PlusOnFma`) with its form
///   `at` that takes `a` as an element in memory, in every lane; `times`;
/// - `sentinel`: the integer sentinel constants (names in [`sentinel`])
///   and `choose(mask, yes, no)`, which map sentinel sums back to ZERO;
/// - `logical`: `or`, `and`, the spread broadcast of a packed A element
///   and the ISA's bool panel packers (`simd::pack::BoolPanel`) for
///   `pack_spread_panel`, tried in order.
macro_rules! lanes {
    ($mod:ident: $t:ty, $v:ty, $count:literal;
     splat = |$splat_x:ident| $splat:expr;
     load = |$load_p:ident| $load:expr;
     store = |$store_p:ident, $store_v:ident| $store:expr;
     $(edges = |$first_p:ident, $first_v:ident, $first_count:ident| store $store_first:expr,
         load $load_first:expr;)?
     $(ordered(mask = $mask:ty): max = |$max_a:ident, $max_b:ident| $max:expr,
         min = |$min_a:ident, $min_b:ident| $min:expr,
         above = |$above_x:ident, $above_y:ident| $above:expr,
         below = |$below_x:ident, $below_y:ident| $below:expr,
         record = |$record_chunk:ident, $record_mask:ident, $record_k:ident| $record:expr;
       $(sentinel = $sentinel:ident, threshold = $threshold:ident,
           choose = |$choose_mask:ident, $choose_yes:ident, $choose_no:ident| $choose:expr;)?)?
     $(plus = |$plus_a:ident, $plus_b:ident| $plus:expr;)?
     $(plus_on_fma = |$fma_a:ident, $fma_b:ident| $fma:expr,
         at |$fma_at_p:ident, $fma_at_b:ident| $fma_at:expr;)?
     $(times = |$times_a:ident, $times_b:ident| $times:expr;)?
     $(logical: or = |$or_a:ident, $or_b:ident| $or:expr,
         and = |$and_a:ident, $and_b:ident| $and:expr,
         broadcast_spread = |$spread_p:ident| $broadcast_spread:expr,
         pack_spread_panel = [$($bool_panel:ty),+];)?
    ) => {
        pub(crate) mod $mod {
            // The ISA file's intrinsics and helpers (masks, tables).
            use super::*;
            use $crate::kernels::simd::lanes::lane_fn;
            pub(crate) type V = $v;
            pub(crate) const LANES: usize = $count;
            lane_fn!(pub(crate) splat($splat_x: $t) -> V = $splat);
            lane_fn!(pub(crate) load($load_p: *const $t) -> V = $load);
            lane_fn!(pub(crate) store($store_p: *mut $t, $store_v: V) = $store);
            $(
                lane_fn!(pub(crate) store_first($first_p: *mut $t, $first_v: V, $first_count: usize)
                    = $store_first);
                lane_fn!(pub(crate) load_first($first_p: *const $t, $first_count: usize) -> V = $load_first);
            )?
            $(
                lane_fn!(
                    /// `if a > b { a } else { b }`: `vmax a, b`.
                    pub(crate) max_first($max_a: V, $max_b: V) -> V = $max
                );
                lane_fn!(
                    /// `if a < b { a } else { b }`: `vmin a, b`.
                    pub(crate) min_first($min_a: V, $min_b: V) -> V = $min
                );
                lane_fn!(
                    /// `if x > acc { x } else { acc }`: `vmax x, acc`.
                    pub(crate) max(acc: V, x: V) -> V = max_first(x, acc)
                );
                lane_fn!(
                    /// `if x < acc { x } else { acc }`: `vmin x, acc`.
                    pub(crate) min(acc: V, x: V) -> V = min_first(x, acc)
                );
                lane_fn!(above($above_x: V, $above_y: V) -> $mask = $above);
                lane_fn!(below($below_x: V, $below_y: V) -> $mask = $below);
                lane_fn!(record($record_chunk: V, $record_mask: $mask, $record_k: V) -> V = $record);
                lane_fn!(
                    /// Sets `chunk` to `k` where `now` is strictly above `then`.
                    pub(crate) mark_greater(chunk: &mut V, now: V, then: V, k: V)
                        = *chunk = record(*chunk, above(now, then), k)
                );
                lane_fn!(
                    /// Sets `chunk` to `k` where `now` is strictly below `then`.
                    pub(crate) mark_less(chunk: &mut V, now: V, then: V, k: V)
                        = *chunk = record(*chunk, below(now, then), k)
                );
                $(
                    use $crate::kernels::simd::lanes::sentinel::{
                        $sentinel as SENTINEL, $threshold as THRESHOLD,
                    };
                    lane_fn!(choose($choose_mask: $mask, $choose_yes: V, $choose_no: V) -> V = $choose);
                    lane_fn!(
                        /// Sums below −threshold came from the max-plus sentinel: ZERO.
                        pub(crate) finish_max_plus(acc: V) -> V
                            = choose(below(acc, splat(-THRESHOLD)), splat(<$t>::MIN), acc)
                    );
                    lane_fn!(
                        /// Sums above +threshold came from the min-plus sentinel: ZERO.
                        pub(crate) finish_min_plus(acc: V) -> V
                            = choose(above(acc, splat(THRESHOLD)), splat(<$t>::MAX), acc)
                    );
                    /// ZERO (`MIN`) to the max-plus sentinel.
                    #[inline(always)]
                    pub(crate) fn packed_max_plus(x: $t) -> $t {
                        if x == <$t>::MIN { -SENTINEL } else { x }
                    }
                    /// ZERO (`MAX`) to the min-plus sentinel.
                    #[inline(always)]
                    pub(crate) fn packed_min_plus(x: $t) -> $t {
                        if x == <$t>::MAX { SENTINEL } else { x }
                    }
                    /// Where a max-plus argmax tile starts: beyond the threshold.
                    pub(crate) const ARG_START_MAX_PLUS: $t = -(THRESHOLD + 1);
                    /// Where a min-plus argmax tile starts: beyond the threshold.
                    pub(crate) const ARG_START_MIN_PLUS: $t = THRESHOLD + 1;
                )?
            )?
            $(lane_fn!(pub(crate) plus($plus_a: V, $plus_b: V) -> V = $plus);)?
            $(
                lane_fn!(pub(crate) plus_on_fma($fma_a: V, $fma_b: V) -> V = $fma);
                lane_fn!(
                    /// `plus_on_fma` of the element at `p` in every lane and `b`.
                    pub(crate) plus_on_fma_at($fma_at_p: *const $t, $fma_at_b: V) -> V = $fma_at
                );
            )?
            $(lane_fn!(pub(crate) times($times_a: V, $times_b: V) -> V = $times);)?
            $(
                lane_fn!(pub(crate) or($or_a: V, $or_b: V) -> V = $or);
                lane_fn!(pub(crate) and($and_a: V, $and_b: V) -> V = $and);
                lane_fn!(
                    /// A packed A element stored 4 times (`A_SPREAD`): its 4
                    /// bytes read as one 32-bit word are the element in every
                    /// byte, so a plain 32-bit broadcast from memory splats it.
                    pub(crate) broadcast_spread($spread_p: *const $t) -> V = $broadcast_spread
                );
                lane_fn!(
                    /// `VecOps::pack_spread_panel`: the first of the ISA's
                    /// panel packers that takes `rows` rows.
                    pub(crate) pack_spread_panel(
                        rows: usize,
                        kc: usize,
                        a: $crate::kernels::pack::Lines<bool>,
                        dst: *mut bool
                    ) -> bool = $($crate::kernels::simd::pack::pack_bool_panel::<$bool_panel>(rows, kc, a, dst))||+
                );
            )?
        }
    };
}
pub(crate) use lanes;

/// `a + b` as `1 · a + b` in the multiply-add units, by the instruction
/// `$op` (`vfmadd231ps`/`pd`) on registers of class `$reg` under
/// `$feature`, and its form `$plus_at` with `a` an element in memory:
/// `memory` (AVX-512) broadcasts it in the instruction itself (`$width`
/// `ptr [p]` `$broadcast`: `{1to16}`, `{1to8}`), `broadcast first` (AVX2,
/// which has no embedded broadcast) splats it into a register. The
/// product by 1 is exact and the sum is rounded once, so every result is
/// the add's bit for bit, but for which NaN comes out when an operand is
/// NaN (no NaN product is ever kept: see the NaN rule). Inline assembly,
/// because LLVM folds `fma(a, 1, b)` back into an add; the functions
/// enable only what their registers need and inline into the kernel
/// entries (CI checks that none is left on its own). Not `preserves_flags`:
/// an FMA sets MXCSR's exception flags.
macro_rules! add_on_fma {
    ($plus:ident, $plus_at:ident: $t:ty, $v:ty, $splat:ident, $op:literal, $reg:ident,
     $feature:literal, $($at:tt)+) => {
        #[doc = concat!("`a + b`, one `", $op, "` by 1.")]
        #[inline]
        #[target_feature(enable = $feature)]
        unsafe fn $plus(a: $v, b: $v) -> $v {
            let one = $splat(1.0);
            let mut sum = b;
            // SAFETY: a register operation; the CPU has FMA (the kernels
            // over these lanes are bound only where it is detected).
            unsafe {
                std::arch::asm!(concat!($op, " {sum}, {one}, {a}"), sum = inout($reg) sum,
                    one = in($reg) one, a = in($reg) a, options(pure, nomem, nostack));
            }
            sum
        }
        $crate::kernels::simd::lanes::add_on_fma!(@at $plus, $plus_at: $t, $v, $splat, $op, $reg,
            $feature, $($at)+);
    };
    (@at $plus:ident, $plus_at:ident: $t:ty, $v:ty, $splat:ident, $op:literal, $reg:ident,
     $feature:literal, broadcast first) => {
        #[doc = "`*p + b` with `*p` splat into every lane first."]
        #[inline]
        #[target_feature(enable = $feature)]
        unsafe fn $plus_at(p: *const $t, b: $v) -> $v {
            // SAFETY: `p` is readable (caller's contract); as above.
            unsafe { $plus($splat(*p), b) }
        }
    };
    (@at $plus:ident, $plus_at:ident: $t:ty, $v:ty, $splat:ident, $op:literal, $reg:ident,
     $feature:literal, memory $width:literal $broadcast:literal) => {
        #[doc = concat!("`*p + b` with `*p` in every lane, one `", $op, "` by 1 with `*p` broadcast from memory.")]
        #[inline]
        #[target_feature(enable = $feature)]
        unsafe fn $plus_at(p: *const $t, b: $v) -> $v {
            let one = $splat(1.0);
            let mut sum = b;
            // SAFETY: reads the one element at `p` (caller's contract:
            // readable); FMA as in the register form.
            unsafe {
                std::arch::asm!(concat!($op, " {sum}, {one}, ", $width, " ptr [{p}]", $broadcast),
                    sum = inout($reg) sum, one = in($reg) one, p = in(reg) p,
                    options(pure, readonly, nostack));
            }
            sum
        }
    };
}
pub(crate) use add_on_fma;

/// One function of a lane module: `body` (an instruction on the
/// arguments) in an `unsafe` block, under the one contract they all
/// share; `pub` makes it `pub(crate)`.
macro_rules! lane_fn {
    ($(#[$doc:meta])* $vis:vis $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)? = $body:expr) => {
        $(#[$doc])*
        #[inline(always)]
        $vis unsafe fn $name($($arg: $ty),*) $(-> $ret)? {
            // SAFETY: callers run with the ISA enabled (the lane traits'
            // contract) and pass pointers valid for what the function's
            // doc names: LANES elements (loads, stores), the first `count`
            // with 0 < count < LANES (edges: masked-off lanes are neither
            // touched nor faulted, mask tables are indexed with count ≤
            // LANES), one element (`plus_on_fma_at`), A_SPREAD elements
            // (`broadcast_spread`), or a whole
            // panel as `pack_bool_panel`'s contract states
            // (`pack_spread_panel`).
            unsafe { $body }
        }
    };
}
pub(crate) use lane_fn;
