//! SUMMA: C = A ⊗ B on a process grid, one k panel at a time.
//!
//! For each panel (in increasing k), the grid column that owns A's panel
//! broadcasts it along every process row, the grid row that owns B's panel
//! broadcasts it along every process column, and each rank folds the
//! product of the two into its block of C with the node kernel
//! (`gemm_with`, `Accum::Combine` after the first panel). With overlap on,
//! the next panel's broadcasts run (non-blocking, into a second pair of
//! buffers) while the current panel is multiplied, and the product is cut
//! into a few row chunks so that MPI gets called, and can progress the
//! broadcasts, between them.

use std::mem::swap;
use std::ops::Range;
use std::time::Instant;

use mpi::Threading;
use mpi::datatype::Equivalence;
use mpi::traits::{Communicator, Root};
use tropical_blas::{
    Accum, GemmConfig, GemmWorkspace, MatMut, MatRef, NO_ARG, Operand, SelectingSemiring, Semiring,
    gemm_argmax_with, gemm_with,
};

use crate::agree::{Arg, agree, type_tag};
use crate::error::Error;
use crate::grid::ProcessGrid;
use crate::matrix::{DistMatrix, fits_message, try_mpi_vec};
use crate::plan::{Panel, panels};

/// How a SUMMA product runs. The result does not depend on any of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SummaConfig {
    gemm: GemmConfig,
    panel_width: usize,
    overlap: bool,
    progress_polls: usize,
}

impl Default for SummaConfig {
    /// The node's default configuration, panels of 1024, overlap on with 4
    /// polls per panel.
    ///
    /// Each panel's product reads and writes this rank's whole C block, so
    /// narrow panels stream C from memory many times: at n = 4096 on one
    /// rank, panels of 256 cost 8 % over the node's own product, panels
    /// of 1024 2–3 %.
    fn default() -> Self {
        Self {
            gemm: GemmConfig::default(),
            panel_width: 1024,
            overlap: true,
            progress_polls: 4,
        }
    }
}

impl SummaConfig {
    /// The node kernel's configuration (threads per rank, ISA, tiling).
    /// The default, `Par::Rayon(0)`, uses the rank's rayon pool, which
    /// rayon sizes to the CPUs the rank may run on: one per rank when
    /// `mpirun` binds each rank to a core, as it does for up to 2 ranks.
    pub fn with_gemm(self, gemm: GemmConfig) -> Self {
        Self { gemm, ..self }
    }
    /// The longest k panel (≥ 1; 0 is [`Error::InvalidPanelWidth`]).
    /// Wider panels mean fewer, larger messages; narrower ones less
    /// memory and a shorter pipeline start.
    pub fn with_panel_width(self, panel_width: usize) -> Self {
        Self {
            panel_width,
            ..self
        }
    }
    /// Whether the next panel's broadcasts overlap the current product
    /// (off: broadcast, then multiply, panel after panel; for measuring).
    pub fn with_overlap(self, overlap: bool) -> Self {
        Self { overlap, ..self }
    }
    /// Into how many row chunks a panel's product is cut, so that MPI can
    /// progress the pending broadcasts between them (Open MPI progresses
    /// non-blocking collectives only inside MPI calls).
    pub fn with_progress_polls(self, polls: usize) -> Self {
        Self {
            progress_polls: polls.max(1),
            ..self
        }
    }
    /// The node kernel's configuration.
    pub fn gemm(&self) -> &GemmConfig {
        &self.gemm
    }
    /// The longest k panel.
    pub fn panel_width(&self) -> usize {
        self.panel_width
    }
    /// Row chunks per panel product when overlapping.
    pub fn progress_polls(&self) -> usize {
        self.progress_polls
    }
    /// Whether broadcasts overlap products.
    pub fn overlap(&self) -> bool {
        self.overlap
    }
}

/// Where this rank's time went in the last product.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SummaStats {
    /// SUMMA steps (k panels).
    pub steps: usize,
    /// Seconds blocked in broadcasts (with overlap: only the part not
    /// hidden behind the products).
    pub broadcast_seconds: f64,
    /// Seconds in the node kernel.
    pub compute_seconds: f64,
    /// Seconds copying owned panels into the send buffers.
    pub pack_seconds: f64,
    /// Seconds for the whole call, checks included.
    pub total_seconds: f64,
}

