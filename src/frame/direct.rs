//! The direct path's loops: how a small product or a batch of them is
//! cut into jobs for the direct tiles (`kernels::simd::direct`).

use crate::batch_view::{BatchMut, BatchRef};
use crate::config::Accum;
use crate::error::Error;
use crate::isa::IsaLevel;
use crate::kernels::micro::MicroKernel;
use crate::kernels::pack::{Block, Lines};
use crate::kernels::simd::VecOps;
use crate::kernels::simd::direct::{BatchProblem, DirectJob, DirectShape};
use crate::semiring::Semiring;
use crate::view::{MatMut, MatRef};
use crate::workspace::{GemmWorkspace, SharedPtr};

/// What the direct driver calls into the ISA's code for: the tiles of one
/// task (a `#[target_feature]` entry: a closure run by rayon would not be
/// compiled with the ISA), and the scan of an operand for ZERO.
pub(crate) struct DirectEntries<T> {
    pub(crate) rows: unsafe fn(&DirectJob<T>),
    pub(crate) holds_zero: fn(MatRef<'_, T>, IsaLevel) -> bool,
}

/// The largest operand a sentinel kernel scans for ZERO to read it in place
/// (see [`direct_driver`]): a quarter of a typical L2.
const SCAN_FOR_ZERO_MAX_BYTES: usize = 256 << 10;

/// The direct path: A is read in place, so a small product, or one whose
/// A would be packed for a single column panel (n ≤ NR), pays no A
/// transpose (the kernels that spread A's values, and the sentinel kernels
/// when A holds ZERO, pack one row panel at a time into a per-task buffer,
/// see [`DirectJob::packs_a`]). B is read in place too where it can be
/// (unit column stride, whole panels, no ZERO for a sentinel kernel to
/// map); the rest of it (the edge columns,
/// which need padding, or all of a strided B) is packed. C with fewer
/// rows than MR gets wider tiles (see [`DirectShape`]). Row panels, or
/// column panels when there are fewer row panels than threads, are split
/// among `threads` tasks, each of which enters the kernel through `rows`
/// (a `#[target_feature]` entry: a closure run by rayon would not be
/// compiled with the ISA).
///
/// The buffers are reserved before anything is written: an error (a
/// workspace that cannot be allocated) leaves C untouched.
///
/// # Safety
/// The shapes agree (A m×k, B k×n, C m×n) with m, n, k ≥ 1, and C
/// aliases neither input (checked views, through `Plan::execute`);
/// `rows` runs `direct_rows::<O, MR, MR/4>`; `K` and `rows` may run on
/// this CPU.
pub(crate) unsafe fn direct_driver<O: VecOps, K: MicroKernel<O::S>, const MR: usize>(
    ws: &mut GemmWorkspace,
    threads: usize,
    a: MatRef<'_, <O::S as Semiring>::Scalar>,
    b: MatRef<'_, <O::S as Semiring>::Scalar>,
    mut c: MatMut<'_, <O::S as Semiring>::Scalar>,
    accum: Accum,
    entries: DirectEntries<<O::S as Semiring>::Scalar>,
) -> Result<(), Error> {
    let DirectEntries { rows, holds_zero } = entries;
    let reserve_only = ws.reserve_only;
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    let load_c = accum == Accum::Combine;
    let shape = DirectShape::for_product(m, n, MR, O::LANES);
    let (tile_rows, width) = (shape.rows(MR), shape.width(MR, O::LANES));
    // The integer sentinel kernels pack to map ZERO; an operand without
    // ZERO maps to itself, and is read in place as every other kernel
    // reads it, after one vectorized scan (cheaper than packing it). Only
    // an operand that stays in cache between the scan and the tiles is
    // scanned: for a larger one (a matrix-vector product's A) the scan
    // would be one more pass over memory, where packing row panel by row
    // panel reads it once. A product that only reserves sizes its buffers
    // for any data: as if the scan found ZERO.
    let as_is = |x: &MatRef<'_, <O::S as Semiring>::Scalar>| {
        O::PACKS_AS_IS
            || (!reserve_only
                && x.rows() * x.cols() * std::mem::size_of::<<O::S as Semiring>::Scalar>()
                    <= SCAN_FOR_ZERO_MAX_BYTES
                && !holds_zero(*x, O::LEVEL))
    };
    let (a_as_is, b_as_is) = (as_is(&a), as_is(&b));
    let b_in_place_cols = if b_as_is && b.col_stride() == 1 {
        n / width * width
    } else {
        0
    };
    let packed_cols = n - b_in_place_cols;
    // Checked: with broadcast views k is not bounded by any slice.
    let packed_b_elems = (packed_cols.div_ceil(width) * width)
        .checked_mul(k)
        .ok_or(Error::WorkspaceTooLarge { bytes: usize::MAX })?;
    let packed_b = ws
        .packed_b
        .reserve::<<O::S as Semiring>::Scalar>(packed_b_elems)?;
    let (row_panels, col_panels) = (m.div_ceil(tile_rows), n.div_ceil(width));
    let wanted = threads.max(1);
    let (row_tasks, col_tasks) = if row_panels >= wanted || col_panels == 1 {
        (wanted.min(row_panels), 1)
    } else {
        (1, wanted.min(col_panels))
    };
    let tasks = row_tasks * col_tasks;
    let pack_a = DirectJob::packs_a::<O>(a_as_is);
    let a_buffers: &[SharedPtr<u8>] = if pack_a {
        let a_elems = (tile_rows * O::A_SPREAD)
            .checked_mul(k)
            .ok_or(Error::WorkspaceTooLarge { bytes: usize::MAX })?;
        ws.reserve_a_buffers::<<O::S as Semiring>::Scalar>(tasks, a_elems)?
    } else {
        &[]
    };
    if reserve_only {
        return Ok(());
    }
    if packed_cols > 0 {
        // SAFETY: columns b_in_place_cols..n of B lie in its checked
        // footprint; packed_b holds ceil(packed_cols/width)·width·k; the
        // caller vouches for K on this CPU.
        unsafe {
            let columns = Block {
                lines: Lines::columns_of(b.raw(), 0, b_in_place_cols),
                extent: packed_cols,
                kc: k,
            };
            K::pack(width, columns, packed_b)
        };
    }
    let job = DirectJob {
        a: a.raw(),
        b: SharedPtr(b.as_ptr().cast_mut()),
        rsb: b.row_stride(),
        b_in_place_cols,
        packed_b: SharedPtr(packed_b),
        pack_a,
        packed_a: SharedPtr(std::ptr::null_mut()),
        c: c.raw_mut(),
        m,
        n,
        k,
        load_c,
        shape,
        first_panel: 0,
        last_panel: row_panels,
        first_col_panel: 0,
        last_col_panel: col_panels,
    };
    let run_task = |task: usize| {
        let (first_panel, last_panel) =
            crate::frame::split(row_panels, row_tasks, task / col_tasks);
        let (first_col_panel, last_col_panel) =
            crate::frame::split(col_panels, col_tasks, task % col_tasks);
        let packed_a = a_buffers
            .get(task)
            .map_or(std::ptr::null_mut(), |buf| buf.get().cast());
        let part = DirectJob {
            first_panel,
            last_panel,
            first_col_panel,
            last_col_panel,
            packed_a: SharedPtr(packed_a),
            ..job
        };
        // SAFETY: `part` covers this task's own row and column panels (a
        // split of this call's counts), so tasks write disjoint tiles of
        // C; when `pack_a`, `a_buffers` has `tasks` entries of
        // tile_rows·A_SPREAD·k elements (reserved above), so `packed_a` is
        // this task's own; `rows` is `direct_rows::<O, MR, MR/4>` and may
        // run on this CPU (caller).
        unsafe { rows(&part) };
    };
    crate::frame::run_tasks(tasks, run_task);
    Ok(())
}

