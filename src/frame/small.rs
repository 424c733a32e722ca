//! The unpacked path for small products, where packing would cost more
//! than it saves.

use crate::blocking::TilingParams;
use crate::config::Accum;
use crate::semiring::NO_ARG;
use crate::semiring::{SelectingSemiring, Semiring};
use crate::view::{MatMut, MatRef};
use crate::workspace::GemmWorkspace;

/// The scalar reference loop, read straight from the strided views.
pub(crate) fn gemm_small<S: Semiring>(
    _ws: &mut GemmWorkspace,
    _tiling: &TilingParams,
    _threads: usize,
    a: MatRef<'_, S::Scalar>,
    b: MatRef<'_, S::Scalar>,
    mut c: MatMut<'_, S::Scalar>,
    accum: Accum,
) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    let (pa, rsa, csa) = (a.as_ptr(), a.row_stride(), a.col_stride());
    let (pb, rsb, csb) = (b.as_ptr(), b.row_stride(), b.col_stride());
    let (rsc, csc) = (c.row_stride(), c.col_stride());
    let pc = c.as_mut_ptr();
    for i in 0..m {
        for j in 0..n {
            let mut acc = S::ZERO;
            for p in 0..k {
                // SAFETY: i < m, p < k, j < n: inside the views' checked
                // footprints.
                let (x, y) = unsafe {
                    (
                        *pa.offset(i as isize * rsa + p as isize * csa),
                        *pb.offset(p as isize * rsb + j as isize * csb),
                    )
                };
                acc = S::add(acc, S::mul(x, y));
            }
            // SAFETY: (i, j) is inside C's checked, non-aliasing footprint.
            unsafe {
                let dst = pc.offset(i as isize * rsc + j as isize * csc);
                *dst = match accum {
                    Accum::Replace => acc,
                    Accum::Combine => S::add(*dst, acc),
                };
            }
        }
    }
}

/// The argmax scalar reference loop, read straight from the strided views.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_small_arg<S: SelectingSemiring>(
    _ws: &mut GemmWorkspace,
    _tiling: &TilingParams,
    _threads: usize,
    a: MatRef<'_, S::Scalar>,
    b: MatRef<'_, S::Scalar>,
    mut c: MatMut<'_, S::Scalar>,
    mut argk: MatMut<'_, u32>,
    accum: Accum,
) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    let (pa, rsa, csa) = (a.as_ptr(), a.row_stride(), a.col_stride());
    let (pb, rsb, csb) = (b.as_ptr(), b.row_stride(), b.col_stride());
    let (rsc, csc) = (c.row_stride(), c.col_stride());
    let (rsi, csi) = (argk.row_stride(), argk.col_stride());
    let pc = c.as_mut_ptr();
    let pi = argk.as_mut_ptr();
    for i in 0..m {
        for j in 0..n {
            let (mut acc, mut arg) = (S::ZERO, NO_ARG);
            for p in 0..k {
                // SAFETY: i < m, p < k, j < n: inside the views' checked
                // footprints.
                let x = unsafe {
                    S::mul(
                        *pa.offset(i as isize * rsa + p as isize * csa),
                        *pb.offset(p as isize * rsb + j as isize * csb),
                    )
                };
                if S::improves(x, acc) {
                    arg = p as u32;
                }
                acc = S::add(acc, x);
            }
            // SAFETY: (i, j) is inside C's and argk's checked,
            // non-aliasing footprints.
            unsafe {
                let dst = pc.offset(i as isize * rsc + j as isize * csc);
                if accum == Accum::Replace || S::improves(acc, *dst) {
                    *dst = acc;
                    *pi.offset(i as isize * rsi + j as isize * csi) = arg;
                }
            }
        }
    }
}