/// The node kernel's workspace, reused across panels and calls, and the
/// timings of the last call.
#[derive(Debug)]
pub struct SummaWorkspace {
    gemm: GemmWorkspace,
    stats: SummaStats,
}

impl Default for SummaWorkspace {
    fn default() -> Self {
        Self::new()
    }
}

impl SummaWorkspace {
    /// An empty workspace; it grows on first use.
    pub fn new() -> Self {
        Self {
            gemm: GemmWorkspace::new(),
            stats: SummaStats::default(),
        }
    }
    /// This rank's timings of the last product.
    pub fn last_stats(&self) -> SummaStats {
        self.stats
    }
}

/// C = A ⊗ B (or C ⊕ A ⊗ B under `Accum::Combine`) over the grid,
/// bit-identical to the single-node `gemm` of the gathered matrices.
/// Collective over the grid: every rank must pass the same global shapes
/// and configuration (else [`Error::InconsistentArguments`]). On error
/// every rank returns it; C is untouched, except after a failure of the
/// node kernel during the product (see [`Error`]).
///
/// Needs MPI initialized at `Threading::Funneled` or above when the node
/// kernel runs on several threads (the default `Par::Rayon(0)` on a rank
/// with more than one CPU), else [`Error::SingleThreadedMpi`].
pub fn summa<S: Semiring>(
    a: &DistMatrix<'_, S::Scalar>,
    b: &DistMatrix<'_, S::Scalar>,
    c: &mut DistMatrix<'_, S::Scalar>,
    accum: Accum,
) -> Result<(), Error>
where
    S::Scalar: Equivalence + Default,
{
    summa_with::<S>(
        &mut SummaWorkspace::new(),
        &SummaConfig::default(),
        a,
        b,
        c,
        accum,
    )
}

/// [`summa`] with a reusable workspace and an explicit configuration.
pub fn summa_with<S: Semiring>(
    ws: &mut SummaWorkspace,
    cfg: &SummaConfig,
    a: &DistMatrix<'_, S::Scalar>,
    b: &DistMatrix<'_, S::Scalar>,
    c: &mut DistMatrix<'_, S::Scalar>,
    accum: Accum,
) -> Result<(), Error>
where
    S::Scalar: Equivalence + Default,
{
    let start = Instant::now();
    let grid = c.grid();
    let args = call_args(cfg, type_tag::<S>(), a, b, c, None, accum);
    let checked = check_operands::<S>(cfg, a, b, c, None);
    let n_local = c.col_range().len();
    let mut sink = Values {
        c: c.local_mut(),
        n: n_local,
    };
    let buffers = agree_with_buffers::<S, _>(grid, cfg, &args, checked, a, b, &mut sink)?;
    run::<S, _>(ws, cfg, grid, a, b, &mut sink, buffers, accum, start)
}

/// C and, for every output, the global k that won (the smallest on ties;
/// `NO_ARG` where nothing beat ZERO), equal to the single-node
/// `gemm_argmax` of the gathered matrices. Under `Accum::Combine`, where
/// C's old value wins (ties included) C and `argk` keep their values.
/// Collective, checked and with errors like [`summa`].
pub fn summa_argmax<S: SelectingSemiring>(
    a: &DistMatrix<'_, S::Scalar>,
    b: &DistMatrix<'_, S::Scalar>,
    c: &mut DistMatrix<'_, S::Scalar>,
    argk: &mut DistMatrix<'_, u32>,
    accum: Accum,
) -> Result<(), Error>
where
    S::Scalar: Equivalence + Default,
{
    let (ws, cfg) = (&mut SummaWorkspace::new(), &SummaConfig::default());
    summa_argmax_with::<S>(ws, cfg, a, b, c, argk, accum)
}

