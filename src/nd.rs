//! The `ndarray` adapter (cargo feature `ndarray`): conversions between
//! ndarray views and this crate's views, and products that take views and
//! return arrays.
//!
//! The conversions borrow, never copy, and keep every stride (transposed,
//! reversed, broadcast). A `MatRef` borrows the slice from the lowest to the
//! highest element it reaches, so an ndarray view converts only when that
//! span holds nothing but its own elements; a sub-block of a larger array
//! (a few columns of a row-major matrix) has other elements between its
//! rows, which another view may be writing, and is refused with
//! [`Error::LayoutNotConvertible`]. The functions of this module accept every view:
//! they copy such an operand once (O(m·k) next to the product's O(m·n·k)).
//!
//! ```
//! use ndarray::array;
//! use tropical_blas::{nd, MaxPlus};
//! let a = array![[0.0f32, 1.0], [2.0, 3.0]];
//! let b = array![[0.0f32, 5.0], [1.0, 0.0]];
//! let c = nd::matmul::<MaxPlus<f32>>(&a, &b)?; // c[i, j] = max_k a[i, k] + b[k, j]
//! assert_eq!(c, array![[2.0, 5.0], [4.0, 7.0]]);
//! let (c, argk) = nd::matmul_argmax::<MaxPlus<f32>>(&a, &b)?;
//! assert_eq!(argk, array![[1, 0], [1, 0]]);
//! # let _ = c;
//! # Ok::<(), tropical_blas::Error>(())
//! ```

use ndarray::{
    Array, Array2, Array3, ArrayView, ArrayView2, ArrayView3, ArrayViewMut2, AsArray, Axis,
    CowArray, Dimension, Ix2, Ix3, ShapeBuilder,
};

use crate::api::argmax::{gemm_argmax, gemm_argmax_batched};
use crate::api::batch::gemm_batched;
use crate::api::gemm::gemm;
use crate::batch_view::{BatchMut, BatchRef};
use crate::config::Accum;
use crate::error::Error;
use crate::semiring::{NO_ARG, SelectingSemiring, Semiring};
use crate::view::{MatMut, MatRef};
use crate::workspace::try_filled_vec;

/// The axes that move (more than one element, `nonzero`: a stride other
/// than 0) as (|stride|, length), smallest stride first.
fn sorted_steps(shape: &[usize], strides: &[isize], nonzero: bool) -> Vec<(usize, usize)> {
    let mut steps: Vec<(usize, usize)> = shape
        .iter()
        .zip(strides)
        .filter(|&(&len, &stride)| len > 1 && (stride != 0 || !nonzero))
        .map(|(&len, &stride)| (stride.unsigned_abs(), len))
        .collect();
    steps.sort_unstable();
    steps
}

/// Whether every element between the lowest and the highest address a
/// layout reaches is one of its elements (so borrowing that span borrows
/// nothing else). Sorted by stride, axis i + 1 must step at most one past
/// the interval the axes before it cover.
fn covers_its_span(shape: &[usize], strides: &[isize]) -> bool {
    if shape.contains(&0) {
        return true;
    }
    let mut covered = 0usize; // the axes so far reach offsets 0..=covered
    for (stride, len) in sorted_steps(shape, strides, true) {
        if stride > covered + 1 {
            return false;
        }
        covered += stride * (len - 1);
    }
    true
}

/// The span of a layout whose element 0 is at `origin`: (offset of the
/// lowest element from `origin`, elements from the lowest to the highest).
fn span_of(shape: &[usize], strides: &[isize]) -> (isize, usize) {
    if shape.contains(&0) {
        return (0, 0);
    }
    let reaches = shape
        .iter()
        .zip(strides)
        .map(|(&len, &s)| (len as isize - 1) * s);
    let low: isize = reaches.clone().map(|r| r.min(0)).sum();
    let high: isize = reaches.map(|r| r.max(0)).sum();
    (low, (high - low) as usize + 1)
}

fn gaps_error(shape: &[usize], strides: &[isize]) -> Error {
    Error::LayoutNotConvertible {
        shape: shape.to_vec(),
        strides: strides.to_vec(),
        reason: "its memory span holds elements that are not its own (gaps between rows or columns), which another view may be writing",
    }
}

