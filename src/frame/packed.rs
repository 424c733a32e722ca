//! The five-loop BLIS driver, generic over the semiring and microkernel.
//! It never names an ISA.

use rayon::prelude::*;

use super::split;
use crate::blocking::TilingParams;
use crate::config::Accum;
use crate::error::Error;
use crate::kernels::micro::{ArgTile, MicroKernel, PackedPanels, TileC};
use crate::kernels::pack::{Block, Lines};
use crate::semiring::{SelectingSemiring, Semiring};
use crate::view::{MatMut, MatRef, StridedPtr};
use crate::workspace::{GemmWorkspace, SharedPtr};

/// How the (ic, jr) work of one KC×NC panel is split among tasks: a grid
/// of `row_parts × col_parts`, each task owning whole MR-row panels and
/// whole NR-column panels, so no two tasks touch one element of C.
#[derive(Clone, Copy, Debug)]
struct TaskGrid {
    row_parts: usize,
    col_parts: usize,
    /// Rows per part (a multiple of MR).
    rows_per_part: usize,
}

impl TaskGrid {
    /// Rows first (each row part packs its own A block once and reuses it
    /// across all its columns); columns only when there are too few row
    /// panels to keep every thread busy.
    fn new(threads: usize, m: usize, n: usize, mr: usize, nr: usize) -> Self {
        let row_panels = m.div_ceil(mr);
        let row_parts = threads.clamp(1, row_panels.max(1));
        let col_parts = (threads / row_parts).clamp(1, n.div_ceil(nr).max(1));
        let rows_per_part = row_panels.div_ceil(row_parts) * mr;
        Self {
            row_parts,
            col_parts,
            rows_per_part,
        }
    }

    fn tasks(&self) -> usize {
        self.row_parts * self.col_parts
    }
}

super::route!(
    /// C = A ⊗ B (or C ⊕ A ⊗ B) through packed panels, on up to `threads`
    /// tasks of the current rayon pool.
    ///
    /// jc walks NC-column panels of B and C; pc walks KC-deep slices of k and
    /// packs the KC×NC panel of B (its column chunks in parallel), shared by
    /// all tasks; each task then walks its MC-row blocks of A, packs them into
    /// its own buffer, and runs the jr/ir micro-tiles of its part of C. The
    /// pc loop is never split: every k-slice updates the same C. The first
    /// k-slice writes C (or combines it, under `Combine`); later slices
    /// combine with the partial result, which equals the in-order fold
    /// because ⊕ is a selection (see the crate docs, "Exactness"). Every
    /// element of C is computed by one task in the same order whatever the
    /// thread count, so the result is bit-identical for all of them.
    gemm_packed[S: Semiring, K: MicroKernel<S, Out = TileC<S::Scalar>>],
    MatMut<'_, S::Scalar>,
    |ws, tiling, threads, a, b, c, accum| {
        run_packed::<S, K, _>(ws, tiling, threads, a, b, c.raw(), accum)
    }
);
super::route!(
    /// C = A ⊗ B with the winning k of every element in the index matrix,
    /// through the argmax microkernel `K`: the same loops as
    /// [`gemm_packed`]. Later k-blocks replace a (value, index) pair only
    /// where they improve on it, so the index is global and the smallest
    /// on ties.
    gemm_packed_arg[S: SelectingSemiring, K: MicroKernel<S, Out = ArgTile<S::Scalar>>],
    (MatMut<'_, S::Scalar>, MatMut<'_, u32>),
    |ws, tiling, threads, a, b, out, accum| {
        run_packed::<S, K, _>(ws, tiling, threads, a, b, out.raw(), accum)
    }
);

/// A checked output as raw parts, cut into tiles for a kernel: the five
/// loops never see an output pointer.
pub(crate) trait Output: Copy + Send + Sync {
    /// One tile's place (the kernel's `Out`).
    type Tile;
    /// The `rows × cols` tile at (i, j).
    ///
    /// # Safety
    /// (i, j) .. (i + rows, j + cols) lie inside the checked output.
    unsafe fn tile(&self, i: usize, j: usize, rows: usize, cols: usize, load_c: bool)
    -> Self::Tile;
    /// (rows, cols) of the output, or `None` if its parts disagree.
    fn shape(&self) -> Option<(usize, usize)>;
}

/// C as raw parts.
#[derive(Clone, Copy)]
struct ValuesOut<T> {
    c: StridedPtr<T>,
    shape: (usize, usize),
}