/// [`summa_argmax`] with a reusable workspace and an explicit configuration.
pub fn summa_argmax_with<S: SelectingSemiring>(
    ws: &mut SummaWorkspace,
    cfg: &SummaConfig,
    a: &DistMatrix<'_, S::Scalar>,
    b: &DistMatrix<'_, S::Scalar>,
    c: &mut DistMatrix<'_, S::Scalar>,
    argk: &mut DistMatrix<'_, u32>,
    accum: Accum,
) -> Result<(), Error>
where
    S::Scalar: Equivalence + Default,
{
    let start = Instant::now();
    let grid = c.grid();
    let args = call_args(cfg, type_tag::<S>(), a, b, c, Some(argk), accum);
    let checked = check_operands::<S>(cfg, a, b, c, Some(argk));
    let n_local = c.col_range().len();
    let mut sink = WithArg {
        c: c.local_mut(),
        argk: argk.local_mut(),
        n: n_local,
        scratch: Vec::new(),
    };
    let buffers = agree_with_buffers::<S, _>(grid, cfg, &args, checked, a, b, &mut sink)?;
    run::<S, _>(ws, cfg, grid, a, b, &mut sink, buffers, accum, start)
}

/// The panel plan and this rank's panel buffers: A's and B's current
/// panels and, with more than one panel, the next ones (packed while the
/// current one multiplies, or just after).
struct Buffers<T> {
    plan: Vec<Panel>,
    a_cur: Vec<T>,
    a_next: Vec<T>,
    b_cur: Vec<T>,
    b_next: Vec<T>,
}

/// Allocates the product's buffers (the sink's too) when this rank's
/// checks passed, then makes the ranks agree on the arguments and on
/// every rank's outcome: a buffer refused on one rank is the same
/// `WorkspaceTooLarge` on every rank (the error travels as data), before
/// any message of the product, rather than an abort while the others
/// wait.
fn agree_with_buffers<S: Semiring, K: PanelSink<S>>(
    grid: &ProcessGrid,
    cfg: &SummaConfig,
    args: &[Arg],
    checked: Result<(), Error>,
    a: &DistMatrix<'_, S::Scalar>,
    b: &DistMatrix<'_, S::Scalar>,
    sink: &mut K,
) -> Result<Buffers<S::Scalar>, Error>
where
    S::Scalar: Equivalence + Default,
{
    let mut allocate = || -> Result<Buffers<S::Scalar>, Error> {
        let (m, n) = (a.row_range().len(), b.col_range().len());
        // A product with no output broadcasts nothing, as the node's reads
        // nothing: no panels (every rank's block of C is empty).
        let plan = if a.rows() == 0 || b.cols() == 0 {
            Vec::new()
        } else {
            panels(a.cols(), grid.rows(), grid.cols(), cfg.panel_width)
        };
        let widest = plan.iter().map(|p| p.k.len()).max().unwrap_or(0);
        let next = if plan.len() > 1 { widest } else { 0 };
        // k = 0 multiplies the whole block at once; otherwise in chunks.
        let rows = if plan.is_empty() {
            m
        } else {
            m.min(sink.max_rows(n))
        };
        sink.reserve(rows * n)?;
        Ok(Buffers {
            a_cur: try_mpi_vec(m * widest)?,
            a_next: try_mpi_vec(m * next)?,
            b_cur: try_mpi_vec(widest * n)?,
            b_next: try_mpi_vec(next * n)?,
            plan,
        })
    };
    let (outcome, buffers) = match checked.and_then(|()| allocate()) {
        Ok(buffers) => (Ok(()), Some(buffers)),
        Err(e) => (Err(e), None),
    };
    agree(grid.comm(), args, outcome)?;
    Ok(buffers.expect("every rank's outcome was Ok"))
}

/// What every rank must pass alike, as [`agree`] compares it: the global
/// shapes and the settings that decide the panel plan and the kind of
/// each broadcast (blocking or not), and what makes the product one
/// product (the call, the semiring's [`type_tag`], the accumulation mode).
fn call_args<T: Copy + Default + Equivalence>(
    cfg: &SummaConfig,
    semiring: u64,
    a: &DistMatrix<'_, T>,
    b: &DistMatrix<'_, T>,
    c: &DistMatrix<'_, T>,
    argk: Option<&DistMatrix<'_, u32>>,
    accum: Accum,
) -> [Arg; 13] {
    let u = |x: usize| x as u64;
    let argk_shape = argk.map_or((0, 0), |x| x.shape());
    [
        ("call (summa or summa_argmax)", u64::from(argk.is_some())),
        ("semiring", semiring),
        ("global shape of A", u(a.rows())),
        ("global shape of A", u(a.cols())),
        ("global shape of B", u(b.rows())),
        ("global shape of B", u(b.cols())),
        ("global shape of C", u(c.rows())),
        ("global shape of C", u(c.cols())),
        ("global shape of argk", u(argk_shape.0)),
        ("global shape of argk", u(argk_shape.1)),
        ("panel width", u(cfg.panel_width)),
        ("overlap", u64::from(cfg.overlap)),
        ("accumulation mode", u64::from(accum == Accum::Combine)),
    ]
}

