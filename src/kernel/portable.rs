//! The portable microkernel: plain Rust for any semiring, the reference the
//! SIMD kernels are tested against.

use super::{MicroKernel, store_tile};
use crate::semiring::Semiring;

const MR: usize = 4;
const NR: usize = 8;

/// A 4×8 register tile in plain Rust; the compiler may vectorize it for
/// the target's baseline, never beyond.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PortableKernel;

impl<S: Semiring> MicroKernel<S> for PortableKernel {
    const MR: usize = MR;
    const NR: usize = NR;

    #[inline(always)]
    unsafe fn tile(
        self,
        kc: usize,
        a: *const S::Scalar,
        b: *const S::Scalar,
        c: *mut S::Scalar,
        rsc: isize,
        csc: isize,
        rows: usize,
        cols: usize,
        load_c: bool,
    ) {
        let mut acc = [[S::ZERO; NR]; MR];
        for p in 0..kc {
            // SAFETY: a holds kc·MR and b kc·NR packed elements.
            let (a_col, b_row) = unsafe {
                (
                    std::ptr::read_unaligned(a.add(p * MR).cast::<[S::Scalar; MR]>()),
                    std::ptr::read_unaligned(b.add(p * NR).cast::<[S::Scalar; NR]>()),
                )
            };
            for (acc_row, &a_val) in acc.iter_mut().zip(a_col.iter()) {
                for (acc_val, &b_val) in acc_row.iter_mut().zip(b_row.iter()) {
                    *acc_val = S::add(*acc_val, S::mul(a_val, b_val));
                }
            }
        }
        // SAFETY: forwarded contract of `tile`.
        unsafe { store_tile::<S>(acc.as_flattened(), NR, rows, cols, c, rsc, csc, load_c) };
    }
}

/// The portable peak probe: the scalar ⊗+⊕ pair on 8 independent
/// accumulators, each with its own product every step (the compiler may
/// vectorize it for the target's baseline, never beyond).
pub(crate) fn probe<S: Semiring>(iters: usize) -> u64 {
    const ACCUMULATORS: usize = 8;
    let ring = [S::ONE; 16 + ACCUMULATORS];
    let x = std::hint::black_box([S::ONE; ACCUMULATORS]);
    let mut acc = [S::ZERO; ACCUMULATORS];
    for step in 0..iters {
        let y = &std::hint::black_box(&ring)[step % 16..];
        for (r, acc_r) in acc.iter_mut().enumerate() {
            *acc_r = S::add(*acc_r, S::mul(x[r], y[r]));
        }
    }
    std::hint::black_box(acc);
    (iters * ACCUMULATORS) as u64
}
