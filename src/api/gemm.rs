//! The safe entry points.

use std::cell::RefCell;

use crate::binding::dispatch::resolve_level;
use crate::blocking::TilingParams;
use crate::config::{Accum, GemmConfig};
use crate::error::{Error, Operand};
use crate::isa::IsaLevel;
use crate::semiring::Kernel;
use crate::semiring::Semiring;
use crate::semiring::kernel::{BatchFn, GemmFn};
use crate::view::{MatMut, MatRef};
use crate::workspace::GemmWorkspace;

/// Products smaller than this (m·n·k) run on one thread: below it a
/// rayon fork-join costs more than the second core saves.
pub(crate) const PARALLEL_MIN_OPS: usize = 128 * 128 * 128;

thread_local! {
    static THREAD_WORKSPACE: RefCell<GemmWorkspace> = RefCell::new(GemmWorkspace::new());
}

/// C = A ⊗ B (`Accum::Replace`) or C = C ⊕ (A ⊗ B) (`Accum::Combine`)
/// over the semiring `S`.
///
/// Uses a per-thread workspace (so repeated calls do not allocate) and the
/// default configuration. On error nothing has been written to C.
///
/// ```
/// use tropical_blas::{gemm, Accum, MatMut, MatRef, MaxPlus};
/// let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2×3, row-major
/// let b = [1.0f32, 0.0, 0.0, 1.0, 2.0, 2.0]; // 3×2, column-major
/// let mut c = [0.0f32; 4];
/// gemm::<MaxPlus<f32>>(
///     MatRef::row_major(&a, 2, 3)?,
///     MatRef::col_major(&b, 3, 2)?,
///     MatMut::row_major(&mut c, 2, 2)?,
///     Accum::Replace,
/// )?;
/// assert_eq!(c, [3.0, 5.0, 6.0, 8.0]);
/// # Ok::<(), tropical_blas::Error>(())
/// ```
pub fn gemm<S: Semiring>(
    a: MatRef<'_, S::Scalar>,
    b: MatRef<'_, S::Scalar>,
    c: MatMut<'_, S::Scalar>,
    accum: Accum,
) -> Result<(), Error> {
    with_thread_workspace(|ws| gemm_with::<S>(ws, &GemmConfig::default(), a, b, c, accum))
}

/// Runs `f` with this thread's cached workspace (a fresh one if it is
/// already in use, when `gemm` is re-entered from inside a user semiring).
pub(crate) fn with_thread_workspace<R>(f: impl FnOnce(&mut GemmWorkspace) -> R) -> R {
    THREAD_WORKSPACE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut ws) => f(&mut ws),
        Err(_) => f(&mut GemmWorkspace::new()),
    })
}

/// [`gemm`] with an explicit workspace and configuration.
///
/// ```
/// use tropical_blas::{gemm_with, Accum, GemmConfig, GemmWorkspace, MatMut, MatRef, MinPlus};
/// let mut ws = GemmWorkspace::new();
/// let cfg = GemmConfig::default();
/// let d = [0.0f64, 4.0, 1.0, 0.0]; // edge weights, 2 nodes
/// let mut d2 = [0.0f64; 4];
/// gemm_with::<MinPlus<f64>>(
///     &mut ws, &cfg,
///     MatRef::row_major(&d, 2, 2)?,
///     MatRef::row_major(&d, 2, 2)?,
///     MatMut::row_major(&mut d2, 2, 2)?,
///     Accum::Replace,
/// )?;
/// assert_eq!(d2, [0.0, 4.0, 1.0, 0.0]);
/// # Ok::<(), tropical_blas::Error>(())
/// ```
pub fn gemm_with<S: Semiring>(
    ws: &mut GemmWorkspace,
    cfg: &GemmConfig,
    a: MatRef<'_, S::Scalar>,
    b: MatRef<'_, S::Scalar>,
    c: MatMut<'_, S::Scalar>,
    accum: Accum,
) -> Result<(), Error> {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    if b.rows() != k || c.rows() != m || c.cols() != n {
        return Err(Error::DimensionMismatch {
            a: (a.rows(), a.cols()),
            b: (b.rows(), b.cols()),
            c: (c.rows(), c.cols()),
        });
    }
    let prepared = Prepared::<S>::new(cfg)?;
    prepared.check_packed_sizes(m, n, k)?;
    prepared.check_inputs(a, Operand::A)?;
    prepared.check_inputs(b, Operand::B)?;
    prepared.run(ws, a, b, c, accum);
    Ok(())
}

/// A configuration checked once, with its kernel resolved: what batched
/// calls reuse for every item.
pub(crate) struct Prepared<S: Semiring> {
    kernel: Kernel<S>,
    tiling: Option<TilingParams>,
    par: crate::config::Par,
}

impl<S: Semiring> Prepared<S> {
    pub(crate) fn new(cfg: &GemmConfig) -> Result<Self, Error> {
        if let Some(t) = cfg.tiling() {
            t.validate()?;
        }
        let level = resolve_level(cfg.isa())?;
        crate::binding::tuning::tuned()?;
        Ok(Self {
            kernel: S::kernel(level),
            tiling: cfg.tiling(),
            par: cfg.par(),
        })
    }

