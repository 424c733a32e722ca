//! The register tiles: the value tile over a packed or in-place A, and
//! the argmax tile.

use super::{ARG_CHUNK, ArgVecOps, IndexLane, VecOps};
use crate::kernels::micro::{ArgTile, TileC, store_arg_tile, store_tile};
use crate::semiring::Semiring;

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
                *acc_i = O::add(*acc_i, O::mul_at(pa.add(i), b_row));
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
/// never won, and ±0 compare equal as they tie under ⊕). A scan of at
/// most ARG_CHUNK products per output finds it after the loop,
/// recomputing ⊗ exactly as the vector does, a row's outputs at once.
///
/// # Safety
/// As [`MicroKernel::tile`](crate::kernels::micro::MicroKernel::tile),
/// with `a` a packed micro-panel of MR, inside a function compiled with
/// `O`'s features.
///
/// A tile deeper than its index lanes can number (`IndexLane::
/// MAX_K_PLUS_ONE` chunks: 65535 for i16, so only a kc above 262140
/// given through `GemmConfig::with_tiling`) runs as consecutive parts,
/// each after the first ⊕-combined into C by `store_arg_tile` as a
/// further k-block would be, which keeps the first winner on ties.
#[inline(always)]
pub(crate) unsafe fn arg_tile_body<O: ArgVecOps, const MR: usize>(
    kc: usize,
    depth: usize,
    a: *const <O::S as Semiring>::Scalar,
    b: *const <O::S as Semiring>::Scalar,
    out: ArgTile<<O::S as Semiring>::Scalar>,
) {
    let part = ARG_CHUNK.saturating_mul(
        usize::try_from(<<O::S as Semiring>::Scalar as IndexLane>::MAX_K_PLUS_ONE)
            .unwrap_or(usize::MAX),
    );
    if kc <= part {
        // SAFETY: forwarded contract.
        unsafe { arg_tile_part::<O, MR>(kc, depth, a, b, out) };
        return;
    }
    let mut out = out;
    let mut start = 0;
    while start < kc {
        let len = part.min(kc - start);
        // SAFETY: depths start..start + len of the packed panels (MR and
        // NR values per depth) lie inside the caller's kc depths, and
        // depth + start + len ≤ depth + kc < u32::MAX (contract).
        unsafe {
            arg_tile_part::<O, MR>(
                len,
                depth + start,
                a.add(start * MR),
                b.add(start * O::LANES),
                out,
            )
        };
        out.c.load_c = true;
        start += len;
    }
}

/// [`arg_tile_body`] for a kc of at most `ARG_CHUNK · MAX_K_PLUS_ONE`
/// depths, so every chunk number ⌈kc / ARG_CHUNK⌉ ≤ `MAX_K_PLUS_ONE` fits
/// its lane.
///
/// # Safety
/// As [`arg_tile_body`].
#[inline(always)]
unsafe fn arg_tile_part<O: ArgVecOps, const MR: usize>(
    kc: usize,
    depth: usize,
    a: *const <O::S as Semiring>::Scalar,
    b: *const <O::S as Semiring>::Scalar,
    out: ArgTile<<O::S as Semiring>::Scalar>,
) {
    type Scalar<O> = <<O as VecOps>::S as Semiring>::Scalar;
    debug_assert!(
        kc.div_ceil(ARG_CHUNK) <= <Scalar<O> as IndexLane>::MAX_K_PLUS_ONE as usize,
        "chunk numbers fit the index lane"
    );
    const {
        assert!(std::mem::size_of::<O::V>() == O::LANES * std::mem::size_of::<Scalar<O>>());
        // The argmax kernels pack A plainly (`MicroKernel::pack_a`).
        assert!(O::A_SPREAD == 1);
    };
    let nr = O::LANES;
    const { assert!(O::LANES <= MAX_TILE_LANES) };
    debug_assert!(kc > 0, "the tile contract asks for kc ≥ 1");
    // SAFETY: (whole body) reads stay within the kc·MR and kc·NR packed
    // elements (`index_of` clamps its depth to kc − 1, inside the panel
    // because kc ≥ 1 by the contract); stores go through `store_arg_tile`
    // inside the rows×cols regions of C and argk; the caller runs us with
    // O's features enabled.
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
        // the first. A row's lanes are found in one loop of their own, not
        // output by output as they are stored, so that it vectorizes
        // (gathers of the chunk's products) where the ISA has gathers.
        let mut winners = [[0u32; MAX_TILE_LANES]; MR];
        for (i, row) in winners.iter_mut().enumerate() {
            for (j, winner) in row[..nr].iter_mut().enumerate() {
                let chunk = IndexLane::decode(lanes[i * nr + j]) as usize;
                let value = values[i * nr + j];
                let first = chunk.saturating_sub(1) * ARG_CHUNK;
                let mut matches = 0u32;
                for step in 0..ARG_CHUNK {
                    let p = (first + step).min(kc - 1);
                    let product = O::packed_product(*a.add(p * MR + i), *b.add(p * nr + j));
                    matches |= u32::from(product == value && first + step < kc) << step;
                }
                *winner = if chunk == 0 {
                    crate::semiring::NO_ARG // nothing won
                } else {
                    (depth + first) as u32 + matches.trailing_zeros()
                };
            }
        }
        let index_of = |i: usize, j: usize| winners[i][j];
        store_arg_tile::<O::S>(values, index_of, nr, out);
    }
}

