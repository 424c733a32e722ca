//! The microkernel traits: one register tile of C from packed panels.

use super::pack;
use crate::semiring::{SelectingSemiring, Semiring};

/// The most copies of an element any kernel keeps in a packed A panel
/// (the bool kernels' `A_SPREAD`).
pub(crate) const MAX_A_SPREAD: usize = 4;

/// A register-blocked microkernel for semiring `S`.
///
/// # Contract
/// `tile` folds `kc` rank-1 updates into an MR×NR accumulator that starts
/// at ZERO, then writes the top-left `rows × cols` part to C: the value
/// itself, or `S::add(C, value)` when `load_c`. The fold runs p = 0..kc in
/// order, so the result equals the scalar reference bit for bit.
pub(crate) trait MicroKernel<S: Semiring>: Copy + Default + Send + Sync + 'static {
    /// Rows of the register tile.
    const MR: usize;
    /// Columns of the register tile.
    const NR: usize;

    /// The value stored in a packed panel for the element `x`. The identity
    /// except where a kernel keeps ZERO as an internal sentinel.
    #[inline(always)]
    fn packed_value(x: S::Scalar) -> S::Scalar {
        x
    }

    /// Packs an `extent × kc` block (rows of A, or columns of B seen as
    /// rows of Bᵀ) into micro-panels of `unit` (MR or NR) lines.
    ///
    /// # Safety
    /// As for [`pack::pack_panels`].
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    unsafe fn pack(
        unit: usize,
        extent: usize,
        kc: usize,
        src: *const S::Scalar,
        line_stride: isize,
        depth_stride: isize,
        dst: *mut S::Scalar,
    ) {
        // SAFETY: forwarded contract.
        unsafe {
            pack::pack_panels(
                unit,
                extent,
                kc,
                src,
                line_stride,
                depth_stride,
                dst,
                Self::packed_value(S::ZERO),
                Self::packed_value,
            )
        }
    }

    /// Copies of each element in a packed A micro-panel (see
    /// `VecOps::A_SPREAD`): a micro-panel holds `kc·MR·A_SPREAD` elements.
    const A_SPREAD: usize = 1;

    /// Packs an `extent × kc` block of A (rows at `row_stride`, depths at
    /// `col_stride`) into micro-panels of MR rows, each element
    /// `A_SPREAD` times.
    ///
    /// # Safety
    /// As for [`pack::pack_panels`], with `dst` writable for
    /// `A_SPREAD·ceil(extent/MR)·MR·kc` elements.
    #[inline(always)]
    unsafe fn pack_a(
        extent: usize,
        kc: usize,
        src: *const S::Scalar,
        row_stride: isize,
        col_stride: isize,
        dst: *mut S::Scalar,
    ) {
        const { assert!(Self::A_SPREAD == 1, "a spreading kernel packs A itself") };
        // SAFETY: forwarded contract.
        unsafe { Self::pack(Self::MR, extent, kc, src, row_stride, col_stride, dst) }
    }

    /// Computes one tile.
    ///
    /// # Safety
    /// `a` holds `kc·MR·A_SPREAD` and `b` `kc·NR` packed elements; `c` points to
    /// element (0, 0) of a `rows × cols` region (rows ≤ MR, cols ≤ NR,
    /// both ≥ 1) writable at `c + i·rsc + j·csc`; the CPU supports the
    /// kernel's instructions.
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile(
        self,
        kc: usize,
        a: *const S::Scalar,
        b: *const S::Scalar,
        c: *mut S::Scalar,
        rsc: isize,
        csc: isize,
        rows: usize,
        cols: usize,
        load_c: bool,
    );
}

