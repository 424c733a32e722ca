//! Strided matrix views over ordinary slices.
//!
//! Element (i, j) of a view is `data[offset + i·row_stride + j·col_stride]`,
//! where `offset` is the smallest value that keeps every index ≥ 0, so
//! negative strides work on a plain slice. Views hold the slice, not a raw
//! pointer, so they are built and read in safe code; the kernels turn them
//! into pointers only after the layout has been checked here.

use crate::error::Error;
use crate::workspace::SharedPtr;

/// Checked layout arithmetic shared by both views and the raw entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Footprint {
    /// Index of element (0, 0) in the slice.
    pub offset: usize,
    /// Elements from the lowest to the highest index touched, inclusive
    /// (0 for an empty view).
    pub span: usize,
}

pub(crate) fn footprint(
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
) -> Result<Footprint, Error> {
    if rows == 0 || cols == 0 {
        return Ok(Footprint { offset: 0, span: 0 });
    }
    // Each reach, (extent − 1)·stride, fits i128 (|·| < 2^127), but two of
    // them may not add up in it: the sums are checked.
    let reach = |extent: usize, stride: isize| (extent as i128 - 1) * stride as i128;
    let (r, c) = (reach(rows, row_stride), reach(cols, col_stride));
    let low = r.min(0).checked_add(c.min(0));
    let high = r.max(0).checked_add(c.max(0));
    let span = high
        .zip(low)
        .and_then(|(high, low)| high.checked_sub(low)?.checked_add(1))
        .filter(|&span| span <= isize::MAX as i128);
    match (span, low) {
        (Some(span), Some(low)) => Ok(Footprint {
            offset: (-low) as usize,
            span: span as usize,
        }),
        _ => Err(Error::LayoutOverflow),
    }
}

/// Whether two distinct positions of a rows×cols layout share an element.
///
/// Exact, not a conservative test: positions (i, j) and (i', j') collide
/// iff di·rs = −dj·cs with |di| < rows, |dj| < cols, not both zero. With
/// g = gcd(|rs|, |cs|) the smallest solution is di = cs/g, dj = rs/g.
pub(crate) fn layout_aliases(rows: usize, cols: usize, rs: isize, cs: isize) -> bool {
    if rows == 0 || cols == 0 {
        return false;
    }
    if (rows > 1 && rs == 0) || (cols > 1 && cs == 0) {
        return true;
    }
    if rows == 1 || cols == 1 {
        return false;
    }
    let (urs, ucs) = (rs.unsigned_abs(), cs.unsigned_abs());
    let g = gcd(urs, ucs);
    ucs / g < rows && urs / g < cols
}