/// Whether ndarray's raw mutable constructor takes a layout: its debug
/// assertion wants each axis, sorted by stride, to step past everything
/// the axes before it reach. That is stricter than this crate's exact
/// test, which also accepts interleaved layouts such as 3×3 with strides
/// (2, 3).
fn ndarray_debug_accepts_mut(shape: &[usize], strides: &[isize]) -> bool {
    let mut reach = 0usize;
    for (stride, len) in sorted_steps(shape, strides, false) {
        if stride <= reach || stride == 0 {
            return false;
        }
        reach += stride * (len - 1);
    }
    true
}

/// The slice from the lowest to the highest element of an ndarray view
/// whose span holds only its own elements.
fn span_slice<'a, T, D: Dimension>(view: &ndarray::ArrayView<'a, T, D>) -> Result<&'a [T], Error> {
    let (shape, strides) = (view.shape(), view.strides());
    if !covers_its_span(shape, strides) {
        return Err(gaps_error(shape, strides));
    }
    let (low, len) = span_of(shape, strides);
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: `low` is the offset of the view's lowest element from its
    // element 0, and the `len` elements from there are exactly the
    // addresses of the view's elements (`covers_its_span`), which the view
    // borrows shared for 'a, aligned and initialized (ndarray's view
    // invariants); ndarray keeps such spans within one allocation.
    Ok(unsafe { std::slice::from_raw_parts(view.as_ptr().offset(low), len) })
}

/// [`span_slice`] for a mutable view, which it consumes.
fn span_slice_mut<'a, T, D: Dimension>(
    mut view: ndarray::ArrayViewMut<'a, T, D>,
) -> Result<&'a mut [T], Error> {
    let (shape, strides) = (view.shape(), view.strides());
    if !covers_its_span(shape, strides) {
        return Err(gaps_error(shape, strides));
    }
    let (low, len) = span_of(shape, strides);
    if len == 0 {
        return Ok(&mut []);
    }
    // SAFETY: as in `span_slice`; the view borrowed these elements
    // uniquely for 'a and is consumed here, so the slice is their only
    // access path for 'a.
    Ok(unsafe { std::slice::from_raw_parts_mut(view.as_mut_ptr().offset(low), len) })
}

impl<'a, T: Copy> TryFrom<ArrayView2<'a, T>> for MatRef<'a, T> {
    type Error = Error;

    /// Borrows the view with its strides; [`Error::LayoutNotConvertible`] when its
    /// span holds elements that are not its own (see the module docs).
    fn try_from(view: ArrayView2<'a, T>) -> Result<Self, Error> {
        let (rows, cols) = view.dim();
        let (rs, cs) = (view.strides()[0], view.strides()[1]);
        MatRef::new(span_slice(&view)?, rows, cols, rs, cs)
    }
}

impl<'a, T: Copy> TryFrom<ArrayViewMut2<'a, T>> for MatMut<'a, T> {
    type Error = Error;

    /// Borrows the view with its strides; [`Error::LayoutNotConvertible`] when its
    /// span holds elements that are not its own (see the module docs).
    fn try_from(view: ArrayViewMut2<'a, T>) -> Result<Self, Error> {
        let (rows, cols) = view.dim();
        let (rs, cs) = (view.strides()[0], view.strides()[1]);
        MatMut::new(span_slice_mut(view)?, rows, cols, rs, cs)
    }
}

/// The view's shape with the strides made non-negative (as ndarray's raw
/// constructors want them), the offset of its lowest element from element
/// (0, 0), and which axes were reversed to get there.
fn unsigned_layout(
    rows: usize,
    cols: usize,
    rs: isize,
    cs: isize,
) -> (usize, usize, isize, [bool; 2]) {
    let (low, _) = span_of(&[rows, cols], &[rs, cs]);
    (rs.unsigned_abs(), cs.unsigned_abs(), low, [rs < 0, cs < 0])
}

/// Reverses the axes `unsigned_layout` turned, so the view walks its
/// elements in the original order again.
fn restore_signs<D: ndarray::RawData>(view: &mut ndarray::ArrayBase<D, Ix2>, reversed: [bool; 2]) {
    for (axis, flip) in reversed.into_iter().enumerate() {
        if flip {
            view.invert_axis(Axis(axis));
        }
    }
}

