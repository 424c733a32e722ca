//! The microkernel trait: one register tile of C from packed panels, and
//! the small structs that name a block to pack and a tile's place in C.

use super::pack::{self, Block};
use crate::semiring::{SelectingSemiring, Semiring};
use crate::view::StridedPtr;

/// The most copies of an element any kernel keeps in a packed A panel
/// (the bool kernels' `A_SPREAD`).
pub(crate) const MAX_A_SPREAD: usize = 4;

/// One tile's part of C: its element (0, 0) and C's strides (`origin`),
/// the valid `rows × cols` (at least 1, at most the tile), and whether the
/// tile ⊕-combines with what C holds (`load_c`) or replaces it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TileC<T> {
    pub(crate) origin: StridedPtr<T>,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) load_c: bool,
}

impl<T> TileC<T> {
    /// (pointer, row stride, column stride, rows, columns, `load_c`), for
    /// a loop that keeps them in registers.
    #[inline(always)]
    pub(crate) fn parts(self) -> (*mut T, isize, isize, usize, usize, bool) {
        let StridedPtr {
            ptr,
            row_stride,
            col_stride,
        } = self.origin;
        let (rows, cols, load_c) = (self.rows, self.cols, self.load_c);
        (ptr.get(), row_stride, col_stride, rows, cols, load_c)
    }
}

/// One tile of an argmax product: its part of C, and the same part of the
/// index matrix (element (0, 0) and strides; rows and columns are C's).
/// The two regions never overlap (they come from two matrices borrowed
/// mutably by the call), which the stores rely on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ArgTile<T> {
    pub(crate) c: TileC<T>,
    pub(crate) argk: StridedPtr<u32>,
}

/// A register-blocked microkernel for semiring `S`: a value kernel
/// (`Out = TileC`) or an argmax kernel (`Out = ArgTile`).
///
/// # Contract
/// `tile` folds depths `depth..depth + kc` into an MR×NR accumulator that
/// starts at ZERO, in order, then writes the valid part of its tile: the
/// value itself, or `S::add(C, value)` when `load_c`, so the result equals
/// the scalar reference bit for bit. An argmax kernel also tracks the
/// smallest k whose product won each output and stores with
/// [`store_arg_tile`]; its values equal the value kernel's bit for bit.
pub(crate) trait MicroKernel<S: Semiring>: Copy + Default + Send + Sync + 'static {
    /// Rows of the register tile.
    const MR: usize;
    /// Columns of the register tile.
    const NR: usize;
    /// Where a tile's results go: [`TileC`] or [`ArgTile`].
    type Out: Copy;

    /// The value stored in a packed panel for the element `x`. The identity
    /// except where a kernel keeps ZERO as an internal sentinel.
    #[inline(always)]
    fn packed_value(x: S::Scalar) -> S::Scalar {
        x
    }

    /// Packs `block` into micro-panels of `unit` (MR or NR) lines.
    ///
    /// # Safety
    /// As for [`pack::pack_panels`]; the CPU supports the kernel's
    /// instructions.
    #[inline(always)]
    unsafe fn pack(unit: usize, block: Block<S::Scalar>, dst: *mut S::Scalar) {
        let pad = Self::packed_value(S::ZERO);
        // SAFETY: forwarded contract.
        unsafe { pack::pack_panels::<_, 1>(unit, block, dst, pad, Self::packed_value) }
    }

    /// Copies of each element in a packed A micro-panel (see
    /// `VecOps::A_SPREAD`): a micro-panel holds `kc·MR·A_SPREAD` elements.
    const A_SPREAD: usize = 1;

    /// Packs an `extent × kc` block of A (its rows as lines) into
    /// micro-panels of MR rows, each element `A_SPREAD` times.
    ///
    /// # Safety
    /// As for [`pack::pack_panels`], with `dst` writable for
    /// `A_SPREAD·ceil(extent/MR)·MR·kc` elements; the CPU supports the
    /// kernel's instructions (`pack` may be a `#[target_feature]` entry).
    #[inline(always)]
    unsafe fn pack_a(block: Block<S::Scalar>, dst: *mut S::Scalar) {
        const { assert!(Self::A_SPREAD == 1, "a spreading kernel packs A itself") };
        // SAFETY: forwarded contract.
        unsafe { Self::pack(Self::MR, block, dst) }
    }

    /// Computes one tile from its packed panels.
    ///
    /// # Safety
    /// `panels.kc ≥ 1`; `panels.a` holds `kc·MR·A_SPREAD` and `panels.b`
    /// `kc·NR` packed elements; `out` names a region of at most MR × NR (at
    /// least 1 × 1) writable through its strides, C's and, for an argmax
    /// kernel, the index matrix's, disjoint from C's; `depth + kc <
    /// u32::MAX`; the CPU supports the kernel's instructions.
    unsafe fn tile(self, panels: PackedPanels<S::Scalar>, out: Self::Out);
}

/// What one tile folds: micro-panel `a` of packed A and `b` of packed B,
/// `kc` deep, for depths `depth..depth + kc` of the product (argmax
/// kernels number their winners by it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PackedPanels<T> {
    pub(crate) a: *const T,
    pub(crate) b: *const T,
    pub(crate) kc: usize,
    pub(crate) depth: usize,
}

