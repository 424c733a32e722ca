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
        // Every rank's block, and the root's packed copy of the matrix,
        // before any data moves: a refusal is an error on every rank.
        let buffers = try_mpi_vec(row_range.len() * col_range.len()).and_then(|local| {
            let send = if is_root {
                try_capacity(rows * cols)?
            } else {
                Vec::new()
            };
            Ok((local, send))
        });
        let (outcome, buffers) = match buffers {
            Ok(buffers) => (Ok(()), Some(buffers)),
            Err(e) => (Err(e), None),
        };
        agree(comm, &[], outcome)?;
        let (mut local, send) = buffers.expect("every rank's outcome was Ok");
        if is_root {
            let g = global.expect("checked above");
            let (send, counts, displs) = pack_blocks(grid, &g, send);
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
        let is_root = comm.rank() == root;
        let total = self.rows.saturating_mul(self.cols);
        // The root's buffers (the blocks as they arrive, and the matrix
        // they are unpacked into) before the ranks agree: a refusal is an
        // error on every rank, not an abort on the root.
        let buffers = check_root(self.grid, root)
            .and_then(|_| fits_message(total).map(drop))
            .and_then(|()| match is_root {
                true => Ok(Some((try_mpi_vec(total)?, try_capacity(total)?))),
                false => Ok(None),
            });
        let (outcome, buffers) = match buffers {
            Ok(buffers) => (Ok(()), buffers),
            Err(e) => (Err(e), None),
        };
        agree(comm, &args, outcome)?;
        let Some((mut packed, out)) = buffers else {
            comm.process_at_rank(root)
                .gather_varcount_into(&self.local[..]);
            return Ok(None);
        };
        let (counts, displs) = block_counts(self.grid, self.rows, self.cols);
        let mut partition = PartitionMut::new(&mut packed[..], counts, &displs[..]);
        comm.process_at_rank(root)
            .gather_varcount_into_root(&self.local[..], &mut partition);
        let grid = (self.grid.rows(), self.grid.cols());
        Ok(Some(unpack_blocks(
            grid, self.rows, self.cols, &packed, &displs, out,
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

/// `len` default elements in a real allocation (see [`mpi_ready`]), or
/// `WorkspaceTooLarge` when the memory cannot be had: for buffers
/// allocated before the ranks agree, so that one rank's refusal is an
/// error on every rank rather than an abort on one.
pub(crate) fn try_mpi_vec<T: Copy + Default>(len: usize) -> Result<Vec<T>, Error> {
    let mut v = try_capacity(len)?;
    v.resize(len, T::default());
    Ok(v)
}

/// An empty vector with room for `len` elements (at least one, see
/// [`mpi_ready`]), or `WorkspaceTooLarge` as [`try_mpi_vec`].
fn try_capacity<T>(len: usize) -> Result<Vec<T>, Error> {
    let mut v = Vec::new();
    v.try_reserve_exact(len.max(1))
        .map_err(|_| tropical_blas::Error::WorkspaceTooLarge {
            bytes: len.saturating_mul(std::mem::size_of::<T>()),
        })?;
    Ok(v)
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
    mut send: Vec<T>,
) -> (Vec<T>, Vec<mpi::Count>, Vec<mpi::Count>) {
    let (counts, displs) = block_counts(grid, g.rows(), g.cols());
    send.clear();
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
    mut out: Vec<T>,
) -> Vec<T> {
    out.clear();
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
        assert_eq!(try_mpi_vec::<u32>(1000).unwrap().capacity(), 1000);
        assert!(mpi_ready(Vec::<bool>::new()).capacity() >= 1);
    }

    /// The buffers allocated before the ranks agree report a refusal.
    #[test]
    fn a_buffer_past_memory_is_an_error() {
        assert!(try_mpi_vec::<bool>(0).unwrap().capacity() >= 1);
        assert_eq!(try_mpi_vec::<u32>(3).unwrap(), [0, 0, 0]);
        assert!(matches!(
            try_mpi_vec::<u64>(1 << 60),
            Err(Error::Node(tropical_blas::Error::WorkspaceTooLarge { .. }))
        ));
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
            assert_eq!(
                unpack_blocks(grid, rows, cols, &packed, &displs, Vec::new()),
                g
            );
        }
    }
}
