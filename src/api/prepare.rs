//! From a checked call to a running product: the configuration checked
//! once (kernel, blocking, threads), then a plan per shape. One path for
//! `gemm` and `gemm_argmax`: the kernel handle says which.

use std::marker::PhantomData;

use crate::batch_view::BatchRef;
use crate::binding::dispatch::resolve_level;
use crate::blocking::TilingParams;
use crate::config::{Accum, GemmConfig, Par};
use crate::error::{Error, Operand};
use crate::frame::small::{ScalarOut, scalar_product};
use crate::isa::IsaLevel;
use crate::kernels::micro::MAX_A_SPREAD;
use crate::semiring::kernel::BatchFn;
use crate::semiring::{ArgKernel, Kernel, SelectingSemiring, Semiring};
use crate::view::{MatMut, MatRef};
use crate::workspace::{GemmWorkspace, MAX_WORKSPACE_BYTES, ReservingOnly};

/// Products smaller than this (m·n·k) run on one thread: below it a
/// rayon fork-join costs more than the second core saves.
pub(crate) const PARALLEL_MIN_OPS: usize = 128 * 128 * 128;

/// The longest inner dimension routed to the direct path whatever the
/// other two (see [`ProductKernel::goes_direct`]).
const DIRECT_MAX_K: usize = 16;

/// What a plan needs of a kernel handle: [`Kernel`] (C alone) or
/// [`ArgKernel`] (C and the winning k of every element).
pub(crate) trait ProductKernel<S: Semiring>: Copy + Sync {
    /// The output views: `MatMut`, or `(MatMut, MatMut<u32>)`.
    type Out<'c>: ScalarOut<S> + Send;
    /// The kernel at `level` (already resolved against the CPU).
    fn at_level(level: IsaLevel) -> Self;
    /// The ISA level it needs.
    fn isa(&self) -> IsaLevel;
    /// Rows and columns of its tallest and widest tiles, packed or direct:
    /// what bounds the packing buffers.
    fn largest_tile(&self) -> (usize, usize);
    /// Default block sizes for an m×k by k×n product.
    fn default_tiling(&self, m: usize, n: usize, k: usize) -> TilingParams;
    /// Whether the product takes the unpacked path.
    fn goes_direct(&self, m: usize, n: usize, k: usize, tiling: &TilingParams) -> bool;
    /// The batch entry, for kernels that have one.
    fn batch_entry(&self) -> Option<BatchFn<S::Scalar>>;
    /// The packed route and the direct route.
    fn routes(&self) -> [Route<S, Self>; 2];
}

/// A kernel's product routine: workspace, blocking, threads, A, B, the
/// output, accumulation.
pub(crate) type Route<S, K> = for<'w, 't, 'a, 'b, 'c> fn(
    &'w mut GemmWorkspace,
    &'t TilingParams,
    usize,
    MatRef<'a, <S as Semiring>::Scalar>,
    MatRef<'b, <S as Semiring>::Scalar>,
    <K as ProductKernel<S>>::Out<'c>,
    Accum,
) -> Result<(), Error>;

impl<S: Semiring> ProductKernel<S> for Kernel<S> {
    type Out<'c> = MatMut<'c, S::Scalar>;

    fn at_level(level: IsaLevel) -> Self {
        S::kernel(level)
    }
    fn isa(&self) -> IsaLevel {
        self.tile.isa
    }
    /// The direct path's widest tile is one row of all its vectors.
    fn largest_tile(&self) -> (usize, usize) {
        let (rows, cols) = self.small_tile;
        (self.tile.mr.max(rows), self.tile.nr.max(rows * cols))
    }
    fn default_tiling(&self, m: usize, n: usize, k: usize) -> TilingParams {
        TilingParams::for_kernel(m, n, k, self)
    }

    /// Packing A pays when each packed row panel is reused across several
    /// column panels. Small products read A in place instead, and so do
    /// shapes whose packed tiles would be mostly padding or whose C
    /// traffic dominates: a single column panel of the direct tile (n ≤
    /// its width: tall-skinny, matrix-vector), at most half its rows
    /// (vector-matrix, short-wide: it gets wider tiles), or a short inner
    /// dimension (k ≤ [`DIRECT_MAX_K`], outer products among them; the
    /// direct path writes C row panel by row panel, 2.5× faster at
    /// 2048×16×2048 on AVX-512). The thresholds are the direct path's own
    /// tile, not the packed one.
    fn goes_direct(&self, m: usize, n: usize, k: usize, tiling: &TilingParams) -> bool {
        let ops = m.saturating_mul(n).saturating_mul(k);
        let (tile_rows, tile_cols) = self.small_tile;
        let few_rows = m <= tile_rows / 2 || n <= tile_cols;
        let short_k = k <= DIRECT_MAX_K && self.tile.isa > IsaLevel::Scalar;
        ops <= tiling.small_ops || (tiling.small_ops > 0 && (few_rows || short_k))
    }
    fn batch_entry(&self) -> Option<BatchFn<S::Scalar>> {
        self.batch
    }
    fn routes(&self) -> [Route<S, Self>; 2] {
        [self.packed, self.small]
    }
}

