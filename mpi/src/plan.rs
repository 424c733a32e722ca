//! The k panels of a SUMMA product.
//!
//! A's columns are split over the grid columns and B's rows over the grid
//! rows, by [`block_range`] each; the two splits differ on a non-square
//! grid. A panel is a run of k that lies in one block of each split (so
//! one rank column owns its A part and one rank row its B part), at most
//! `width` long. Panels come in increasing k: the order that makes the
//! result exact.

use std::ops::Range;

use crate::matrix::block_range;

/// One SUMMA step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panel {
    /// The global k indices it covers.
    pub k: Range<usize>,
    /// The grid column whose ranks hold A's columns `k`.
    pub a_owner_col: usize,
    /// The grid row whose ranks hold B's rows `k`.
    pub b_owner_row: usize,
}

/// The panels of a depth-`k` product on a `grid_rows × grid_cols` grid,
/// each at most `width` (≥ 1) long, in increasing k.
///
/// ```
/// use tropical_blas_mpi::panels;
/// // k = 10 on a 2×3 grid: A splits 0..4, 4..7, 7..10; B splits 0..5, 5..10.
/// let p = panels(10, 2, 3, 100);
/// let cuts: Vec<_> = p.iter().map(|p| (p.k.clone(), p.a_owner_col, p.b_owner_row)).collect();
/// assert_eq!(cuts, [(0..4, 0, 0), (4..5, 1, 0), (5..7, 1, 1), (7..10, 2, 1)]);
/// ```
pub fn panels(k: usize, grid_rows: usize, grid_cols: usize, width: usize) -> Vec<Panel> {
    let width = width.max(1);
    let mut out = Vec::new();
    let (mut a_col, mut b_row) = (0, 0);
    let mut at = 0;
    while at < k {
        // Advance each owner to the block that holds `at` (skipping empty
        // blocks, which exist when k is below the grid dimension).
        while block_range(k, grid_cols, a_col).end <= at {
            a_col += 1;
        }
        while block_range(k, grid_rows, b_row).end <= at {
            b_row += 1;
        }
        let end = block_range(k, grid_cols, a_col)
            .end
            .min(block_range(k, grid_rows, b_row).end)
            .min(at.saturating_add(width));
        out.push(Panel {
            k: at..end,
            a_owner_col: a_col,
            b_owner_row: b_row,
        });
        at = end;
    }
    out
}