/// ndarray's bound on a shape: the product of its nonzero axis lengths
/// at most `isize::MAX` ([`Error::LayoutOverflow`] otherwise). A
/// broadcast `MatRef` (zero strides) can be far larger than its slice.
fn check_ndarray_shape(rows: usize, cols: usize) -> Result<(), Error> {
    rows.max(1)
        .checked_mul(cols.max(1))
        .filter(|&size| size <= isize::MAX as usize)
        .map(|_| ())
        .ok_or(Error::LayoutOverflow)
}

impl<'a, T: Copy> TryFrom<MatRef<'a, T>> for ArrayView2<'a, T> {
    type Error = Error;

    /// Borrows the view with its strides (negative and zero ones
    /// included); [`Error::LayoutOverflow`] for a (broadcast) view with
    /// more than `isize::MAX` elements, which ndarray cannot describe.
    fn try_from(view: MatRef<'a, T>) -> Result<Self, Error> {
        let (rows, cols) = (view.rows(), view.cols());
        check_ndarray_shape(rows, cols)?;
        if rows == 0 || cols == 0 {
            // ndarray may offset an empty view's pointer along its strides
            // (`invert_axis`, `index_axis`): give it none to follow.
            return ArrayView2::from_shape((rows, cols), &[]).map_err(|_| Error::LayoutOverflow);
        }
        let (rs, cs, low, reversed) =
            unsigned_layout(rows, cols, view.row_stride(), view.col_stride());
        let lowest = view.as_ptr().wrapping_offset(low);
        // SAFETY: with the strides' signs turned, element (i, j) is at
        // `lowest + i·|rs| + j·|cs|`, every one of them inside the slice
        // the `MatRef` was checked against and borrows shared for 'a
        // (aligned, initialized, not mutably aliased); the span fits isize
        // (checked by its constructor) and so does the element count
        // (`check_ndarray_shape`); the view has elements (the empty one
        // returned above), so `lowest` is the address of one of them.
        let mut out = unsafe { ArrayView2::from_shape_ptr((rows, cols).strides((rs, cs)), lowest) };
        restore_signs(&mut out, reversed);
        Ok(out)
    }
}

impl<'a, T: Copy> TryFrom<MatMut<'a, T>> for ArrayViewMut2<'a, T> {
    type Error = Error;

    /// Borrows the view with its strides (negative ones included);
    /// [`Error::LayoutNotConvertible`] for the interleaved layouts ndarray
    /// does not take (rows and columns stepping over each other).
    fn try_from(mut view: MatMut<'a, T>) -> Result<Self, Error> {
        let (rows, cols) = (view.rows(), view.cols());
        if rows == 0 || cols == 0 {
            return ArrayViewMut2::from_shape((rows, cols), &mut [])
                .map_err(|_| Error::LayoutOverflow);
        }
        let strides = [view.row_stride(), view.col_stride()];
        if !ndarray_debug_accepts_mut(&[rows, cols], &strides) {
            return Err(Error::LayoutNotConvertible {
                shape: vec![rows, cols],
                strides: strides.to_vec(),
                reason: "ndarray takes no mutable layout whose rows and columns interleave",
            });
        }
        let (rs, cs, low, reversed) =
            unsigned_layout(rows, cols, view.row_stride(), view.col_stride());
        let lowest = view.as_mut_ptr().wrapping_offset(low);
        // SAFETY: as for `MatRef`; the `MatMut` borrowed its slice uniquely
        // for 'a and is consumed here, and no two positions share an
        // element (its constructor's exact test, and ndarray's stricter
        // one just above), so the elements are not aliased.
        let mut out =
            unsafe { ArrayViewMut2::from_shape_ptr((rows, cols).strides((rs, cs)), lowest) };
        restore_signs(&mut out, reversed);
        Ok(out)
    }
}

/// An operand as the kernels borrow it: the view itself when its span
/// holds only its own elements, else a compact copy: each broadcast axis
/// is copied once and broadcast again, so a shared row or item stays
/// shared and the copy is no larger than the memory the view reads.
struct Staged<'a, T, D: Dimension> {
    data: CowArray<'a, T, D>,
    shape: D,
}

impl<'a, T: Copy, D: Dimension> Staged<'a, T, D> {
    fn new(view: ArrayView<'a, T, D>) -> Result<Self, Error> {
        let shape = view.raw_dim();
        if covers_its_span(view.shape(), view.strides()) {
            let data = CowArray::from(view);
            return Ok(Self { data, shape });
        }
        let mut distinct = view;
        for axis in 0..distinct.ndim() {
            if distinct.strides()[axis] == 0 {
                distinct.collapse_axis(Axis(axis), 0);
            }
        }
        let data = CowArray::from(copy_of(distinct)?);
        Ok(Self { data, shape })
    }

