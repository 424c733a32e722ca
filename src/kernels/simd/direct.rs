//! The direct (small-matrix) path's tiles: A and B read in place, C
//! with few rows in wider tiles. The loops that cut a product into jobs
//! are `frame::direct`.

use super::VecOps;
use super::pack::pack_a_panels;
use super::tile::{DirectA, PackedA, TileA, tile_body};
use crate::batch_view::BatchOperand;
use crate::kernels::micro::TileC;
use crate::kernels::pack::{Block, Lines};
use crate::semiring::Semiring;
use crate::view::StridedPtr;
use crate::workspace::SharedPtr;

/// The tile shapes of the direct path, as (rows, vectors per row): all
/// hold MR vectors, so they keep the same number of accumulators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DirectShape {
    /// MR × 1: the packed tile of the one-vector-per-row kernels.
    Tall,
    /// 4 × MR/4: C with at most MR/2 rows.
    Square,
    /// 1 × MR: one row of C.
    Row,
}

impl DirectShape {
    /// The shape for m rows of C with an ISA whose tile has `mr` rows.
    pub(crate) fn for_rows(m: usize, mr: usize) -> Self {
        if m == 1 {
            Self::Row
        } else if m <= mr / 2 && mr >= 8 {
            Self::Square
        } else {
            Self::Tall
        }
    }

    /// The shape for an m×n C: the one [`for_rows`](Self::for_rows)
    /// picks, or a narrower one that needs no more tiles. Every shape
    /// holds MR vectors, so the same tile count is the same work; the
    /// narrower tile pads B's last column panel less (a 1×1 dot product
    /// packs B 16 columns wide rather than 256 for f32 on AVX-512), which
    /// keeps the packed copy of B within LANES times B.
    pub(crate) fn for_product(m: usize, n: usize, mr: usize, lanes: usize) -> Self {
        let by_rows = Self::for_rows(m, mr);
        if n >= by_rows.width(mr, lanes) {
            // Narrower tiles would need more column panels: no tie.
            return by_rows;
        }
        let tiles = |shape: Self| {
            m.div_ceil(shape.rows(mr))
                .saturating_mul(n.div_ceil(shape.width(mr, lanes)))
        };
        [Self::Tall, Self::Square, Self::Row]
            .into_iter()
            .filter(|&shape| shape != Self::Square || mr >= 8)
            .filter(|&shape| shape.width(mr, lanes) <= by_rows.width(mr, lanes))
            .find(|&shape| tiles(shape) <= tiles(by_rows))
            .unwrap_or(by_rows)
    }

    /// Rows of the tile.
    pub(crate) fn rows(self, mr: usize) -> usize {
        match self {
            Self::Tall => mr,
            Self::Square => 4,
            Self::Row => 1,
        }
    }

    /// Columns of the tile: its MR vectors spread over its rows.
    pub(crate) fn width(self, mr: usize, lanes: usize) -> usize {
        lanes * (mr / self.rows(mr))
    }
}

/// One task of the direct path: row panels `first_panel..last_panel` and
/// column panels `first_col_panel..last_col_panel` of C, with tiles of
/// `shape`, from A in place (or its packed copy, row panel by row panel,
/// when `pack_a`), and B in place for its first
/// `b_in_place_cols` columns (whole panels of a unit-stride B) and packed
/// from there on.
#[derive(Clone, Copy)]
pub(crate) struct DirectJob<T> {
    pub(crate) a: StridedPtr<T>,
    pub(crate) b: SharedPtr<T>,
    pub(crate) rsb: isize,
    pub(crate) b_in_place_cols: usize,
    pub(crate) packed_b: SharedPtr<T>,
    /// Whether tiles read A from `packed_a` (see [`DirectJob::packs_a`]).
    pub(crate) pack_a: bool,
    /// This task's buffer for one packed A row panel when `pack_a`; null
    /// otherwise.
    pub(crate) packed_a: SharedPtr<T>,
    pub(crate) c: StridedPtr<T>,
    pub(crate) m: usize,
    pub(crate) n: usize,
    pub(crate) k: usize,
    pub(crate) load_c: bool,
    pub(crate) shape: DirectShape,
    pub(crate) first_panel: usize,
    pub(crate) last_panel: usize,
    pub(crate) first_col_panel: usize,
    pub(crate) last_col_panel: usize,
}

