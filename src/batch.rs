//! Batched products: many independent C_i = A_i ⊗ B_i in one call.

use rayon::prelude::*;

use crate::config::{Accum, GemmConfig};
use crate::error::{Error, Operand};
use crate::gemm::{PARALLEL_MIN_OPS, Prepared, with_thread_workspace};
use crate::kernel::{BatchOperand, prefetch_item};
use crate::semiring::Semiring;
use crate::view::{Footprint, MatMut, MatRef, footprint, layout_aliases};
use crate::workspace::{GemmWorkspace, SharedPtr};

/// Where item i of a strided batch starts in the slice: (first index of
/// its footprint, element (0,0) within it, span).
#[derive(Clone, Copy, Debug)]
struct BatchLayout {
    /// Index of item 0's element (0, 0).
    origin: usize,
    count: usize,
    batch_stride: isize,
    item: Footprint,
}

impl BatchLayout {
    fn new(
        len: usize,
        count: usize,
        batch_stride: isize,
        rows: usize,
        cols: usize,
        rs: isize,
        cs: isize,
    ) -> Result<Self, Error> {
        let item = footprint(rows, cols, rs, cs)?;
        if count == 0 || item.span == 0 {
            return Ok(Self {
                origin: item.offset,
                count,
                batch_stride,
                item,
            });
        }
        let reach = (count as i128 - 1) * batch_stride as i128;
        let low = reach.min(0) - item.offset as i128;
        let needed = reach.abs() + item.span as i128;
        if needed > isize::MAX as i128 {
            return Err(Error::LayoutOverflow);
        }
        if needed as usize > len {
            return Err(Error::BufferTooShort {
                needed: needed as usize,
                len,
            });
        }
        Ok(Self {
            origin: (-low) as usize,
            count,
            batch_stride,
            item,
        })
    }

    /// First index of item i's footprint.
    fn start(&self, i: usize) -> usize {
        (self.origin as isize + i as isize * self.batch_stride) as usize - self.item.offset
    }

    /// Raw parts for a batch stored at `data`.
    fn operand<T>(&self, data: *mut T, row_stride: isize, col_stride: isize) -> BatchOperand<T> {
        BatchOperand {
            origin: SharedPtr(data.wrapping_add(self.origin)),
            batch_stride: self.batch_stride,
            row_stride,
            col_stride,
            before: self.item.offset,
            span: self.item.span,
        }
    }
}

/// A read-only batch of equally shaped matrices: item i, element (r, c)
/// is `data[offset + i·batch_stride + r·row_stride + c·col_stride]`.
/// A zero batch stride repeats one matrix for every item.
#[derive(Clone, Copy, Debug)]
pub struct BatchRef<'a, T> {
    data: &'a [T],
    layout: BatchLayout,
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
}

impl<'a, T: Copy> BatchRef<'a, T> {
    /// Checks that every item fits in `data`.
    pub fn new(
        data: &'a [T],
        count: usize,
        batch_stride: isize,
        rows: usize,
        cols: usize,
        row_stride: isize,
        col_stride: isize,
    ) -> Result<Self, Error> {
        let layout = BatchLayout::new(
            data.len(),
            count,
            batch_stride,
            rows,
            cols,
            row_stride,
            col_stride,
        )?;
        Ok(Self {
            data,
            layout,
            rows,
            cols,
            row_stride,
            col_stride,
        })
    }

    /// `count` dense row-major rows×cols matrices stored one after another.
    pub fn row_major(data: &'a [T], count: usize, rows: usize, cols: usize) -> Result<Self, Error> {
        let (bs, rs) = dense_strides(rows, cols)?;
        Self::new(data, count, bs, rows, cols, rs, 1)
    }

    /// Number of items.
    pub fn count(&self) -> usize {
        self.layout.count
    }

    /// Rows of every item.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns of every item.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Starts loading item i's elements into cache, if it exists and is
    /// small (see [`prefetch_item`]).
    fn prefetch(&self, i: usize) {
        if i < self.layout.count && self.layout.item.span > 0 {
            let start = self.layout.start(i);
            let item = &self.data[start..start + self.layout.item.span];
            prefetch_item(item.as_ptr(), item.len());
        }
    }

    /// The raw parts of this batch, for a kernel's batch entry.
    pub(crate) fn operand(&self) -> BatchOperand<T> {
        self.layout.operand(
            self.data.as_ptr().cast_mut(),
            self.row_stride,
            self.col_stride,
        )
    }