/// The batch entry over `O`'s direct tiles: items are split into
/// `threads` runs of consecutive items, and each run makes one call into
/// the ISA's code (`items`), which walks its items with the next one
/// prefetched. Per item this saves the view, plan and dispatch work of
/// a separate product. Takes only layouts whose B every tile reads in
/// place (unit column stride, whole panels) and kernels that need no
/// mapping of A's values (the bool kernels read A in place here rather
/// than spread it: there is no per-task buffer); returns `false` for the
/// others, having written nothing.
///
/// # Safety
/// `items` runs `direct_batch_items::<O, _>` (whose needs the checks
/// below meet: whole in-place panels of B) and may run on this CPU (it
/// belongs to `O`'s ISA, detected).
pub(crate) unsafe fn direct_batch<O: VecOps>(
    threads: usize,
    a: &BatchRef<'_, <O::S as Semiring>::Scalar>,
    b: &BatchRef<'_, <O::S as Semiring>::Scalar>,
    c: &mut BatchMut<'_, <O::S as Semiring>::Scalar>,
    accum: Accum,
    items: unsafe fn(&BatchProblem<<O::S as Semiring>::Scalar>, usize, usize),
) -> bool {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    let shapes_agree = b.rows() == k && c.rows() == m && c.cols() == n;
    let count = c.count();
    let counts_agree = a.count() == count && b.count() == count;
    let (a, b, c) = (a.operand(), b.operand(), c.operand());
    if !shapes_agree
        || !counts_agree
        || m == 0
        || n == 0
        || k == 0
        || !O::PACKS_AS_IS
        || b.origin.col_stride != 1
        || !n.is_multiple_of(O::LANES)
    {
        return false;
    }
    let problem = BatchProblem {
        a,
        b,
        c,
        load_c: accum == Accum::Combine,
    };
    let tasks = threads.clamp(1, count.max(1));
    let run_task = |task: usize| {
        let (first, last) = crate::frame::split(count, tasks, task);
        // SAFETY: items first..last < count of checked batches (shapes
        // and counts agree, checked above); C's items are disjoint, so
        // tasks write disjoint memory; `items` may run here (caller).
        unsafe { items(&problem, first, last) };
    };
    crate::frame::run_tasks(tasks, run_task);
    true
}
