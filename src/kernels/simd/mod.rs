//! SIMD microkernels: one generic tile body, shared by every semiring and
//! ISA through [`VecOps`], a small trait of vector operations (⊕ and ⊗ as
//! vector ops, plus load/store/broadcast). Each ISA adds only its
//! `#[target_feature]` entry points and its vector types.
//!
//! # Integer sentinels
//! The (max|min, +) integer kernels cannot use `MIN`/`MAX` as ZERO inside
//! a vector add (it would wrap). Packing stores ZERO as the sentinel
//! `∓(2^(bits-2) − 1)` instead; since finite inputs satisfy
//! |x| ≤ 2^(bits-4), a sum involving a sentinel stays below −2^(bits-3)
//! while every finite sum stays at or above it, and no sum overflows. The
//! tile maps anything beyond that threshold back to ZERO once, before it
//! stores. The result is the scalar reference's, bit for bit.
//!
//! For i16 (bits = 16): sentinel 2^14 − 1 = 16383, threshold 2^13 = 8192,
//! inputs |x| ≤ 2^12 = 4096. A finite sum lies in [−8192, 8192]; one with
//! a sentinel in [−16383 − 4096, −16383 + 4096] = [−20479, −12287]; two
//! sentinels give −32766 ≥ `i16::MIN` + 2: nothing wraps.

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
pub(crate) mod direct;
pub(crate) mod lanes;
pub(crate) mod on_fma;
pub(crate) mod ops;
pub(crate) mod pack;
pub(crate) mod probe;
pub(crate) mod row_group;
pub(crate) mod tile;

use crate::isa::IsaLevel;
use crate::kernels::pack::Lines;
use crate::semiring::{SelectingSemiring, Semiring};

/// Vector operations of one ISA for one built-in semiring.
///
/// # Safety
/// Every method may execute the ISA's instructions: callers must be inside
/// a function compiled with (and run on a CPU with) those features.
pub(crate) trait VecOps: Copy + Default + Send + Sync + 'static {
    /// The semiring these vectors compute in.
    type S: Semiring;
    /// One register of `LANES` scalars.
    type V: LanePermute;
    /// Scalars per register; the kernel's NR.
    const LANES: usize;
    /// The ISA these operations need; a kernel binds only its own level.
    const LEVEL: IsaLevel;

    /// All lanes set to `x`.
    unsafe fn splat(x: <Self::S as Semiring>::Scalar) -> Self::V;
    /// `LANES` scalars from `p` (any alignment).
    unsafe fn load(p: *const <Self::S as Semiring>::Scalar) -> Self::V;
    /// `LANES` scalars to `p` (any alignment).
    unsafe fn store(p: *mut <Self::S as Semiring>::Scalar, v: Self::V);
    /// ⊕, lane-wise, with the scalar `add(acc, x)` operand order.
    unsafe fn add(acc: Self::V, x: Self::V) -> Self::V;
    /// ⊗, lane-wise, A's element first.
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    /// ⊗ of the packed A element at `p` (`A_SPREAD` copies) in every lane
    /// and `b`: the tile's step, which may read `p` as a memory operand.
    ///
    /// # Safety
    /// `p` is readable for `A_SPREAD` elements; features enabled.
    #[inline(always)]
    unsafe fn mul_at(p: *const <Self::S as Semiring>::Scalar, b: Self::V) -> Self::V {
        // SAFETY: forwarded contract.
        unsafe { Self::mul(Self::broadcast_packed(p), b) }
    }
    /// Whether ⊗ is `+` on the multiply-add units (`on_fma::PlusOnFma`):
    /// such a kernel runs only where the CPU has FMA.
    const ON_FMA: bool = false;
    /// Maps internal sentinels back to ZERO (identity but for the integer
    /// plus semirings).
    #[inline(always)]
    unsafe fn finish(acc: Self::V) -> Self::V {
        acc
    }
    /// Whether `store_first`/`load_first` are masked vector operations,
    /// so a tile writes its edge rows straight from registers (C with unit
    /// column stride) instead of spilling the tile for [`store_tile`].
    const MASKED_EDGES: bool = false;
    /// The first `count` lanes of `v` to `p`; memory past them is not
    /// touched.
    ///
    /// # Safety
    /// 0 < `count` < LANES; `count` scalars from `p` are writable;
    /// features enabled. Only called where `MASKED_EDGES` (the default is
    /// never reached).
    #[inline(always)]
    unsafe fn store_first(_p: *mut <Self::S as Semiring>::Scalar, _v: Self::V, _count: usize) {
        unreachable!("store_first without MASKED_EDGES")
    }
    /// The first `count` scalars from `p` in the low lanes (the others
    /// are unspecified); memory past them is not read.
    ///
    /// # Safety
    /// As [`VecOps::store_first`], with the scalars readable.
    #[inline(always)]
    unsafe fn load_first(_p: *const <Self::S as Semiring>::Scalar, _count: usize) -> Self::V {
        unreachable!("load_first without MASKED_EDGES")
    }

    /// Whether `packed_value` is the identity, so the kernel may read A and
    /// B in place instead of from a packed copy (the sentinel kernels,
    /// which map ZERO, do so for an operand without ZERO).
    const PACKS_AS_IS: bool = true;

    /// Copies of each element in a packed A micro-panel. The bool kernels
    /// store every A byte 4 times, so a row's value at a depth is one
    /// 32-bit broadcast from memory (a load-port operation, folded into
    /// the and/or as an embedded broadcast on AVX-512) instead of a
    /// compare, a select and a broadcast from a general register, which
    /// all queue on the one shuffle port.
    const A_SPREAD: usize = 1;

    /// All lanes set to the packed A element at `p`, which holds
    /// `A_SPREAD` copies of it.
    ///
    /// # Safety
    /// `p` is readable for `A_SPREAD` elements; features enabled.
    #[inline(always)]
    unsafe fn broadcast_packed(p: *const <Self::S as Semiring>::Scalar) -> Self::V {
        // SAFETY: `p` is a packed element (caller's contract); features
        // are enabled by the caller.
        unsafe { Self::splat(*p) }
    }

    /// Packs one whole panel of `rows` rows of A (`kc` depths, the rows
    /// of `a` as lines) in the `A_SPREAD` layout with the ISA's own
    /// instructions, or returns `false`, having written nothing, for a
    /// height or layout it does not take (then the generic loop packs).
    /// Only the spread kernels have one.
    ///
    /// # Safety
    /// Rows < `rows` at depths < kc of `a` are readable; `dst` is
    /// writable for rows·kc·A_SPREAD elements; features enabled.
    #[inline(always)]
    unsafe fn pack_spread_panel(
        _rows: usize,
        _kc: usize,
        _a: Lines<<Self::S as Semiring>::Scalar>,
        _dst: *mut <Self::S as Semiring>::Scalar,
    ) -> bool {
        false
    }

    /// How an element is stored in a packed panel (identity but for the
    /// integer plus semirings, which store ZERO as a sentinel).
    #[inline(always)]
    fn packed_value(x: <Self::S as Semiring>::Scalar) -> <Self::S as Semiring>::Scalar {
        x
    }

    /// [`packed_value`](VecOps::packed_value) of every lane, for values
    /// the semiring accepts as input (range-checked before any packing).
    /// A `VecOps` that overrides `packed_value` (the integer sentinel
    /// lanes of `ops::Ops`) must make ⊕ with its packed ZERO equal to it on
    /// those values, as the (max|min, +) integer lines do.
    /// The sentinel kernels' ZERO is ⊕'s extreme (MIN for max), beyond
    /// the sentinel, and every accepted value lies strictly inside it
    /// (|x| ≤ 2^(bits−4)); so one ⊕ with the sentinel maps ZERO to it and
    /// leaves the rest as they are: one instruction, no compare.
    ///
    /// # Safety
    /// Features enabled.
    #[inline(always)]
    unsafe fn packed_lanes(v: Self::V) -> Self::V {
        if Self::PACKS_AS_IS {
            v
        } else {
            let sentinel = Self::packed_value(<Self::S as Semiring>::ZERO);
            // SAFETY: features enabled (caller).
            unsafe { Self::add(v, Self::splat(sentinel)) }
        }
    }
}