    /// Item i as a matrix view.
    pub fn get(&self, i: usize) -> Option<MatRef<'a, T>> {
        if i >= self.layout.count {
            return None;
        }
        let slice = if self.layout.item.span == 0 {
            &self.data[..0] // an empty item has no elements to place
        } else {
            let start = self.layout.start(i);
            &self.data[start..start + self.layout.item.span]
        };
        MatRef::with_footprint(
            slice,
            self.layout.item,
            self.rows,
            self.cols,
            self.row_stride,
            self.col_stride,
        )
        .ok()
    }
}

/// A mutable batch of equally shaped matrices; items must occupy disjoint
/// address ranges (|batch stride| at least the span of one matrix), and
/// no item may alias itself.
#[derive(Debug)]
pub struct BatchMut<'a, T> {
    data: &'a mut [T],
    layout: BatchLayout,
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
}

impl<'a, T: Copy> BatchMut<'a, T> {
    /// Checks that every item fits in `data` and that no element is shared
    /// ([`Error::AliasingOutput`] otherwise).
    pub fn new(
        data: &'a mut [T],
        count: usize,
        batch_stride: isize,
        rows: usize,
        cols: usize,
        row_stride: isize,
        col_stride: isize,
    ) -> Result<Self, Error> {
        let layout = BatchLayout::new(
            data.len(),
            count,
            batch_stride,
            rows,
            cols,
            row_stride,
            col_stride,
        )?;
        let overlapping_items =
            count > 1 && layout.item.span > 0 && batch_stride.unsigned_abs() < layout.item.span;
        if overlapping_items || layout_aliases(rows, cols, row_stride, col_stride) {
            return Err(Error::AliasingOutput {
                rows,
                cols,
                row_stride,
                col_stride,
            });
        }
        Ok(Self {
            data,
            layout,
            rows,
            cols,
            row_stride,
            col_stride,
        })
    }

    /// `count` dense row-major rows×cols matrices stored one after another.
    pub fn row_major(
        data: &'a mut [T],
        count: usize,
        rows: usize,
        cols: usize,
    ) -> Result<Self, Error> {
        let (bs, rs) = dense_strides(rows, cols)?;
        Self::new(data, count, bs, rows, cols, rs, 1)
    }

    /// Number of items.
    pub fn count(&self) -> usize {
        self.layout.count
    }