impl<T> DirectJob<T> {
    /// Whether the direct path reads A through a packed copy of each row
    /// panel: when the kernel maps A's values (an integer sentinel kernel,
    /// `a_as_is` false: A holds ZERO), mapping them once per panel beats
    /// mapping them at every broadcast of every column panel; the bool
    /// kernels' spread copy turns each broadcast from a compare, a select
    /// and a shuffle into one load.
    pub(crate) fn packs_a<O: VecOps<S: Semiring<Scalar = T>>>(a_as_is: bool) -> bool {
        !a_as_is || O::A_SPREAD > 1
    }

    /// B's column panel at column j (a multiple of `width`) and its depth
    /// stride: in place (columns j..j+width of k rows, unit column stride)
    /// or the packed copy (panels of `width`) of the columns past
    /// `b_in_place_cols`.
    #[inline(always)]
    fn b_panel(&self, j: usize, width: usize) -> (*const T, isize) {
        if j + width <= self.b_in_place_cols {
            // Column j < n of B, inside its checked footprint.
            (self.b.get().cast_const().wrapping_add(j), self.rsb)
        } else {
            // Panel (j − b_in_place_cols)/width of the packed copy exists.
            let packed_col = j - self.b_in_place_cols;
            (
                self.packed_b
                    .get()
                    .cast_const()
                    .wrapping_add(packed_col * self.k),
                width as isize,
            )
        }
    }
}

/// The tiles of one direct-path task, in its job's shape.
///
/// # Safety
/// The job was built by [`direct_driver`] with this `MR` (panels of
/// `shape.rows(MR)` × `shape.width(MR, LANES)`; when `pack_a`,
/// `packed_a` holds `rows(MR)·k·A_SPREAD` elements); `O`'s features are
/// enabled.
#[inline(always)]
pub(crate) unsafe fn direct_rows<O: VecOps, const MR: usize, const MR_QUARTER: usize>(
    job: &DirectJob<<O::S as Semiring>::Scalar>,
) {
    const { assert!(MR_QUARTER * 4 == MR) };
    // SAFETY: forwarded contract; each shape's tile matches the panels
    // the job was cut into (`DirectShape::rows`, MR vectors per tile).
    unsafe {
        match job.shape {
            DirectShape::Tall => direct_tiles::<O, MR, 1>(job),
            DirectShape::Square => direct_tiles::<O, 4, MR_QUARTER>(job),
            DirectShape::Row => direct_tiles::<O, 1, MR>(job),
        }
    }
}

/// The tiles of a direct-path job with TR-row, W-vector tiles, row
/// panel by row panel: C is written along its rows, which the hardware
/// prefetchers follow (column panels outside would write TR rows at a
/// time down the whole matrix). With
/// `job.pack_a` (the kernels that spread A's values, and the sentinel
/// kernels for an A with ZERO) each row panel is packed once first;
/// otherwise A is read in place, as it is.
///
/// # Safety
/// As [`direct_rows`], with the job cut into TR-row and W·LANES-column
/// panels; for a packing kernel, `job.packed_a` holds TR·k·A_SPREAD
/// elements.
#[inline(always)]
unsafe fn direct_tiles<O: VecOps, const TR: usize, const W: usize>(
    job: &DirectJob<<O::S as Semiring>::Scalar>,
) {
    if job.pack_a {
        let packed_a = job.packed_a.get();
        for panel in job.first_panel..job.last_panel {
            let i = panel * TR;
            let rows = TR.min(job.m - i);
            // SAFETY: rows i..i+rows of A (k deep) lie in its checked
            // footprint; packed_a is this task's own TR·k·A_SPREAD buffer.
            unsafe {
                let a_rows = Block {
                    lines: Lines::rows_of(job.a, i, 0),
                    extent: rows,
                    kc: job.k,
                };
                pack_a_panels::<O>(TR, a_rows, packed_a);
            }
            for col_panel in job.first_col_panel..job.last_col_panel {
                // SAFETY: as for this function, A's panel packed above.
                unsafe {
                    direct_tile::<O, TR, W>(
                        job,
                        panel,
                        col_panel,
                        PackedA::<O, TR>(packed_a.cast_const()),
                    )
                };
            }
        }
    } else {
        for panel in job.first_panel..job.last_panel {
            for col_panel in job.first_col_panel..job.last_col_panel {
                let i = panel * TR;
                let a = DirectA::<O, TR>::new(
                    job.a.at(i, 0).cast_const(),
                    TR.min(job.m - i),
                    job.a.row_stride,
                    job.a.col_stride,
                );
                // SAFETY: as for this function; A's rows i.. are read in
                // place.
                unsafe { direct_tile::<O, TR, W>(job, panel, col_panel, a) };
            }
        }
    }
}

