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

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
pub(crate) mod row_group;

use super::{MicroKernel, store_arg_tile, store_tile};
use crate::dispatch::{IsaLevel, detected_isa};
use crate::kernel::{ArgKernel, Kernel};
use crate::semiring::{SelectingSemiring, Semiring};
use crate::workspace::SharedPtr;

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
    #[inline(always)]
    unsafe fn broadcast_packed(p: *const <Self::S as Semiring>::Scalar) -> Self::V {
        // SAFETY: `p` is a packed element (caller's contract); features
        // are enabled by the caller.
        unsafe { Self::splat(*p) }
    }

    /// Packs one whole panel of `rows` rows of A (`kc` depths, element
    /// (r, p) at `src + r·row_stride + p·col_stride`) in the `A_SPREAD`
    /// layout with the ISA's own instructions, or returns `false`, having
    /// written nothing, for a height or layout it does not take (then the
    /// generic loop packs). Only the spread kernels have one.
    ///
    /// # Safety
    /// Rows < `rows` at depths < kc are readable as described; `dst` is
    /// writable for rows·kc·A_SPREAD elements; features enabled.
    #[inline(always)]
    unsafe fn pack_spread_panel(
        _rows: usize,
        _src: *const <Self::S as Semiring>::Scalar,
        _row_stride: isize,
        _col_stride: isize,
        _kc: usize,
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
    /// A `VecOps` that overrides `packed_value` (the `sentinel =` form of
    /// `vec_ops!`) must make ⊕ with its packed ZERO equal to it on those
    /// values, as the (max|min, +) integer lines do.
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
        impl $crate::kernel::simd::LanePermute for $v {
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

/// The built-in semirings name their vector operations per ISA.
pub(crate) trait BuiltinSimd: Semiring {
    #[cfg(target_arch = "x86_64")]
    type Avx512: VecOps<S = Self>;
    #[cfg(target_arch = "x86_64")]
    type Avx2: VecOps<S = Self>;
}

macro_rules! builtin_simd {
    ($($s:ty => $ops:ident;)*) => {$(
        impl BuiltinSimd for $s {
            #[cfg(target_arch = "x86_64")]
            type Avx512 = avx512::$ops;
            #[cfg(target_arch = "x86_64")]
            type Avx2 = avx2::$ops;
        }
    )*};
}

use crate::semiring::{MaxMin, MaxMul, MaxPlus, MinMax, MinPlus, OrAnd};
builtin_simd! {
    MaxPlus<f32> => MaxPlusF32; MinPlus<f32> => MinPlusF32; MaxMul<f32> => MaxMulF32;
    MaxMin<f32> => MaxMinF32; MinMax<f32> => MinMaxF32;
    MaxPlus<f64> => MaxPlusF64; MinPlus<f64> => MinPlusF64; MaxMul<f64> => MaxMulF64;
    MaxMin<f64> => MaxMinF64; MinMax<f64> => MinMaxF64;
    MaxPlus<i32> => MaxPlusI32; MinPlus<i32> => MinPlusI32; MaxMin<i32> => MaxMinI32; MinMax<i32> => MinMaxI32;
    MaxPlus<i64> => MaxPlusI64; MinPlus<i64> => MinPlusI64; MaxMin<i64> => MaxMinI64; MinMax<i64> => MinMaxI64;
    OrAnd => OrAndBool;
}

/// The best kernel for `S` at or below `level` that this CPU can run.
pub(crate) fn select<S: BuiltinSimd>(level: IsaLevel) -> Kernel<S> {
    let usable = level.min(detected_isa());
    #[cfg(target_arch = "x86_64")]
    {
        if usable >= IsaLevel::Avx512 {
            return avx512::kernel::<S::Avx512>();
        }
        if usable >= IsaLevel::Avx2 {
            return avx2::kernel::<S::Avx2>();
        }
    }
    let _ = usable;
    Kernel::portable()
}

/// The best argmax kernel for `S` at or below `level` that this CPU can
/// run.
pub(crate) fn select_arg<S>(level: IsaLevel) -> ArgKernel<S>
where
    S: BuiltinSimd + SelectingSemiring,
    S::Avx512: ArgVecOps,
    S::Avx2: ArgVecOps,
{
    let usable = level.min(detected_isa());
    #[cfg(target_arch = "x86_64")]
    {
        if usable >= IsaLevel::Avx512 {
            return avx512::arg_kernel::<S::Avx512>();
        }
        if usable >= IsaLevel::Avx2 {
            return avx2::arg_kernel::<S::Avx2>();
        }
    }
    let _ = usable;
    ArgKernel::portable()
}

/// How a winning index sits in a lane of the value type: k + 1 (0 meaning
/// "none"), as the bit pattern of a 32-bit lane or as the exact `f64`
/// value in a 64-bit lane. Both encodings grow with k under the ISA's
/// unsigned (32-bit) or float (64-bit) `max`, which the AVX2 kernels use to
/// keep the latest winner in one instruction.
pub(crate) trait IndexLane: Copy {
    /// The lane holding `k_plus_one`.
    fn encode(k_plus_one: u32) -> Self;
    /// The `k_plus_one` this lane holds.
    fn decode(self) -> u32;
}

impl IndexLane for f32 {
    #[inline(always)]
    fn encode(k_plus_one: u32) -> Self {
        f32::from_bits(k_plus_one)
    }
    #[inline(always)]
    fn decode(self) -> u32 {
        self.to_bits()
    }
}
impl IndexLane for i32 {
    #[inline(always)]
    fn encode(k_plus_one: u32) -> Self {
        k_plus_one as i32
    }
    #[inline(always)]
    fn decode(self) -> u32 {
        self as u32
    }
}
impl IndexLane for f64 {
    #[inline(always)]
    fn encode(k_plus_one: u32) -> Self {
        f64::from(k_plus_one)
    }
    #[inline(always)]
    fn decode(self) -> u32 {
        self as u32
    }
}
impl IndexLane for i64 {
    #[inline(always)]
    fn encode(k_plus_one: u32) -> Self {
        f64::from(k_plus_one).to_bits() as i64
    }
    #[inline(always)]
    fn decode(self) -> u32 {
        f64::from_bits(self as u64) as u32
    }
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
    #[inline(always)]
    fn packed_product(
        a: <Self::S as Semiring>::Scalar,
        b: <Self::S as Semiring>::Scalar,
    ) -> <Self::S as Semiring>::Scalar {
        <Self::S as Semiring>::mul(a, b)
    }
}

/// Depths per chunk of the argmax tile (see [`arg_tile_body`]).
pub(crate) const ARG_CHUNK: usize = 4;

/// `steps` depths of ⊗ and ⊕ into `acc` (`STEPS` steps when it is not 0:
/// a constant trip count, fully unrolled).
///
/// # Safety
/// `pa`/`pb` hold `steps` more depths of packed A (MR) and B (LANES);
/// features enabled by the caller.
#[inline(always)]
unsafe fn fold_depths<O: VecOps, const MR: usize, const STEPS: usize>(
    acc: &mut [O::V; MR],
    steps: usize,
    pa: &mut *const <O::S as Semiring>::Scalar,
    pb: &mut *const <O::S as Semiring>::Scalar,
) {
    let steps = if STEPS == 0 { steps } else { STEPS };
    // SAFETY: within the packed panels (caller's bound).
    unsafe {
        for _ in 0..steps {
            let b_row = O::load(*pb);
            for (i, acc_i) in acc.iter_mut().enumerate() {
                *acc_i = O::add(*acc_i, O::mul(O::splat(*pa.add(i)), b_row));
            }
            *pa = pa.add(MR);
            *pb = pb.add(O::LANES);
        }
    }
}

/// The argmax tile: `MR` rows of one vector each, with a second register
/// per row for the chunk in which the row's value last improved.
///
/// Tracking the index at every depth costs a compare and a blend per
/// product on top of ⊗ and ⊕ (half the value kernel's speed). Instead the
/// depths run in chunks of [`ARG_CHUNK`] through the value kernel's own ⊗
/// and ⊕; after each chunk one compare against the value before it finds
/// the lanes the chunk improved, and they record the chunk. The value
/// fold is exactly the value kernel's, so values match bit for bit. Since
/// ⊕ keeps the first of equal values, the winner is the first depth of
/// the recorded chunk whose product equals the final value (`==`: NaN
/// never won, and ±0 compare equal as they tie under ⊕). A scalar scan of
/// at most ARG_CHUNK products per output finds it after the loop,
/// recomputing ⊗ exactly as the vector does.
///
/// # Safety
/// As [`ArgMicroKernel::tile_arg`](super::ArgMicroKernel::tile_arg), with
/// `a` a packed micro-panel of MR, inside a function compiled with `O`'s
/// features.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn arg_tile_body<O: ArgVecOps, const MR: usize>(
    kc: usize,
    depth: usize,
    a: *const <O::S as Semiring>::Scalar,
    b: *const <O::S as Semiring>::Scalar,
    c: *mut <O::S as Semiring>::Scalar,
    rsc: isize,
    csc: isize,
    argk: *mut u32,
    rsi: isize,
    csi: isize,
    rows: usize,
    cols: usize,
    load_c: bool,
) {
    type Scalar<O> = <<O as VecOps>::S as Semiring>::Scalar;
    const {
        assert!(std::mem::size_of::<O::V>() == O::LANES * std::mem::size_of::<Scalar<O>>());
        // The argmax kernels pack A plainly (`ArgMicroKernel::pack`).
        assert!(O::A_SPREAD == 1);
    };
    let nr = O::LANES;
    // SAFETY: (whole body) reads stay within the kc·MR and kc·NR packed
    // elements; stores go through `store_arg_tile` inside the rows×cols
    // regions of C and argk; the caller runs us with O's features enabled.
    unsafe {
        let mut acc = [O::splat(O::arg_start()); MR];
        let mut chunk_of = [O::splat(IndexLane::encode(0)); MR];
        let (mut pa, mut pb) = (a, b);
        let full_chunks = kc / ARG_CHUNK;
        for chunk in 0..=full_chunks {
            let steps = if chunk < full_chunks {
                ARG_CHUNK
            } else {
                kc - full_chunks * ARG_CHUNK
            };
            if steps == 0 {
                break;
            }
            let before = acc;
            if steps == ARG_CHUNK {
                fold_depths::<O, MR, ARG_CHUNK>(&mut acc, ARG_CHUNK, &mut pa, &mut pb);
            } else {
                fold_depths::<O, MR, 0>(&mut acc, steps, &mut pa, &mut pb);
            }
            let k = O::splat(IndexLane::encode(chunk as u32 + 1));
            for ((chunk_i, &now), &then) in chunk_of.iter_mut().zip(&acc).zip(&before) {
                O::mark_improved(chunk_i, now, then, k);
            }
        }
        // Copies: the loop's registers stay registers.
        let mut spilled = acc;
        for v in spilled.iter_mut() {
            *v = O::finish(*v);
        }
        let spilled_chunks = chunk_of;
        let values = std::slice::from_raw_parts(spilled.as_ptr().cast::<Scalar<O>>(), MR * nr);
        let lanes =
            std::slice::from_raw_parts(spilled_chunks.as_ptr().cast::<Scalar<O>>(), MR * nr);
        // Branch-free: the winner's position in a random chunk would
        // mispredict a search loop once per output. Test every depth of
        // the chunk (clamped inside the panel), keep a bit per match, take
        // the first.
        let index_of = |i: usize, j: usize| {
            let chunk = IndexLane::decode(lanes[i * nr + j]) as usize;
            let value = values[i * nr + j];
            let first = chunk.saturating_sub(1) * ARG_CHUNK;
            let mut matches = 0u32;
            for step in 0..ARG_CHUNK {
                let p = (first + step).min(kc - 1);
                let product = O::packed_product(*a.add(p * MR + i), *b.add(p * nr + j));
                matches |= u32::from(product == value && first + step < kc) << step;
            }
            if chunk == 0 {
                crate::argmax::NO_ARG // nothing won
            } else {
                (depth + first) as u32 + matches.trailing_zeros()
            }
        };
        store_arg_tile::<O::S>(
            values, index_of, nr, rows, cols, c, rsc, csc, argk, rsi, csi, load_c,
        );
    }
}

/// Where a tile reads A from: a packed micro-panel, or A itself.
pub(crate) trait TileA<O: VecOps> {
    /// Element (i, p) for the current depth p, in its packed
    /// representation, in every lane (A read in place holds only values
    /// that pack as themselves: see [`DirectA`]).
    ///
    /// # Safety
    /// i < MR and the current depth is < kc; `O`'s features are enabled.
    unsafe fn broadcast(&self, i: usize) -> O::V;
    /// Moves to the next depth (after the last one, to one past the end).
    ///
    /// # Safety
    /// Called at most kc times.
    unsafe fn advance(&mut self);
}

/// A packed micro-panel: MR values per depth, each `O::A_SPREAD` times.
pub(crate) struct PackedA<O: VecOps, const MR: usize>(pub *const <O::S as Semiring>::Scalar);

impl<O: VecOps, const MR: usize> TileA<O> for PackedA<O, MR> {
    #[inline(always)]
    unsafe fn broadcast(&self, i: usize) -> O::V {
        // SAFETY: the panel holds MR·A_SPREAD values per depth; features
        // enabled (caller).
        unsafe { O::broadcast_packed(self.0.add(i * O::A_SPREAD)) }
    }
    #[inline(always)]
    unsafe fn advance(&mut self) {
        // SAFETY: within the kc·MR·A_SPREAD panel, or one past its end
        // after the last depth (caller's bound).
        self.0 = unsafe { self.0.add(MR * O::A_SPREAD) };
    }
}

/// A read in place with its strides (the small-matrix path). Rows past the
/// edge re-read the last valid row: their results are computed but never
/// stored, and no address outside A is touched.
pub(crate) struct DirectA<O: VecOps, const MR: usize> {
    ptr: *const <O::S as Semiring>::Scalar,
    row_offsets: [isize; MR],
    col_stride: isize,
}

impl<O: VecOps, const MR: usize> DirectA<O, MR> {
    #[inline(always)]
    pub(crate) fn new(
        ptr: *const <O::S as Semiring>::Scalar,
        rows: usize,
        rsa: isize,
        csa: isize,
    ) -> Self {
        let row_offsets = std::array::from_fn(|i| i.min(rows - 1) as isize * rsa);
        Self {
            ptr,
            row_offsets,
            col_stride: csa,
        }
    }
}

impl<O: VecOps, const MR: usize> TileA<O> for DirectA<O, MR> {
    /// A's value as it is: the direct path reads A in place only where
    /// packing would store it unchanged (a kernel that packs as is, or a
    /// sentinel kernel's A without ZERO, see [`direct_driver`]).
    #[inline(always)]
    unsafe fn broadcast(&self, i: usize) -> O::V {
        // SAFETY: row_offsets[i] names a row < rows of A at the current
        // depth; features enabled (caller).
        unsafe { O::splat(*self.ptr.offset(self.row_offsets[i])) }
    }
    #[inline(always)]
    unsafe fn advance(&mut self) {
        self.ptr = self.ptr.wrapping_offset(self.col_stride);
    }
}

/// The MR × (W·LANES) register tile (W vectors per row): folds `kc`
/// rank-1 updates starting from ZERO, then writes (or ⊕-combines) the
/// valid `rows × cols` part of C. The packed path uses W = 1, or 2 for
/// the kernels whose packed tile is 8 rows of two vectors (`tile_vectors`
/// in `isa_kernel!`); the direct path trades rows for columns (1 × 16
/// vectors, 4 × 4) when C has fewer rows than MR, so a vector-matrix
/// product does not compute MR copies of its one row.
///
/// With unit column stride a full tile is stored straight from registers,
/// and so is an edge tile where `O` has masked stores (`MASKED_EDGES`:
/// its valid rows, the last vector of each masked); otherwise (C with any
/// other stride, or bool) the tile is spilled to the stack and written
/// by the shared [`store_tile`]. Same kernel, no scalar compute.
///
/// # Safety
/// As [`MicroKernel::tile`](super::MicroKernel::tile), with `a` valid for
/// kc depths and `b` holding `W·O::LANES` readable values at each of
/// `b + p·b_stride`, p < kc (a packed micro-panel: `b_stride` = W·LANES),
/// inside a function compiled with `O`'s features.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn tile_body<O: VecOps, const MR: usize, const W: usize>(
    kc: usize,
    mut a: impl TileA<O>,
    b: *const <O::S as Semiring>::Scalar,
    b_stride: isize,
    c: *mut <O::S as Semiring>::Scalar,
    rsc: isize,
    csc: isize,
    rows: usize,
    cols: usize,
    load_c: bool,
) {
    let nr = O::LANES;
    // SAFETY: (whole body) reads stay within A's kc depths and the kc·W·NR
    // elements of B; stores within the rows×cols region of C; the caller
    // runs us with O's features enabled.
    unsafe {
        let mut acc = [[O::splat(<O::S as Semiring>::ZERO); W]; MR];
        let mut b = b;
        for _ in 0..kc {
            let b_row: [O::V; W] = std::array::from_fn(|w| O::load(b.add(w * nr)));
            for (i, acc_i) in acc.iter_mut().enumerate() {
                let a_i = a.broadcast(i);
                for (acc_iw, &b_w) in acc_i.iter_mut().zip(&b_row) {
                    *acc_iw = O::add(*acc_iw, O::mul(a_i, b_w));
                }
            }
            a.advance();
            b = b.offset(b_stride);
        }
        // Nested loops, not `flatten()`: LLVM left the flattened loop in
        // place for the identity `finish` of float semirings (empty
        // loops per tile, 16 % more instructions for 1M×4×4).
        for acc_i in acc.iter_mut() {
            for acc_iw in acc_i.iter_mut() {
                *acc_iw = O::finish(*acc_iw);
            }
        }
        if rows == MR && cols == W * nr && csc == 1 {
            for (i, acc_i) in acc.iter().enumerate() {
                for (w, &acc_iw) in acc_i.iter().enumerate() {
                    let dst = c.offset(i as isize * rsc).add(w * nr);
                    let value = if load_c {
                        O::add(O::load(dst), acc_iw)
                    } else {
                        acc_iw
                    };
                    O::store(dst, value);
                }
            }
        } else if csc == 1 && O::MASKED_EDGES {
            // An edge tile: its valid rows, each as whole vectors and one
            // masked vector for the last `cols % LANES` columns, straight
            // from registers. Against the spill and `store_tile`, a
            // 2^20×4×4 product fell from 58 to 39 instructions per row
            // (AVX2, callgrind) and from 8.6-8.9 to 4.4-6.6 ms (AVX-512,
            // alternating binaries).
            for (i, acc_i) in acc.iter().enumerate() {
                if i < rows {
                    for (w, &acc_iw) in acc_i.iter().enumerate() {
                        let first = w * nr;
                        if first < cols {
                            let dst = c.offset(i as isize * rsc).add(first);
                            let lanes = cols - first;
                            if lanes >= nr {
                                let value = if load_c {
                                    O::add(O::load(dst), acc_iw)
                                } else {
                                    acc_iw
                                };
                                O::store(dst, value);
                            } else {
                                let value = if load_c {
                                    O::add(O::load_first(dst, lanes), acc_iw)
                                } else {
                                    acc_iw
                                };
                                O::store_first(dst, value, lanes);
                            }
                        }
                    }
                }
            }
        } else {
            const {
                assert!(
                    std::mem::size_of::<O::V>()
                        == O::LANES * std::mem::size_of::<<O::S as Semiring>::Scalar>()
                )
            };
            // [[V; W]; MR] is the row-major MR × (W·LANES) tile.
            let spill = acc;
            let flat = std::slice::from_raw_parts(
                spill.as_ptr().cast::<<O::S as Semiring>::Scalar>(),
                MR * W * nr,
            );
            store_tile::<O::S>(flat, W * nr, rows, cols, c, rsc, csc, load_c);
        }
    }
}

