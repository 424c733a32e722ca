//! Packing with vector instructions.

use super::VecOps;
use crate::kernels::pack::Lines;
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
    extent: usize,
    kc: usize,
    lines: Lines<<O::S as Semiring>::Scalar>,
    dst: *mut <O::S as Semiring>::Scalar,
) {
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
            crate::kernels::pack::pack_panels::<_, 1>(
                unit,
                extent - whole,
                kc,
                lines.skip_lines(whole),
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
    extent: usize,
    kc: usize,
    rows_of_a: Lines<<O::S as Semiring>::Scalar>,
    dst: *mut <O::S as Semiring>::Scalar,
) {
    let pad = O::packed_value(<O::S as Semiring>::ZERO);
    let spread = O::A_SPREAD;
    // The spread tail below is compiled for MAX_A_SPREAD copies.
    const { assert!(O::A_SPREAD == 1 || O::A_SPREAD == crate::kernels::micro::MAX_A_SPREAD) };
    // SAFETY: (whole body) row offsets < extent and depths < kc of the
    // caller's readable block; panel q writes its own unit·kc·spread
    // elements of dst; features enabled (caller).
    unsafe {
        if spread == 1 {
            pack_vector_panels::<O>(unit, extent, kc, rows_of_a, dst);
            return;
        }
        let mut rows = 0;
        while rows + unit <= extent
            && O::pack_spread_panel(
                unit,
                kc,
                rows_of_a.skip_lines(rows),
                dst.add(rows * kc * spread),
            )
        {
            rows += unit;
        }
        if rows < extent {
            crate::kernels::pack::pack_panels::<_, { crate::kernels::micro::MAX_A_SPREAD }>(
                unit,
                extent - rows,
                kc,
                rows_of_a.skip_lines(rows),
                dst.add(rows * kc * spread),
                pad,
                O::packed_value,
            );
        }
    }
}

/// Whether the bool spread packers may gather `rows` rows of `a` at once:
/// unit depth stride (4 depths of a row are one 32-bit word) and the last
/// row's offset, (rows − 1)·row stride, within the gather's i32 offsets.
#[inline(always)]
pub(crate) fn gathers_rows(a: Lines<bool>, rows: usize) -> bool {
    let last_fits = a
        .line_stride
        .checked_mul(rows as isize - 1)
        .is_some_and(|last| i32::try_from(last).is_ok());
    a.depth_stride == 1 && last_fits
}

/// Depths `first..kc` of one spread bool panel of `rows` rows, which a
/// gather of 4 depths at a time leaves over: the generic loop on the
/// panel's tail (depth-major, so depth `first` starts at element
/// first·rows·4).
///
/// # Safety
/// `a` has unit depth stride ([`gathers_rows`]); rows < `rows` at depths
/// `first..kc` are readable; `dst` is the whole panel's, writable for
/// 4·rows·kc bytes.
#[inline(always)]
pub(crate) unsafe fn pack_spread_tail(
    rows: usize,
    kc: usize,
    first: usize,
    a: Lines<bool>,
    dst: *mut bool,
) {
    // SAFETY: depths first..kc of the caller's readable rows, written to
    // the tail of its panel.
    unsafe {
        crate::kernels::pack::pack_panels::<_, 4>(
            rows,
            rows,
            kc - first,
            Lines {
                ptr: a.ptr.add(first),
                line_stride: a.line_stride,
                depth_stride: 1,
            },
            dst.add(first * rows * 4),
            false,
            |x| x,
        )
    }
}