/// The error for an output layout whose positions share elements (see
/// [`layout_aliases`]), naming the layout.
pub(crate) fn aliasing_output(
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
) -> Error {
    Error::AliasingOutput {
        rows,
        cols,
        row_stride,
        col_stride,
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn check_len(fp: Footprint, len: usize) -> Result<(), Error> {
    // The highest index touched is offset + high = span - 1.
    if fp.span > len {
        return Err(Error::BufferTooShort {
            needed: fp.span,
            len,
        });
    }
    Ok(())
}

/// What both views share: the dense constructors, the transpose, the
/// shape and strides, and the layout checks of their constructors.
macro_rules! view_common {
    ($data:ty) => {
        /// A dense row-major view (`row_stride = cols`, `col_stride = 1`).
        pub fn row_major(data: $data, rows: usize, cols: usize) -> Result<Self, Error> {
            let rs = isize::try_from(cols).map_err(|_| Error::LayoutOverflow)?;
            Self::new(data, rows, cols, rs, 1)
        }

        /// A dense column-major view (`row_stride = 1`, `col_stride = rows`).
        pub fn col_major(data: $data, rows: usize, cols: usize) -> Result<Self, Error> {
            let cs = isize::try_from(rows).map_err(|_| Error::LayoutOverflow)?;
            Self::new(data, rows, cols, 1, cs)
        }

        /// The transpose, without copying.
        pub fn t(self) -> Self {
            Self {
                rows: self.cols,
                cols: self.rows,
                row_stride: self.col_stride,
                col_stride: self.row_stride,
                ..self
            }
        }

        /// Number of rows.
        pub fn rows(&self) -> usize {
            self.rows
        }
        /// Number of columns.
        pub fn cols(&self) -> usize {
            self.cols
        }
        /// Distance in elements between vertically adjacent elements.
        pub fn row_stride(&self) -> isize {
            self.row_stride
        }
        /// Distance in elements between horizontally adjacent elements.
        pub fn col_stride(&self) -> isize {
            self.col_stride
        }

        /// (rows, cols), for shape checks.
        pub(crate) fn shape(&self) -> (usize, usize) {
            (self.rows, self.cols)
        }

        /// The view after the checks both `new`s make: the layout's
        /// footprint, and that it fits in `data` (`MatMut::new` then checks
        /// aliasing).
        fn fitted(
            data: $data,
            rows: usize,
            cols: usize,
            row_stride: isize,
            col_stride: isize,
        ) -> Result<Self, Error> {
            let fp = footprint(rows, cols, row_stride, col_stride)?;
            Self::with_footprint(data, fp, rows, cols, row_stride, col_stride)
        }

        /// The view of a layout whose footprint `fp` is already known:
        /// worked out by `new`, or once for every item of a batch. Only
        /// the length of `data` is checked here; aliasing is the caller's
        /// to check.
        pub(crate) fn with_footprint(
            data: $data,
            fp: Footprint,
            rows: usize,
            cols: usize,
            row_stride: isize,
            col_stride: isize,
        ) -> Result<Self, Error> {
            debug_assert!(
                footprint(rows, cols, row_stride, col_stride)
                    .is_ok_and(|f| f.offset == fp.offset && f.span == fp.span)
            );
            check_len(fp, data.len())?;
            Ok(Self {
                data,
                offset: fp.offset,
                rows,
                cols,
                row_stride,
                col_stride,
            })
        }
    };
}

/// A read-only strided view of an m×n matrix.
#[derive(Debug)]
pub struct MatRef<'a, T> {
    data: &'a [T],
    offset: usize,
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
}

impl<T> Clone for MatRef<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for MatRef<'_, T> {}

impl<'a, T: Copy> MatRef<'a, T> {
    /// A view with element (i, j) at `data[offset + i·row_stride + j·col_stride]`.
    /// Zero strides are allowed (a broadcast row or column). Errors when the
    /// layout does not fit in `data`.
    pub fn new(
        data: &'a [T],
        rows: usize,
        cols: usize,
        row_stride: isize,
        col_stride: isize,
    ) -> Result<Self, Error> {
        Self::fitted(data, rows, cols, row_stride, col_stride)
    }

    view_common!(&'a [T]);

    /// Element (i, j), or `None` outside the view.
    pub fn get(&self, i: usize, j: usize) -> Option<T> {
        (i < self.rows && j < self.cols).then(|| self.data[self.index(i, j)])
    }

    /// Row i as a slice, when the columns are contiguous (`col_stride` 1).
    pub fn row_slice(&self, i: usize) -> Option<&'a [T]> {
        (i < self.rows && self.col_stride == 1 && self.cols > 0).then(|| {
            let start = self.index(i, 0);
            &self.data[start..start + self.cols]
        })
    }

    /// Column j as a slice, when the rows are contiguous (`row_stride` 1).
    pub fn col_slice(&self, j: usize) -> Option<&'a [T]> {
        self.t().row_slice(j)
    }

    /// Every element as one slice in row-major order, when the rows follow
    /// each other without gaps (unit column stride, row stride = cols).
    pub(crate) fn row_major_slice(&self) -> Option<&'a [T]> {
        let gapless =
            self.col_stride == 1 && (self.row_stride == self.cols as isize || self.rows <= 1);
        (gapless && self.rows > 0 && self.cols > 0).then(|| {
            let start = self.index(0, 0);
            &self.data[start..start + self.rows * self.cols]
        })
    }

    fn index(&self, i: usize, j: usize) -> usize {
        (self.offset as isize + i as isize * self.row_stride + j as isize * self.col_stride)
            as usize
    }

    /// Pointer to element (0, 0); every other element is reached by the
    /// strides and stays inside the slice the view was checked against.
    pub(crate) fn as_ptr(&self) -> *const T {
        self.data.as_ptr().wrapping_add(self.offset)
    }

    /// The checked view as raw parts, for reading only.
    pub(crate) fn raw(&self) -> StridedPtr<T> {
        StridedPtr::new(self.as_ptr().cast_mut(), self.row_stride, self.col_stride)
    }
}