/// The tile shapes of the direct path, as (rows, vectors per row): all
/// hold MR vectors, so they keep the same number of accumulators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DirectShape {
    /// MR × 1: the packed tile of the one-vector-per-row kernels.
    Tall,
    /// 4 × MR/4: C with at most MR/2 rows.
    Square,
    /// 1 × MR: one row of C.
    Row,
}

impl DirectShape {
    /// The shape for m rows of C with an ISA whose tile has `mr` rows.
    pub(crate) fn for_rows(m: usize, mr: usize) -> Self {
        if m == 1 {
            Self::Row
        } else if m <= mr / 2 && mr >= 8 {
            Self::Square
        } else {
            Self::Tall
        }
    }

    /// Rows of the tile.
    pub(crate) fn rows(self, mr: usize) -> usize {
        match self {
            Self::Tall => mr,
            Self::Square => 4,
            Self::Row => 1,
        }
    }
}

/// One task of the direct path: row panels `first_panel..last_panel` and
/// column panels `first_col_panel..last_col_panel` of C, with tiles of
/// `shape`, from A in place (or its packed copy, row panel by row panel,
/// when `pack_a`), and B in place for its first
/// `b_in_place_cols` columns (whole panels of a unit-stride B) and packed
/// from there on.
pub(crate) struct DirectJob<T> {
    a: SharedPtr<T>,
    rsa: isize,
    csa: isize,
    b: SharedPtr<T>,
    rsb: isize,
    b_in_place_cols: usize,
    packed_b: SharedPtr<T>,
    /// Whether tiles read A from `packed_a` (see [`DirectJob::packs_a`]).
    pack_a: bool,
    /// This task's buffer for one packed A row panel when `pack_a`; null
    /// otherwise.
    packed_a: SharedPtr<T>,
    c: SharedPtr<T>,
    rsc: isize,
    csc: isize,
    m: usize,
    n: usize,
    k: usize,
    load_c: bool,
    shape: DirectShape,
    first_panel: usize,
    last_panel: usize,
    first_col_panel: usize,
    last_col_panel: usize,
}