/// A register's lanes rearranged across the whole register, in 32-bit
/// units (an f64 or i64 lane is two units), for the row-group tile.
pub(crate) trait LanePermute: Copy {
    /// A register of 32-bit unit indices.
    type Index: Copy;
    /// 32-bit units per register.
    const UNITS: usize;
    /// The index register whose unit u is `units[u]`, u < `UNITS`.
    ///
    /// # Safety
    /// Every `units[u]` < `UNITS`; features enabled.
    unsafe fn index(units: &[i32; 16]) -> Self::Index;
    /// The register whose unit u is unit `index[u]` of `self`.
    ///
    /// # Safety
    /// Features enabled.
    unsafe fn permute(self, index: Self::Index) -> Self;
}

/// [`LanePermute`] for one ISA's vector types: `$load` reads an index
/// register of `$units` 32-bit units, and each type's `$body` permutes
/// `$x` by the index `$i`.
macro_rules! lane_permutes {
    ($index:ty, $units:literal, $load:ident; $($v:ty: |$x:ident, $i:ident| $body:expr),+ $(,)?) => {$(
        impl $crate::kernels::simd::LanePermute for $v {
            type Index = $index;
            const UNITS: usize = $units;
            #[inline(always)]
            unsafe fn index(units: &[i32; 16]) -> $index {
                // SAFETY: callers run with the ISA enabled (trait
                // contract); $units 32-bit units from a 16-unit array.
                unsafe { $load(units.as_ptr().cast()) }
            }
            #[inline(always)]
            unsafe fn permute(self, index: $index) -> Self {
                let ($x, $i) = (self, index);
                // SAFETY: callers run with the ISA enabled (trait contract).
                unsafe { $body }
            }
        }
    )+};
}
pub(crate) use lane_permutes;

