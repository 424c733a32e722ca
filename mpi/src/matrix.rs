//! A matrix distributed in a 2-D block layout: each rank holds one
//! contiguous block, row-major.
//!
//! Plain blocks, not block-cyclic: for a product every rank's share of C
//! is one block and the work per rank is the same either way (SUMMA's
//! panels sweep all of k whatever the layout), while a block keeps each
//! rank's C in one piece for the node kernel and lets a panel of B be a
//! run of contiguous rows. Block-cyclic layouts pay for factorizations
//! (LU, Cholesky, Floyd–Warshall), whose active part shrinks.

use std::ops::Range;

use mpi::datatype::{Equivalence, Partition, PartitionMut};
use mpi::traits::{Communicator, Root};
use tropical_blas::{MatMut, MatRef};

use crate::agree::{agree, type_tag};
use crate::error::Error;
use crate::grid::ProcessGrid;

/// The part of `0..len` that block `index` of `parts` holds: sizes differ by
/// at most one, the first `len % parts` blocks taking the extra element.
///
/// ```
/// use tropical_blas_mpi::block_range;
/// assert_eq!(block_range(10, 3, 0), 0..4);
/// assert_eq!(block_range(10, 3, 1), 4..7);
/// assert_eq!(block_range(10, 3, 2), 7..10);
/// assert_eq!(block_range(2, 3, 2), 2..2); // more parts than elements
/// ```
pub fn block_range(len: usize, parts: usize, index: usize) -> Range<usize> {
    let (base, extra) = (len / parts, len % parts);
    let start = index * base + index.min(extra);
    start..start + base + usize::from(index < extra)
}

/// Largest element count one MPI message (and a scatter or gather
/// displacement) can describe.
pub(crate) fn fits_message(elements: usize) -> Result<mpi::Count, Error> {
    mpi::Count::try_from(elements).map_err(|_| Error::MessageTooLarge { elements })
}

/// This rank's block of a `rows × cols` matrix distributed over a
/// [`ProcessGrid`]: rows `block_range(rows, grid.rows(), my_row)`, columns
/// `block_range(cols, grid.cols(), my_col)`, stored row-major.
#[derive(Debug)]
pub struct DistMatrix<'g, T> {
    grid: &'g ProcessGrid,
    rows: usize,
    cols: usize,
    row_range: Range<usize>,
    col_range: Range<usize>,
    local: Vec<T>,
}

impl<T: Copy> Clone for DistMatrix<'_, T> {
    fn clone(&self) -> Self {
        Self {
            grid: self.grid,
            rows: self.rows,
            cols: self.cols,
            row_range: self.row_range.clone(),
            col_range: self.col_range.clone(),
            local: mpi_ready(self.local.clone()),
        }
    }
}

impl<'g, T: Copy + Default + Equivalence> DistMatrix<'g, T> {
    /// Fills this rank's block from a function of the global (row, col),
    /// so that no rank ever holds more than its block. Not collective, so
    /// nothing checks here that the ranks agree on `rows` and `cols`; the
    /// collective calls that take the matrix do
    /// ([`Error::InconsistentArguments`]).
    pub fn from_fn(
        grid: &'g ProcessGrid,
        rows: usize,
        cols: usize,
        mut f: impl FnMut(usize, usize) -> T,
    ) -> Self {
        let row_range = block_range(rows, grid.rows(), grid.my_row());
        let col_range = block_range(cols, grid.cols(), grid.my_col());
        let local = mpi_ready(
            row_range
                .clone()
                .flat_map(|i| col_range.clone().map(move |j| (i, j)))
                .map(|(i, j)| f(i, j))
                .collect(),
        );
        Self {
            grid,
            rows,
            cols,
            row_range,
            col_range,
            local,
        }
    }

    /// Every element `value`.
    pub fn filled(grid: &'g ProcessGrid, rows: usize, cols: usize, value: T) -> Self {
        Self::from_fn(grid, rows, cols, |_, _| value)
    }