impl<T> Clone for DirectJob<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for DirectJob<T> {}

impl<T> DirectJob<T> {
    /// Whether the direct path reads A through a packed copy of each row
    /// panel: when the kernel maps A's values (an integer sentinel kernel,
    /// `a_as_is` false: A holds ZERO), mapping them once per panel beats
    /// mapping them at every broadcast of every column panel (measured
    /// 2.4x faster for a 64×64 MaxPlus<i32> product on AVX-512); the bool
    /// kernels' spread copy turns each broadcast from a compare, a select
    /// and a shuffle into one load.
    fn packs_a<O: VecOps<S: Semiring<Scalar = T>>>(a_as_is: bool) -> bool {
        !a_as_is || O::A_SPREAD > 1
    }

    /// B's column panel at column j (a multiple of `width`) and its depth
    /// stride: in place (columns j..j+width of k rows, unit column stride)
    /// or the packed copy (panels of `width`) of the columns past
    /// `b_in_place_cols`.
    #[inline(always)]
    fn b_panel(&self, j: usize, width: usize) -> (*const T, isize) {
        if j + width <= self.b_in_place_cols {
            // Column j < n of B, inside its checked footprint.
            (self.b.get().cast_const().wrapping_add(j), self.rsb)
        } else {
            // Panel (j − b_in_place_cols)/width of the packed copy exists.
            let packed_col = j - self.b_in_place_cols;
            (
                self.packed_b
                    .get()
                    .cast_const()
                    .wrapping_add(packed_col * self.k),
                width as isize,
            )
        }
    }
}

/// The tiles of one direct-path task, in its job's shape.
///
/// # Safety
/// The job was built by [`direct_driver`] or [`direct_batch_items`]; the
/// caller runs with `O`'s features enabled.
#[inline(always)]
pub(crate) unsafe fn direct_rows<O: VecOps, const MR: usize, const MR_QUARTER: usize>(
    job: &DirectJob<<O::S as Semiring>::Scalar>,
) {
    const { assert!(MR_QUARTER * 4 == MR) };
    // SAFETY: forwarded contract; each shape's tile matches the panels
    // the job was cut into (`DirectShape::rows`, MR vectors per tile).
    unsafe {
        match job.shape {
            DirectShape::Tall => direct_tiles::<O, MR, 1>(job),
            DirectShape::Square => direct_tiles::<O, 4, MR_QUARTER>(job),
            DirectShape::Row => direct_tiles::<O, 1, MR>(job),
        }
    }
}

