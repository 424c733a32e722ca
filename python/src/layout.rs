//! NumPy arrays as the crate sees them: element strides, the memory they
//! cover, and slices over exactly that memory.
//!
//! NumPy strides are in bytes and may be negative or zero; the crate's
//! views take element strides over a slice that starts at the lowest
//! address the view touches. This module converts one into the other and
//! refuses what cannot be converted without a copy (a stride that is not a
//! multiple of the item size, or a misaligned data pointer): the Python
//! layer copies such inputs before they get here.

use numpy::{Element, PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// One array's shape, element strides and covered memory.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The name used in error messages (`a`, `b`, `out`, ...).
    pub name: &'static str,
    /// The array's shape.
    pub shape: Vec<usize>,
    /// Its strides in elements.
    pub strides: Vec<isize>,
    /// Address of element (0, …, 0), the array's data pointer.
    pub data: usize,
    /// Element offset, from element (0, …, 0), of the lowest element the
    /// array touches (≤ 0).
    pub low: isize,
    /// Elements from the lowest to the highest one touched, inclusive; 0
    /// for an array with no elements.
    pub span: usize,
    /// Bytes per element.
    pub itemsize: usize,
}

impl Layout {
    /// Reads and checks the layout of `array`, whose elements are `T`.
    pub fn of<T: Element>(name: &'static str, array: &Bound<'_, PyArrayDyn<T>>) -> PyResult<Self> {
        let itemsize = std::mem::size_of::<T>();
        let shape = array.shape().to_vec();
        let mut strides = Vec::with_capacity(shape.len());
        for (&bytes, &extent) in array.strides().iter().zip(&shape) {
            // A dimension of extent 1 is never stepped along, and an array
            // with no elements is never read: their strides may be
            // anything (NumPy leaves odd values there).
            if extent <= 1 || shape.contains(&0) {
                strides.push(0);
            } else if bytes % itemsize as isize != 0 {
                return Err(PyValueError::new_err(format!(
                    "{name}: stride {bytes} bytes is not a multiple of the item size {itemsize}"
                )));
            } else {
                strides.push(bytes / itemsize as isize);
            }
        }
        let data = array.data() as usize;
        let (low, span) = extent_of(&shape, &strides)
            .ok_or_else(|| PyValueError::new_err(format!("{name}: layout too large")))?;
        if span > 0 && !data.is_multiple_of(std::mem::align_of::<T>()) {
            return Err(PyValueError::new_err(format!(
                "{name}: data is not aligned to {} bytes",
                std::mem::align_of::<T>()
            )));
        }
        Ok(Layout {
            name,
            shape,
            strides,
            data,
            low,
            span,
            itemsize,
        })
    }

    /// The byte range `[start, end)` this array touches (empty when it has
    /// no elements).
    pub fn byte_range(&self) -> (usize, usize) {
        if self.span == 0 {
            return (self.data, self.data);
        }
        let start = (self.data as isize + self.low * self.itemsize as isize) as usize;
        (start, start + self.span * self.itemsize)
    }

    /// Whether the memory of `self` and `other` intersects.
    pub fn overlaps(&self, other: &Layout) -> bool {
        let (s0, e0) = self.byte_range();
        let (s1, e1) = other.byte_range();
        s0 < e1 && s1 < e0
    }

    /// Address of the lowest element touched.
    fn lowest(&self) -> usize {
        self.byte_range().0
    }

    /// Refuses a bool array whose memory, from its lowest to its highest
    /// element, holds a byte other than 0 or 1 (a bool view of other
    /// data): a Rust `bool` must be 0 or 1, so no `&[bool]` may cover it.
    ///
    /// # Safety
    /// As for [`Layout::slice`] with `T = bool` (one byte per element).
    pub unsafe fn check_bool_bytes(&self) -> PyResult<()> {
        if self.span == 0 || self.itemsize != 1 {
            return Ok(());
        }
        // SAFETY: the same memory `slice::<bool>` would cover (see there),
        // read as u8, for which every byte value is valid.
        let bytes = unsafe { std::slice::from_raw_parts(self.lowest() as *const u8, self.span) };
        if bytes.iter().any(|&byte| byte > 1) {
            return Err(PyValueError::new_err(format!(
                "{}: a bool array whose memory holds bytes other than 0 and 1 \
                 (a bool view of other data); pass x.astype(bool)",
                self.name
            )));
        }
        Ok(())
    }

