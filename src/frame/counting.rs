//! The counting product's loop: BLIS-style blocks (columns by `NC`, depth
//! by `KC`, rows by `MC`), value and count planes packed side by side, and
//! the tile of the kernel handle on every MR×NR block of C. ISA-blind: the
//! tile is a function pointer in the handle.
//!
//! The accumulators go through a small tile buffer: it is loaded from C
//! (or set to ZERO on the first depth block of a `Replace`), folded by the
//! kernel and stored back, so edge tiles need no masked kernels and every
//! depth block continues the fold of the one before. On the last depth
//! block the counts of outputs whose value is ZERO's are set to 0: a −∞
//! product (max) ties −∞ and adds its count inside the kernel, and this is
//! where ZERO's absorption is restored (the count of a ZERO is 0 whatever
//! the products that tied it).
//!
//! Tasks split C into column (or row) strips. Each output is folded by
//! one task, in increasing k; the values are selections and the counts
//! exact integer sums (below 2^53, which the API guarantees), so the
//! result is the same for every split and thread count.

use crate::config::Accum;
use crate::error::Error;
use crate::frame::{run_tasks, split};
use crate::semiring::counting::{CountingKernel, CountingSemiring, CountingTile};
use crate::view::MatRef;
use crate::workspace::{GemmWorkspace, SharedPtr};

/// Depth of a block. Every depth block loads and stores each tile of C
/// through the tile buffer, 12 bytes an f32 entry from memory for a large
/// C, so a deep block pays that less often; B's micro-panel (KC × NR, 64
/// KiB of f32 values) then streams from L2, which the compare-bound tiles
/// do not notice.
const KC: usize = 1024;
/// Rows of a packed A block: a multiple of every tile's MR (3, 4, 6, 12).
const MC: usize = 96;
/// Columns of a packed B block (multiple of every NR: 4, 8, 16). A is
/// packed again for every column block, so a wide one packs it less
/// often; B's block (6 MiB for f32 at KC) is read from L3 a micro-panel
/// at a time, each reused by the MC / MR tiles of a row block.
const NC: usize = 512;
/// Products smaller than this (m·n·k) run on one task.
const PARALLEL_MIN_OPS: usize = 64 * 64 * 64;
/// The largest tile (MR·NR) of any counting kernel.
const MAX_TILE: usize = 16 * 16;

/// A and B of a counting product: value and count planes.
#[derive(Clone, Copy)]
pub(crate) struct Operands<'a, T> {
    /// A's values, m × k.
    pub a_values: MatRef<'a, T>,
    /// A's counts, m × k.
    pub a_counts: MatRef<'a, f64>,
    /// B's values, k × n.
    pub b_values: MatRef<'a, T>,
    /// B's counts, k × n.
    pub b_counts: MatRef<'a, f64>,
}

/// C's planes as pointers to element (0, 0) and strides: tasks write
/// disjoint strips of it.
#[derive(Clone, Copy)]
pub(crate) struct Output<T> {
    /// Value of (0, 0).
    pub values: SharedPtr<T>,
    /// Row and column strides of the values.
    pub value_strides: (isize, isize),
    /// Count of (0, 0).
    pub counts: SharedPtr<f64>,
    /// Row and column strides of the counts.
    pub count_strides: (isize, isize),
}

/// Rounds `x` up to a multiple of `unit`.
fn round_up(x: usize, unit: usize) -> usize {
    x.div_ceil(unit) * unit
}

/// Bytes of one task's packing buffers, each plane 64-byte aligned.
fn task_bytes<T>(mc: usize, nc: usize, kc: usize) -> usize {
    let plane = |elems: usize, size: usize| round_up(elems * size, 64);
    let t = std::mem::size_of::<T>();
    plane(mc * kc, t) + plane(mc * kc, 8) + plane(kc * nc, t) + plane(kc * nc, 8)
}