    fn view(&self) -> Result<ArrayView<'_, T, D>, Error> {
        self.data
            .broadcast(self.shape.clone())
            .ok_or(Error::LayoutOverflow)
    }
}

impl<T: Copy> Staged<'_, T, Ix2> {
    fn mat_ref(&self) -> Result<MatRef<'_, T>, Error> {
        MatRef::try_from(self.view()?)
    }
}

impl<T: Copy> Staged<'_, T, Ix3> {
    /// The batch as `count` items; a batch of one item is repeated
    /// (stride 0) for every item of the other operand.
    fn batch_ref(&self, count: usize) -> Result<BatchRef<'_, T>, Error> {
        let view = self.view()?;
        let (items, rows, cols) = view.dim();
        let s = view.strides();
        let batch_stride = if items == 1 { 0 } else { s[0] };
        BatchRef::new(
            span_slice(&view)?,
            count,
            batch_stride,
            rows,
            cols,
            s[1],
            s[2],
        )
    }
}

/// A standard-layout copy of a non-empty view, allocated fallibly.
fn copy_of<T: Copy, D: Dimension>(view: ArrayView<'_, T, D>) -> Result<Array<T, D>, Error> {
    let fill = *view.first().ok_or(Error::LayoutOverflow)?;
    let mut copy = output(view.raw_dim(), fill)?;
    copy.assign(&view);
    Ok(copy)
}

/// A new output array filled with `fill`: an error, not an abort, when
/// its size overflows or the allocator refuses it (broadcast inputs can
/// ask for any size).
fn output<T: Copy, D: Dimension>(shape: D, fill: T) -> Result<Array<T, D>, Error> {
    let len = shape
        .slice()
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&len| len <= isize::MAX as usize)
        .ok_or(Error::LayoutOverflow)?;
    let data = try_filled_vec(len, fill)?;
    Array::from_shape_vec(shape, data).map_err(|_| Error::LayoutOverflow)
}

/// `DimensionMismatch` unless A's columns meet B's rows; checked before an
/// output is allocated, so a wrong k is reported as such.
fn check_depth(a: (usize, usize), b: (usize, usize)) -> Result<(), Error> {
    if a.1 != b.0 {
        return Err(Error::DimensionMismatch {
            a,
            b,
            c: (a.0, b.1),
        });
    }
    Ok(())
}

/// `a ⊗ b` as a new array. Accepts any view (or `&Array2`).
pub fn matmul<'a, 'b, S: Semiring>(
    a: impl AsArray<'a, S::Scalar, Ix2>,
    b: impl AsArray<'b, S::Scalar, Ix2>,
) -> Result<Array2<S::Scalar>, Error>
where
    S::Scalar: 'a + 'b,
{
    let (a, b) = (a.into(), b.into());
    check_depth(a.dim(), b.dim())?;
    let mut c = output(Ix2(a.nrows(), b.ncols()), S::ZERO)?;
    matmul_into::<S>(a, b, c.view_mut(), Accum::Replace)?;
    Ok(c)
}

/// `c = a ⊗ b` (`Accum::Replace`) or `c = c ⊕ a ⊗ b` (`Accum::Combine`)
/// into any mutable view; `c` is untouched on error.
pub fn matmul_into<'a, 'b, S: Semiring>(
    a: impl AsArray<'a, S::Scalar, Ix2>,
    b: impl AsArray<'b, S::Scalar, Ix2>,
    mut c: ArrayViewMut2<'_, S::Scalar>,
    accum: Accum,
) -> Result<(), Error>
where
    S::Scalar: 'a + 'b,
{
    let (a, b) = (Staged::new(a.into())?, Staged::new(b.into())?);
    let (a, b) = (a.mat_ref()?, b.mat_ref()?);
    if covers_its_span(c.shape(), c.strides()) {
        return gemm::<S>(a, b, MatMut::try_from(c)?, accum);
    }
    // Gaps between C's elements: compute beside, then copy in.
    let mut beside = copy_of(c.view())?;
    gemm::<S>(a, b, MatMut::try_from(beside.view_mut())?, accum)?;
    c.assign(&beside);
    Ok(())
}