    /// See [`check_inputs`].
    pub(crate) fn check_inputs(
        &self,
        x: MatRef<'_, S::Scalar>,
        operand: Operand,
    ) -> Result<(), Error> {
        check_inputs::<S>(x, operand, self.kernel.isa())
    }

    /// See [`check_packed_sizes`].
    pub(crate) fn check_packed_sizes(&self, m: usize, n: usize, k: usize) -> Result<(), Error> {
        // Bounds the packed path's buffers and the direct path's (its row
        // panels of A, its column panels of B), whichever tile is larger.
        let (small_rows, small_cols) = self.kernel.small_tile();
        check_packed_sizes::<S::Scalar>(
            m,
            n,
            k,
            self.kernel.mr().max(small_rows),
            self.kernel.nr().max(small_cols),
        )
    }

    /// The same with another threading setting.
    pub(crate) fn with_par(self, par: crate::config::Par) -> Self {
        Self { par, ..self }
    }

    /// Computes one product whose shapes and inputs were checked.
    pub(crate) fn run(
        &self,
        ws: &mut GemmWorkspace,
        a: MatRef<'_, S::Scalar>,
        b: MatRef<'_, S::Scalar>,
        c: MatMut<'_, S::Scalar>,
        accum: Accum,
    ) {
        self.plan(a.rows(), b.cols(), a.cols())
            .execute(ws, a, b, c, accum);
    }

    /// The blocking, thread count and route for an m×k by k×n product:
    /// worked out once for all items of a batch.
    pub(crate) fn plan(&self, m: usize, n: usize, k: usize) -> Plan<S> {
        let kernel = &self.kernel;
        let tiling = self.tiling.unwrap_or_else(|| {
            TilingParams::for_kernel(
                m,
                n,
                k,
                kernel.mr(),
                kernel.nr(),
                std::mem::size_of::<S::Scalar>(),
                kernel.a_spread(),
                kernel.isa(),
            )
        });
        let ops = m.saturating_mul(n).saturating_mul(k);
        let threads = if ops < PARALLEL_MIN_OPS {
            1
        } else {
            self.par.threads()
        };
        let direct = use_direct_path(m, n, k, ops, &tiling, kernel);
        Plan {
            tiling,
            threads,
            route: if direct { kernel.small } else { kernel.packed },
            // Batches of direct-path products that run on one thread each.
            batch_entry: kernel.batch.filter(|_| direct && ops < PARALLEL_MIN_OPS),
        }
    }
}

/// How to compute products of one shape (see [`Prepared::plan`]).
pub(crate) struct Plan<S: Semiring> {
    tiling: TilingParams,
    threads: usize,
    route: GemmFn<S>,
    batch_entry: Option<BatchFn<S::Scalar>>,
}

impl<S: Semiring> Plan<S> {
    /// The kernel's batch entry, if items of this shape may use it.
    pub(crate) fn batch_entry(&self) -> Option<BatchFn<S::Scalar>> {
        self.batch_entry
    }

    /// Computes one product of the planned shape whose inputs were checked.
    pub(crate) fn execute(
        &self,
        ws: &mut GemmWorkspace,
        a: MatRef<'_, S::Scalar>,
        b: MatRef<'_, S::Scalar>,
        mut c: MatMut<'_, S::Scalar>,
        accum: Accum,
    ) {
        let (m, k, n) = (a.rows(), a.cols(), b.cols());
        debug_assert!(b.rows() == k && c.rows() == m && c.cols() == n);
        if m == 0 || n == 0 {
            return;
        }
        if k == 0 {
            fill_empty_product::<S>(&mut c, accum);
            return;
        }
        (self.route)(ws, &self.tiling, self.threads, a, b, c, accum);
    }
}

/// Packing A pays when each packed row panel is reused across several
/// column panels. Small products, and products with a single column panel
/// of the direct path (n ≤ its tile width: tall-skinny, matrix-vector),
/// read A in place instead (measured
/// 2.3-2.5x faster on those shapes). So do products with at most MR/2
/// rows of its tile (vector-matrix, short-wide): the direct path gives them wider
/// tiles instead of padding C's rows to MR, and reads B once, in place,
/// instead of packing all of it. And so do products with a short inner
/// dimension (k ≤ [`DIRECT_MAX_K`], outer products among them): writing
/// C dominates them, and the direct path writes it row panel by row
/// panel, where the packed path's column-panel order wrote 16 rows at a
/// time across a whole block (2048×k×2048, AVX-512: 3.2x faster at
/// k = 1, 2.5x at k = 16, level at k = 64). The thresholds are the
/// direct path's own tile (16 × one vector on AVX-512), not the packed
/// tile, which is 8 rows of two vectors for some kernels: with the packed
/// tile's 128 columns, a 128×128×128 bool product went direct and ran at
/// 119 against the packed path's 144 G ops/s.
fn use_direct_path<S: Semiring>(
    m: usize,
    n: usize,
    k: usize,
    ops: usize,
    tiling: &TilingParams,
    kernel: &Kernel<S>,
) -> bool {
    let (tile_rows, tile_cols) = kernel.small_tile();
    let few_rows = m <= tile_rows / 2 || n <= tile_cols;
    let short_k = k <= DIRECT_MAX_K && kernel.isa() > IsaLevel::Scalar;
    ops <= tiling.small_ops || (tiling.small_ops > 0 && (few_rows || short_k))
}

