//! The 2-D process grid: ranks in row-major order, with one communicator
//! per process row and one per process column, which SUMMA broadcasts on.

use mpi::topology::{Color, SimpleCommunicator};
use mpi::traits::{Communicator, CommunicatorCollectives};

use crate::error::Error;

/// `rows × cols` processes over a communicator of exactly that many
/// ranks. Rank r sits at grid position (r / cols, r % cols).
///
/// Holds its own duplicate of the communicator, so that the grid's
/// messages never match a caller's. Drop it before the `Universe`: its
/// communicators are freed on drop, which MPI forbids after finalizing.
pub struct ProcessGrid {
    comm: SimpleCommunicator,
    row_comm: SimpleCommunicator,
    col_comm: SimpleCommunicator,
    rows: usize,
    cols: usize,
    my_row: usize,
    my_col: usize,
}

impl std::fmt::Debug for ProcessGrid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessGrid")
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .field("my_row", &self.my_row)
            .field("my_col", &self.my_col)
            .finish_non_exhaustive()
    }
}

impl ProcessGrid {
    /// A `rows × cols` grid over `comm`. Collective: every rank of `comm`
    /// must call it with the same shape; a shape that does not cover the
    /// communicator exactly, or that the ranks disagree on, is
    /// [`Error::InvalidGrid`] on every rank.
    pub fn new<C: Communicator>(comm: &C, rows: usize, cols: usize) -> Result<Self, Error> {
        let size = comm.size() as usize;
        // Every rank learns every rank's request before anyone splits, so
        // that disagreement is an error everywhere instead of a hang.
        let mine = [rows as u64, cols as u64];
        let mut all = vec![0u64; 2 * size];
        comm.all_gather_into(&mine[..], &mut all[..]);
        let agreed = all.chunks_exact(2).all(|s| s == mine);
        if !agreed || rows == 0 || cols == 0 || rows.checked_mul(cols) != Some(size) {
            return Err(Error::InvalidGrid { rows, cols, size });
        }
        let comm = comm.duplicate();
        let rank = comm.rank() as usize;
        let (my_row, my_col) = (rank / cols, rank % cols);
        // Keys order the new communicators by grid position, so a row
        // communicator's rank is the grid column and a column
        // communicator's rank is the grid row.
        let row_comm = comm
            .split_by_color_with_key(Color::with_value(my_row as i32), my_col as i32)
            .expect("every rank has a defined color");
        let col_comm = comm
            .split_by_color_with_key(Color::with_value(my_col as i32), my_row as i32)
            .expect("every rank has a defined color");
        Ok(Self {
            comm,
            row_comm,
            col_comm,
            rows,
            cols,
            my_row,
            my_col,
        })
    }

    /// The most square grid over `comm`: rows the largest divisor of the
    /// size not above its square root (2×2 on 4 ranks, 1×3 on 3, 2×3 on
    /// 6), so that each rank's share of the broadcasts is smallest.
    pub fn square<C: Communicator>(comm: &C) -> Result<Self, Error> {
        let size = comm.size() as usize;
        let rows = (1..=size)
            .take_while(|r| r * r <= size)
            .filter(|r| size.is_multiple_of(*r))
            .last()
            .unwrap_or(1);
        Self::new(comm, rows, size / rows)
    }

    /// Process rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Process columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Ranks in the grid.
    pub fn size(&self) -> usize {
        self.rows * self.cols
    }
    /// This rank's grid row.
    pub fn my_row(&self) -> usize {
        self.my_row
    }
    /// This rank's grid column.
    pub fn my_col(&self) -> usize {
        self.my_col
    }
    /// This rank in the grid's communicator (row-major grid order).
    pub fn rank(&self) -> i32 {
        self.comm.rank()
    }
    /// The grid rank at grid position (row, col).
    pub fn rank_at(&self, row: usize, col: usize) -> i32 {
        (row * self.cols + col) as i32
    }
    /// The grid's own communicator (a duplicate of the one it was built on).
    pub fn comm(&self) -> &SimpleCommunicator {
        &self.comm
    }
    /// The ranks of this rank's grid row; rank within it = grid column.
    pub fn row_comm(&self) -> &SimpleCommunicator {
        &self.row_comm
    }
    /// The ranks of this rank's grid column; rank within it = grid row.
    pub fn col_comm(&self) -> &SimpleCommunicator {
        &self.col_comm
    }

    /// Whether `other` distributes over the same processes in the same
    /// places: the same shape and a congruent communicator.
    pub fn same_as(&self, other: &ProcessGrid) -> bool {
        use mpi::topology::CommunicatorRelation::{Congruent, Identical};
        std::ptr::eq(self, other)
            || ((self.rows, self.cols) == (other.rows, other.cols)
                && matches!(self.comm.compare(&other.comm), Identical | Congruent))
    }
}