/// How a product of m × k by k × n splits: by column or row strips,
/// the units (tile columns or rows) the tasks share, the blocks, and the
/// bytes of each task's buffer.
struct Plan {
    by_columns: bool,
    units: usize,
    tasks: usize,
    blocks: (usize, usize, usize),
    bytes: usize,
}

impl Plan {
    fn new<S: CountingSemiring>(
        kernel: CountingKernel<S>,
        threads: usize,
        (m, k, n): (usize, usize, usize),
    ) -> Self {
        let (mr, nr) = (kernel.mr, kernel.nr);
        let by_columns = n >= m;
        let units = if by_columns {
            n.div_ceil(nr)
        } else {
            m.div_ceil(mr)
        };
        let wanted = if m * n * k < PARALLEL_MIN_OPS {
            1
        } else {
            threads
        };
        let tasks = wanted.clamp(1, units);
        let strip_rows = if by_columns {
            m
        } else {
            m.div_ceil(tasks) + mr
        };
        let strip_cols = if by_columns {
            n.div_ceil(tasks) + nr
        } else {
            n
        };
        let (mc, nc, kc) = (
            MC.min(round_up(strip_rows, mr)),
            NC.min(round_up(strip_cols, nr)),
            KC.min(k),
        );
        Self {
            by_columns,
            units,
            tasks,
            blocks: (mc, nc, kc),
            bytes: task_bytes::<S::Value>(mc, nc, kc),
        }
    }
}

/// Reserves in `ws` what [`counting_product`] of this shape will take,
/// so that a batch can fail before it writes its first item rather than
/// midway.
pub(crate) fn reserve_workspace<S: CountingSemiring>(
    kernel: CountingKernel<S>,
    ws: &mut GemmWorkspace,
    threads: usize,
    (m, k, n): (usize, usize, usize),
) -> Result<(), Error> {
    if m == 0 || n == 0 || k == 0 {
        return Ok(());
    }
    let plan = Plan::new(kernel, threads, (m, k, n));
    ws.reserve_a_buffers::<u8>(plan.tasks, plan.bytes)
        .map(|_| ())
}

/// C ← A ⊗ B (`Replace`) or C ⊕ A ⊗ B (`Combine`) for m, n, k > 0, on
/// `threads` tasks at most.
///
/// # Safety
/// `out` addresses an m × n matrix writable through its strides, whose
/// elements no other thread touches, and which overlaps neither operand.
pub(crate) unsafe fn counting_product<S: CountingSemiring>(
    kernel: CountingKernel<S>,
    ws: &mut GemmWorkspace,
    threads: usize,
    ops: Operands<'_, S::Value>,
    out: Output<S::Value>,
    accum: Accum,
) -> Result<(), Error> {
    let (m, k, n) = (
        ops.a_values.rows(),
        ops.a_values.cols(),
        ops.b_values.cols(),
    );
    let (mr, nr) = (kernel.mr, kernel.nr);
    assert!(m > 0 && n > 0 && k > 0 && mr * nr <= MAX_TILE);
    let Plan {
        by_columns,
        units,
        tasks,
        blocks: (mc, nc, kc),
        bytes,
    } = Plan::new(kernel, threads, (m, k, n));
    let bases = ws.reserve_a_buffers::<u8>(tasks, bytes)?.to_vec();
    run_tasks(tasks, |task| {
        let (first, last) = split(units, tasks, task);
        let (rows, cols) = if by_columns {
            ((0, m), (first * nr, (last * nr).min(n)))
        } else {
            ((first * mr, (last * mr).min(m)), (0, n))
        };
        // SAFETY: the task's buffer holds `bytes` (reserved above), its
        // strip of C is its own, and the caller's contract covers `out`.
        unsafe {
            strip::<S>(
                kernel,
                ops,
                out,
                accum,
                rows,
                cols,
                (mc, nc, kc),
                bases[task].get(),
            )
        };
    });
    Ok(())
}