/// [`pack_panels`](crate::kernel::pack::pack_panels) for `O`: whole
/// panels of contiguous lines (row-major B, column-major A) move as
/// vectors, mapped by [`VecOps::packed_lanes`] (the generic loop mapped
/// the integer sentinels element by element: 3.5 instructions per
/// element for an i32 B, AVX2 callgrind); other layouts and the edge
/// panel take the generic loop.
///
/// # Safety
/// As `pack_panels`, for values `O::S` accepts (range-checked); `O`'s
/// features are enabled.
#[inline(always)]
pub(crate) unsafe fn pack_vector_panels<O: VecOps>(
    unit: usize,
    extent: usize,
    kc: usize,
    src: *const <O::S as Semiring>::Scalar,
    line_stride: isize,
    depth_stride: isize,
    dst: *mut <O::S as Semiring>::Scalar,
) {
    let lanes = O::LANES;
    let whole = if line_stride == 1 && unit.is_multiple_of(lanes) {
        extent / unit * unit
    } else {
        0
    };
    // SAFETY: (whole body) lines < extent at depths < kc are readable,
    // line l of depth p at src + l + p·depth_stride here (unit line
    // stride); panel q's unit·kc elements of dst are writable; features
    // enabled (caller).
    unsafe {
        for first in (0..whole).step_by(unit) {
            let (lines, out) = (src.add(first), dst.add(first * kc));
            for p in 0..kc {
                let depth = lines.offset(p as isize * depth_stride);
                for r in (0..unit).step_by(lanes) {
                    let values = O::packed_lanes(O::load(depth.add(r)));
                    O::store(out.add(p * unit + r), values);
                }
            }
        }
        if whole < extent {
            crate::kernel::pack::pack_panels(
                unit,
                extent - whole,
                kc,
                src.offset(whole as isize * line_stride),
                line_stride,
                depth_stride,
                dst.add(whole * kc),
                O::packed_value(<O::S as Semiring>::ZERO),
                O::packed_value,
            );
        }
    }
}

/// Packs `extent` rows of A, `kc` deep, into micro-panels of `unit` rows
/// in `O`'s packed form (`packed_value`, `A_SPREAD` copies). Whole panels
/// go through the ISA's own [`VecOps::pack_spread_panel`] while it takes
/// the layout; the rest through the generic loops. Kernels with one copy
/// per element pack through [`pack_vector_panels`].
///
/// # Safety
/// As [`pack_panels`](crate::kernel::pack::pack_panels), with `dst`
/// writable for A_SPREAD·ceil(extent/unit)·unit·kc elements; `O`'s
/// features are enabled.
#[inline(always)]
pub(crate) unsafe fn pack_a_panels<O: VecOps>(
    unit: usize,
    extent: usize,
    kc: usize,
    src: *const <O::S as Semiring>::Scalar,
    row_stride: isize,
    col_stride: isize,
    dst: *mut <O::S as Semiring>::Scalar,
) {
    let pad = O::packed_value(<O::S as Semiring>::ZERO);
    let spread = O::A_SPREAD;
    // SAFETY: (whole body) row offsets < extent and depths < kc of the
    // caller's readable block; panel q writes its own unit·kc·spread
    // elements of dst; features enabled (caller).
    unsafe {
        if spread == 1 {
            pack_vector_panels::<O>(unit, extent, kc, src, row_stride, col_stride, dst);
            return;
        }
        let mut rows = 0;
        while rows + unit <= extent
            && O::pack_spread_panel(
                unit,
                src.offset(rows as isize * row_stride),
                row_stride,
                col_stride,
                kc,
                dst.add(rows * kc * spread),
            )
        {
            rows += unit;
        }
        if rows < extent {
            crate::kernel::pack::pack_spread_panels(
                unit,
                spread,
                extent - rows,
                kc,
                src.offset(rows as isize * row_stride),
                row_stride,
                col_stride,
                dst.add(rows * kc * spread),
                pad,
                O::packed_value,
            );
        }
    }
}

/// The tiles of a direct-path job with TR-row, W-vector tiles, row
/// panel by row panel: C is written along its rows, which the hardware
/// prefetchers follow (column panels outside wrote TR rows at a time down
/// the whole matrix: 3.2x slower for a 2048×1×2048 outer product). With
/// `job.pack_a` (the kernels that spread A's values, and the sentinel
/// kernels for an A with ZERO) each row panel is packed once first;
/// otherwise A is read in place, as it is.
///
/// # Safety
/// As [`direct_rows`], with the job cut into TR-row and W·LANES-column
/// panels; for a packing kernel, `job.packed_a` holds TR·k·A_SPREAD
/// elements.
#[inline(always)]
unsafe fn direct_tiles<O: VecOps, const TR: usize, const W: usize>(
    job: &DirectJob<<O::S as Semiring>::Scalar>,
) {
    if job.pack_a {
        let packed_a = job.packed_a.get();
        for panel in job.first_panel..job.last_panel {
            let i = panel * TR;
            let rows = TR.min(job.m - i);
            // SAFETY: rows i..i+rows of A (k deep) lie in its checked
            // footprint; packed_a is this task's own TR·k·A_SPREAD buffer.
            unsafe {
                let a_rows = job.a.get().cast_const().offset(i as isize * job.rsa);
                pack_a_panels::<O>(TR, rows, job.k, a_rows, job.rsa, job.csa, packed_a);
            }
            for col_panel in job.first_col_panel..job.last_col_panel {
                // SAFETY: as for this function, A's panel packed above.
                unsafe {
                    direct_tile::<O, TR, W>(
                        job,
                        panel,
                        col_panel,
                        PackedA::<O, TR>(packed_a.cast_const()),
                    )
                };
            }
        }
    } else {
        for panel in job.first_panel..job.last_panel {
            for col_panel in job.first_col_panel..job.last_col_panel {
                let i = panel * TR;
                let a = DirectA::<O, TR>::new(
                    job.a
                        .get()
                        .cast_const()
                        .wrapping_offset(i as isize * job.rsa),
                    TR.min(job.m - i),
                    job.rsa,
                    job.csa,
                );
                // SAFETY: as for this function; A's rows i.. are read in
                // place.
                unsafe { direct_tile::<O, TR, W>(job, panel, col_panel, a) };
            }
        }
    }
}

/// One TR × W·LANES tile of a direct-path job.
///
/// # Safety
/// Row panel `panel` and column panel `col_panel` belong to the job; `a`
/// reads rows panel·TR.. of A (in place, or their packed copy).
#[inline(always)]
unsafe fn direct_tile<O: VecOps, const TR: usize, const W: usize>(
    job: &DirectJob<<O::S as Semiring>::Scalar>,
    panel: usize,
    col_panel: usize,
    a: impl TileA<O>,
) {
    let width = W * O::LANES;
    let (i, j) = (panel * TR, col_panel * width);
    let (rows, cols) = (TR.min(job.m - i), width.min(job.n - j));
    let (b, b_stride) = job.b_panel(j, width);
    // SAFETY: rows i..i+rows of A and the k-deep panel j/width of B exist
    // (in place: width unit-stride values at every b + p·rsb, p < k,
    // inside B's footprint; packed: a whole padded panel); the rows×cols
    // tile at (i, j) lies in C's checked, non-aliasing footprint, and
    // belongs to this job alone.
    unsafe {
        tile_body::<O, TR, W>(
            job.k,
            a,
            b,
            b_stride,
            job.c
                .get()
                .offset(i as isize * job.rsc + j as isize * job.csc),
            job.rsc,
            job.csc,
            rows,
            cols,
            job.load_c,
        )
    };
}

/// The largest operand a sentinel kernel scans for ZERO to read it in place
/// (see [`direct_driver`]): a quarter of a typical L2.
const SCAN_FOR_ZERO_MAX_BYTES: usize = 256 << 10;