/// `a ⊗ b` with the winning k of every output ([`gemm_argmax`]'s rules:
/// smallest k on ties, [`NO_ARG`] where nothing beat ZERO).
pub fn matmul_argmax<'a, 'b, S: SelectingSemiring>(
    a: impl AsArray<'a, S::Scalar, Ix2>,
    b: impl AsArray<'b, S::Scalar, Ix2>,
) -> Result<(Array2<S::Scalar>, Array2<u32>), Error>
where
    S::Scalar: 'a + 'b,
{
    let (a, b) = (Staged::new(a.into())?, Staged::new(b.into())?);
    let (a, b) = (a.mat_ref()?, b.mat_ref()?);
    check_depth((a.rows(), a.cols()), (b.rows(), b.cols()))?;
    let shape = Ix2(a.rows(), b.cols());
    let (mut c, mut argk) = (output(shape, S::ZERO)?, output(shape, NO_ARG)?);
    gemm_argmax::<S>(
        a,
        b,
        MatMut::try_from(c.view_mut())?,
        MatMut::try_from(argk.view_mut())?,
        Accum::Replace,
    )?;
    Ok((c, argk))
}

/// `c[i] = a[i] ⊗ b[i]` for every item of two batches (axis 0); a batch of
/// one item is shared by every item of the other (no copy).
pub fn matmul_batched<'a, 'b, S: Semiring>(
    a: impl AsArray<'a, S::Scalar, Ix3>,
    b: impl AsArray<'b, S::Scalar, Ix3>,
) -> Result<Array3<S::Scalar>, Error>
where
    S::Scalar: 'a + 'b,
{
    let (a, b, count) = batch_operands(a.into(), b.into())?;
    let mut c = output(Ix3(count, a.shape[1], b.shape[2]), S::ZERO)?;
    gemm_batched::<S>(
        a.batch_ref(count)?,
        b.batch_ref(count)?,
        batch_mut(&mut c)?,
        Accum::Replace,
    )?;
    Ok(c)
}

/// [`matmul_argmax`] for every item of two batches, shared as in
/// [`matmul_batched`].
pub fn matmul_argmax_batched<'a, 'b, S: SelectingSemiring>(
    a: impl AsArray<'a, S::Scalar, Ix3>,
    b: impl AsArray<'b, S::Scalar, Ix3>,
) -> Result<(Array3<S::Scalar>, Array3<u32>), Error>
where
    S::Scalar: 'a + 'b,
{
    let (a, b, count) = batch_operands(a.into(), b.into())?;
    let shape = Ix3(count, a.shape[1], b.shape[2]);
    let (mut c, mut argk) = (output(shape, S::ZERO)?, output(shape, NO_ARG)?);
    gemm_argmax_batched::<S>(
        a.batch_ref(count)?,
        b.batch_ref(count)?,
        batch_mut(&mut c)?,
        batch_mut(&mut argk)?,
        Accum::Replace,
    )?;
    Ok((c, argk))
}

/// Both batches staged, and the item count of their product: equal
/// counts, or one side of 1. Shapes are checked before any output exists.
#[allow(clippy::type_complexity)]
fn batch_operands<'a, 'b, T: Copy>(
    a: ArrayView3<'a, T>,
    b: ArrayView3<'b, T>,
) -> Result<(Staged<'a, T, Ix3>, Staged<'b, T, Ix3>, usize), Error> {
    let ((x, m, k), (y, kb, n)) = (a.dim(), b.dim());
    let count = match (x, y) {
        (x, y) if x == y || y == 1 => x,
        (1, y) => y,
        (x, y) => {
            return Err(Error::BatchCountMismatch {
                a: x,
                b: y,
                c: x.max(y),
            });
        }
    };
    check_depth((m, k), (kb, n))?;
    Ok((Staged::new(a)?, Staged::new(b)?, count))
}

fn batch_mut<T: Copy>(c: &mut Array3<T>) -> Result<BatchMut<'_, T>, Error> {
    let (count, rows, cols) = c.dim();
    let s = c.strides();
    let (bs, rs, cs) = (s[0], s[1], s[2]);
    BatchMut::new(span_slice_mut(c.view_mut())?, count, bs, rows, cols, rs, cs)
}