impl<S: SelectingSemiring> ProductKernel<S> for ArgKernel<S> {
    type Out<'c> = (MatMut<'c, S::Scalar>, MatMut<'c, u32>);

    fn at_level(level: IsaLevel) -> Self {
        S::arg_kernel(level)
    }
    fn isa(&self) -> IsaLevel {
        self.tile.isa
    }
    fn largest_tile(&self) -> (usize, usize) {
        (self.tile.mr, self.tile.nr)
    }
    fn default_tiling(&self, m: usize, n: usize, k: usize) -> TilingParams {
        TilingParams::for_argmax_problem::<S::Scalar>(m, n, k, self.tile.mr, self.tile.nr)
    }
    /// Only small products: the argmax kernels have no direct path.
    fn goes_direct(&self, m: usize, n: usize, k: usize, tiling: &TilingParams) -> bool {
        m.saturating_mul(n).saturating_mul(k) <= tiling.small_ops
    }
    fn batch_entry(&self) -> Option<BatchFn<S::Scalar>> {
        None
    }
    fn routes(&self) -> [Route<S, Self>; 2] {
        [self.packed, self.small]
    }
}

/// A configuration checked once, with its kernel resolved: what batched
/// calls reuse for every item.
pub(crate) struct Prepared<S: Semiring, K> {
    kernel: K,
    tiling: Option<TilingParams>,
    par: Par,
    _semiring: PhantomData<fn() -> S>,
}

impl<S: Semiring, K: ProductKernel<S>> Prepared<S, K> {
    pub(crate) fn new(cfg: &GemmConfig) -> Result<Self, Error> {
        if let Some(t) = cfg.tiling() {
            t.validate()?;
        }
        let level = resolve_level(cfg.isa())?;
        crate::binding::tuning::tuned()?;
        Ok(Self {
            kernel: K::at_level(level),
            tiling: cfg.tiling(),
            par: cfg.par(),
            _semiring: PhantomData,
        })
    }

    /// See [`check_inputs`].
    fn check_inputs(&self, x: MatRef<'_, S::Scalar>, operand: Operand) -> Result<(), Error> {
        check_inputs::<S>(x, operand, self.kernel.isa())
    }

    /// See [`check_packed_sizes`].
    fn check_packed_sizes(&self, m: usize, n: usize, k: usize) -> Result<(), Error> {
        let (rows, cols) = self.kernel.largest_tile();
        check_packed_sizes::<S::Scalar>(m, n, k, rows, cols)
    }

    /// A configuration checked for strided batches of A and B whose counts
    /// and shapes the caller checked: the packed sizes of their items'
    /// shape, then every distinct input item, before anything is written.
    /// Items with no output (m = 0 or n = 0) read neither operand, so
    /// only the configuration is checked (as in [`Self::check_product`]).
    pub(crate) fn for_batch(
        cfg: &GemmConfig,
        a: &BatchRef<'_, S::Scalar>,
        b: &BatchRef<'_, S::Scalar>,
    ) -> Result<Self, Error> {
        let prepared = Self::new(cfg)?;
        if a.rows() == 0 || b.cols() == 0 {
            return Ok(prepared);
        }
        prepared.check_packed_sizes(a.rows(), b.cols(), a.cols())?;
        prepared.check_batch_inputs(a, b)?;
        Ok(prepared)
    }

    /// Checks one product of A and B whose shapes the caller checked: the
    /// packed sizes, then A's and B's elements as input. A product with no
    /// output (m = 0 or n = 0) packs and reads nothing, so it passes
    /// whatever its depth: an m = 0 product of a broadcast k×n B with
    /// k = 2^50 would otherwise fail the size check, or scan B for
    /// hours.
    pub(crate) fn check_product(
        &self,
        a: MatRef<'_, S::Scalar>,
        b: MatRef<'_, S::Scalar>,
    ) -> Result<(), Error> {
        if a.rows() == 0 || b.cols() == 0 {
            return Ok(());
        }
        self.check_packed_sizes(a.rows(), b.cols(), a.cols())?;
        self.check_inputs(a, Operand::A)?;
        self.check_inputs(b, Operand::B)
    }