    /// Distributes a matrix that `root` holds: `global` is read on the
    /// root (any layout) and ignored elsewhere; the shape comes from the
    /// root. Collective over the grid; errors (no matrix on the root, a
    /// matrix past `i32::MAX` elements, a bad root, ranks that pass
    /// different roots) on every rank.
    pub fn scatter(
        grid: &'g ProcessGrid,
        root: i32,
        global: Option<MatRef<'_, T>>,
    ) -> Result<Self, Error> {
        let comm = grid.comm();
        let args = [("root", root as u64), ("element type", type_tag::<T>())];
        agree(comm, &args, check_root(grid, root))?;
        let is_root = comm.rank() == root;
        // The root tells everyone the shape, or why there is none.
        let mut header = [0u64; 3];
        if is_root {
            header = match global {
                None => [1, 0, 0],
                Some(g) if fits_message(g.rows().saturating_mul(g.cols())).is_err() => {
                    [2, g.rows() as u64, g.cols() as u64]
                }
                Some(g) => [0, g.rows() as u64, g.cols() as u64],
            };
        }
        comm.process_at_rank(root).broadcast_into(&mut header[..]);
        let (rows, cols) = (header[1] as usize, header[2] as usize);
        match header[0] {
            0 => {}
            1 => return Err(Error::MissingRootMatrix),
            _ => {
                return Err(Error::MessageTooLarge {
                    elements: rows.saturating_mul(cols),
                });
            }
        }
        let row_range = block_range(rows, grid.rows(), grid.my_row());
        let col_range = block_range(cols, grid.cols(), grid.my_col());
        let mut local = mpi_vec(row_range.len() * col_range.len());
        if is_root {
            let g = global.expect("checked above");
            let (send, counts, displs) = pack_blocks(grid, &g);
            let partition = Partition::new(&send[..], counts, displs);
            comm.process_at_rank(root)
                .scatter_varcount_into_root(&partition, &mut local[..]);
        } else {
            comm.process_at_rank(root)
                .scatter_varcount_into(&mut local[..]);
        }
        Ok(Self {
            grid,
            rows,
            cols,
            row_range,
            col_range,
            local,
        })
    }

    /// Collects the matrix on `root`, row-major (`Some` there, `None` on
    /// the other ranks). Collective over the grid; errors (a bad root, a
    /// matrix past `i32::MAX` elements, ranks that pass different roots or
    /// hold different global shapes) on every rank.
    pub fn gather(&self, root: i32) -> Result<Option<Vec<T>>, Error> {
        let comm = self.grid.comm();
        let args = [
            ("root", root as u64),
            ("element type", type_tag::<T>()),
            ("global shape", self.rows as u64),
            ("global shape", self.cols as u64),
        ];
        let checks = check_root(self.grid, root)
            .and_then(|_| fits_message(self.rows.saturating_mul(self.cols)).map(drop));
        agree(comm, &args, checks)?;
        if comm.rank() != root {
            comm.process_at_rank(root)
                .gather_varcount_into(&self.local[..]);
            return Ok(None);
        }
        let (counts, displs) = block_counts(self.grid, self.rows, self.cols);
        let total = self.rows * self.cols;
        let mut packed = mpi_vec(total);
        let mut partition = PartitionMut::new(&mut packed[..], counts, &displs[..]);
        comm.process_at_rank(root)
            .gather_varcount_into_root(&self.local[..], &mut partition);
        let grid = (self.grid.rows(), self.grid.cols());
        Ok(Some(unpack_blocks(
            grid, self.rows, self.cols, &packed, &displs,
        )))
    }

    /// The grid the matrix is distributed over.
    pub fn grid(&self) -> &'g ProcessGrid {
        self.grid
    }
    /// Global rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Global columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Global (rows, cols).
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }
    /// The global rows this rank holds.
    pub fn row_range(&self) -> Range<usize> {
        self.row_range.clone()
    }
    /// The global columns this rank holds.
    pub fn col_range(&self) -> Range<usize> {
        self.col_range.clone()
    }
    /// This rank's block, row-major.
    pub fn local(&self) -> &[T] {
        &self.local
    }
    /// This rank's block, row-major, to write.
    pub fn local_mut(&mut self) -> &mut [T] {
        &mut self.local
    }
    /// This rank's block as a view (local indices).
    pub fn local_view(&self) -> MatRef<'_, T> {
        MatRef::row_major(&self.local, self.row_range.len(), self.col_range.len())
            .expect("the block holds exactly its elements")
    }
    /// This rank's block as a mutable view (local indices).
    pub fn local_view_mut(&mut self) -> MatMut<'_, T> {
        let (r, c) = (self.row_range.len(), self.col_range.len());
        MatMut::row_major(&mut self.local, r, c).expect("the block holds exactly its elements")
    }
    /// Element at global (row, col), if this rank holds it.
    pub fn get_global(&self, row: usize, col: usize) -> Option<T> {
        let (i, j) = (
            row.checked_sub(self.row_range.start)?,
            col.checked_sub(self.col_range.start)?,
        );
        (i < self.row_range.len() && j < self.col_range.len())
            .then(|| self.local[i * self.col_range.len() + j])
    }
}

