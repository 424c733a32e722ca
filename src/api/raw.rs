//! The pointer-and-stride entry, in matrixmultiply's argument order.

use crate::api::gemm::gemm_with;
use crate::config::{Accum, GemmConfig};
use crate::error::Error;
use crate::semiring::Semiring;
use crate::view::{MatMut, MatRef, footprint};
use crate::workspace::GemmWorkspace;

/// C = A ⊗ B or C ⊕ (A ⊗ B) on raw pointers with element strides, for
/// callers (ndarray-style containers, FFI) that already hold them. The
/// argument order is `matrixmultiply::sgemm`'s without alpha and beta.
///
/// Element (i, p) of A is `*a.offset(i·rsa + p·csa)`, and so on. The layout
/// of C must not map two positions to one element
/// ([`Error::AliasingOutput`]).
///
/// ```
/// use tropical_blas::{gemm_raw, Accum, MaxPlus};
/// let a = [1.0f32, 2.0, 3.0, 4.0];
/// let b = [0.0f32, 1.0, 1.0, 0.0];
/// let mut c = [0.0f32; 4];
/// // SAFETY: each pointer covers its 2×2 row-major layout; c is disjoint
/// // from a and b.
/// unsafe {
///     gemm_raw::<MaxPlus<f32>>(
///         2, 2, 2,
///         a.as_ptr(), 2, 1,
///         b.as_ptr(), 2, 1,
///         c.as_mut_ptr(), 2, 1,
///         Accum::Replace,
///     )?;
/// }
/// assert_eq!(c, [3.0, 2.0, 5.0, 4.0]);
/// # Ok::<(), tropical_blas::Error>(())
/// ```
///
/// # Safety
/// For each operand, its *span* is every element from the lowest to the
/// highest address its layout reaches (gaps between rows included). For
/// each operand with at least one element:
/// - the pointer is non-null, aligned for `S::Scalar`, and derived from
///   (has provenance over) one allocation that holds the whole span;
/// - every element of the span is initialized (C's too, even under
///   `Replace`);
/// - C's span does not overlap A's or B's span, and nothing else writes
///   A's or B's span, or accesses C's span, during the call.
///
/// (The spans are borrowed as slices. To multiply blocks of one matrix
/// into another block of it, copy the blocks first.) A pointer may be
/// dangling when its matrix has no elements. The layouts themselves are
/// checked: a span that does not fit in `isize` elements is
/// [`Error::LayoutOverflow`], returned before any pointer is used.
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm_raw<S: Semiring>(
    m: usize,
    k: usize,
    n: usize,
    a: *const S::Scalar,
    rsa: isize,
    csa: isize,
    b: *const S::Scalar,
    rsb: isize,
    csb: isize,
    c: *mut S::Scalar,
    rsc: isize,
    csc: isize,
    accum: Accum,
) -> Result<(), Error> {
    let fa = footprint(m, k, rsa, csa)?;
    let fb = footprint(k, n, rsb, csb)?;
    let fc = footprint(m, n, rsc, csc)?;
    // SAFETY: `footprint` checked each span fits isize (so `sub(offset)`
    // and the slice length are valid offsets); the caller guarantees each
    // pointer is non-null, aligned, with provenance over its span, that
    // the span is initialized, in one allocation, and that C's
    // span is disjoint from A's and B's and not otherwise accessed, so the
    // shared and the mutable slice may coexist; element (0, 0) is `offset`
    // elements above the lowest. An empty span becomes an empty slice.
    let (a_slice, b_slice, c_slice) = unsafe {
        (
            raw_slice(a, fa.offset, fa.span),
            raw_slice(b, fb.offset, fb.span),
            raw_slice_mut(c, fc.offset, fc.span),
        )
    };
    let a_view = MatRef::new(a_slice, m, k, rsa, csa)?;
    let b_view = MatRef::new(b_slice, k, n, rsb, csb)?;
    let c_view = MatMut::new(c_slice, m, n, rsc, csc)?;
    crate::api::gemm::with_thread_workspace(|ws: &mut GemmWorkspace| {
        gemm_with::<S>(ws, &GemmConfig::default(), a_view, b_view, c_view, accum)
    })
}

/// # Safety
/// `span` elements starting `offset` below `ptr` are readable (or span = 0).
unsafe fn raw_slice<'x, T>(ptr: *const T, offset: usize, span: usize) -> &'x [T] {
    if span == 0 {
        return &[];
    }
    // SAFETY: forwarded contract.
    unsafe { std::slice::from_raw_parts(ptr.sub(offset), span) }
}

/// # Safety
/// `span` elements starting `offset` below `ptr` are writable and not
/// otherwise borrowed (or span = 0).
unsafe fn raw_slice_mut<'x, T>(ptr: *mut T, offset: usize, span: usize) -> &'x mut [T] {
    if span == 0 {
        return &mut [];
    }
    // SAFETY: forwarded contract.
    unsafe { std::slice::from_raw_parts_mut(ptr.sub(offset), span) }
}