    /// Rows of every item.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns of every item.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Every item as its own mutable view, in item order (for calls that
    /// walk two mutable batches side by side).
    pub(crate) fn into_item_views(mut self) -> Vec<MatMut<'a, T>> {
        let count = self.layout.count;
        let (rows, cols, rs, cs) = (self.rows, self.cols, self.row_stride, self.col_stride);
        let item = self.layout.item;
        let view = |piece: &'a mut [T]| {
            MatMut::with_checked_layout(piece, item, rows, cols, rs, cs)
                .expect("layout checked by BatchMut::new")
        };
        let span = self.layout.item.span;
        if count == 0 || span == 0 {
            return (0..count).map(|_| view(&mut [])).collect();
        }
        let (lowest, chunk) = self.chunk_plan();
        let descending = self.layout.batch_stride < 0;
        let data = std::mem::take(&mut self.data);
        let mut views: Vec<MatMut<'a, T>> = data[lowest..]
            .chunks_mut(chunk)
            .take(count)
            .map(|piece| view(&mut piece[..span]))
            .collect();
        if descending {
            views.reverse();
        }
        views
    }

    /// Where the lowest item starts, and the chunk length that holds one
    /// item (items are disjoint address ranges).
    fn chunk_plan(&self) -> (usize, usize) {
        let l = self.layout;
        let chunk = l.batch_stride.unsigned_abs().max(l.item.span).max(1);
        let lowest = match (l.count, l.batch_stride < 0) {
            (0, _) => 0,
            (_, true) => l.start(l.count - 1),
            (_, false) => l.start(0),
        };
        (lowest, chunk)
    }

    /// The slice from the lowest item on, the chunk length that holds one
    /// item, and the map from chunk number to item number. Items are
    /// disjoint address ranges, so whole-stride chunks hold one item each.
    fn chunking(
        &mut self,
    ) -> (
        &mut [T],
        usize,
        impl Fn(usize) -> usize + Sync + Send + use<T>,
    ) {
        let l = self.layout;
        let (lowest, chunk) = self.chunk_plan();
        let item_of_chunk = move |j: usize| {
            if l.batch_stride < 0 {
                l.count - 1 - j
            } else {
                j
            }
        };
        (&mut self.data[lowest..], chunk, item_of_chunk)
    }

    fn item_view<'x>(&self, piece: &'x mut [T]) -> MatMut<'x, T> {
        MatMut::with_checked_layout(
            &mut piece[..self.layout.item.span],
            self.layout.item,
            self.rows,
            self.cols,
            self.row_stride,
            self.col_stride,
        )
        .expect("layout checked by BatchMut::new")
    }

    /// The raw parts of this batch, for a kernel's batch entry.
    pub(crate) fn operand(&mut self) -> BatchOperand<T> {
        self.layout
            .operand(self.data.as_mut_ptr(), self.row_stride, self.col_stride)
    }

    /// Runs `f(item, view)` for every item, in parallel on rayon, without
    /// allocating.
    fn par_for_each_item(&mut self, f: impl Fn(usize, MatMut<'_, T>) + Sync + Send)
    where
        T: Send + Sync,
    {
        if self.layout.count == 0 || self.layout.item.span == 0 {
            return;
        }
        let count = self.layout.count;
        let shape = Self {
            data: &mut [],
            ..*self
        };
        let (data, chunk, item_of_chunk) = self.chunking();
        data.par_chunks_mut(chunk)
            .take(count)
            .enumerate()
            .for_each(|(j, piece)| f(item_of_chunk(j), shape.item_view(piece)));
    }

    /// Runs `f(item, next item, view)` for every item on this thread, in
    /// memory order; the next item's C is prefetched before `f` runs (see
    /// [`prefetch_item`]).
    fn for_each_item(&mut self, mut f: impl FnMut(usize, Option<usize>, MatMut<'_, T>)) {
        if self.layout.count == 0 || self.layout.item.span == 0 {
            return;
        }
        let count = self.layout.count;
        let shape = Self {
            data: &mut [],
            ..*self
        };
        let (data, chunk, item_of_chunk) = self.chunking();
        let mut pieces = data.chunks_mut(chunk).take(count).enumerate().peekable();
        while let Some((j, piece)) = pieces.next() {
            let next = pieces.peek().map(|(next_j, next_piece)| {
                prefetch_item(next_piece.as_ptr(), shape.layout.item.span);
                item_of_chunk(*next_j)
            });
            f(item_of_chunk(j), next, shape.item_view(piece));
        }
    }
}

fn dense_strides(rows: usize, cols: usize) -> Result<(isize, isize), Error> {
    let rs = isize::try_from(cols).map_err(|_| Error::LayoutOverflow)?;
    let bs = rows
        .checked_mul(cols)
        .and_then(|x| isize::try_from(x).ok())
        .ok_or(Error::LayoutOverflow)?;
    Ok((bs, rs))
}

/// C_i = A_i ⊗ B_i (or C_i ⊕ A_i ⊗ B_i) for every item of strided
/// batches, with the default configuration.
///
/// Small products run in parallel across the batch (each on one thread,
/// with that thread's workspace); large ones one after another, each on
/// all threads. Every item is checked before anything is written.
///
/// ```
/// use tropical_blas::{gemm_batched, Accum, BatchMut, BatchRef, MaxPlus};
/// let a = [0.0f32, 1.0, 2.0, 3.0, /* item 1 */ 4.0, 5.0, 6.0, 7.0];
/// let b = [0.0f32, 0.0, 0.0, 0.0]; // one 2×2 matrix shared by both items
/// let mut c = [0.0f32; 8];
/// gemm_batched::<MaxPlus<f32>>(
///     BatchRef::row_major(&a, 2, 2, 2)?,
///     BatchRef::new(&b, 2, 0, 2, 2, 2, 1)?,
///     BatchMut::row_major(&mut c, 2, 2, 2)?,
///     Accum::Replace,
/// )?;
/// assert_eq!(c, [1.0, 1.0, 3.0, 3.0, 5.0, 5.0, 7.0, 7.0]);
/// # Ok::<(), tropical_blas::Error>(())
/// ```
pub fn gemm_batched<S: Semiring>(
    a: BatchRef<'_, S::Scalar>,
    b: BatchRef<'_, S::Scalar>,
    c: BatchMut<'_, S::Scalar>,
    accum: Accum,
) -> Result<(), Error> {
    with_thread_workspace(|ws| gemm_batched_with::<S>(ws, &GemmConfig::default(), a, b, c, accum))
}

/// [`gemm_batched`] with an explicit workspace (used for large items) and
/// configuration.
pub fn gemm_batched_with<S: Semiring>(
    ws: &mut GemmWorkspace,
    cfg: &GemmConfig,
    a: BatchRef<'_, S::Scalar>,
    b: BatchRef<'_, S::Scalar>,
    mut c: BatchMut<'_, S::Scalar>,
    accum: Accum,
) -> Result<(), Error> {
    let count = c.count();
    if a.count() != count || b.count() != count {
        return Err(Error::BatchCountMismatch {
            a: a.count(),
            b: b.count(),
            c: count,
        });
    }
    if a.cols != b.rows || a.rows != c.rows || b.cols != c.cols {
        return Err(Error::DimensionMismatch {
            a: (a.rows, a.cols),
            b: (b.rows, b.cols),
            c: (c.rows, c.cols),
        });
    }
    let prepared = Prepared::<S>::new(cfg)?;
    prepared.check_packed_sizes(a.rows, b.cols, a.cols)?;
    for i in 0..count {
        prepared.check_inputs(a.get(i).expect("i < count"), Operand::A)?;
        prepared.check_inputs(b.get(i).expect("i < count"), Operand::B)?;
    }
    let ops = a.rows.saturating_mul(b.cols).saturating_mul(a.cols);
    let across_batch = count > 1 && ops < PARALLEL_MIN_OPS && cfg.par().threads() > 1;
    if let Some(batch_entry) = prepared.plan(a.rows, b.cols, a.cols).batch_entry() {
        let threads = if across_batch { cfg.par().threads() } else { 1 };
        if ops > 0 && batch_entry(threads, &a, &b, &mut c, accum) {
            return Ok(());
        }
    }
    // One plan (blocking, route) for every item: they share one shape.
    if across_batch {
        let plan = prepared
            .with_par(crate::Par::Seq)
            .plan(a.rows, b.cols, a.cols);
        c.par_for_each_item(|i, ci| {
            let (ai, bi) = (a.get(i).expect("i < count"), b.get(i).expect("i < count"));
            with_thread_workspace(|ws| plan.execute(ws, ai, bi, ci, accum));
        });
    } else {
        let plan = prepared.plan(a.rows, b.cols, a.cols);
        c.for_each_item(|i, next, ci| {
            if let Some(next) = next {
                a.prefetch(next);
                b.prefetch(next);
            }
            let (ai, bi) = (a.get(i).expect("i < count"), b.get(i).expect("i < count"));
            plan.execute(ws, ai, bi, ci, accum);
        });
    }
    Ok(())
}

/// The same over slices of views: `c[i] = a[i] ⊗ b[i]` (or ⊕-combined),
/// for matrices of any shapes and layouts. Every item is checked before
/// anything is written.
///
/// ```
/// use tropical_blas::{gemm_batched_views, Accum, MatMut, MatRef, MinPlus};
/// let (x, y) = ([1.0f64, 2.0], [3.0f64, 4.0, 5.0, 6.0]);
/// let (mut c0, mut c1) = ([0.0f64; 1], [0.0f64; 4]);
/// gemm_batched_views::<MinPlus<f64>>(
///     &[MatRef::row_major(&x, 1, 2)?, MatRef::col_major(&x, 2, 1)?],
///     &[MatRef::col_major(&y[..2], 2, 1)?, MatRef::row_major(&y[2..], 1, 2)?],
///     &mut [MatMut::row_major(&mut c0, 1, 1)?, MatMut::row_major(&mut c1, 2, 2)?],
///     Accum::Replace,
/// )?;
/// assert_eq!((c0, c1), ([4.0], [6.0, 7.0, 7.0, 8.0]));
/// # Ok::<(), tropical_blas::Error>(())
/// ```
pub fn gemm_batched_views<S: Semiring>(
    a: &[MatRef<'_, S::Scalar>],
    b: &[MatRef<'_, S::Scalar>],
    c: &mut [MatMut<'_, S::Scalar>],
    accum: Accum,
) -> Result<(), Error> {
    let cfg = GemmConfig::default();
    if a.len() != c.len() || b.len() != c.len() {
        return Err(Error::BatchCountMismatch {
            a: a.len(),
            b: b.len(),
            c: c.len(),
        });
    }
    let prepared = Prepared::<S>::new(&cfg)?;
    for ((ai, bi), ci) in a.iter().zip(b).zip(c.iter()) {
        if ai.cols() != bi.rows() || ai.rows() != ci.rows() || bi.cols() != ci.cols() {
            return Err(Error::DimensionMismatch {
                a: (ai.rows(), ai.cols()),
                b: (bi.rows(), bi.cols()),
                c: (ci.rows(), ci.cols()),
            });
        }
        prepared.check_packed_sizes(ai.rows(), bi.cols(), ai.cols())?;
        prepared.check_inputs(*ai, Operand::A)?;
        prepared.check_inputs(*bi, Operand::B)?;
    }
    // Each item runs on the thread that takes it; a large item splits
    // itself further (rayon lets idle threads steal its tasks).
    c.par_iter_mut()
        .with_max_len(1)
        .zip(a.par_iter().zip(b.par_iter()))
        .for_each(|(ci, (ai, bi))| {
            with_thread_workspace(|ws| prepared.run(ws, *ai, *bi, ci.rb_mut(), accum));
        });
    Ok(())
}