/// `len` default elements in a real allocation (see [`mpi_ready`]).
pub(crate) fn mpi_vec<T: Copy + Default>(len: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    v.resize(len, T::default());
    mpi_ready(v)
}

/// `v` with a real allocation even when empty: Open MPI rejects the
/// dangling pointer of an empty `Vec<bool>` (address 1) as a buffer, even
/// for a count of 0. Only an unallocated vector grows (by one element), so
/// a full block is never reallocated to twice its size.
pub(crate) fn mpi_ready<T>(mut v: Vec<T>) -> Vec<T> {
    if v.capacity() == 0 {
        v.reserve(1);
    }
    v
}

fn check_root(grid: &ProcessGrid, root: i32) -> Result<(), Error> {
    if root < 0 || root as usize >= grid.size() {
        return Err(Error::InvalidRoot {
            root,
            size: grid.size(),
        });
    }
    Ok(())
}

/// Element counts and displacements of every rank's block, in rank
/// order, as the root packs them.
fn block_counts(
    grid: &ProcessGrid,
    rows: usize,
    cols: usize,
) -> (Vec<mpi::Count>, Vec<mpi::Count>) {
    let mut counts = Vec::with_capacity(grid.size());
    let mut displs = Vec::with_capacity(grid.size());
    let mut at = 0usize;
    for rank in 0..grid.size() {
        let (pr, pc) = (rank / grid.cols(), rank % grid.cols());
        let len =
            block_range(rows, grid.rows(), pr).len() * block_range(cols, grid.cols(), pc).len();
        counts.push(len as mpi::Count);
        displs.push(at as mpi::Count);
        at += len;
    }
    (counts, displs)
}

/// The root's send buffer: every rank's block, row-major, in rank order.
fn pack_blocks<T: Copy>(
    grid: &ProcessGrid,
    g: &MatRef<'_, T>,
) -> (Vec<T>, Vec<mpi::Count>, Vec<mpi::Count>) {
    let (counts, displs) = block_counts(grid, g.rows(), g.cols());
    let mut send = Vec::with_capacity((g.rows() * g.cols()).max(1));
    for rank in 0..grid.size() {
        let (pr, pc) = (rank / grid.cols(), rank % grid.cols());
        for i in block_range(g.rows(), grid.rows(), pr) {
            for j in block_range(g.cols(), grid.cols(), pc) {
                send.push(g.get(i, j).expect("inside the matrix"));
            }
        }
    }
    (send, counts, displs)
}

/// The inverse of [`pack_blocks`] on a `(grid rows, grid cols)` grid: the
/// gathered blocks as one row-major matrix, written once, row by row, into
/// a fresh buffer (no copy of `packed` first).
fn unpack_blocks<T: Copy>(
    grid: (usize, usize),
    rows: usize,
    cols: usize,
    packed: &[T],
    displs: &[mpi::Count],
) -> Vec<T> {
    let mut out = Vec::with_capacity(rows * cols);
    for pr in 0..grid.0 {
        let rr = block_range(rows, grid.0, pr);
        for li in 0..rr.len() {
            for pc in 0..grid.1 {
                let width = block_range(cols, grid.1, pc).len();
                let at = displs[pr * grid.1 + pc] as usize + li * width;
                out.extend_from_slice(&packed[at..at + width]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_block_is_not_reallocated() {
        let v = mpi_ready(vec![1u32; 1000]);
        assert_eq!(v.capacity(), 1000);
        assert_eq!(mpi_vec::<u32>(1000).capacity(), 1000);
        assert!(mpi_ready(Vec::<bool>::new()).capacity() >= 1);
        assert!(mpi_vec::<bool>(0).capacity() >= 1);
    }

    #[test]
    fn unpack_inverts_pack_on_uneven_grids() {
        for grid in [(1, 1), (2, 3), (3, 2), (4, 1)] {
            let (rows, cols) = (7, 5);
            let g: Vec<u32> = (0..(rows * cols) as u32).collect();
            let mut packed = Vec::new();
            let mut displs = Vec::new();
            for rank in 0..grid.0 * grid.1 {
                displs.push(packed.len() as mpi::Count);
                let (pr, pc) = (rank / grid.1, rank % grid.1);
                for i in block_range(rows, grid.0, pr) {
                    for j in block_range(cols, grid.1, pc) {
                        packed.push(g[i * cols + j]);
                    }
                }
            }
            assert_eq!(unpack_blocks(grid, rows, cols, &packed, &displs), g);
        }
    }
}