/// Writes the valid `rows × cols` part of a full MR×NR tile held row-major
/// in `tile` to C: the portable kernel's store, and the SIMD kernels' for
/// strided C and for edges without masked stores.
///
/// # Safety
/// `c` as in [`MicroKernel::tile`]; `tile.len() ≥ rows·nr`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn store_tile<S: Semiring>(
    tile: &[S::Scalar],
    nr: usize,
    rows: usize,
    cols: usize,
    c: *mut S::Scalar,
    rsc: isize,
    csc: isize,
    load_c: bool,
) {
    for i in 0..rows {
        for j in 0..cols {
            let value = tile[i * nr + j];
            // SAFETY: i < rows and j < cols, inside the region the caller
            // guarantees writable.
            unsafe {
                let dst = c.offset(i as isize * rsc + j as isize * csc);
                *dst = if load_c { S::add(*dst, value) } else { value };
            }
        }
    }
}

/// A register-blocked argmax microkernel for the selecting semiring `S`.
///
/// # Contract
/// `tile_arg` folds depths `depth..depth + kc` into MR×NR (value, index)
/// pairs starting at (ZERO, none): a product replaces the pair when it
/// [improves](SelectingSemiring::improves) the value, so ties keep the
/// smaller k. It then stores the top-left `rows × cols` part with
/// [`store_arg_tile`]. The values equal [`MicroKernel::tile`]'s bit for bit.
pub(crate) trait ArgMicroKernel<S: SelectingSemiring>:
    Copy + Default + Send + Sync + 'static
{
    /// Rows of the register tile.
    const MR: usize;
    /// Columns of the register tile.
    const NR: usize;

    /// As [`MicroKernel::pack`].
    ///
    /// # Safety
    /// As for [`pack::pack_panels`].
    #[allow(clippy::too_many_arguments)]
    unsafe fn pack(
        unit: usize,
        extent: usize,
        kc: usize,
        src: *const S::Scalar,
        line_stride: isize,
        depth_stride: isize,
        dst: *mut S::Scalar,
    );

    /// Computes one tile and its winning indices.
    ///
    /// # Safety
    /// As [`MicroKernel::tile`], and `argk` is writable at
    /// `argk + i·rsi + j·csi` for the same `rows × cols` region;
    /// `depth + kc < u32::MAX`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile_arg(
        self,
        kc: usize,
        depth: usize,
        a: *const S::Scalar,
        b: *const S::Scalar,
        c: *mut S::Scalar,
        rsc: isize,
        csc: isize,
        argk: *mut u32,
        rsi: isize,
        csi: isize,
        rows: usize,
        cols: usize,
        load_c: bool,
    );
}

/// Writes the valid `rows × cols` part of an MR×NR argmax tile (values
/// row-major with row length `nr`; `index_of(i, j)` gives the index). Without `load_c` both are
/// stored; with it, a pair replaces C's only where its value improves on
/// C's, so earlier k-blocks (and, under `Accum::Combine`, C's old value)
/// win ties and keep their index.
///
/// # Safety
/// `c`/`argk` as in [`ArgMicroKernel::tile_arg`]; `values` holds at
/// least `rows·nr` entries.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn store_arg_tile<S: SelectingSemiring>(
    values: &[S::Scalar],
    index_of: impl Fn(usize, usize) -> u32,
    nr: usize,
    rows: usize,
    cols: usize,
    c: *mut S::Scalar,
    rsc: isize,
    csc: isize,
    argk: *mut u32,
    rsi: isize,
    csi: isize,
    load_c: bool,
) {
    for i in 0..rows {
        for j in 0..cols {
            let (value, index) = (values[i * nr + j], index_of(i, j));
            // SAFETY: i < rows and j < cols, inside the regions the caller
            // guarantees writable.
            // Branch-free select: whether a new k-block wins is data
            // dependent and would mispredict about every other output.
            unsafe {
                let dst = c.offset(i as isize * rsc + j as isize * csc);
                let dst_arg = argk.offset(i as isize * rsi + j as isize * csi);
                let take = !load_c || S::improves(value, *dst);
                *dst = if take { value } else { *dst };
                *dst_arg = if take { index } else { *dst_arg };
            }
        }
    }
}