/// One task: the strip rows × cols of C.
///
/// # Safety
/// `buf` holds `task_bytes(mc, nc, kc)`, 64-byte aligned; the strip of
/// `out` is this task's alone.
#[allow(clippy::too_many_arguments)]
unsafe fn strip<S: CountingSemiring>(
    kernel: CountingKernel<S>,
    ops: Operands<'_, S::Value>,
    out: Output<S::Value>,
    accum: Accum,
    rows: (usize, usize),
    cols: (usize, usize),
    (mc, nc, kc): (usize, usize, usize),
    buf: *mut u8,
) {
    let k = ops.a_values.cols();
    let (mr, nr) = (kernel.mr, kernel.nr);
    let t = std::mem::size_of::<S::Value>();
    let plane = |elems: usize, size: usize| round_up(elems * size, 64);
    // SAFETY: the four planes lie inside the buffer (task_bytes).
    let (a_v, a_c, b_v, b_c) = unsafe {
        let a_v = buf.cast::<S::Value>();
        let a_c = buf.add(plane(mc * kc, t)).cast::<f64>();
        let b_v = buf
            .add(plane(mc * kc, t) + plane(mc * kc, 8))
            .cast::<S::Value>();
        let b_c = buf
            .add(plane(mc * kc, t) + plane(mc * kc, 8) + plane(kc * nc, t))
            .cast::<f64>();
        (a_v, a_c, b_v, b_c)
    };
    let mut buffer = TileBuffer::<S>::new(mr, nr);
    for jc in (cols.0..cols.1).step_by(nc) {
        let ncb = nc.min(cols.1 - jc);
        for pc in (0..k).step_by(kc) {
            let kcb = kc.min(k - pc);
            let (first_block, last_block) = (pc == 0, pc + kcb == k);
            // SAFETY: the B planes hold kc × round_up(ncb, nr) (nc is a
            // multiple of nr).
            unsafe {
                pack::<S>(
                    ops.b_values.t(),
                    ops.b_counts.t(),
                    jc,
                    ncb,
                    pc,
                    kcb,
                    nr,
                    b_v,
                    b_c,
                )
            };
            for ic in (rows.0..rows.1).step_by(mc) {
                let mcb = mc.min(rows.1 - ic);
                // SAFETY: as for B, mc a multiple of mr.
                unsafe { pack::<S>(ops.a_values, ops.a_counts, ic, mcb, pc, kcb, mr, a_v, a_c) };
                for jr in (0..ncb).step_by(nr) {
                    for ir in (0..mcb).step_by(mr) {
                        let block = Block {
                            i0: ic + ir,
                            j0: jc + jr,
                            rows: mr.min(mcb - ir),
                            cols: nr.min(ncb - jr),
                        };
                        let fresh = first_block && accum == Accum::Replace;
                        // SAFETY: the block lies in the strip.
                        unsafe { buffer.load(out, block, fresh) };
                        // SAFETY: A's panel ir / mr and B's panel jr / nr,
                        // each kcb deep, are inside the planes.
                        let (a_values, a_counts, b_values, b_counts) = unsafe {
                            (
                                a_v.add(ir * kcb),
                                a_c.add(ir * kcb),
                                b_v.add(jr * kcb),
                                b_c.add(jr * kcb),
                            )
                        };
                        let tile = CountingTile {
                            kc: kcb,
                            a_values,
                            a_counts,
                            b_values,
                            b_counts,
                            acc_values: buffer.values.as_mut_ptr(),
                            acc_counts: buffer.counts.as_mut_ptr(),
                        };
                        // SAFETY: the tile reads kcb × mr of A's panel,
                        // kcb × nr of B's, and the mr × nr buffers.
                        unsafe { (kernel.tile)(tile) };
                        // SAFETY: as for the load.
                        unsafe { buffer.store(out, block, last_block) };
                    }
                }
            }
        }
    }
}