/// A checked output view (C, or C and the index matrix) and its raw
/// parts.
trait OutputViews {
    type Raw: Output;
    fn raw(self) -> Self::Raw;
}

impl<T: Copy + Send + Sync> OutputViews for MatMut<'_, T> {
    type Raw = ValuesOut<T>;
    fn raw(mut self) -> ValuesOut<T> {
        ValuesOut {
            c: self.raw_mut(),
            shape: (self.rows(), self.cols()),
        }
    }
}

impl<T: Copy + Send + Sync> Output for ValuesOut<T> {
    type Tile = TileC<T>;
    #[inline(always)]
    unsafe fn tile(&self, i: usize, j: usize, rows: usize, cols: usize, load_c: bool) -> TileC<T> {
        TileC {
            origin: self.c.starting_at(i, j),
            rows,
            cols,
            load_c,
        }
    }
    fn shape(&self) -> Option<(usize, usize)> {
        Some(self.shape)
    }
}

/// C and the index matrix (same shape) as raw parts.
#[derive(Clone, Copy)]
struct ArgOut<T> {
    values: ValuesOut<T>,
    argk: ValuesOut<u32>,
}

impl<T: Copy + Send + Sync> OutputViews for (MatMut<'_, T>, MatMut<'_, u32>) {
    type Raw = ArgOut<T>;
    fn raw(self) -> ArgOut<T> {
        ArgOut {
            values: self.0.raw(),
            argk: self.1.raw(),
        }
    }
}

impl<T: Copy + Send + Sync> Output for ArgOut<T> {
    type Tile = ArgTile<T>;
    #[inline(always)]
    unsafe fn tile(
        &self,
        i: usize,
        j: usize,
        rows: usize,
        cols: usize,
        load_c: bool,
    ) -> ArgTile<T> {
        // SAFETY: forwarded contract; argk has C's shape, so (i, j) lies in
        // its checked footprint too.
        let (c, argk) = unsafe {
            (
                self.values.tile(i, j, rows, cols, load_c),
                self.argk.tile(i, j, rows, cols, load_c),
            )
        };
        ArgTile {
            c,
            argk: argk.origin,
        }
    }
    fn shape(&self) -> Option<(usize, usize)> {
        self.values
            .shape()
            .filter(|&shape| self.argk.shape() == Some(shape))
    }
}

