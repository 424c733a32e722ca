//! The five-loop BLIS driver, generic over the semiring and microkernel.
//! It never names an ISA.

use rayon::prelude::*;

use super::split;
use crate::blocking::TilingParams;
use crate::config::Accum;
use crate::kernels::micro::{ArgMicroKernel, MicroKernel};
use crate::semiring::{SelectingSemiring, Semiring};
use crate::view::{MatMut, MatRef};
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
pub(crate) fn gemm_packed<S: Semiring, K: MicroKernel<S>>(
    ws: &mut GemmWorkspace,
    tiling: &TilingParams,
    threads: usize,
    a: MatRef<'_, S::Scalar>,
    b: MatRef<'_, S::Scalar>,
    mut c: MatMut<'_, S::Scalar>,
    accum: Accum,
) {
    let tiles = ValueTiles::<S, K> {
        c: SharedPtr(c.as_mut_ptr()),
        rsc: c.row_stride(),
        csc: c.col_stride(),
        kernel: K::default(),
    };
    run_packed::<S, _>(ws, tiling, threads, a, b, tiles, accum);
}

/// What the five loops feed: the packing of A and B, and the micro-tile
/// whose top-left output element is (i, j). Plain products and argmax
/// products implement it, so both share one driver; the driver never sees
/// an output pointer.
pub(crate) trait TileJob<S: Semiring>: Copy + Send + Sync {
    /// Rows of the register tile (the A micro-panel height).
    const MR: usize;
    /// Columns of the register tile (the B micro-panel width).
    const NR: usize;

    /// Packs columns of B into micro-panels of `unit` = NR (see
    /// `pack::pack_panels`).
    ///
    /// # Safety
    /// As `pack::pack_panels`; the CPU supports the kernel's instructions.
    #[allow(clippy::too_many_arguments)]
    unsafe fn pack_b(
        unit: usize,
        extent: usize,
        kc: usize,
        src: *const S::Scalar,
        line_stride: isize,
        depth_stride: isize,
        dst: *mut S::Scalar,
    );

    /// Copies of each element in a packed A micro-panel (the kernel's
    /// `A_SPREAD`).
    const A_SPREAD: usize;

    /// Packs an `extent × kc` block of A into MR-row micro-panels of
    /// `A_SPREAD` copies per element.
    ///
    /// # Safety
    /// As `MicroKernel::pack_a`; the CPU supports the kernel's
    /// instructions.
    unsafe fn pack_a(
        extent: usize,
        kc: usize,
        src: *const S::Scalar,
        row_stride: isize,
        col_stride: isize,
        dst: *mut S::Scalar,
    );

    /// Folds depths `depth..depth + kc` of the packed micro-panels into the
    /// `rows × cols` outputs starting at (i, j); `load_c` as in
    /// [`MicroKernel::tile`].
    ///
    /// # Safety
    /// `a`/`b` hold kc·MR·A_SPREAD and kc·NR packed elements; (i, j) .. (i + rows,
    /// j + cols) lie inside the checked output, written by this caller
    /// alone; the CPU supports the kernel's instructions.
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile(
        &self,
        kc: usize,
        depth: usize,
        a: *const S::Scalar,
        b: *const S::Scalar,
        i: usize,
        j: usize,
        rows: usize,
        cols: usize,
        load_c: bool,
    );
}

/// A plain product: tiles of C through the microkernel `K`.
struct ValueTiles<S: Semiring, K> {
    c: SharedPtr<S::Scalar>,
    rsc: isize,
    csc: isize,
    kernel: K,
}

impl<S: Semiring, K: Copy> Clone for ValueTiles<S, K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S: Semiring, K: Copy> Copy for ValueTiles<S, K> {}

impl<S: Semiring, K: MicroKernel<S>> TileJob<S> for ValueTiles<S, K> {
    const MR: usize = K::MR;
    const NR: usize = K::NR;

    #[inline(always)]
    unsafe fn pack_b(
        unit: usize,
        extent: usize,
        kc: usize,
        src: *const S::Scalar,
        line_stride: isize,
        depth_stride: isize,
        dst: *mut S::Scalar,
    ) {
        // SAFETY: forwarded contract.
        unsafe { K::pack(unit, extent, kc, src, line_stride, depth_stride, dst) }
    }