/// Packs rows `first..first + extent` (depths `p0..p0 + kc`) of the
/// planes `values`/`counts` into panels of `unit` rows: panel r holds
/// `[kc][unit]` at `r·unit·kc`, rows past the extent padded with ZERO
/// (its value, count 0), which no tile can see as a product. B is packed
/// through its transpose.
///
/// # Safety
/// The destinations hold `kc · round_up(extent, unit)` elements.
#[allow(clippy::too_many_arguments)]
unsafe fn pack<S: CountingSemiring>(
    values: MatRef<'_, S::Value>,
    counts: MatRef<'_, f64>,
    first: usize,
    extent: usize,
    p0: usize,
    kc: usize,
    unit: usize,
    dst_values: *mut S::Value,
    dst_counts: *mut f64,
) {
    let (vp, vrs, vcs) = (values.as_ptr(), values.row_stride(), values.col_stride());
    let (cp, crs, ccs) = (counts.as_ptr(), counts.row_stride(), counts.col_stride());
    // Element (row, p) of the extent into panel place `at`.
    let move_one = |row: usize, p: usize, at: usize| {
        let (v, c) = if row < extent {
            let (i, j) = ((first + row) as isize, (p0 + p) as isize);
            // SAFETY: (first + row, p0 + p) is inside both views, whose
            // strides stay inside their checked slices.
            unsafe { (*vp.offset(i * vrs + j * vcs), *cp.offset(i * crs + j * ccs)) }
        } else {
            (S::ZERO_VALUE, 0.0)
        };
        // SAFETY: `at` is below kc · round_up(extent, unit).
        unsafe {
            *dst_values.add(at) = v;
            *dst_counts.add(at) = c;
        }
    };
    // Depth p of one panel: its writes run in order.
    let move_depth = |panel: usize, p: usize| {
        let at = panel * unit * kc + p * unit;
        for r in 0..unit {
            move_one(panel * unit + r, p, at + r);
        }
    };
    // A source whose panel rows are contiguous (a row-major B, read
    // through its transpose) is read a depth at a time across all panels,
    // one stream; panel by panel each depth would be another line, 4 KiB
    // apart at n = 1024, and another page. Otherwise (a row-major A)
    // panel by panel, depth outer, which keeps `unit` rows' lines in use.
    let panels = extent.div_ceil(unit);
    if vrs.unsigned_abs() < vcs.unsigned_abs() {
        for p in 0..kc {
            (0..panels).for_each(|panel| move_depth(panel, p));
        }
    } else {
        for panel in 0..panels {
            (0..kc).for_each(|p| move_depth(panel, p));
        }
    }
}

/// An `rows` × `cols` block of C at (`i0`, `j0`): one tile's outputs.
#[derive(Clone, Copy)]
struct Block {
    i0: usize,
    j0: usize,
    rows: usize,
    cols: usize,
}

impl Block {
    /// Row r of the block in C's value and count planes.
    ///
    /// # Safety
    /// The block lies in C.
    unsafe fn row<T: Copy>(self, out: &Output<T>, r: usize) -> (RowOfC<T>, RowOfC<f64>) {
        let (i, j) = ((self.i0 + r) as isize, self.j0 as isize);
        // SAFETY: (i0 + r, j0) is in C (the caller's contract).
        unsafe {
            (
                RowOfC::at(out.values.get(), out.value_strides, i, j),
                RowOfC::at(out.counts.get(), out.count_strides, i, j),
            )
        }
    }
}

/// A tile's accumulators between C and the kernel: values and counts,
/// `[MR][nr]` row-major.
struct TileBuffer<S: CountingSemiring> {
    values: [S::Value; MAX_TILE],
    counts: [f64; MAX_TILE],
    mr: usize,
    nr: usize,
}

impl<S: CountingSemiring> TileBuffer<S> {
    fn new(mr: usize, nr: usize) -> Self {
        Self {
            values: [S::ZERO_VALUE; MAX_TILE],
            counts: [0.0; MAX_TILE],
            mr,
            nr,
        }
    }