/// This rank's view of the node API's argument checks, in the node's
/// order: grids, shapes, configuration, then the inputs' values (global
/// indices). [`agree`] turns the ranks' answers into one verdict.
fn check_operands<S: Semiring>(
    cfg: &SummaConfig,
    a: &DistMatrix<'_, S::Scalar>,
    b: &DistMatrix<'_, S::Scalar>,
    c: &DistMatrix<'_, S::Scalar>,
    argk: Option<&DistMatrix<'_, u32>>,
) -> Result<(), Error>
where
    S::Scalar: Equivalence + Default,
{
    let grid = c.grid();
    let shape = |g: &ProcessGrid| (g.rows(), g.cols());
    let grids = [Some(a.grid()), Some(b.grid()), argk.map(|x| x.grid())];
    for other in grids.into_iter().flatten() {
        if !grid.same_as(other) {
            return Err(Error::GridMismatch {
                expected: shape(grid),
                found: shape(other),
            });
        }
    }
    if cfg.panel_width == 0 {
        return Err(Error::InvalidPanelWidth);
    }
    // As in the node crate: a product with no output (m = 0 or n = 0)
    // reads neither factor, so only shapes and configuration are checked.
    let no_output = a.rows() == 0 || b.cols() == 0;
    if a.cols() != b.rows() || c.shape() != (a.rows(), b.cols()) {
        return Err(tropical_blas::Error::DimensionMismatch {
            a: a.shape(),
            b: b.shape(),
            c: c.shape(),
        }
        .into());
    }
    if let Some(argk) = argk {
        if argk.shape() != c.shape() {
            return Err(tropical_blas::Error::ShapeMismatch {
                operand: Operand::ArgK,
                expected: c.shape(),
                found: argk.shape(),
            }
            .into());
        }
        if a.cols() >= NO_ARG as usize && !no_output {
            return Err(tropical_blas::Error::IndexOverflow { k: a.cols() }.into());
        }
    }
    // The largest panels any rank sends or receives (none without output).
    let width = cfg.panel_width.min(a.cols());
    let rows = crate::matrix::block_range(a.rows(), grid.rows(), 0).len();
    let cols = crate::matrix::block_range(b.cols(), grid.cols(), 0).len();
    if !no_output {
        fits_message(rows.saturating_mul(width))?;
        fits_message(cols.saturating_mul(width))?;
    }
    // The node's configuration checks (ISA level, tiling, tuning file), on
    // a 1×1×1 product of scratch values.
    let (one, mut out) = ([S::ONE], [S::ZERO]);
    let unit = MatRef::row_major(&one[..], 1, 1)?;
    let out_view = MatMut::row_major(&mut out[..], 1, 1)?;
    gemm_with::<S>(
        &mut GemmWorkspace::new(),
        &cfg.gemm,
        unit,
        unit,
        out_view,
        Accum::Replace,
    )?;
    // rayon's threads next to MPI need at least Funneled (this crate calls
    // MPI only from the calling thread).
    let threads = cfg.gemm.par().threads();
    if threads > 1 && mpi::environment::threading_support() < Threading::Funneled {
        return Err(Error::SingleThreadedMpi { threads });
    }
    if S::RESTRICTS_INPUT && !no_output {
        first_refused::<S>(a, Operand::A)?;
        first_refused::<S>(b, Operand::B)?;
    }
    Ok(())
}