/// The direct path: A is read in place, so a small product, or one whose
/// A would be packed for a single column panel (n ≤ NR), pays no A
/// transpose (the kernels that spread A's values, and the sentinel kernels
/// when A holds ZERO, pack one row panel at a time into a per-task buffer,
/// see [`DirectJob::packs_a`]). B is read in place too where it can be
/// (unit column stride, whole panels, no ZERO for a sentinel kernel to
/// map); the rest of it (the edge columns,
/// which need padding, or all of a strided B) is packed. C with fewer
/// rows than MR gets wider tiles (see [`DirectShape`]). Row panels, or
/// column panels when there are fewer row panels than threads, are split
/// among `threads` tasks, each of which enters the kernel through `rows`
/// (a `#[target_feature]` entry: a closure run by rayon would not be
/// compiled with the ISA).
///
/// # Safety
/// The views were checked by `gemm_with` (m, n, k ≥ 1); `K` and `rows`
/// may run on this CPU.
pub(crate) unsafe fn direct_driver<O: VecOps, K: MicroKernel<O::S>, const MR: usize>(
    ws: &mut crate::GemmWorkspace,
    threads: usize,
    a: crate::MatRef<'_, <O::S as Semiring>::Scalar>,
    b: crate::MatRef<'_, <O::S as Semiring>::Scalar>,
    mut c: crate::MatMut<'_, <O::S as Semiring>::Scalar>,
    accum: crate::Accum,
    rows: unsafe fn(&DirectJob<<O::S as Semiring>::Scalar>),
) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    let load_c = accum == crate::Accum::Combine;
    let shape = DirectShape::for_rows(m, MR);
    let tile_rows = shape.rows(MR);
    let width = O::LANES * (MR / tile_rows);
    // The integer sentinel kernels pack to map ZERO; an operand without
    // ZERO maps to itself, and is read in place as every other kernel
    // reads it. One vectorized scan of each against packing them: a
    // 64×64 MaxPlus<i32> product (AVX2, callgrind) fell from 191k to 148k
    // instructions. Only an operand that stays in cache between the scan
    // and the tiles is scanned: for a larger one (a matrix-vector
    // product's A) the scan would be one more pass over memory, where
    // packing row panel by row panel reads it once.
    let as_is = |x: &crate::MatRef<'_, <O::S as Semiring>::Scalar>| {
        O::PACKS_AS_IS
            || (x.rows() * x.cols() * std::mem::size_of::<<O::S as Semiring>::Scalar>()
                <= SCAN_FOR_ZERO_MAX_BYTES
                && !crate::gemm::holds_zero::<O::S>(*x, O::LEVEL))
    };
    let (a_as_is, b_as_is) = (as_is(&a), as_is(&b));
    let b_in_place_cols = if b_as_is && b.col_stride() == 1 {
        n / width * width
    } else {
        0
    };
    let packed_cols = n - b_in_place_cols;
    let packed_b = ws
        .packed_b
        .reserve::<<O::S as Semiring>::Scalar>(packed_cols.div_ceil(width) * width * k);
    if packed_cols > 0 {
        // SAFETY: columns b_in_place_cols..n of B lie in its checked
        // footprint; packed_b holds ceil(packed_cols/width)·width·k; the
        // caller vouches for K on this CPU.
        unsafe {
            K::pack(
                width,
                packed_cols,
                k,
                b.as_ptr().offset(b_in_place_cols as isize * b.col_stride()),
                b.col_stride(),
                b.row_stride(),
                packed_b,
            )
        };
    }
    let (row_panels, col_panels) = (m.div_ceil(tile_rows), n.div_ceil(width));
    let wanted = threads.max(1);
    let (row_tasks, col_tasks) = if row_panels >= wanted || col_panels == 1 {
        (wanted.min(row_panels), 1)
    } else {
        (1, wanted.min(col_panels))
    };
    let tasks = row_tasks * col_tasks;
    let pack_a = DirectJob::packs_a::<O>(a_as_is);
    let a_buffers: &[SharedPtr<u8>] = if pack_a {
        ws.reserve_a_buffers::<<O::S as Semiring>::Scalar>(tasks, tile_rows * k * O::A_SPREAD)
    } else {
        &[]
    };
    let job = DirectJob {
        a: SharedPtr(a.as_ptr().cast_mut()),
        rsa: a.row_stride(),
        csa: a.col_stride(),
        b: SharedPtr(b.as_ptr().cast_mut()),
        rsb: b.row_stride(),
        b_in_place_cols,
        packed_b: SharedPtr(packed_b),
        pack_a,
        packed_a: SharedPtr(std::ptr::null_mut()),
        c: SharedPtr(c.as_mut_ptr()),
        rsc: c.row_stride(),
        csc: c.col_stride(),
        m,
        n,
        k,
        load_c,
        shape,
        first_panel: 0,
        last_panel: row_panels,
        first_col_panel: 0,
        last_col_panel: col_panels,
    };
    let run_task = |task: usize| {
        let (first_panel, last_panel) =
            crate::driver::split(row_panels, row_tasks, task / col_tasks);
        let (first_col_panel, last_col_panel) =
            crate::driver::split(col_panels, col_tasks, task % col_tasks);
        let packed_a = a_buffers
            .get(task)
            .map_or(std::ptr::null_mut(), |buf| buf.get().cast());
        let part = DirectJob {
            first_panel,
            last_panel,
            first_col_panel,
            last_col_panel,
            packed_a: SharedPtr(packed_a),
            ..job
        };
        // SAFETY: disjoint tiles of C per task; `rows` may run here
        // (caller's contract).
        unsafe { rows(&part) };
    };
    if tasks == 1 {
        run_task(0);
    } else {
        use rayon::prelude::*;
        (0..tasks).into_par_iter().for_each(run_task);
    }
}

/// The batch entry over `O`'s direct tiles: items are split into
/// `threads` runs of consecutive items, and each run makes one call into
/// the ISA's code (`items`), which walks its items with the next one
/// prefetched. Per item this saves the view, plan and dispatch work of
/// a separate product. Takes only layouts whose B every tile reads in
/// place (unit column stride, whole panels) and kernels that need no
/// mapping of A's values (the bool kernels read A in place here rather
/// than spread it: there is no per-task buffer); returns `false` for the
/// others, having written nothing.
///
/// # Safety
/// `items` may run on this CPU (it belongs to `O`'s ISA, detected).
pub(crate) unsafe fn direct_batch<O: VecOps>(
    threads: usize,
    a: &crate::BatchRef<'_, <O::S as Semiring>::Scalar>,
    b: &crate::BatchRef<'_, <O::S as Semiring>::Scalar>,
    c: &mut crate::BatchMut<'_, <O::S as Semiring>::Scalar>,
    accum: crate::Accum,
    items: unsafe fn(&BatchProblem<<O::S as Semiring>::Scalar>, usize, usize),
) -> bool {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    let shapes_agree = b.rows() == k && c.rows() == m && c.cols() == n;
    let count = c.count();
    let counts_agree = a.count() == count && b.count() == count;
    let (a, b, c) = (a.operand(), b.operand(), c.operand());
    if !shapes_agree
        || !counts_agree
        || m == 0
        || n == 0
        || k == 0
        || !O::PACKS_AS_IS
        || b.col_stride != 1
        || !n.is_multiple_of(O::LANES)
    {
        return false;
    }
    let problem = BatchProblem {
        a,
        b,
        c,
        m,
        n,
        k,
        load_c: accum == crate::Accum::Combine,
    };
    let tasks = threads.clamp(1, count.max(1));
    let run_task = |task: usize| {
        let (first, last) = crate::driver::split(count, tasks, task);
        // SAFETY: items first..last < count of checked batches (shapes
        // and counts agree, checked above); C's items are disjoint, so
        // tasks write disjoint memory; `items` may run here (caller).
        unsafe { items(&problem, first, last) };
    };
    if tasks == 1 {
        run_task(0);
    } else {
        use rayon::prelude::*;
        (0..tasks).into_par_iter().for_each(run_task);
    }
    true
}

/// Checked strided batches, as raw parts (see [`direct_batch`]).
pub(crate) struct BatchProblem<T> {
    a: crate::kernel::BatchOperand<T>,
    b: crate::kernel::BatchOperand<T>,
    c: crate::kernel::BatchOperand<T>,
    m: usize,
    n: usize,
    k: usize,
    load_c: bool,
}