/// The five loops, for any microkernel and its output. The packing
/// buffers are reserved before anything is written: an error (a
/// workspace that cannot be allocated) leaves the output untouched.
pub(crate) fn run_packed<S: Semiring, K: MicroKernel<S>, O: Output<Tile = K::Out>>(
    ws: &mut GemmWorkspace,
    tiling: &TilingParams,
    threads: usize,
    a: MatRef<'_, S::Scalar>,
    b: MatRef<'_, S::Scalar>,
    out: O,
    accum: Accum,
) -> Result<(), Error> {
    if threads > 1 && !ws.reserve_only && rayon::current_thread_index().is_none() {
        // Enter the pool once for the whole product: every fork-join inside
        // then runs on worker-local queues, which do not allocate once
        // warm, instead of going through the global injector per panel.
        return rayon::join(
            || run_packed::<S, K, O>(ws, tiling, threads, a, b, out, accum),
            || (),
        )
        .0;
    }
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    // The loops below read A and B by these shapes, and the output by
    // its own (checked in the route wrappers): a safe function checks.
    assert!(m > 0 && n > 0 && k > 0 && b.rows() == k && out.shape() == Some((m, n)));
    let (mr, nr) = (K::MR, K::NR);
    // Clamped to the problem: buffer sizes stay within what
    // `check_packed_sizes` accepted, whatever the tiling override says.
    let (mc, kc, nc) = (tiling.mc.min(m), tiling.kc.min(k), tiling.nc.min(n));
    let grid = TaskGrid::new(threads, m, nc, mr, nr);
    // Both sizes are below (extent + tile)·k (times A_SPREAD for A), which
    // `check_packed_sizes` bounded before the call: no overflow.
    let a_elems = mc.min(grid.rows_per_part).div_ceil(mr) * mr * kc * K::A_SPREAD;
    let packed_b = SharedPtr(
        ws.packed_b
            .reserve::<S::Scalar>(nc.div_ceil(nr) * nr * kc)?,
    );
    let reserve_only = ws.reserve_only;
    let a_bases = ws.reserve_a_buffers::<S::Scalar>(grid.tasks(), a_elems)?;
    if reserve_only {
        return Ok(());
    }
    let (a, b) = (a.raw(), b.raw());

    for jc in (0..n).step_by(nc) {
        let nc_cur = nc.min(n - jc);
        let col_panels = nc_cur.div_ceil(nr);
        for pc in (0..k).step_by(kc) {
            let kc_cur = kc.min(k - pc);
            let load_c = pc > 0 || accum == Accum::Combine;

            // Pack the KC×NC panel of B, in column chunks of whole panels.
            let b_chunks = threads.min(col_panels).max(1);
            let pack_b_chunk = |chunk: usize| {
                let (first, last) = split(col_panels, b_chunks, chunk);
                let cols = (last * nr).min(nc_cur) - first * nr;
                if cols == 0 {
                    return;
                }
                // SAFETY: columns jc+first·nr .. +cols and depths pc..pc+kc_cur
                // lie in B's checked footprint; panels first..last of
                // packed_b are this chunk's alone and within its
                // ceil(nc/nr)·nr·kc reservation; the job's kernel (and so
                // its packing entry) was bound only for a CPU with its ISA.
                unsafe {
                    let columns = Block {
                        lines: Lines::columns_of(b, pc, jc + first * nr),
                        extent: cols,
                        kc: kc_cur,
                    };
                    K::pack(nr, columns, packed_b.get().add(first * nr * kc_cur))
                };
            };
            if b_chunks == 1 {
                pack_b_chunk(0);
            } else {
                (0..b_chunks).into_par_iter().for_each(pack_b_chunk);
            }

            // Each task: its rows of A (packed into its own buffer), its
            // columns of the shared B panel, its tiles of C.
            let col_parts = grid.col_parts.min(col_panels);
            let run_task = |task: usize| {
                let (row_part, col_part) = (task / col_parts, task % col_parts);
                let row_start = row_part * grid.rows_per_part;
                let row_end = (row_start + grid.rows_per_part).min(m);
                let (first_panel, last_panel) = split(col_panels, col_parts, col_part);
                let packed_a = a_bases[task].get().cast::<S::Scalar>();
                for ic in (row_start..row_end).step_by(mc) {
                    let mc_cur = mc.min(row_end - ic);
                    // SAFETY: rows ic..ic+mc_cur and depths pc..pc+kc_cur lie
                    // in A's footprint; this task's buffer holds
                    // ceil(min(mc, rows_per_part)/mr)·mr·kc·A_SPREAD
                    // elements, and mc_cur ≤ min(mc, rows_per_part),
                    // kc_cur ≤ kc; the job's kernel (and its A packing
                    // entry) was bound only for a CPU with its ISA.
                    unsafe {
                        let rows_of_a = Block {
                            lines: Lines::rows_of(a, ic, pc),
                            extent: mc_cur,
                            kc: kc_cur,
                        };
                        K::pack_a(rows_of_a, packed_a)
                    };
                    for panel in first_panel..last_panel {
                        let jr = panel * nr;
                        let cols = nr.min(nc_cur - jr);
                        for ir in (0..mc_cur).step_by(mr) {
                            let rows = mr.min(mc_cur - ir);
                            // SAFETY: micro-panel ir/mr of this task's A
                            // buffer and panel jr/nr of the B panel were
                            // packed with kc_cur steps (B before this join);
                            // the rows×cols tile at (ic+ir, jc+jr) lies in
                            // the checked, non-aliasing output and belongs to
                            // this task alone; the job's kernel was bound
                            // only for a CPU that has its instructions.
                            unsafe {
                                let panels = PackedPanels {
                                    a: packed_a.add(ir * kc_cur * K::A_SPREAD),
                                    b: packed_b.get().add(jr * kc_cur),
                                    kc: kc_cur,
                                    depth: pc,
                                };
                                let tile = out.tile(ic + ir, jc + jr, rows, cols, load_c);
                                K::default().tile(panels, tile)
                            };
                        }
                    }
                }
            };
            let tasks = grid.row_parts * col_parts;
            crate::frame::run_tasks(tasks, run_task);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_prefers_rows_then_columns() {
        let g = TaskGrid::new(2, 1000, 1000, 16, 16);
        assert_eq!((g.row_parts, g.col_parts), (2, 1));
        assert_eq!(g.rows_per_part, 32 * 16);
        let g = TaskGrid::new(4, 16, 1000, 16, 16);
        assert_eq!((g.row_parts, g.col_parts), (1, 4));
        let g = TaskGrid::new(8, 40, 20, 16, 16);
        assert_eq!((g.row_parts, g.col_parts), (3, 2));
    }
}