/// One TR × W·LANES tile of a direct-path job.
///
/// # Safety
/// Row panel `panel` and column panel `col_panel` belong to the job; `a`
/// reads rows panel·TR.. of A (in place, or their packed copy) for
/// `job.k` depths; `O`'s features are enabled.
#[inline(always)]
unsafe fn direct_tile<O: VecOps, const TR: usize, const W: usize>(
    job: &DirectJob<<O::S as Semiring>::Scalar>,
    panel: usize,
    col_panel: usize,
    a: impl TileA<O>,
) {
    let width = W * O::LANES;
    let (i, j) = (panel * TR, col_panel * width);
    let (rows, cols) = (TR.min(job.m - i), width.min(job.n - j));
    let (b, b_stride) = job.b_panel(j, width);
    // SAFETY: rows i..i+rows of A and the k-deep panel j/width of B exist
    // (in place: width unit-stride values at every b + p·rsb, p < k,
    // inside B's footprint; packed: a whole padded panel); the rows×cols
    // tile at (i, j) lies in C's checked, non-aliasing footprint, and
    // belongs to this job alone.
    unsafe {
        let out = TileC {
            origin: job.c.starting_at(i, j),
            rows,
            cols,
            load_c: job.load_c,
        };
        tile_body::<O, TR, W>(job.k, a, b, b_stride, out)
    };
}

/// Checked strided batches, as raw parts (see [`direct_batch`]): items
/// of A are m×k, of B k×n, of C m×n.
pub(crate) struct BatchProblem<T> {
    pub(crate) a: BatchOperand<T>,
    pub(crate) b: BatchOperand<T>,
    pub(crate) c: BatchOperand<T>,
    pub(crate) load_c: bool,
}

/// Items `first..last` of a batch through the direct tiles.
///
/// # Safety
/// The problem came from [`direct_batch`], `last` ≤ its count, and no
/// other task writes these items; `O`'s features are enabled.
#[inline(always)]
pub(crate) unsafe fn direct_batch_items<O: VecOps, const MR: usize>(
    problem: &BatchProblem<<O::S as Semiring>::Scalar>,
    first: usize,
    last: usize,
) {
    let p = problem;
    let ((m, k), n) = (p.a.shape, p.b.shape.1);
    for i in first..last {
        if i + 1 < last {
            p.a.prefetch(i + 1);
            p.b.prefetch(i + 1);
            p.c.prefetch(i + 1);
        }
        let job = DirectJob {
            a: p.a.item(i),
            b: p.b.item(i).ptr,
            rsb: p.b.origin.row_stride,
            b_in_place_cols: n,
            packed_b: SharedPtr(std::ptr::null_mut()),
            pack_a: false,
            packed_a: SharedPtr(std::ptr::null_mut()),
            c: p.c.item(i),
            m,
            n,
            k,
            load_c: p.load_c,
            shape: DirectShape::Tall,
            first_panel: 0,
            last_panel: m.div_ceil(MR),
            first_col_panel: 0,
            last_col_panel: n / O::LANES,
        };
        // SAFETY: item i < count of checked batches: A's m×k, B's k×n
        // (unit column stride, n a multiple of LANES, so every panel is
        // read in place and the packed copy is never touched) and C's
        // m×n lie in their slices; C's item is this task's alone; A is
        // read in place (`pack_a` false).
        unsafe { direct_tiles::<O, MR, 1>(&job) };
    }
}