    /// Fills the buffer with the block of C, or with ZERO when `fresh`;
    /// the rest of the tile is ZERO.
    ///
    /// # Safety
    /// The block lies in C and in this task's strip.
    unsafe fn load(&mut self, out: Output<S::Value>, block: Block, fresh: bool) {
        let tile = self.mr * self.nr;
        if fresh || block.rows < self.mr || block.cols < self.nr {
            self.values[..tile].fill(S::ZERO_VALUE);
            self.counts[..tile].fill(0.0);
        }
        if fresh {
            return;
        }
        for r in 0..block.rows {
            let at = r * self.nr;
            // SAFETY: row r of the block, `block.cols` long, is in C (the
            // caller's contract).
            unsafe {
                let (values, counts) = block.row(&out, r);
                values.read_into(&mut self.values[at..at + block.cols]);
                counts.read_into(&mut self.counts[at..at + block.cols]);
            }
        }
    }

    /// Writes the buffer's block back to C; on the `last` depth block, a
    /// ZERO value gets count 0.
    ///
    /// # Safety
    /// As [`TileBuffer::load`].
    unsafe fn store(&mut self, out: Output<S::Value>, block: Block, last: bool) {
        for r in 0..block.rows {
            let at = r * self.nr;
            let values = &self.values[at..at + block.cols];
            let counts = &mut self.counts[at..at + block.cols];
            if last {
                for (count, &value) in counts.iter_mut().zip(values) {
                    if value == S::ZERO_VALUE {
                        *count = 0.0;
                    }
                }
            }
            // SAFETY: as for the load; the strip is this task's alone.
            unsafe {
                let (value_row, count_row) = block.row(&out, r);
                value_row.write_from(values);
                count_row.write_from(counts);
            }
        }
    }
}

/// Row r of a block in one plane of C: its first element and the column
/// stride (1 in the common row-major case, which copies as a slice).
struct RowOfC<T> {
    first: *mut T,
    col_stride: isize,
}

impl<T: Copy> RowOfC<T> {
    /// The row from element (i, j) of a plane with these strides.
    ///
    /// # Safety
    /// (i, j) is in the plane.
    unsafe fn at(
        plane: *mut T,
        (row_stride, col_stride): (isize, isize),
        i: isize,
        j: isize,
    ) -> Self {
        Self {
            // SAFETY: (i, j) is in the plane, so the offset stays inside it.
            first: unsafe { plane.offset(i * row_stride + j * col_stride) },
            col_stride,
        }
    }

    /// `to.len()` elements of the row into `to`.
    ///
    /// # Safety
    /// The row holds `to.len()` elements of C from `first`.
    unsafe fn read_into(&self, to: &mut [T]) {
        if self.col_stride == 1 {
            // SAFETY: they are contiguous (unit stride), inside C.
            to.copy_from_slice(unsafe { std::slice::from_raw_parts(self.first, to.len()) });
        } else {
            for (j, x) in to.iter_mut().enumerate() {
                // SAFETY: element j of the row is in C.
                *x = unsafe { *self.first.offset(j as isize * self.col_stride) };
            }
        }
    }

    /// `from` into the row's first `from.len()` elements.
    ///
    /// # Safety
    /// As [`RowOfC::read_into`], and no other thread touches them.
    unsafe fn write_from(&self, from: &[T]) {
        if self.col_stride == 1 {
            // SAFETY: contiguous and inside C, this task's alone; C
            // overlaps no buffer of the tile.
            unsafe { std::slice::from_raw_parts_mut(self.first, from.len()) }.copy_from_slice(from);
        } else {
            for (j, &x) in from.iter().enumerate() {
                // SAFETY: element j of the row is in C, this task's alone.
                unsafe { *self.first.offset(j as isize * self.col_stride) = x };
            }
        }
    }
}