/// The first element of this rank's block (row-major, so also the first
/// in global row-major order among this block's) that `S` refuses.
fn first_refused<S: Semiring>(x: &DistMatrix<'_, S::Scalar>, operand: Operand) -> Result<(), Error>
where
    S::Scalar: Equivalence + Default,
{
    let cols = x.col_range().len();
    match x.local().iter().position(|&v| !S::accepts_input(v)) {
        None => Ok(()),
        Some(at) => Err(tropical_blas::Error::ValueOutOfRange {
            operand,
            row: x.row_range().start + at / cols,
            col: x.col_range().start + at % cols,
        }
        .into()),
    }
}

/// Which part of which panel a product is: rows of this rank's C, the
/// panel's first global k, and how it meets C.
struct Chunk {
    rows: Range<usize>,
    k0: usize,
    accum: Accum,
}

/// What one panel's product is folded into: the values of C, or C and
/// its winning k.
trait PanelSink<S: Semiring> {
    /// Folds `a ⊗ b` (a: rows × w of the panel, b: w × n) into rows
    /// `rows` of this rank's C, the panel starting at global `k0`.
    fn product(
        &mut self,
        ws: &mut GemmWorkspace,
        cfg: &GemmConfig,
        a: MatRef<'_, S::Scalar>,
        b: MatRef<'_, S::Scalar>,
        at: Chunk,
    ) -> Result<(), tropical_blas::Error>;

    /// The most rows of an n-column C one product should cover.
    fn max_rows(&self, n: usize) -> usize {
        let _ = n;
        usize::MAX
    }

    /// Reserves what a product of `outputs` outputs needs beside C.
    fn reserve(&mut self, outputs: usize) -> Result<(), tropical_blas::Error> {
        let _ = outputs;
        Ok(())
    }
}

struct Values<'c, T> {
    c: &'c mut [T],
    n: usize,
}

impl<S: Semiring> PanelSink<S> for Values<'_, S::Scalar> {
    fn product(
        &mut self,
        ws: &mut GemmWorkspace,
        cfg: &GemmConfig,
        a: MatRef<'_, S::Scalar>,
        b: MatRef<'_, S::Scalar>,
        at: Chunk,
    ) -> Result<(), tropical_blas::Error> {
        let Chunk { rows, accum, .. } = at;
        let c = &mut self.c[rows.start * self.n..rows.end * self.n];
        gemm_with::<S>(
            ws,
            cfg,
            a,
            b,
            MatMut::row_major(c, rows.len(), self.n)?,
            accum,
        )
    }
}

/// A scratch index the node never writes: panels are far narrower than
/// `NO_ARG - 1`.
const UNTOUCHED: u32 = NO_ARG - 1;

struct WithArg<'c, T> {
    c: &'c mut [T],
    argk: &'c mut [u32],
    n: usize,
    /// The panel's local winners, before they are shifted to global k.
    scratch: Vec<u32>,
}

impl<S: SelectingSemiring> PanelSink<S> for WithArg<'_, S::Scalar> {
    /// The scratch indices and the argk rows they are merged into stay
    /// within about 8 MiB, in cache (a whole 4096² scratch made APSP's
    /// argmin products on one rank 2× slower than on two).
    fn max_rows(&self, n: usize) -> usize {
        ((1 << 21) / n.max(1)).max(32)
    }

    /// The scratch of the largest chunk, so that no chunk allocates.
    fn reserve(&mut self, outputs: usize) -> Result<(), tropical_blas::Error> {
        self.scratch.try_reserve_exact(outputs).map_err(|_| {
            tropical_blas::Error::WorkspaceTooLarge {
                bytes: outputs.saturating_mul(4),
            }
        })
    }

    fn product(
        &mut self,
        ws: &mut GemmWorkspace,
        cfg: &GemmConfig,
        a: MatRef<'_, S::Scalar>,
        b: MatRef<'_, S::Scalar>,
        at: Chunk,
    ) -> Result<(), tropical_blas::Error> {
        let Chunk { rows, k0, accum } = at;
        let span = rows.start * self.n..rows.end * self.n;
        // gemm_argmax_with writes panel-local k (or NO_ARG, where a
        // winnerless ZERO beats C's old value: MaxMul over a negative C),
        // and under Combine leaves argk alone where C's old value wins. A
        // scratch prefilled with an index no panel reaches tells the
        // written entries apart; the new winners get the panel's offset.
        self.scratch.clear();
        self.scratch.resize(span.len(), UNTOUCHED);
        let c = MatMut::row_major(&mut self.c[span.clone()], rows.len(), self.n)?;
        let arg = MatMut::row_major(&mut self.scratch[..], rows.len(), self.n)?;
        gemm_argmax_with::<S>(ws, cfg, a, b, c, arg, accum)?;
        let offset = k0 as u32; // k < NO_ARG was checked
        for (out, &local) in self.argk[span].iter_mut().zip(&self.scratch) {
            match local {
                UNTOUCHED => {}
                NO_ARG => *out = NO_ARG,
                k => *out = k + offset,
            }
        }
        Ok(())
    }
}