/// The longest inner dimension routed to the direct path whatever the
/// other two (see `use_direct_path`).
const DIRECT_MAX_K: usize = 16;

/// Zero strides let a tiny slice describe a huge matrix: refuse shapes
/// whose packing buffers (at most (extent + tile) × k elements each, times
/// [`crate::kernels::micro::MAX_A_SPREAD`] copies for A) would not fit in memory's address range,
/// before anything is written.
pub(crate) fn check_packed_sizes<T>(
    m: usize,
    n: usize,
    k: usize,
    mr: usize,
    nr: usize,
) -> Result<(), Error> {
    let bytes = |extent: usize, unit: usize| {
        extent
            .checked_add(unit)
            .and_then(|x| x.checked_mul(k))
            .and_then(|x| x.checked_mul(std::mem::size_of::<T>()))
            .filter(|&x| x <= isize::MAX as usize)
    };
    let a_bytes = bytes(m, mr).and_then(|x| x.checked_mul(crate::kernels::micro::MAX_A_SPREAD));
    match (a_bytes.filter(|&x| x <= isize::MAX as usize), bytes(n, nr)) {
        (Some(_), Some(_)) => Ok(()),
        _ => Err(Error::LayoutOverflow),
    }
}

/// The kernel `gemm` runs for `S` at the active level (the detected one,
/// capped by `TROPICAL_BLAS_ISA`).
pub fn kernel_for<S: Semiring>() -> Result<Kernel<S>, Error> {
    Ok(S::kernel(resolve_level(None)?))
}

/// The kernel for `S` at an explicit level, or the error a call at that
/// level would return.
pub fn kernel_at<S: Semiring>(level: IsaLevel) -> Result<Kernel<S>, Error> {
    Ok(S::kernel(resolve_level(Some(level))?))
}

/// Checks that `S` accepts every element of `x` as input, scanning with
/// AVX2 where `level` (the active kernel's) has it.
pub(crate) fn check_inputs<S: Semiring>(
    x: MatRef<'_, S::Scalar>,
    operand: Operand,
    level: IsaLevel,
) -> Result<(), Error> {
    if !S::RESTRICTS_INPUT || x.rows() == 0 || x.cols() == 0 {
        return Ok(());
    }
    let scan = |line: &[S::Scalar]| crate::binding::scan::first_refused::<S>(line, level);
    let refused = |v: S::Scalar| !S::accepts_input(v);
    let first = if let Some(all) = x.row_major_slice() {
        // A gapless row-major matrix scans as one slice: row by row, a
        // 2^20×4 A made a million calls of four elements each (a 2^20×4×4
        // MaxPlus<i32> product on one thread, AVX-512: 19.4 → 6.2 ms).
        scan(all).map(|at| (at / x.cols(), at % x.cols()))
    } else if x.col_stride() == 1 || x.row_stride() != 1 {
        // Contiguous lines scan as slices (vectorized); other layouts
        // element by element.
        (0..x.rows()).find_map(|i| match x.row_slice(i) {
            Some(row) => scan(row).map(|j| (i, j)),
            None => (0..x.cols())
                .find(|&j| x.get(i, j).is_some_and(refused))
                .map(|j| (i, j)),
        })
    } else {
        // Column by column, or as one slice when the columns follow each
        // other without gaps; a refused value is then looked up again to
        // report the first offender in row-major order, as the row-wise
        // scan would.
        let found = match x.t().row_major_slice() {
            Some(all) => scan(all).is_some(),
            None => (0..x.cols()).any(|j| scan(x.col_slice(j).expect("row stride is 1")).is_some()),
        };
        found.then(|| {
            (0..x.rows())
                .flat_map(|r| (0..x.cols()).map(move |c| (r, c)))
                .find(|&(r, c)| x.get(r, c).is_some_and(refused))
                .expect("the scan and the lookup use the same test")
        })
    };
    match first {
        Some((row, col)) => Err(Error::ValueOutOfRange { operand, row, col }),
        None => Ok(()),
    }
}

/// k = 0: every entry of A ⊗ B is the empty ⊕, ZERO.
fn fill_empty_product<S: Semiring>(c: &mut MatMut<'_, S::Scalar>, accum: Accum) {
    for i in 0..c.rows() {
        for j in 0..c.cols() {
            let value = match (accum, c.get(i, j)) {
                (Accum::Combine, Some(old)) => S::add(old, S::ZERO),
                _ => S::ZERO,
            };
            c.set(i, j, value);
        }
    }
}
