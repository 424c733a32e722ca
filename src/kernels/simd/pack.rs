//! Packing with vector instructions.

use super::VecOps;
use crate::kernels::pack::{Block, Lines};
use crate::semiring::Semiring;

/// [`pack_panels`](crate::kernels::pack::pack_panels) for `O`: whole
/// panels of contiguous lines (row-major B, column-major A) move as
/// vectors, mapped by [`VecOps::packed_lanes`] (not element by element);
/// other layouts and the edge panel take the generic loop.
///
/// # Safety
/// As `pack_panels`, for values `O::S` accepts (range-checked); `O`'s
/// features are enabled.
#[inline(always)]
pub(crate) unsafe fn pack_vector_panels<O: VecOps>(
    unit: usize,
    block: Block<<O::S as Semiring>::Scalar>,
    dst: *mut <O::S as Semiring>::Scalar,
) {
    let Block { lines, extent, kc } = block;
    let Lines {
        ptr: src,
        line_stride,
        depth_stride,
    } = lines;
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
            // Wrapping: line `first` is an element only when kc ≥ 1.
            let (lines, out) = (src.wrapping_add(first), dst.add(first * kc));
            for p in 0..kc {
                let depth = lines.offset(p as isize * depth_stride);
                for r in (0..unit).step_by(lanes) {
                    let values = O::packed_lanes(O::load(depth.add(r)));
                    O::store(out.add(p * unit + r), values);
                }
            }
        }
        if whole < extent {
            crate::kernels::pack::pack_panels::<_, 1>(
                unit,
                block.skip_lines(whole),
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
/// As [`pack_panels`](crate::kernels::pack::pack_panels), with `dst`
/// writable for A_SPREAD·ceil(extent/unit)·unit·kc elements; `O`'s
/// features are enabled.
#[inline(always)]
pub(crate) unsafe fn pack_a_panels<O: VecOps>(
    unit: usize,
    rows_of_a: Block<<O::S as Semiring>::Scalar>,
    dst: *mut <O::S as Semiring>::Scalar,
) {
    let Block { lines, extent, kc } = rows_of_a;
    let pad = O::packed_value(<O::S as Semiring>::ZERO);
    let spread = O::A_SPREAD;
    // The spread tail below is compiled for MAX_A_SPREAD copies.
    const { assert!(O::A_SPREAD == 1 || O::A_SPREAD == crate::kernels::micro::MAX_A_SPREAD) };
    // SAFETY: (whole body) row offsets < extent and depths < kc of the
    // caller's readable block; panel q writes its own unit·kc·spread
    // elements of dst; features enabled (caller).
    unsafe {
        if spread == 1 {
            pack_vector_panels::<O>(unit, rows_of_a, dst);
            return;
        }
        let mut rows = 0;
        while rows + unit <= extent
            && O::pack_spread_panel(
                unit,
                kc,
                lines.skip_lines(rows),
                dst.add(rows * kc * spread),
            )
        {
            rows += unit;
        }
        if rows < extent {
            crate::kernels::pack::pack_panels::<_, { crate::kernels::micro::MAX_A_SPREAD }>(
                unit,
                rows_of_a.skip_lines(rows),
                dst.add(rows * kc * spread),
                pad,
                O::packed_value,
            );
        }
    }
}

/// One ISA's instructions for a whole bool panel of `ROWS` rows of A in
/// the spread layout (each byte as a 32-bit word of 0 or 0x01010101);
/// [`pack_bool_panel`] is the loop around them, the same for every ISA.
///
/// # Safety
/// Every method may execute the ISA's instructions: callers have its
/// features enabled.
pub(crate) trait BoolPanel {
    /// Rows of the panel: one depth of it, spread, fills one register.
    const ROWS: usize;
    /// A register of the gather's row offsets.
    type RowOffsets: Copy;
    /// Spreads the `ROWS` contiguous bytes at `src` (one depth of
    /// column-major A) to the `ROWS` words at `dst`.
    ///
    /// # Safety
    /// `ROWS` bytes readable at `src`, `4·ROWS` writable at `dst`.
    unsafe fn spread_depth(src: *const bool, dst: *mut bool);
    /// `r·row_stride` in lane r.
    ///
    /// # Safety
    /// Features enabled (no memory is touched).
    unsafe fn row_offsets(row_stride: i32) -> Self::RowOffsets;
    /// Gathers the 4 bytes at `src + offset` for every row's offset (4
    /// depths of each row, as one word) and spreads them to the 4 depths
    /// of `ROWS` words at `dst`.
    ///
    /// # Safety
    /// 4 bytes readable at `src + offset` for every lane's offset,
    /// `16·ROWS` bytes writable at `dst`.
    unsafe fn spread_4_depths(offsets: Self::RowOffsets, src: *const bool, dst: *mut bool);
}

/// Packs one whole panel of `P::ROWS` rows of A, `kc` depths, in the
/// spread layout (`VecOps::pack_spread_panel`), or returns `false`,
/// having written nothing, for another height or a layout no gather
/// takes. Column-major A: one load per depth, widened to words. Row-major
/// A: one gather reads 4 depths of every row as words, where the scalar
/// loop takes a load, a store and the index arithmetic per element; the
/// depths it leaves over take the generic loop.
///
/// # Safety
/// Row r < `rows` at depth p < kc of `a` is readable; `dst` is writable
/// for 4·rows·kc bytes; `P`'s features are enabled.
#[inline(always)]
pub(crate) unsafe fn pack_bool_panel<P: BoolPanel>(
    rows: usize,
    kc: usize,
    a: Lines<bool>,
    dst: *mut bool,
) -> bool {
    if rows != P::ROWS {
        return false;
    }
    let depth_bytes = 4 * P::ROWS;
    let last_row_fits = a
        .line_stride
        .checked_mul(P::ROWS as isize - 1)
        .is_some_and(|last| i32::try_from(last).is_ok());
    // SAFETY: (whole body) P's features are enabled (caller). Reads: the
    // column-major branch reads the ROWS contiguous bytes (row stride 1)
    // of each depth < kc; a gather runs only with unit depth stride and
    // the last row's offset within i32, and reads the 4 bytes at depths
    // [p, p+4) ⊂ [0, kc) of every row; the tail reads depths [p, kc).
    // Writes stay in the depth_bytes·kc bytes of `dst`.
    unsafe {
        if a.line_stride == 1 {
            for p in 0..kc {
                P::spread_depth(a.at(0, p), dst.add(p * depth_bytes));
            }
            return true;
        }
        if a.depth_stride != 1 || !last_row_fits {
            return false;
        }
        let offsets = P::row_offsets(a.line_stride as i32);
        let mut p = 0;
        while p + 4 <= kc {
            P::spread_4_depths(offsets, a.ptr.add(p), dst.add(p * depth_bytes));
            p += 4;
        }
        let tail = Block {
            lines: Lines {
                // Wrapping: p = kc when kc is a multiple of 4 (then no
                // depth is left to read).
                ptr: a.ptr.wrapping_add(p),
                line_stride: a.line_stride,
                depth_stride: 1,
            },
            extent: P::ROWS,
            kc: kc - p,
        };
        crate::kernels::pack::pack_panels::<_, 4>(
            P::ROWS,
            tail,
            dst.add(p * depth_bytes),
            false,
            |x| x,
        );
        true
    }
}