    /// The same shape laid out densely in row-major order (the data
    /// pointer is not an array's: for a scratch buffer indexed by it).
    pub fn dense(&self) -> Layout {
        let mut strides = vec![0isize; self.shape.len()];
        let mut step = 1usize;
        for (stride, &extent) in strides.iter_mut().zip(&self.shape).rev() {
            if extent > 1 {
                *stride = step as isize;
            }
            step *= extent;
        }
        Layout {
            strides,
            data: 0,
            low: 0,
            span: step,
            ..self.clone()
        }
    }

    /// Calls `f` with the offset of every element from the lowest one, in
    /// row-major order of the indices.
    pub fn for_each_offset(&self, mut f: impl FnMut(usize)) {
        if self.span == 0 {
            return;
        }
        let mut index = vec![0usize; self.shape.len()];
        let mut at = -self.low;
        loop {
            f(at as usize);
            // Next index: the last dimension fastest, carrying leftwards.
            let mut d = self.shape.len();
            loop {
                if d == 0 {
                    return;
                }
                d -= 1;
                index[d] += 1;
                at += self.strides[d];
                if index[d] < self.shape[d] {
                    break;
                }
                at -= self.strides[d] * self.shape[d] as isize;
                index[d] = 0;
            }
        }
    }

    /// A shared slice over exactly the elements this array touches.
    ///
    /// # Safety
    /// `self` must describe a live NumPy array of `T` (from [`Layout::of`]
    /// with the same `T`), that array must stay alive and must not be
    /// written by anyone for `'a` (the caller holds a NumPy read borrow of
    /// it, and no writable slice over overlapping memory exists).
    pub unsafe fn slice<'a, T>(&self) -> &'a [T] {
        if self.span == 0 {
            return &[];
        }
        // SAFETY: `of` checked that the data pointer is aligned for T and
        // that every stride is a whole number of elements, and computed
        // `low`/`span` as the exact extent of the strided elements, all of
        // which lie inside the array's allocation (NumPy's own invariant
        // for a valid array). So `lowest()` is an aligned pointer to `span`
        // initialized elements of T; the caller guarantees no writes for
        // 'a.
        unsafe { std::slice::from_raw_parts(self.lowest() as *const T, self.span) }
    }

    /// A mutable slice over exactly the elements this array touches.
    ///
    /// # Safety
    /// As for [`Layout::slice`], and in addition the caller holds NumPy's
    /// write borrow of the array (so it is writeable), and no other slice,
    /// shared or mutable, over overlapping memory exists for `'a`.
    pub unsafe fn slice_mut<'a, T>(&self) -> &'a mut [T] {
        if self.span == 0 {
            return &mut [];
        }
        // SAFETY: as in `slice` for the pointer, alignment and length; the
        // caller guarantees exclusive access for 'a.
        unsafe { std::slice::from_raw_parts_mut(self.lowest() as *mut T, self.span) }
    }
}

/// (low, span) of a strided layout in elements: the offset of the lowest
/// element from element (0, …, 0), and the count from lowest to highest
/// inclusive (0 if the layout has no elements). `None` on overflow.
pub fn extent_of(shape: &[usize], strides: &[isize]) -> Option<(isize, usize)> {
    if shape.contains(&0) {
        return Some((0, 0));
    }
    let (mut low, mut high) = (0isize, 0isize);
    for (&extent, &stride) in shape.iter().zip(strides) {
        let reach = isize::try_from(extent - 1).ok()?.checked_mul(stride)?;
        if reach < 0 {
            low = low.checked_add(reach)?;
        } else {
            high = high.checked_add(reach)?;
        }
    }
    let span = usize::try_from(high.checked_sub(low)?.checked_add(1)?).ok()?;
    Some((low, span))
}