/// Items `first..last` of a batch through the direct tiles.
///
/// # Safety
/// The problem came from [`direct_batch`], `last` ≤ its count, and no
/// other task writes these items; `O`'s features are enabled.
#[inline(always)]
pub(crate) unsafe fn direct_batch_items<O: VecOps, const MR: usize>(
    problem: &BatchProblem<<O::S as Semiring>::Scalar>,
    first: usize,
    last: usize,
) {
    let p = problem;
    for i in first..last {
        if i + 1 < last {
            p.a.prefetch(i + 1);
            p.b.prefetch(i + 1);
            p.c.prefetch(i + 1);
        }
        let job = DirectJob {
            a: SharedPtr(p.a.item(i)),
            rsa: p.a.row_stride,
            csa: p.a.col_stride,
            b: SharedPtr(p.b.item(i)),
            rsb: p.b.row_stride,
            b_in_place_cols: p.n,
            packed_b: SharedPtr(std::ptr::null_mut()),
            pack_a: false,
            packed_a: SharedPtr(std::ptr::null_mut()),
            c: SharedPtr(p.c.item(i)),
            rsc: p.c.row_stride,
            csc: p.c.col_stride,
            m: p.m,
            n: p.n,
            k: p.k,
            load_c: p.load_c,
            shape: DirectShape::Tall,
            first_panel: 0,
            last_panel: p.m.div_ceil(MR),
            first_col_panel: 0,
            last_col_panel: p.n / O::LANES,
        };
        // SAFETY: item i < count of checked batches: A's m×k, B's k×n
        // (unit column stride, n a multiple of LANES, so every panel is
        // read in place and the packed copy is never touched) and C's
        // m×n lie in their slices; C's item is this task's alone; A is
        // read in place (`pack_a` false).
        unsafe { direct_tiles::<O, MR, 1>(&job) };
    }
}