    /// Checks every item of strided batches of A and B as input: each
    /// distinct item once (a broadcast operand, batch stride 0, is one
    /// matrix however large its count), A's and B's item i in turn.
    fn check_batch_inputs(
        &self,
        a: &BatchRef<'_, S::Scalar>,
        b: &BatchRef<'_, S::Scalar>,
    ) -> Result<(), Error> {
        let (a_items, b_items) = (a.distinct_items(), b.distinct_items());
        for i in 0..a_items.max(b_items) {
            if let Some(ai) = a.get(i).filter(|_| i < a_items) {
                self.check_inputs(ai, Operand::A)?;
            }
            if let Some(bi) = b.get(i).filter(|_| i < b_items) {
                self.check_inputs(bi, Operand::B)?;
            }
        }
        Ok(())
    }

    /// The same with another threading setting.
    pub(crate) fn with_par(self, par: Par) -> Self {
        Self { par, ..self }
    }

    /// Whether items of a batch of m×k by k×n products run in parallel
    /// across the batch, each on one thread (rather than one after
    /// another, each on all threads).
    pub(crate) fn items_in_parallel(&self, count: usize, m: usize, n: usize, k: usize) -> bool {
        let ops = m.saturating_mul(n).saturating_mul(k);
        count > 1 && ops < PARALLEL_MIN_OPS && self.par.threads() > 1
    }

    /// The blocking, thread count and route for an m×k by k×n product:
    /// worked out once for all items of a batch.
    pub(crate) fn plan(&self, m: usize, n: usize, k: usize) -> Plan<S, K> {
        let tiling = self
            .tiling
            .unwrap_or_else(|| self.kernel.default_tiling(m, n, k));
        let ops = m.saturating_mul(n).saturating_mul(k);
        let threads = if ops < PARALLEL_MIN_OPS {
            1
        } else {
            self.par.threads()
        };
        let direct = self.kernel.goes_direct(m, n, k, &tiling);
        Plan {
            kernel: self.kernel,
            tiling,
            threads,
            direct,
            // Batches of direct-path products that run on one thread each.
            batch_entry: self
                .kernel
                .batch_entry()
                .filter(|_| direct && ops < PARALLEL_MIN_OPS),
            _semiring: PhantomData,
        }
    }
}

/// One product whose shapes the caller checked, as `gemm_with` and
/// `gemm_argmax_with` run it: the configuration, the packed sizes and the
/// inputs are checked first (errors in that order, before anything is
/// written), then the product runs.
pub(crate) fn run_product<S: Semiring, K: ProductKernel<S>>(
    ws: &mut GemmWorkspace,
    cfg: &GemmConfig,
    a: MatRef<'_, S::Scalar>,
    b: MatRef<'_, S::Scalar>,
    out: K::Out<'_>,
    accum: Accum,
) -> Result<(), Error> {
    let prepared = Prepared::<S, K>::new(cfg)?;
    prepared.check_product(a, b)?;
    let plan = prepared.plan(a.rows(), b.cols(), a.cols());
    plan.execute(ws, a, b, out, accum)
}

/// A (m×k), B (k×n) and C (m×n) agree: [`Error::DimensionMismatch`],
/// naming all three shapes, otherwise.
pub(crate) fn check_dimensions(
    a: (usize, usize),
    b: (usize, usize),
    c: (usize, usize),
) -> Result<(), Error> {
    let ((m, k), n) = (a, b.1);
    if b.0 != k || c != (m, n) {
        return Err(Error::DimensionMismatch { a, b, c });
    }
    Ok(())
}

/// Every operand of a batched call holds `count` items:
/// [`Error::BatchCountMismatch`] otherwise, with A's and B's counts and,
/// as C's, the first of `others` that differs (`count` if none does).
pub(crate) fn check_batch_counts(
    count: usize,
    a: usize,
    b: usize,
    others: &[usize],
) -> Result<(), Error> {
    let first_other = others.iter().copied().find(|&n| n != count);
    if a != count || b != count || first_other.is_some() {
        return Err(Error::BatchCountMismatch {
            a,
            b,
            c: first_other.unwrap_or(count),
        });
    }
    Ok(())
}

/// How to compute products of one shape (see [`Prepared::plan`]).
pub(crate) struct Plan<S: Semiring, K> {
    kernel: K,
    tiling: TilingParams,
    threads: usize,
    /// The unpacked (small-matrix) route rather than the packed one.
    direct: bool,
    batch_entry: Option<BatchFn<S::Scalar>>,
    _semiring: PhantomData<fn() -> S>,
}