/// The most lanes of an argmax tile's register (32 16-bit lanes).
const MAX_TILE_LANES: usize = 32;

/// Where a tile reads A from: a packed micro-panel, or A itself.
pub(crate) trait TileA<O: VecOps> {
    /// ⊗ of element (i, p) for the current depth p, in its packed
    /// representation and in every lane, and `b` (A read in place holds
    /// only values that pack as themselves: see [`DirectA`]). The element
    /// stays in memory, so a ⊗ that takes a memory operand
    /// (`VecOps::mul_at`) reads it there.
    ///
    /// # Safety
    /// i < MR and the current depth is < kc; `self` was built over a
    /// valid source (`PackedA`: a kc·MR·A_SPREAD packed panel; `DirectA`:
    /// element (0, 0) of `rows` ≥ 1 readable rows of A, kc depths deep);
    /// `O`'s features are enabled.
    unsafe fn times(&self, i: usize, b: O::V) -> O::V;
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
    unsafe fn times(&self, i: usize, b: O::V) -> O::V {
        // SAFETY: the panel holds MR·A_SPREAD values per depth; features
        // enabled (caller).
        unsafe { O::mul_at(self.0.add(i * O::A_SPREAD), b) }
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
    unsafe fn times(&self, i: usize, b: O::V) -> O::V {
        // SAFETY: row_offsets[i] names a row < rows of A at the current
        // depth; features enabled (caller). A in place holds one copy of
        // each element: `mul_at` reads `A_SPREAD` of them.
        unsafe {
            let p = self.ptr.offset(self.row_offsets[i]);
            if O::A_SPREAD == 1 {
                O::mul_at(p, b)
            } else {
                O::mul(O::splat(*p), b)
            }
        }
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
#[inline(always)]
pub(crate) unsafe fn tile_body<O: VecOps, const MR: usize, const W: usize>(
    kc: usize,
    mut a: impl TileA<O>,
    b: *const <O::S as Semiring>::Scalar,
    b_stride: isize,
    out: TileC<<O::S as Semiring>::Scalar>,
) {
    let (c, rsc, csc, rows, cols, load_c) = out.parts();
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
                for (acc_iw, &b_w) in acc_i.iter_mut().zip(&b_row) {
                    *acc_iw = O::add(*acc_iw, a.times(i, b_w));
                }
            }
            a.advance();
            // Wrapping: after the last depth this points one stride past
            // B (below it, for a negative stride), outside its allocation,
            // and is never read.
            b = b.wrapping_offset(b_stride);
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
            // from registers rather than through a spill and `store_tile`
            // (which cost tall-skinny products about half their time).
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
            // [[V; W]; MR] is the row-major MR × (W·LANES) tile, and every
            // lane is a valid scalar (bool lanes are 0 or 1 bytes: or/and
            // of 0/1 inputs from a ZERO splat of 0).
            let spill = acc;
            let flat = std::slice::from_raw_parts(
                spill.as_ptr().cast::<<O::S as Semiring>::Scalar>(),
                MR * W * nr,
            );
            store_tile::<O::S>(flat, W * nr, out);
        }
    }
}