/// Writes the valid part of a full MR×NR tile held row-major (rows of `nr`)
/// in `tile` to C: the portable kernel's store, and the SIMD kernels' for
/// strided C and for edges without masked stores.
///
/// # Safety
/// `out` as in [`MicroKernel::tile`]; `tile.len() ≥ out.rows·nr`.
#[inline(always)]
pub(crate) unsafe fn store_tile<S: Semiring>(tile: &[S::Scalar], nr: usize, out: TileC<S::Scalar>) {
    let (c, rsc, csc, rows, cols, load_c) = out.parts();
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

/// Writes the valid part of an MR×NR argmax tile (values row-major with
/// rows of `nr`; `index_of(i, j)` gives the index). Without `load_c` both
/// are stored; with it, a pair replaces C's only where its value improves
/// on C's, so earlier k-blocks (and, under `Accum::Combine`, C's old
/// value) win ties and keep their index.
///
/// # Safety
/// `out` as in [`MicroKernel::tile`] (C's and argk's regions writable and
/// disjoint); `values` holds at least `rows·nr` entries.
#[inline(always)]
pub(crate) unsafe fn store_arg_tile<S: SelectingSemiring>(
    values: &[S::Scalar],
    index_of: impl Fn(usize, usize) -> u32,
    nr: usize,
    out: ArgTile<S::Scalar>,
) {
    let (c, rsc, csc, rows, cols, load_c) = out.c.parts();
    let (argk, rsi, csi) = (out.argk.ptr.get(), out.argk.row_stride, out.argk.col_stride);
    let whole_rows = csc == 1 && csi == 1 && cols == nr;
    // SAFETY (every arm): forwarded contract; the rows are whole and in
    // place, N = nr.
    match nr {
        4 if whole_rows => return unsafe { store_whole_rows::<S, 4>(values, &index_of, out) },
        8 if whole_rows => return unsafe { store_whole_rows::<S, 8>(values, &index_of, out) },
        16 if whole_rows => return unsafe { store_whole_rows::<S, 16>(values, &index_of, out) },
        32 if whole_rows => return unsafe { store_whole_rows::<S, 32>(values, &index_of, out) },
        _ => {}
    }
    for i in 0..rows {
        for j in 0..cols {
            let (value, index) = (values[i * nr + j], index_of(i, j));
            // SAFETY: i < rows and j < cols, inside the regions the caller
            // guarantees writable.
            // The same rule as `store_whole_rows`, one output at a time.
            unsafe {
                let dst = c.offset(i as isize * rsc + j as isize * csc);
                let dst_arg = argk.offset(i as isize * rsi + j as isize * csi);
                if load_c {
                    let old = *dst;
                    if S::improves(value, old) {
                        *dst_arg = index;
                    }
                    *dst = S::add(old, value);
                } else {
                    (*dst, *dst_arg) = (value, index);
                }
            }
        }
    }
}

/// [`store_arg_tile`] for a tile whose rows are whole (`N` = NR columns)
/// and lie in place (unit column strides in C and argk), without a branch
/// on the data: each row is read, combined as fixed-size arrays and
/// written back whole, which compiles to vector compares and blends.
/// Under `Accum::Combine` whether a tile's value beats C's is as good as
/// random (about half the entries of a shortest-paths strip improve), and
/// the element-wise loop's branch on it mispredicted.
///
/// Values take ⊕ (C's old value and the tile's) and indices follow
/// `improves`, as within a tile (`Portable::tile`): the same pair for
/// every semiring that keeps the `SelectingSemiring` contract, and values
/// equal to `gemm`'s even for one whose `improves` is looser than its ⊕.
///
/// # Safety
/// As [`store_arg_tile`], with `values` in rows of `N`; the tile's C and
/// argk have unit column strides and `N` valid columns.
#[inline(always)]
unsafe fn store_whole_rows<S: SelectingSemiring, const N: usize>(
    values: &[S::Scalar],
    index_of: &impl Fn(usize, usize) -> u32,
    out: ArgTile<S::Scalar>,
) {
    let (c, rsc, _, rows, _, load_c) = out.c.parts();
    let (argk, rsi) = (out.argk.ptr.get(), out.argk.row_stride);
    debug_assert!(values.len() >= rows * N, "a value for every output");
    for (i, new) in values.chunks_exact(N).take(rows).enumerate() {
        let indices: [u32; N] = std::array::from_fn(|j| index_of(i, j));
        // SAFETY: row i < rows of the tile is N consecutive elements of C
        // and of argk (unit column strides, N valid columns), writable;
        // the two regions are disjoint (both by the caller's contract), so
        // the two references do not overlap; arrays of T and u32 have
        // their element's alignment, which the pointers have.
        let (c_row, arg_row) = unsafe {
            (
                &mut *c.offset(i as isize * rsc).cast::<[S::Scalar; N]>(),
                &mut *argk.offset(i as isize * rsi).cast::<[u32; N]>(),
            )
        };
        if !load_c {
            c_row.copy_from_slice(new);
            *arg_row = indices;
            continue;
        }
        let (old, old_arg) = (*c_row, *arg_row);
        // All ones where the tile's value wins; ⊕ picks it there too (the
        // `SelectingSemiring` contract ties `add` to `improves`).
        let wins: [u32; N] =
            std::array::from_fn(|j| 0u32.wrapping_sub(u32::from(S::improves(new[j], old[j]))));
        *c_row = std::array::from_fn(|j| S::add(old[j], new[j]));
        *arg_row = std::array::from_fn(|j| (indices[j] & wins[j]) | (old_arg[j] & !wins[j]));
    }
}