/// How a winning index sits in a lane of the value type: k + 1 (0 meaning
/// "none"), as the bit pattern of a 16- or 32-bit lane or as the exact
/// `f64` value in a 64-bit lane. Every encoding grows with k under the
/// ISA's unsigned (16- and 32-bit) or float (64-bit) `max`, which the AVX2
/// kernels use to keep the latest winner in one instruction.
///
/// Here k is the chunk number within one tile call (see
/// `tile::arg_tile_body`), at most ⌈kc / ARG_CHUNK⌉; a tile whose kc would
/// exceed [`MAX_K_PLUS_ONE`](IndexLane::MAX_K_PLUS_ONE) chunks runs in
/// parts, so an encoding never wraps.
pub(crate) trait IndexLane: Copy {
    /// The largest `k_plus_one` the lane holds exactly.
    const MAX_K_PLUS_ONE: u32;
    /// The lane holding `k_plus_one` (≤ `MAX_K_PLUS_ONE`).
    fn encode(k_plus_one: u32) -> Self;
    /// The `k_plus_one` this lane holds.
    fn decode(self) -> u32;
}

macro_rules! index_lanes {
    ($($t:ty: max $max:expr, encode |$k:ident| $encode:expr, decode |$x:ident| $decode:expr;)*) => {$(
        impl IndexLane for $t {
            const MAX_K_PLUS_ONE: u32 = $max;
            #[inline(always)]
            fn encode($k: u32) -> Self {
                debug_assert!($k <= Self::MAX_K_PLUS_ONE);
                $encode
            }
            #[inline(always)]
            fn decode(self) -> u32 {
                let $x = self;
                $decode
            }
        }
    )*};
}

index_lanes! {
    f32: max u32::MAX, encode |k| f32::from_bits(k), decode |x| x.to_bits();
    i16: max u16::MAX as u32, encode |k| k as u16 as i16, decode |x| u32::from(x as u16);
    i32: max u32::MAX, encode |k| k as i32, decode |x| x as u32;
    f64: max u32::MAX, encode |k| f64::from(k), decode |x| x as u32;
    i64: max u32::MAX, encode |k| f64::from(k).to_bits() as i64, decode |x| f64::from_bits(x as u64) as u32;
    // The 16 bits of a half lane, as for i16.
    half::f16: max u16::MAX as u32, encode |k| half::f16::from_bits(k as u16),
        decode |x| u32::from(x.to_bits());
}

/// The extra vector operations of an argmax kernel, per ISA.
///
/// # Safety
/// As [`VecOps`]: call inside a function compiled with the ISA.
pub(crate) trait ArgVecOps: VecOps<S: SelectingSemiring<Scalar: IndexLane>> {
    /// Sets the lanes of `chunk` to `k` where `now` improves on `then`
    /// (the semiring's strict comparison). `k` only grows from call to
    /// call, which the AVX2 form relies on.
    unsafe fn mark_improved(chunk: &mut Self::V, now: Self::V, then: Self::V, k: Self::V);

    /// Where the value lanes start: ZERO, except for the integer plus
    /// semirings, whose sentinel sums must never win. They start just
    /// beyond the sentinel threshold, which every finite sum beats and no
    /// sentinel sum reaches; `finish` maps it back to ZERO.
    #[inline(always)]
    fn arg_start() -> <Self::S as Semiring>::Scalar {
        <Self::S as Semiring>::ZERO
    }

    /// The scalar ⊗ of two packed values, exactly as the vector computes
    /// it (the semiring's own `mul` for every built-in: the integer
    /// sentinels are ordinary in-range values to it).
    ///
    /// # Safety
    /// Features enabled (an implementation may compute it in a register).
    #[inline(always)]
    unsafe fn packed_product(
        a: <Self::S as Semiring>::Scalar,
        b: <Self::S as Semiring>::Scalar,
    ) -> <Self::S as Semiring>::Scalar {
        <Self::S as Semiring>::mul(a, b)
    }
}

/// The lane types of an element type on each ISA: what the built-in
/// table pairs a semiring's rules with.
pub(crate) trait ElementLanes: Copy + PartialEq + 'static {
    /// Its AVX-512 registers.
    #[cfg(target_arch = "x86_64")]
    type Avx512: ops::Lanes<T = Self>;
    /// Its AVX2 registers.
    #[cfg(target_arch = "x86_64")]
    type Avx2: ops::Lanes<T = Self>;
}

macro_rules! element_lanes {
    ($($t:ty => $lanes:ident),*) => {$(
        impl ElementLanes for $t {
            #[cfg(target_arch = "x86_64")]
            type Avx512 = avx512::$lanes;
            #[cfg(target_arch = "x86_64")]
            type Avx2 = avx2::$lanes;
        }
    )*};
}

element_lanes!(f32 => F32s, f64 => F64s, i16 => I16s, i32 => I32s, i64 => I64s, bool => Bools);
// `half::f16` has lanes on one ISA only (`avx512::F16s`, level
// `Avx512Fp16`), which `builtin.rs` names directly.

/// Depths per chunk of the argmax tile (see [`arg_tile_body`]).
pub(crate) const ARG_CHUNK: usize = 4;