    const A_SPREAD: usize = K::A_SPREAD;

    #[inline(always)]
    unsafe fn pack_a(
        extent: usize,
        kc: usize,
        src: *const S::Scalar,
        row_stride: isize,
        col_stride: isize,
        dst: *mut S::Scalar,
    ) {
        // SAFETY: forwarded contract.
        unsafe { K::pack_a(extent, kc, src, row_stride, col_stride, dst) }
    }

    #[inline(always)]
    unsafe fn tile(
        &self,
        kc: usize,
        _depth: usize,
        a: *const S::Scalar,
        b: *const S::Scalar,
        i: usize,
        j: usize,
        rows: usize,
        cols: usize,
        load_c: bool,
    ) {
        // SAFETY: (i, j) lies in C's checked footprint (caller), so the
        // offset stays inside C's slice; the rest is forwarded.
        unsafe {
            self.kernel.tile(
                kc,
                a,
                b,
                self.c
                    .get()
                    .offset(i as isize * self.rsc + j as isize * self.csc),
                self.rsc,
                self.csc,
                rows,
                cols,
                load_c,
            )
        }
    }
}

/// C = A ⊗ B with the winning k of every element in `argk`, through the
/// argmax microkernel `K`: the same loops as [`gemm_packed`]. Later
/// k-blocks replace a (value, index) pair only where they improve on it,
/// so the index is global and the smallest on ties.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_packed_arg<S: SelectingSemiring, K: ArgMicroKernel<S>>(
    ws: &mut GemmWorkspace,
    tiling: &TilingParams,
    threads: usize,
    a: MatRef<'_, S::Scalar>,
    b: MatRef<'_, S::Scalar>,
    mut c: MatMut<'_, S::Scalar>,
    mut argk: MatMut<'_, u32>,
    accum: Accum,
) {
    let tiles = ArgTiles::<S, K> {
        c: SharedPtr(c.as_mut_ptr()),
        rsc: c.row_stride(),
        csc: c.col_stride(),
        argk: SharedPtr(argk.as_mut_ptr()),
        rsi: argk.row_stride(),
        csi: argk.col_stride(),
        kernel: K::default(),
    };
    run_packed::<S, _>(ws, tiling, threads, a, b, tiles, accum);
}

/// An argmax product: tiles of C and of the index matrix through `K`.
struct ArgTiles<S: Semiring, K> {
    c: SharedPtr<S::Scalar>,
    rsc: isize,
    csc: isize,
    argk: SharedPtr<u32>,
    rsi: isize,
    csi: isize,
    kernel: K,
}

impl<S: Semiring, K: Copy> Clone for ArgTiles<S, K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S: Semiring, K: Copy> Copy for ArgTiles<S, K> {}

impl<S: SelectingSemiring, K: ArgMicroKernel<S>> TileJob<S> for ArgTiles<S, K> {
    const MR: usize = K::MR;
    const NR: usize = K::NR;

    #[inline(always)]
    unsafe fn pack_b(
        unit: usize,
        extent: usize,
        kc: usize,
        src: *const S::Scalar,
        line_stride: isize,
        depth_stride: isize,
        dst: *mut S::Scalar,
    ) {
        // SAFETY: forwarded contract.
        unsafe { K::pack(unit, extent, kc, src, line_stride, depth_stride, dst) }
    }

    const A_SPREAD: usize = 1;

    #[inline(always)]
    unsafe fn pack_a(
        extent: usize,
        kc: usize,
        src: *const S::Scalar,
        row_stride: isize,
        col_stride: isize,
        dst: *mut S::Scalar,
    ) {
        // SAFETY: forwarded contract (A_SPREAD is 1).
        unsafe { K::pack(K::MR, extent, kc, src, row_stride, col_stride, dst) }
    }