impl<S: Semiring, K: ProductKernel<S>> Plan<S, K> {
    /// The threads one product of this shape runs on.
    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    /// The kernel's batch entry, if items of this shape may use it.
    pub(crate) fn batch_entry(&self) -> Option<BatchFn<S::Scalar>> {
        self.batch_entry
    }

    /// Computes one product of the planned shape.
    ///
    /// The caller checked the shapes, the inputs, and the packed sizes
    /// ([`check_packed_sizes`] for this shape): the drivers size their
    /// buffers and step their pointers within the bound that check
    /// proved, and read the views' footprints as checked by their
    /// constructors. The only error is a workspace the allocator refused,
    /// returned before the output is written.
    pub(crate) fn execute(
        &self,
        ws: &mut GemmWorkspace,
        a: MatRef<'_, S::Scalar>,
        b: MatRef<'_, S::Scalar>,
        out: K::Out<'_>,
        accum: Accum,
    ) -> Result<(), Error> {
        let (m, k, n) = (a.rows(), a.cols(), b.cols());
        if m == 0 || n == 0 {
            return Ok(());
        }
        if k == 0 {
            // Every entry is the empty ⊕, ZERO (with no winner).
            if !ws.reserve_only {
                scalar_product::<S, _>(a, b, out, accum);
            }
            return Ok(());
        }
        let route = self.kernel.routes()[usize::from(self.direct)];
        route(ws, &self.tiling, self.threads, a, b, out, accum)
    }

    /// Reserves in `ws` what [`Plan::execute`] needs for a product of this
    /// shape, whatever A and B hold, without reading them or writing the
    /// output: how a batch whose items may need different buffers gets
    /// every allocation error before it writes its first item. The only
    /// error is a workspace the allocator refused.
    pub(crate) fn reserve(
        &self,
        ws: &mut GemmWorkspace,
        a: MatRef<'_, S::Scalar>,
        b: MatRef<'_, S::Scalar>,
        out: K::Out<'_>,
    ) -> Result<(), Error> {
        let mut reserving = ReservingOnly::new(ws);
        self.execute(reserving.workspace(), a, b, out, Accum::Replace)
    }
}

/// Zero strides let a tiny slice describe a huge matrix: refuse shapes
/// whose packing buffers could exceed [`MAX_WORKSPACE_BYTES`], before
/// anything is written. Each buffer holds at most (extent + tile) × k
/// elements (times [`MAX_A_SPREAD`] copies for A); a size past
/// `isize::MAX` is [`Error::LayoutOverflow`], one past the limit
/// [`Error::WorkspaceTooLarge`]. The drivers rely on this bound for their
/// size and offset arithmetic.
pub(crate) fn check_packed_sizes<T>(
    m: usize,
    n: usize,
    k: usize,
    mr: usize,
    nr: usize,
) -> Result<(), Error> {
    let bytes = |extent: usize, unit: usize, copies: usize| {
        extent
            .checked_add(unit)
            .and_then(|x| x.checked_mul(k))
            .and_then(|x| x.checked_mul(std::mem::size_of::<T>()))
            .and_then(|x| x.checked_mul(copies))
            .filter(|&x| x <= isize::MAX as usize)
    };
    match (bytes(m, mr, MAX_A_SPREAD), bytes(n, nr, 1)) {
        (Some(a), Some(b)) if a.max(b) > MAX_WORKSPACE_BYTES => {
            Err(Error::WorkspaceTooLarge { bytes: a.max(b) })
        }
        (Some(_), Some(_)) => Ok(()),
        _ => Err(Error::LayoutOverflow),
    }
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
        // scan would (or where the scan found it, should a user's
        // `accepts_input` not give the same answer twice).
        let found = match x.t().row_major_slice() {
            Some(all) => scan(all).map(|at| (at % x.rows(), at / x.rows())),
            None => (0..x.cols()).find_map(|j| match x.col_slice(j) {
                Some(col) => scan(col).map(|i| (i, j)),
                None => (0..x.rows())
                    .find(|&i| x.get(i, j).is_some_and(refused))
                    .map(|i| (i, j)),
            }),
        };
        found.map(|at| {
            (0..x.rows())
                .flat_map(|r| (0..x.cols()).map(move |c| (r, c)))
                .find(|&(r, c)| x.get(r, c).is_some_and(refused))
                .unwrap_or(at)
        })
    };
    match first {
        Some((row, col)) => Err(Error::ValueOutOfRange { operand, row, col }),
        None => Ok(()),
    }
}