/// A mutable strided view of an m×n matrix; no two positions share an
/// element.
#[derive(Debug)]
pub struct MatMut<'a, T> {
    data: &'a mut [T],
    offset: usize,
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
}

impl<'a, T: Copy> MatMut<'a, T> {
    /// A view with element (i, j) at `data[offset + i·row_stride + j·col_stride]`.
    /// Errors when the layout does not fit in `data`, or when two positions
    /// would share an element ([`Error::AliasingOutput`]).
    pub fn new(
        data: &'a mut [T],
        rows: usize,
        cols: usize,
        row_stride: isize,
        col_stride: isize,
    ) -> Result<Self, Error> {
        let view = Self::fitted(data, rows, cols, row_stride, col_stride)?;
        // Aliasing after the length: a layout that is both too long and
        // aliasing reports `BufferTooShort`.
        if layout_aliases(rows, cols, row_stride, col_stride) {
            return Err(aliasing_output(rows, cols, row_stride, col_stride));
        }
        Ok(view)
    }

    view_common!(&'a mut [T]);

    /// A shorter-lived mutable view of the same elements.
    pub fn rb_mut(&mut self) -> MatMut<'_, T> {
        MatMut {
            data: &mut *self.data,
            offset: self.offset,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
        }
    }

    /// A read-only view of the same elements.
    pub fn as_ref(&self) -> MatRef<'_, T> {
        MatRef {
            data: &*self.data,
            offset: self.offset,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
        }
    }

    /// Element (i, j), or `None` outside the view.
    pub fn get(&self, i: usize, j: usize) -> Option<T> {
        self.as_ref().get(i, j)
    }

    /// Writes element (i, j); returns `false` (and writes nothing) outside
    /// the view.
    pub fn set(&mut self, i: usize, j: usize, value: T) -> bool {
        if i < self.rows && j < self.cols {
            let idx = self.as_ref().index(i, j);
            self.data[idx] = value;
            true
        } else {
            false
        }
    }

    /// Pointer to element (0, 0), with write permission for the whole
    /// checked footprint.
    pub(crate) fn as_mut_ptr(&mut self) -> *mut T {
        self.data.as_mut_ptr().wrapping_add(self.offset)
    }

    /// The checked view as raw parts, with write permission for its
    /// footprint.
    pub(crate) fn raw_mut(&mut self) -> StridedPtr<T> {
        StridedPtr::new(self.as_mut_ptr(), self.row_stride, self.col_stride)
    }
}

/// A matrix as raw parts, for the loops and kernels past the checked
/// views: element (0, 0) and the strides (in elements) to the others.
/// Whether an element may be read or written is the holder's business.
#[derive(Debug)]
pub(crate) struct StridedPtr<T> {
    pub(crate) ptr: SharedPtr<T>,
    pub(crate) row_stride: isize,
    pub(crate) col_stride: isize,
}

impl<T> Clone for StridedPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for StridedPtr<T> {}

impl<T> StridedPtr<T> {
    /// Element (0, 0) at `ptr`, element (i, j) at
    /// `ptr + i·row_stride + j·col_stride`.
    pub(crate) fn new(ptr: *mut T, row_stride: isize, col_stride: isize) -> Self {
        Self {
            ptr: SharedPtr(ptr),
            row_stride,
            col_stride,
        }
    }

    /// Element (i, j), by wrapping arithmetic: a pointer into the matrix
    /// when (i, j) lies in it.
    #[inline(always)]
    pub(crate) fn at(self, i: usize, j: usize) -> *mut T {
        self.ptr
            .get()
            .wrapping_offset(i as isize * self.row_stride + j as isize * self.col_stride)
    }

    /// The same strides from element (i, j) on.
    #[inline(always)]
    pub(crate) fn starting_at(self, i: usize, j: usize) -> Self {
        Self::new(self.at(i, j), self.row_stride, self.col_stride)
    }
}