/// Copies this rank's parts of `panel` into the send buffers: A's columns
/// `panel.k` (rows × w, row-major) if this rank's grid column owns them,
/// B's rows `panel.k` (w × n) if its grid row does.
fn pack<T>(
    grid: &ProcessGrid,
    a: &DistMatrix<'_, T>,
    b: &DistMatrix<'_, T>,
    panel: &Panel,
    a_buf: &mut [T],
    b_buf: &mut [T],
) where
    T: Copy + Equivalence + Default,
{
    let w = panel.k.len();
    if grid.my_col() == panel.a_owner_col {
        let (lda, from) = (a.col_range().len(), panel.k.start - a.col_range().start);
        for (i, dst) in a_buf.chunks_exact_mut(w).enumerate() {
            dst.copy_from_slice(&a.local()[i * lda + from..][..w]);
        }
    }
    if grid.my_row() == panel.b_owner_row {
        let n = b.col_range().len();
        let from = (panel.k.start - b.row_range().start) * n;
        b_buf.copy_from_slice(&b.local()[from..from + w * n]);
    }
}

/// Row chunks of an m-row product: at least `polls` of them while each
/// keeps 32 rows, and none longer than `max_rows`.
fn row_chunks(m: usize, polls: usize, max_rows: usize) -> Vec<Range<usize>> {
    let chunks = polls.min(m / 32).max(m.div_ceil(max_rows.max(1))).max(1);
    (0..chunks)
        .map(|i| crate::matrix::block_range(m, chunks, i))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn run<S: Semiring, K: PanelSink<S>>(
    ws: &mut SummaWorkspace,
    cfg: &SummaConfig,
    grid: &ProcessGrid,
    a: &DistMatrix<'_, S::Scalar>,
    b: &DistMatrix<'_, S::Scalar>,
    sink: &mut K,
    buffers: Buffers<S::Scalar>,
    accum: Accum,
    start: Instant,
) -> Result<(), Error>
where
    S::Scalar: Equivalence + Default,
{
    let (m, n) = (a.row_range().len(), b.col_range().len());
    let Buffers {
        plan,
        mut a_cur,
        mut a_next,
        mut b_cur,
        mut b_next,
    } = buffers;
    let mut stats = SummaStats {
        steps: plan.len(),
        ..SummaStats::default()
    };
    let gemm_ws = &mut ws.gemm;
    let mut outcome: Result<(), Error> = Ok(());
    if plan.is_empty() {
        // k = 0: still the node's product, which is C = ZERO under Replace
        // and C ⊕ ZERO under Combine (not always C: MaxMul's ZERO, 0,
        // beats a negative C).
        // (Views of an empty depth need no elements: these cannot fail, and
        // no `?` may leave this function before the agreement below.)
        let empty_a = MatRef::row_major(&[][..], m, 0).expect("m × 0 needs no elements");
        let empty_b = MatRef::row_major(&[][..], 0, n).expect("0 × n needs no elements");
        outcome = sink
            .product(
                gemm_ws,
                &cfg.gemm,
                empty_a,
                empty_b,
                Chunk {
                    rows: 0..m,
                    k0: 0,
                    accum,
                },
            )
            .map_err(Error::from);
    } else {
        let (row_comm, col_comm) = (grid.row_comm(), grid.col_comm());
        // Nothing to progress on a one-rank grid: one chunk.
        let alone = row_comm.size() == 1 && col_comm.size() == 1;
        let polls = if alone { 1 } else { cfg.progress_polls };
        let max_rows = sink.max_rows(n);
        let bcast = |panel: &Panel, a_buf: &mut [S::Scalar], b_buf: &mut [S::Scalar]| {
            row_comm
                .process_at_rank(panel.a_owner_col as i32)
                .broadcast_into(a_buf);
            col_comm
                .process_at_rank(panel.b_owner_row as i32)
                .broadcast_into(b_buf);
        };
        // The first panel (all panels without overlap) is broadcast before
        // its product.
        let mut clock = Instant::now();
        let p0 = &plan[0];
        let (w0, a0, b0) = (p0.k.len(), &mut a_cur, &mut b_cur);
        pack(grid, a, b, p0, &mut a0[..m * w0], &mut b0[..w0 * n]);
        stats.pack_seconds += lap(&mut clock);
        bcast(p0, &mut a0[..m * w0], &mut b0[..w0 * n]);
        stats.broadcast_seconds += lap(&mut clock);
        for (step, panel) in plan.iter().enumerate() {
            let w = panel.k.len();
            let accum_here = if step == 0 { accum } else { Accum::Combine };
            let next = plan.get(step + 1);
            let b_panel = MatRef::row_major(&b_cur[..w * n], w, n).expect("w × n elements");
            let mut multiply = |rows: Range<usize>, outcome: &mut Result<(), Error>| {
                if outcome.is_ok() {
                    let a_rows =
                        MatRef::row_major(&a_cur[rows.start * w..rows.end * w], rows.len(), w)
                            .expect("rows of the panel");
                    let at = Chunk {
                        rows,
                        k0: panel.k.start,
                        accum: accum_here,
                    };
                    let r = sink.product(gemm_ws, &cfg.gemm, a_rows, b_panel, at);
                    *outcome = r.map_err(Error::from);
                }
            };
            match next {
                Some(q) if cfg.overlap => {
                    let wq = q.k.len();
                    let (a_send, b_send) = (&mut a_next[..m * wq], &mut b_next[..wq * n]);
                    pack(grid, a, b, q, a_send, b_send);
                    stats.pack_seconds += lap(&mut clock);
                    mpi::request::scope(|scope| {
                        let mut pending = vec![
                            row_comm
                                .process_at_rank(q.a_owner_col as i32)
                                .immediate_broadcast_into(scope, a_send),
                            col_comm
                                .process_at_rank(q.b_owner_row as i32)
                                .immediate_broadcast_into(scope, b_send),
                        ];
                        for rows in row_chunks(m, polls, max_rows) {
                            multiply(rows, &mut outcome);
                            pending = pending.into_iter().filter_map(|r| r.test().err()).collect();
                        }
                        stats.compute_seconds += lap(&mut clock);
                        for r in pending {
                            r.wait();
                        }
                        stats.broadcast_seconds += lap(&mut clock);
                    });
                }
                Some(q) => {
                    for rows in row_chunks(m, 1, max_rows) {
                        multiply(rows, &mut outcome);
                    }
                    stats.compute_seconds += lap(&mut clock);
                    let wq = q.k.len();
                    let (a_send, b_send) = (&mut a_next[..m * wq], &mut b_next[..wq * n]);
                    pack(grid, a, b, q, a_send, b_send);
                    stats.pack_seconds += lap(&mut clock);
                    bcast(q, a_send, b_send);
                    stats.broadcast_seconds += lap(&mut clock);
                }
                None => {
                    for rows in row_chunks(m, 1, max_rows) {
                        multiply(rows, &mut outcome);
                    }
                    stats.compute_seconds += lap(&mut clock);
                }
            }
            swap(&mut a_cur, &mut a_next);
            swap(&mut b_cur, &mut b_next);
        }
    }
    // The checks leave one node error possible here: WorkspaceTooLarge,
    // an allocation refused mid-product (C may then be partly written, as
    // Error documents). Every rank still took part in every broadcast
    // above, and now learns of it.
    let verdict = agree(grid.comm(), &[], outcome);
    stats.total_seconds = start.elapsed().as_secs_f64();
    ws.stats = stats;
    verdict
}

/// Seconds since `clock`, restarting it.
fn lap(clock: &mut Instant) -> f64 {
    let now = Instant::now();
    let seconds = (now - *clock).as_secs_f64();
    *clock = now;
    seconds
}