/// Refuses any writable array whose memory meets another array's.
pub fn check_disjoint(writable: &[&Layout], all: &[&Layout]) -> PyResult<()> {
    for w in writable {
        for other in all {
            if std::ptr::eq(*w, *other) {
                continue;
            }
            if w.overlaps(other) {
                return Err(PyValueError::new_err(format!(
                    "{} shares memory with {}: the output must not overlap an input \
                     (pass a copy, e.g. {}.copy())",
                    w.name, other.name, other.name
                )));
            }
        }
    }
    Ok(())
}

/// Refuses a written array in which two positions share one element: a
/// zero stride, or batch items (or rows) that overlap each other. Each
/// crate call checks its own view, but items written by separate calls
/// would otherwise be written one after another into shared elements.
pub fn check_no_self_overlap(layout: &Layout) -> PyResult<()> {
    if layout.span == 0 || !self_overlaps(&layout.shape, &layout.strides, layout.span) {
        return Ok(());
    }
    Err(PyValueError::new_err(format!(
        "{}: aliasing output layout: shape {:?} with element strides {:?} maps two \
         positions to one element (batch items or rows overlap); every output needs \
         its own element",
        layout.name, layout.shape, layout.strides
    )))
}

/// Whether two index tuples of a strided layout with elements (span
/// `span`, from `extent_of`) reach the same element.
fn self_overlaps(shape: &[usize], strides: &[isize], span: usize) -> bool {
    if shape.contains(&0) {
        return false;
    }
    // Mirroring a dimension (negating its stride) maps the set of offsets
    // onto itself shifted, so only |stride| matters.
    let mut dims: Vec<(usize, usize)> = shape
        .iter()
        .zip(strides)
        .filter(|&(&extent, _)| extent > 1)
        .map(|(&extent, &stride)| (extent, stride.unsigned_abs()))
        .collect();
    if dims.iter().any(|&(_, stride)| stride == 0) {
        return true;
    }
    // Quick proof of disjointness: by increasing stride, each stride steps
    // past everything the smaller ones reach (C or F order, transposes,
    // slices). The sum stays below `span`, which fits in usize.
    dims.sort_unstable_by_key(|&(_, stride)| stride);
    let mut reach = 0usize;
    let nested = dims.iter().all(|&(extent, stride)| {
        let fits = stride > reach;
        reach += (extent - 1) * stride;
        fits
    });
    if nested {
        return false;
    }
    // Otherwise exactly: mark each element's offset (0..span) in a bitmap.
    let mut seen = vec![0u64; span.div_ceil(64)];
    let mut index = vec![0usize; dims.len()];
    let mut offset = 0usize;
    loop {
        let (word, bit) = (offset / 64, 1u64 << (offset % 64));
        if seen[word] & bit != 0 {
            return true;
        }
        seen[word] |= bit;
        let mut d = dims.len();
        loop {
            if d == 0 {
                return false;
            }
            d -= 1;
            let (extent, stride) = dims[d];
            index[d] += 1;
            offset += stride;
            if index[d] < extent {
                break;
            }
            offset -= extent * stride;
            index[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlaps(shape: &[usize], strides: &[isize]) -> bool {
        let (_, span) = extent_of(shape, strides).unwrap();
        self_overlaps(shape, strides, span)
    }

    #[test]
    fn self_overlap() {
        assert!(!overlaps(&[3, 4, 5], &[20, 5, 1])); // C order
        assert!(!overlaps(&[3, 4, 5], &[1, 3, 12])); // F order
        assert!(!overlaps(&[3, 4, 5], &[5, -15, 1])); // batch in the middle, reversed
        assert!(!overlaps(&[3, 2], &[2, 3])); // 0 2 4 3 5 7: interleaved, disjoint
        assert!(overlaps(&[2, 4, 5], &[0, 5, 1])); // zero batch stride
        assert!(overlaps(&[2, 4, 5], &[5, 5, 1])); // item 1 starts at item 0's row 1
        assert!(overlaps(&[2, 2, 4, 5], &[20, 20, 5, 1])); // [0, 1] is [1, 0]
        assert!(!overlaps(&[3, 3], &[2, 3])); // 0 3 6 2 5 8 4 7 10
        assert!(overlaps(&[4, 3], &[2, 3])); // (3, 0) and (0, 2) are both 6
        assert!(!overlaps(&[0, 4], &[0, 0]));
        assert!(!overlaps(&[1, 1, 4], &[0, 0, 1]));
    }
}
