//! Batch views: many equally shaped matrices in one slice.

use rayon::prelude::*;

use crate::error::Error;
use crate::kernels::prefetch::prefetch_item;
use crate::view::{
    Footprint, MatMut, MatRef, StridedPtr, aliasing_output, footprint, layout_aliases,
};
use crate::workspace::{SharedPtr, try_empty_vec};

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
        (rows, cols): (usize, usize),
        (rs, cs): (isize, isize),
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

    /// Raw parts for a batch of `shape` items stored at `data`.
    fn operand<T>(
        &self,
        data: *mut T,
        shape: (usize, usize),
        (rs, cs): (isize, isize),
    ) -> BatchOperand<T> {
        BatchOperand {
            origin: StridedPtr::new(data.wrapping_add(self.origin), rs, cs),
            shape,
            batch_stride: self.batch_stride,
            item: self.item,
        }
    }
}

/// What both batch views share: `new` (the layout check; `then` names a
/// further check of the checked batch, `BatchMut`'s aliasing), the dense
/// constructor, the count and shape.
macro_rules! batch_common {
    ($(#[$new_doc:meta])* $data:ty $(, then $check:ident)?) => {
        $(#[$new_doc])*
        pub fn new(
            data: $data,
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
                (rows, cols),
                (row_stride, col_stride),
            )?;
            let batch = Self {
                data,
                layout,
                rows,
                cols,
                row_stride,
                col_stride,
            };
            $(batch.$check()?;)?
            Ok(batch)
        }

        /// `count` dense row-major rows×cols matrices stored one after another.
        pub fn row_major(
            data: $data,
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

        /// (rows, cols) of every item, for shape checks.
        pub(crate) fn shape(&self) -> (usize, usize) {
            (self.rows, self.cols)
        }
    };
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
    batch_common!(
        /// Checks that every item fits in `data`.
        &'a [T]
    );

    /// Starts loading item i's elements into cache, if it exists and is
    /// small (see [`prefetch_item`]).
    pub(crate) fn prefetch(&self, i: usize) {
        if i < self.layout.count && self.layout.item.span > 0 {
            let start = self.layout.start(i);
            let item = &self.data[start..start + self.layout.item.span];
            prefetch_item(item.as_ptr(), item.len());
        }
    }

    /// How many leading items can differ from each other: 1 when every
    /// item is the same matrix (a zero batch stride, or empty items), else
    /// all of them. Checks of every item's values need only these: with a
    /// zero stride the count is unbounded by the slice, the distinct items
    /// are not.
    pub(crate) fn distinct_items(&self) -> usize {
        if self.layout.batch_stride == 0 || self.layout.item.span == 0 {
            self.layout.count.min(1)
        } else {
            self.layout.count
        }
    }

    /// The raw parts of this batch, for a kernel's batch entry.
    pub(crate) fn operand(&self) -> BatchOperand<T> {
        self.layout.operand(
            self.data.as_ptr().cast_mut(),
            self.shape(),
            (self.row_stride, self.col_stride),
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
    batch_common!(
        /// Checks that every item fits in `data` and that no element is shared
        /// ([`Error::AliasingOutput`] otherwise).
        &'a mut [T], then check_disjoint
    );

    /// `new`'s aliasing check: items occupy disjoint address ranges and no
    /// item aliases itself.
    fn check_disjoint(&self) -> Result<(), Error> {
        let (count, span) = (self.layout.count, self.layout.item.span);
        let overlapping_items =
            count > 1 && span > 0 && self.layout.batch_stride.unsigned_abs() < span;
        let (rows, cols, rs, cs) = (self.rows, self.cols, self.row_stride, self.col_stride);
        if overlapping_items || layout_aliases(rows, cols, rs, cs) {
            return Err(aliasing_output(rows, cols, rs, cs));
        }
        Ok(())
    }

    /// Every item as its own mutable view, in item order (for calls that
    /// walk two mutable batches side by side), or
    /// [`Error::WorkspaceTooLarge`] when the list cannot be allocated (a
    /// view takes more memory than a one-element item).
    pub(crate) fn into_item_views(mut self) -> Result<Vec<MatMut<'a, T>>, Error> {
        let count = self.layout.count;
        let mut views = try_empty_vec(count)?;
        if count == 0 || self.layout.item.span == 0 {
            views.extend((0..count).map(|_| self.item_view(&mut [])));
            return Ok(views);
        }
        let (lowest, chunk) = self.chunk_plan();
        let descending = self.layout.batch_stride < 0;
        let data = std::mem::take(&mut self.data);
        views.extend(
            data[lowest..]
                .chunks_mut(chunk)
                .take(count)
                .map(|piece| self.item_view(piece)),
        );
        if descending {
            views.reverse();
        }
        Ok(views)
    }

    /// The item stored lowest in memory, or `None` when no item has an
    /// element: items share one shape, so one stands for all where only
    /// the shape matters (reserving buffers).
    pub(crate) fn lowest_item(&mut self) -> Option<MatMut<'_, T>> {
        if self.layout.count == 0 || self.layout.item.span == 0 {
            return None;
        }
        let (lowest, _) = self.chunk_plan();
        let shape = Self {
            data: &mut [],
            ..*self
        };
        Some(shape.item_view(&mut self.data[lowest..]))
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

    /// The item stored at the start of `piece`, viewed with the layout
    /// `new` checked once for every item (aliasing included).
    fn item_view<'x>(&self, piece: &'x mut [T]) -> MatMut<'x, T> {
        debug_assert!(!layout_aliases(
            self.rows,
            self.cols,
            self.row_stride,
            self.col_stride
        ));
        MatMut::with_footprint(
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
        self.layout.operand(
            self.data.as_mut_ptr(),
            self.shape(),
            (self.row_stride, self.col_stride),
        )
    }

    /// Runs `f(item, view)` for every item, in parallel on rayon, without
    /// allocating; stops taking items after the first error.
    pub(crate) fn par_try_for_each_item<E: Send>(
        &mut self,
        f: impl Fn(usize, MatMut<'_, T>) -> Result<(), E> + Sync + Send,
    ) -> Result<(), E>
    where
        T: Send + Sync,
    {
        if self.layout.count == 0 || self.layout.item.span == 0 {
            return Ok(());
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
            .try_for_each(|(j, piece)| f(item_of_chunk(j), shape.item_view(piece)))
    }

    /// Runs `f(item, next item, view)` for every item on this thread, in
    /// memory order; the next item's C is prefetched before `f` runs (see
    /// [`prefetch_item`]).
    pub(crate) fn for_each_item(&mut self, mut f: impl FnMut(usize, Option<usize>, MatMut<'_, T>)) {
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

/// One operand of a checked strided batch, as raw parts for a kernel's
/// batch entry (see [`BatchFn`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct BatchOperand<T> {
    /// Item 0 (its element (0, 0) and the items' strides).
    pub(crate) origin: StridedPtr<T>,
    /// (rows, cols) of every item.
    pub(crate) shape: (usize, usize),
    pub(crate) batch_stride: isize,
    /// Item i's elements lie in the `item.span` elements starting
    /// `item.offset` elements ahead of its element (0, 0).
    pub(crate) item: Footprint,
}

impl<T> BatchOperand<T> {
    /// Item i; in bounds for i < the batch's count.
    #[inline(always)]
    pub(crate) fn item(&self, i: usize) -> StridedPtr<T> {
        let first = self.origin.ptr.get();
        StridedPtr {
            ptr: SharedPtr(first.wrapping_offset(i as isize * self.batch_stride)),
            ..self.origin
        }
    }

    /// Prefetches item i's elements (see [`prefetch_item`]).
    #[inline(always)]
    pub(crate) fn prefetch(&self, i: usize) {
        prefetch_item(
            self.item(i)
                .ptr
                .get()
                .wrapping_sub(self.item.offset)
                .cast_const(),
            self.item.span,
        );
    }
}