/// Declares a zero-sized `VecOps` type from lane primitives.
///
/// `$lanes` is a module of primitives (`splat`, `load`, `store`, and the
/// operations named in `add`/`mul`); `finish`/`packed` optionally name the
/// integer-sentinel helpers, and `edges` the ISA's masked store and load
/// of a row's last lanes (`VecOps::MASKED_EDGES`).
macro_rules! vec_ops {
    ($level:ident; $name:ident: $s:ty, $lanes:ident, add = $add:ident, mul = $mul:ident $(, sentinel = $fin:ident / $packed:ident)? $(, spread_a = $spread:literal)? $(, edges = $store_first:ident / $load_first:ident)?) => {
        #[derive(Clone, Copy, Default, Debug)]
        pub(crate) struct $name;
        impl $crate::kernel::simd::VecOps for $name {
            type S = $s;
            type V = $lanes::V;
            const LANES: usize = $lanes::LANES;
            const LEVEL: $crate::IsaLevel = $crate::IsaLevel::$level;
            #[inline(always)]
            unsafe fn splat(x: <$s as $crate::Semiring>::Scalar) -> Self::V {
                // SAFETY: forwarded trait contract (features enabled).
                unsafe { $lanes::splat(x) }
            }
            #[inline(always)]
            unsafe fn load(p: *const <$s as $crate::Semiring>::Scalar) -> Self::V {
                // SAFETY: forwarded trait contract (LANES readable).
                unsafe { $lanes::load(p) }
            }
            #[inline(always)]
            unsafe fn store(p: *mut <$s as $crate::Semiring>::Scalar, v: Self::V) {
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
                fn packed_value(x: <$s as $crate::Semiring>::Scalar) -> <$s as $crate::Semiring>::Scalar {
                    $lanes::$packed(x)
                }
            )?
            $(
                const MASKED_EDGES: bool = true;
                #[inline(always)]
                unsafe fn store_first(p: *mut <$s as $crate::Semiring>::Scalar, v: Self::V, count: usize) {
                    // SAFETY: forwarded trait contract (0 < count < LANES, writable).
                    unsafe { $store_first(p, v, count) }
                }
                #[inline(always)]
                unsafe fn load_first(p: *const <$s as $crate::Semiring>::Scalar, count: usize) -> Self::V {
                    // SAFETY: forwarded trait contract (0 < count < LANES, readable).
                    unsafe { $load_first(p, count) }
                }
            )?
            $(
                const A_SPREAD: usize = $spread;
                #[inline(always)]
                unsafe fn broadcast_packed(p: *const <$s as $crate::Semiring>::Scalar) -> Self::V {
                    // SAFETY: forwarded trait contract (A_SPREAD readable).
                    unsafe { $lanes::broadcast_spread(p) }
                }
                #[inline(always)]
                unsafe fn pack_spread_panel(
                    rows: usize,
                    src: *const <$s as $crate::Semiring>::Scalar,
                    row_stride: isize,
                    col_stride: isize,
                    kc: usize,
                    dst: *mut <$s as $crate::Semiring>::Scalar,
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
    ($level:ident; $($name:ident: $s:ty, $lanes:ident, add = $add:ident, mul = $mul:ident $(, sentinel = $fin:ident / $packed:ident)? $(, spread_a = $spread:literal)? $(, edges = $store_first:ident / $load_first:ident)?;)*) => {
        $( $crate::kernel::simd::vec_ops!($level; $name: $s, $lanes, add = $add, mul = $mul $(, sentinel = $fin / $packed)? $(, spread_a = $spread)? $(, edges = $store_first / $load_first)?); )*
    };
}
pub(crate) use builtin_ops;

/// The integer sentinel constants for the (max|min, +) kernels.
pub(crate) mod sentinel {
    /// ZERO's stand-in in packed panels, as a magnitude.
    pub const I32: i32 = (1 << 30) - 1;
    /// Sums beyond ±this came from a sentinel.
    pub const I32_THRESHOLD: i32 = 1 << 29;
    pub const I64: i64 = (1 << 62) - 1;
    pub const I64_THRESHOLD: i64 = 1 << 61;
}

/// Declares one ISA's kernel: the `MicroKernel` over any `VecOps` of that
/// ISA, its `#[target_feature]` entry points (the tile and packing), and
/// the binding function that checks the CPU before handing it out.
macro_rules! isa_kernel {
    ($(#[$doc:meta])* $kernel:ident, level = $level:ident, features = $features:literal, mr = $mr:literal, probe = $probe:path,
     names = [$name8:literal, $name_mid:literal, $name_bytes:literal],
     tile_vectors = [$vectors8:literal, $vectors_mid:literal, $vectors_bytes:literal],
     $(#[$arg_doc:meta])* $arg_kernel:ident, arg_mr = $arg_mr:literal, arg_names = [$arg_name8:literal, $arg_name4:literal]) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Default, Debug)]
        pub(crate) struct $kernel<O>(std::marker::PhantomData<O>);

        /// Rows of the direct path's tiles, and of packed tiles one vector
        /// wide.
        pub(crate) const MR: usize = $mr;

        /// Vectors per row of `O`'s packed tile (1 or 2, by scalar size, as
        /// `names`); its rows are MR / that, so the accumulator count stays
        /// MR. Two vectors per row load each A broadcast once for two
        /// operations.
        const fn tile_vectors<O: $crate::kernel::simd::VecOps>() -> usize {
            let vectors = match std::mem::size_of::<<O::S as $crate::Semiring>::Scalar>() {
                8 => $vectors8,
                1 => $vectors_bytes,
                _ => $vectors_mid,
            };
            assert!(vectors == 1 || vectors == 2);
            vectors
        }

        /// The kernel binding for `O`, or the portable one if this CPU
        /// lacks the ISA (the check that makes running it sound).
        pub(crate) fn kernel<O: $crate::kernel::simd::VecOps>() -> $crate::kernel::Kernel<O::S> {
            use $crate::dispatch::IsaLevel;
            // Both checks make running the kernel sound: the operations
            // belong to this ISA, and the CPU has it.
            if O::LEVEL != IsaLevel::$level || $crate::dispatch::detected_isa() < IsaLevel::$level {
                return $crate::kernel::Kernel::portable();
            }
            let name = match O::LANES * std::mem::size_of::<<O::S as $crate::Semiring>::Scalar>() {
                n if n == O::LANES * 8 => $name8,
                n if n == O::LANES => $name_bytes,
                _ => $name_mid,
            };
            // SAFETY: checked just above: O's ISA is this one, and the CPU
            // has it.
            unsafe { $crate::kernel::Kernel::from_microkernel::<$kernel<O>>(name, IsaLevel::$level) }
                .with_probe(probe_safe::<O>)
                .with_small(small_safe::<O>, (MR, O::LANES))
                .with_batch(batch_safe::<O>)
        }

        /// The batch entry; safe to call because `kernel` only binds it
        /// after detecting the ISA, and the batches were checked when built.
        fn batch_safe<O: $crate::kernel::simd::VecOps>(
            threads: usize,
            a: &$crate::BatchRef<'_, <O::S as $crate::Semiring>::Scalar>,
            b: &$crate::BatchRef<'_, <O::S as $crate::Semiring>::Scalar>,
            c: &mut $crate::BatchMut<'_, <O::S as $crate::Semiring>::Scalar>,
            accum: $crate::Accum,
        ) -> bool {
            // SAFETY: the ISA was detected before this was bound.
            unsafe { $crate::kernel::simd::direct_batch::<O>(threads, a, b, c, accum, batch_items_entry::<O>) }
        }

        /// # Safety
        /// The CPU supports the ISA; as `direct_batch_items`.
        #[target_feature(enable = $features)]
        unsafe fn batch_items_entry<O: $crate::kernel::simd::VecOps>(
            problem: &$crate::kernel::simd::BatchProblem<<O::S as $crate::Semiring>::Scalar>,
            first: usize,
            last: usize,
        ) {
            // SAFETY: forwarded contract, features enabled here.
            unsafe { $crate::kernel::simd::direct_batch_items::<O, MR>(problem, first, last) }
        }

        /// The direct path; safe to call because `kernel` only binds it
        /// after detecting the ISA, and the views were checked.
        fn small_safe<O: $crate::kernel::simd::VecOps>(
            ws: &mut $crate::GemmWorkspace,
            _tiling: &$crate::TilingParams,
            threads: usize,
            a: $crate::MatRef<'_, <O::S as $crate::Semiring>::Scalar>,
            b: $crate::MatRef<'_, <O::S as $crate::Semiring>::Scalar>,
            mut c: $crate::MatMut<'_, <O::S as $crate::Semiring>::Scalar>,
            accum: $crate::Accum,
        ) {
            // SAFETY: the ISA was detected before this was bound, so the
            // kernel and the rows and row-group entries may run.
            unsafe {
                if $crate::kernel::simd::row_group::row_group_driver::<O>(
                    threads, &a, &b, &mut c, accum, row_groups_entry::<O>,
                ) {
                    return;
                }
                $crate::kernel::simd::direct_driver::<O, $kernel<O>, MR>(
                    ws, threads, a, b, c, accum, direct_rows_entry::<O>,
                )
            }
        }

        /// The peak probe; safe to call because `kernel` only binds it
        /// after detecting the ISA.
        fn probe_safe<O: $crate::kernel::simd::VecOps>(iters: usize) -> u64 {
            // SAFETY: reachable only through a `Kernel` built by `kernel`
            // above, after the ISA was detected.
            unsafe { probe_entry::<O>(iters) }
        }

        /// # Safety
        /// The CPU supports the ISA.
        #[target_feature(enable = $features)]
        unsafe fn probe_entry<O: $crate::kernel::simd::VecOps>(iters: usize) -> u64 {
            // SAFETY: features enabled here.
            let (ops, folded) = unsafe { $crate::kernel::simd::probe_body::<O, { $probe.0 }, { $probe.1 }>(iters) };
            std::hint::black_box(folded);
            ops
        }

        /// # Safety
        /// The CPU supports the ISA; the job comes from `direct_driver`.
        #[target_feature(enable = $features)]
        unsafe fn direct_rows_entry<O: $crate::kernel::simd::VecOps>(
            job: &$crate::kernel::simd::DirectJob<<O::S as $crate::Semiring>::Scalar>,
        ) {
            // SAFETY: forwarded contract, features enabled here.
            unsafe { $crate::kernel::simd::direct_rows::<O, MR, { MR / 4 }>(job) }
        }

        /// # Safety
        /// The CPU supports the ISA; the job comes from `row_group_driver`.
        #[target_feature(enable = $features)]
        unsafe fn row_groups_entry<O: $crate::kernel::simd::VecOps>(
            job: &$crate::kernel::simd::row_group::RowGroupJob<<O::S as $crate::Semiring>::Scalar>,
        ) {
            // SAFETY: forwarded contract, features enabled here.
            unsafe { $crate::kernel::simd::row_group::row_groups::<O>(job) }
        }

        impl<O: $crate::kernel::simd::VecOps> $crate::kernel::MicroKernel<O::S> for $kernel<O> {
            const MR: usize = MR / tile_vectors::<O>();
            const NR: usize = O::LANES * tile_vectors::<O>();

            #[inline(always)]
            fn packed_value(x: <O::S as $crate::Semiring>::Scalar) -> <O::S as $crate::Semiring>::Scalar {
                O::packed_value(x)
            }

            #[inline(always)]
            unsafe fn pack(
                unit: usize,
                extent: usize,
                kc: usize,
                src: *const <O::S as $crate::Semiring>::Scalar,
                line_stride: isize,
                depth_stride: isize,
                dst: *mut <O::S as $crate::Semiring>::Scalar,
            ) {
                // SAFETY: forwarded contract; this kernel is only handed out
                // on CPUs with the ISA (checked in `kernel`).
                unsafe { pack_entry::<O>(unit, extent, kc, src, line_stride, depth_stride, dst) }
            }

            const A_SPREAD: usize = {
                // Packed sizes are checked for at most MAX_A_SPREAD copies.
                assert!(O::A_SPREAD <= $crate::gemm::MAX_A_SPREAD);
                O::A_SPREAD
            };

            #[inline(always)]
            unsafe fn pack_a(
                extent: usize,
                kc: usize,
                src: *const <O::S as $crate::Semiring>::Scalar,
                row_stride: isize,
                col_stride: isize,
                dst: *mut <O::S as $crate::Semiring>::Scalar,
            ) {
                // SAFETY: forwarded contract; this kernel is only handed out
                // on CPUs with the ISA (checked in `kernel`).
                unsafe { pack_a_entry::<O>(extent, kc, src, row_stride, col_stride, dst) }
            }

            #[inline(always)]
            unsafe fn tile(
                self,
                kc: usize,
                a: *const <O::S as $crate::Semiring>::Scalar,
                b: *const <O::S as $crate::Semiring>::Scalar,
                c: *mut <O::S as $crate::Semiring>::Scalar,
                rsc: isize,
                csc: isize,
                rows: usize,
                cols: usize,
                load_c: bool,
            ) {
                // SAFETY: forwarded contract; the ISA was detected in `kernel`.
                unsafe { tile_entry::<O>(kc, a, b, c, rsc, csc, rows, cols, load_c) }
            }
        }

        /// # Safety
        /// As `MicroKernel::tile`; the CPU supports the ISA.
        #[allow(clippy::too_many_arguments)]
        #[target_feature(enable = $features)]
        unsafe fn tile_entry<O: $crate::kernel::simd::VecOps>(
            kc: usize,
            a: *const <O::S as $crate::Semiring>::Scalar,
            b: *const <O::S as $crate::Semiring>::Scalar,
            c: *mut <O::S as $crate::Semiring>::Scalar,
            rsc: isize,
            csc: isize,
            rows: usize,
            cols: usize,
            load_c: bool,
        ) {
            // SAFETY: forwarded contract, features enabled here; the tile
            // is MicroKernel::MR × NR for either width.
            unsafe {
                if tile_vectors::<O>() == 2 {
                    $crate::kernel::simd::tile_body::<O, { MR / 2 }, 2>(
                        kc,
                        $crate::kernel::simd::PackedA::<O, { MR / 2 }>(a),
                        b,
                        2 * O::LANES as isize,
                        c,
                        rsc,
                        csc,
                        rows,
                        cols,
                        load_c,
                    )
                } else {
                    $crate::kernel::simd::tile_body::<O, MR, 1>(
                        kc,
                        $crate::kernel::simd::PackedA::<O, MR>(a),
                        b,
                        O::LANES as isize,
                        c,
                        rsc,
                        csc,
                        rows,
                        cols,
                        load_c,
                    )
                }
            }
        }

        $(#[$arg_doc])*
        #[derive(Clone, Copy, Default, Debug)]
        pub(crate) struct $arg_kernel<O>(std::marker::PhantomData<O>);

        /// Rows of every argmax tile of this ISA (a second register per row
        /// holds the indices, so fewer rows fit than in the value tile).
        pub(crate) const ARG_MR: usize = $arg_mr;

        /// The argmax kernel binding for `O`, or the portable one if this
        /// CPU lacks the ISA.
        pub(crate) fn arg_kernel<O: $crate::kernel::simd::ArgVecOps>() -> $crate::kernel::ArgKernel<O::S> {
            use $crate::dispatch::IsaLevel;
            if O::LEVEL != IsaLevel::$level || $crate::dispatch::detected_isa() < IsaLevel::$level {
                return $crate::kernel::ArgKernel::portable();
            }
            let name = if std::mem::size_of::<<O::S as $crate::Semiring>::Scalar>() == 8 {
                $arg_name8
            } else {
                $arg_name4
            };
            // SAFETY: checked just above: O's ISA is this one, and the CPU
            // has it.
            unsafe { $crate::kernel::ArgKernel::from_microkernel::<$arg_kernel<O>>(name, IsaLevel::$level) }
        }

        impl<O: $crate::kernel::simd::ArgVecOps> $crate::kernel::ArgMicroKernel<O::S> for $arg_kernel<O> {
            const MR: usize = ARG_MR;
            const NR: usize = O::LANES;

            #[inline(always)]
            unsafe fn pack(
                unit: usize,
                extent: usize,
                kc: usize,
                src: *const <O::S as $crate::Semiring>::Scalar,
                line_stride: isize,
                depth_stride: isize,
                dst: *mut <O::S as $crate::Semiring>::Scalar,
            ) {
                // SAFETY: forwarded contract; this kernel is only handed out
                // on CPUs with the ISA (checked in `arg_kernel`).
                unsafe { pack_entry::<O>(unit, extent, kc, src, line_stride, depth_stride, dst) }
            }

            #[inline(always)]
            unsafe fn tile_arg(
                self,
                kc: usize,
                depth: usize,
                a: *const <O::S as $crate::Semiring>::Scalar,
                b: *const <O::S as $crate::Semiring>::Scalar,
                c: *mut <O::S as $crate::Semiring>::Scalar,
                rsc: isize,
                csc: isize,
                argk: *mut u32,
                rsi: isize,
                csi: isize,
                rows: usize,
                cols: usize,
                load_c: bool,
            ) {
                // SAFETY: forwarded contract; the ISA was detected in
                // `arg_kernel`.
                unsafe { arg_tile_entry::<O>(kc, depth, a, b, c, rsc, csc, argk, rsi, csi, rows, cols, load_c) }
            }
        }

        /// # Safety
        /// As `ArgMicroKernel::tile_arg`; the CPU supports the ISA.
        #[allow(clippy::too_many_arguments)]
        #[target_feature(enable = $features)]
        unsafe fn arg_tile_entry<O: $crate::kernel::simd::ArgVecOps>(
            kc: usize,
            depth: usize,
            a: *const <O::S as $crate::Semiring>::Scalar,
            b: *const <O::S as $crate::Semiring>::Scalar,
            c: *mut <O::S as $crate::Semiring>::Scalar,
            rsc: isize,
            csc: isize,
            argk: *mut u32,
            rsi: isize,
            csi: isize,
            rows: usize,
            cols: usize,
            load_c: bool,
        ) {
            // SAFETY: forwarded contract, features enabled here.
            unsafe {
                $crate::kernel::simd::arg_tile_body::<O, ARG_MR>(
                    kc, depth, a, b, c, rsc, csc, argk, rsi, csi, rows, cols, load_c,
                )
            }
        }

        /// A's packing, `O::A_SPREAD` copies per element.
        ///
        /// # Safety
        /// As `MicroKernel::pack_a`; the CPU supports the ISA.
        #[target_feature(enable = $features)]
        unsafe fn pack_a_entry<O: $crate::kernel::simd::VecOps>(
            extent: usize,
            kc: usize,
            src: *const <O::S as $crate::Semiring>::Scalar,
            row_stride: isize,
            col_stride: isize,
            dst: *mut <O::S as $crate::Semiring>::Scalar,
        ) {
            let unit = MR / tile_vectors::<O>();
            // SAFETY: forwarded contract (dst holds A_SPREAD·ceil(extent/unit)·unit·kc
            // for the kernel's MR = unit), features enabled here.
            unsafe { $crate::kernel::simd::pack_a_panels::<O>(unit, extent, kc, src, row_stride, col_stride, dst) }
        }

        /// Packing compiled with the ISA, so the contiguous copies vectorize.
        ///
        /// # Safety
        /// As `pack::pack_panels`; the CPU supports the ISA.
        #[target_feature(enable = $features)]
        unsafe fn pack_entry<O: $crate::kernel::simd::VecOps>(
            unit: usize,
            extent: usize,
            kc: usize,
            src: *const <O::S as $crate::Semiring>::Scalar,
            line_stride: isize,
            depth_stride: isize,
            dst: *mut <O::S as $crate::Semiring>::Scalar,
        ) {
            // SAFETY: forwarded contract, features enabled here.
            unsafe {
                $crate::kernel::simd::pack_vector_panels::<O>(unit, extent, kc, src, line_stride, depth_stride, dst)
            }
        }
    };
}
pub(crate) use isa_kernel;

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

/// Independent accumulators the peak probe keeps in flight: enough to hide
/// the ⊕ latency on every port (4 cycles × 3 ports on AVX2) while leaving
/// registers for the operands.
/// (accumulators, distinct x registers) per ISA.
pub(crate) const PROBE_AVX2: (usize, usize) = (12, 2);
pub(crate) const PROBE_AVX512: (usize, usize) = (24, 4);

/// The peak probe: `iters` steps of `acc[r] = acc[r] ⊕ (x[r % X] ⊗ y[r / X])`
/// on `R` independent accumulators. Every step loads R/X fresh `y` vectors
/// from a 16-row ring in L1, so all R products are distinct and none can be
/// hoisted or shared (with `x[r % 4] ⊗ y` alone the compiler computes 4 ⊗
/// per step, not R, and the "peak" comes out 1.7× too high). Returns the
/// tropical ops done (R · LANES per step) and a value that depends on every
/// accumulator, for the caller to consume.
///
/// # Safety
/// Runs `O`'s instructions: call inside a function compiled with them.
#[inline(always)]
pub(crate) unsafe fn probe_body<O: VecOps, const R: usize, const X: usize>(
    iters: usize,
) -> (u64, O::V) {
    let lanes = O::LANES;
    // SAFETY: (whole body) `ring` holds 16·64 ≥ 16·LANES scalars and every
    // load reads LANES of them at a row index below 16; features are
    // enabled by the caller.
    unsafe {
        let ring = [<O::S as Semiring>::ONE; 16 * 64];
        // Opaque to the optimizer, so it cannot prove the x equal and share
        // their products.
        let x: [O::V; X] =
            std::hint::black_box(std::array::from_fn(|_| O::splat(<O::S as Semiring>::ONE)));
        let mut acc = [O::splat(<O::S as Semiring>::ZERO); R];
        let mut row = 0usize;
        for _ in 0..iters {
            for (j, group) in acc.chunks_exact_mut(X).enumerate() {
                let y = O::load(ring.as_ptr().add(((row + j) % 16) * lanes));
                for (xi, acc_r) in x.iter().zip(group.iter_mut()) {
                    *acc_r = O::add(*acc_r, O::mul(*xi, y));
                }
            }
            row = (row + 1) % 16;
        }
        let mut folded = acc[0];
        for acc_r in &acc[1..] {
            folded = O::add(folded, *acc_r);
        }
        ((iters * R * lanes) as u64, folded)
    }
}
