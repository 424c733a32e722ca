//! The five-loop BLIS driver, generic over the semiring and microkernel.
//! It never names an ISA.

use crate::config::Accum;
use crate::kernel::MicroKernel;
use crate::semiring::Semiring;
use crate::tiling::TilingParams;
use crate::view::{MatMut, MatRef};
use crate::workspace::GemmWorkspace;

/// C = A ⊗ B (or C ⊕ A ⊗ B) through packed panels.
///
/// jc walks NC-column panels of B and C; pc walks KC-deep slices of k and
/// packs the KC×NC panel of B; ic walks MC-row blocks of A and packs the
/// MC×KC block; jr/ir walk the NR×MR micro-tiles. The first k-slice writes
/// C (or combines it, under `Combine`); later slices combine with the
/// partial result, which equals the in-order fold because ⊕ is a selection
/// (see the crate docs, "Exactness").
pub(crate) fn gemm_packed<S: Semiring, K: MicroKernel<S>>(
    ws: &mut GemmWorkspace,
    tiling: &TilingParams,
    a: MatRef<'_, S::Scalar>,
    b: MatRef<'_, S::Scalar>,
    mut c: MatMut<'_, S::Scalar>,
    accum: Accum,
) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    debug_assert!(m > 0 && n > 0 && k > 0);
    let (mr, nr) = (K::MR, K::NR);
    let (mc, kc, nc) = (tiling.mc.min(m), tiling.kc.min(k), tiling.nc.min(n));
    let packed_a = ws.packed_a.reserve::<S::Scalar>(mc.div_ceil(mr) * mr * kc);
    let packed_b = ws.packed_b.reserve::<S::Scalar>(nc.div_ceil(nr) * nr * kc);
    let (pa, rsa, csa) = (a.as_ptr(), a.row_stride(), a.col_stride());
    let (pb, rsb, csb) = (b.as_ptr(), b.row_stride(), b.col_stride());
    let (rsc, csc) = (c.row_stride(), c.col_stride());
    let pc_base = c.as_mut_ptr();
    let kernel = K::default();

    for jc in (0..n).step_by(nc) {
        let nc_cur = nc.min(n - jc);
        for pc in (0..k).step_by(kc) {
            let kc_cur = kc.min(k - pc);
            // SAFETY: columns jc..jc+nc_cur and depths pc..pc+kc_cur lie in
            // B's checked footprint; packed_b holds ceil(nc/nr)·nr·kc ≥ what
            // this panel needs.
            unsafe {
                K::pack(
                    nr,
                    nc_cur,
                    kc_cur,
                    pb.offset(pc as isize * rsb + jc as isize * csb),
                    csb,
                    rsb,
                    packed_b,
                )
            };
            let load_c = pc > 0 || accum == Accum::Combine;
            for ic in (0..m).step_by(mc) {
                let mc_cur = mc.min(m - ic);
                // SAFETY: rows ic..ic+mc_cur and depths pc..pc+kc_cur lie in
                // A's footprint; packed_a holds ceil(mc/mr)·mr·kc elements.
                unsafe {
                    K::pack(
                        mr,
                        mc_cur,
                        kc_cur,
                        pa.offset(ic as isize * rsa + pc as isize * csa),
                        rsa,
                        csa,
                        packed_a,
                    )
                };
                for jr in (0..nc_cur).step_by(nr) {
                    let cols = nr.min(nc_cur - jr);
                    for ir in (0..mc_cur).step_by(mr) {
                        let rows = mr.min(mc_cur - ir);
                        let (i, j) = ((ic + ir) as isize, (jc + jr) as isize);
                        // SAFETY: micro-panel ir/mr of packed_a and jr/nr of
                        // packed_b were just packed with kc_cur steps; the
                        // rows×cols tile at (i, j) lies inside C's checked,
                        // non-aliasing footprint; `K` was bound by
                        // `Kernel::from_microkernel` only for a CPU that has
                        // its instructions.
                        unsafe {
                            kernel.tile(
                                kc_cur,
                                packed_a.add(ir * kc_cur),
                                packed_b.add(jr * kc_cur),
                                pc_base.offset(i * rsc + j * csc),
                                rsc,
                                csc,
                                rows,
                                cols,
                                load_c,
                            )
                        };
                    }
                }
            }
        }
    }
}
