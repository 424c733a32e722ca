//! The scalar reference loop, read straight from the strided views: the
//! portable kernels' small-matrix path, and every product with k = 0.

use crate::config::Accum;
use crate::semiring::{NO_ARG, SelectingSemiring, Semiring};
use crate::view::{MatMut, MatRef};

/// What the scalar loop writes: C (`gemm`), or C and the winning index of
/// every element (`gemm_argmax`).
pub(crate) trait ScalarOut<S: Semiring> {
    /// One output's accumulator.
    type Acc: Copy;
    /// The accumulator before any product: ZERO (and no winner).
    fn start() -> Self::Acc;
    /// Rows and columns every part of the output has (`None` if its parts
    /// disagree).
    fn shape(&self) -> Option<(usize, usize)>;
    /// Folds the product `x` of depth `p` in.
    fn fold(acc: Self::Acc, x: S::Scalar, p: usize) -> Self::Acc;
    /// Writes element (i, j).
    ///
    /// # Safety
    /// (i, j) lies inside the checked, non-aliasing output.
    unsafe fn store(&mut self, i: usize, j: usize, acc: Self::Acc, accum: Accum);
}

/// Element (i, j) of `c` (unchecked).
///
/// # Safety
/// (i, j) lies inside the view.
#[inline(always)]
unsafe fn element<T: Copy>(c: &mut MatMut<'_, T>, i: usize, j: usize) -> *mut T {
    let offset = i as isize * c.row_stride() + j as isize * c.col_stride();
    // SAFETY: inside the view's checked footprint (caller).
    unsafe { c.as_mut_ptr().offset(offset) }
}

impl<S: Semiring> ScalarOut<S> for MatMut<'_, S::Scalar> {
    type Acc = S::Scalar;
    #[inline(always)]
    fn start() -> S::Scalar {
        S::ZERO
    }
    fn shape(&self) -> Option<(usize, usize)> {
        Some((self.rows(), self.cols()))
    }
    #[inline(always)]
    fn fold(acc: S::Scalar, x: S::Scalar, _p: usize) -> S::Scalar {
        S::add(acc, x)
    }
    #[inline(always)]
    unsafe fn store(&mut self, i: usize, j: usize, acc: S::Scalar, accum: Accum) {
        // SAFETY: (i, j) is inside C (caller).
        unsafe {
            let dst = element(self, i, j);
            *dst = match accum {
                Accum::Replace => acc,
                Accum::Combine => S::add(*dst, acc),
            };
        }
    }
}

impl<S: SelectingSemiring> ScalarOut<S> for (MatMut<'_, S::Scalar>, MatMut<'_, u32>) {
    type Acc = (S::Scalar, u32);
    #[inline(always)]
    fn start() -> (S::Scalar, u32) {
        (S::ZERO, NO_ARG)
    }
    fn shape(&self) -> Option<(usize, usize)> {
        let c = (self.0.rows(), self.0.cols());
        (c == (self.1.rows(), self.1.cols())).then_some(c)
    }
    #[inline(always)]
    fn fold((acc, arg): (S::Scalar, u32), x: S::Scalar, p: usize) -> (S::Scalar, u32) {
        let arg = if S::improves(x, acc) { p as u32 } else { arg };
        (S::add(acc, x), arg)
    }
    #[inline(always)]
    unsafe fn store(&mut self, i: usize, j: usize, (acc, arg): (S::Scalar, u32), accum: Accum) {
        // SAFETY: (i, j) is inside C and argk, which have one shape
        // (caller).
        unsafe {
            let dst = element(&mut self.0, i, j);
            if accum == Accum::Replace || S::improves(acc, *dst) {
                *dst = acc;
                *element(&mut self.1, i, j) = arg;
            }
        }
    }
}

/// `acc = ZERO; for p in 0..k { acc = add(acc, mul(A[i,p], B[p,j])) }`,
/// then C (and the winner) from `acc`, for every (i, j): the
/// documented reference itself. Panics unless the shapes agree (the
/// callers checked them).
pub(crate) fn scalar_product<S: Semiring, O: ScalarOut<S>>(
    a: MatRef<'_, S::Scalar>,
    b: MatRef<'_, S::Scalar>,
    mut out: O,
    accum: Accum,
) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    // Every write below relies on it.
    assert!(
        b.rows() == k && out.shape() == Some((m, n)),
        "unchecked shapes"
    );
    let (pa, rsa, csa) = (a.as_ptr(), a.row_stride(), a.col_stride());
    let (pb, rsb, csb) = (b.as_ptr(), b.row_stride(), b.col_stride());
    for i in 0..m {
        for j in 0..n {
            let mut acc = O::start();
            for p in 0..k {
                // SAFETY: i < m, p < k, j < n: inside the views' checked
                // footprints.
                let (x, y) = unsafe {
                    (
                        *pa.offset(i as isize * rsa + p as isize * csa),
                        *pb.offset(p as isize * rsb + j as isize * csb),
                    )
                };
                acc = O::fold(acc, S::mul(x, y), p);
            }
            // SAFETY: i < m, j < n: inside the checked output, which
            // aliases neither input.
            unsafe { out.store(i, j, acc, accum) };
        }
    }
}

super::route!(
    /// [`scalar_product`] as a kernel's product routine.
    gemm_small[S: Semiring],
    MatMut<'_, S::Scalar>,
    |ws, _tiling, _threads, a, b, c, accum| {
        // No buffers: a product that only reserves has nothing to do.
        if !ws.reserve_only {
            scalar_product::<S, _>(a, b, c, accum);
        }
        Ok(())
    }
);
super::route!(
    /// [`scalar_product`] as an argmax kernel's product routine.
    gemm_small_arg[S: SelectingSemiring],
    (MatMut<'_, S::Scalar>, MatMut<'_, u32>),
    |ws, _tiling, _threads, a, b, out, accum| {
        // No buffers: a product that only reserves has nothing to do.
        if !ws.reserve_only {
            scalar_product::<S, _>(a, b, out, accum);
        }
        Ok(())
    }
);