    #[inline(always)]
    unsafe fn tile(
        &self,
        kc: usize,
        depth: usize,
        a: *const S::Scalar,
        b: *const S::Scalar,
        i: usize,
        j: usize,
        rows: usize,
        cols: usize,
        load_c: bool,
    ) {
        // SAFETY: (i, j) lies in the checked footprints of C and argk (same
        // shape), so both offsets stay inside their slices; k < u32::MAX
        // was checked by the caller; the rest is forwarded.
        unsafe {
            self.kernel.tile_arg(
                kc,
                depth,
                a,
                b,
                self.c
                    .get()
                    .offset(i as isize * self.rsc + j as isize * self.csc),
                self.rsc,
                self.csc,
                self.argk
                    .get()
                    .offset(i as isize * self.rsi + j as isize * self.csi),
                self.rsi,
                self.csi,
                rows,
                cols,
                load_c,
            )
        }
    }
}

/// The five loops over any [`TileJob`].
pub(crate) fn run_packed<S: Semiring, J: TileJob<S>>(
    ws: &mut GemmWorkspace,
    tiling: &TilingParams,
    threads: usize,
    a: MatRef<'_, S::Scalar>,
    b: MatRef<'_, S::Scalar>,
    job: J,
    accum: Accum,
) {
    if threads > 1 && rayon::current_thread_index().is_none() {
        // Enter the pool once for the whole product: every fork-join inside
        // then runs on worker-local queues, which do not allocate once
        // warm, instead of going through the global injector per panel.
        rayon::join(
            || run_packed::<S, J>(ws, tiling, threads, a, b, job, accum),
            || (),
        );
        return;
    }
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    debug_assert!(m > 0 && n > 0 && k > 0);
    let (mr, nr) = (J::MR, J::NR);
    // Clamped to the problem: buffer sizes stay within what
    // `check_packed_sizes` accepted, whatever the tiling override says.
    let (mc, kc, nc) = (tiling.mc.min(m), tiling.kc.min(k), tiling.nc.min(n));
    let grid = TaskGrid::new(threads, m, nc, mr, nr);
    let a_elems = mc.min(grid.rows_per_part).div_ceil(mr) * mr * kc * J::A_SPREAD;
    let packed_b = SharedPtr(ws.packed_b.reserve::<S::Scalar>(nc.div_ceil(nr) * nr * kc));
    let a_bases = ws.reserve_a_buffers::<S::Scalar>(grid.tasks(), a_elems);
    let (pa, rsa, csa) = (
        SharedPtr(a.as_ptr().cast_mut()),
        a.row_stride(),
        a.col_stride(),
    );
    let (pb, rsb, csb) = (
        SharedPtr(b.as_ptr().cast_mut()),
        b.row_stride(),
        b.col_stride(),
    );

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
                let col = (jc + first * nr) as isize;
                // SAFETY: columns jc+first·nr .. +cols and depths pc..pc+kc_cur
                // lie in B's checked footprint; panels first..last of
                // packed_b are this chunk's alone and within its
                // ceil(nc/nr)·nr·kc reservation; the job's kernel (and so
                // its packing entry) was bound only for a CPU with its ISA.
                unsafe {
                    J::pack_b(
                        nr,
                        cols,
                        kc_cur,
                        pb.get().cast_const().offset(pc as isize * rsb + col * csb),
                        csb,
                        rsb,
                        packed_b.get().add(first * nr * kc_cur),
                    )
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
                    // elements.
                    unsafe {
                        J::pack_a(
                            mc_cur,
                            kc_cur,
                            pa.get()
                                .cast_const()
                                .offset(ic as isize * rsa + pc as isize * csa),
                            rsa,
                            csa,
                            packed_a,
                        )
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
                                job.tile(
                                    kc_cur,
                                    pc,
                                    packed_a.add(ir * kc_cur * J::A_SPREAD),
                                    packed_b.get().add(jr * kc_cur),
                                    ic + ir,
                                    jc + jr,
                                    rows,
                                    cols,
                                    load_c,
                                )
                            };
                        }
                    }
                }
            };
            let tasks = grid.row_parts * col_parts;
            crate::frame::run_tasks(tasks, run_task);
        }
    }
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
