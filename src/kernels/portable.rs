//! The portable microkernel: plain Rust for any semiring, the reference the
//! SIMD kernels are tested against.

use super::micro::{ArgTile, MicroKernel, TileC, store_arg_tile, store_tile};
use crate::semiring::NO_ARG;
use crate::semiring::{SelectingSemiring, Semiring};

const MR: usize = 4;
const NR: usize = 8;

/// A 4×8 register tile in plain Rust; the compiler may vectorize it for
/// the target's baseline, never beyond.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PortableKernel;

impl<S: Semiring> MicroKernel<S> for PortableKernel {
    const MR: usize = MR;
    const NR: usize = NR;
    type Out = TileC<S::Scalar>;

    #[inline(always)]
    unsafe fn tile(
        self,
        kc: usize,
        _depth: usize,
        a: *const S::Scalar,
        b: *const S::Scalar,
        out: TileC<S::Scalar>,
    ) {
        let mut acc = [[S::ZERO; NR]; MR];
        for p in 0..kc {
            // SAFETY: a holds kc·MR and b kc·NR packed elements.
            let (a_col, b_row) = unsafe { depth_slices::<S::Scalar>(a, b, p) };
            for (acc_row, &a_val) in acc.iter_mut().zip(a_col.iter()) {
                for (acc_val, &b_val) in acc_row.iter_mut().zip(b_row.iter()) {
                    *acc_val = S::add(*acc_val, S::mul(a_val, b_val));
                }
            }
        }
        // SAFETY: forwarded contract of `tile`.
        unsafe { store_tile::<S>(acc.as_flattened(), NR, out) };
    }
}

/// The portable argmax tile: [`PortableKernel`]'s, with the winning k of
/// every output.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PortableArgKernel;

impl<S: SelectingSemiring> MicroKernel<S> for PortableArgKernel {
    const MR: usize = MR;
    const NR: usize = NR;
    type Out = ArgTile<S::Scalar>;

    #[inline(always)]
    unsafe fn tile(
        self,
        kc: usize,
        depth: usize,
        a: *const S::Scalar,
        b: *const S::Scalar,
        out: ArgTile<S::Scalar>,
    ) {
        let mut acc = [[S::ZERO; NR]; MR];
        let mut idx = [[NO_ARG; NR]; MR];
        for p in 0..kc {
            // SAFETY: a holds kc·MR and b kc·NR packed elements.
            let (a_col, b_row) = unsafe { depth_slices::<S::Scalar>(a, b, p) };
            let k = (depth + p) as u32;
            for ((acc_row, idx_row), &a_val) in acc.iter_mut().zip(idx.iter_mut()).zip(&a_col) {
                for ((acc_val, idx_val), &b_val) in
                    acc_row.iter_mut().zip(idx_row.iter_mut()).zip(&b_row)
                {
                    let x = S::mul(a_val, b_val);
                    if S::improves(x, *acc_val) {
                        *idx_val = k;
                    }
                    // ⊕ itself (not `x`), so values match `gemm` even for
                    // a semiring whose `improves` is looser than its ⊕.
                    *acc_val = S::add(*acc_val, x);
                }
            }
        }
        // SAFETY: forwarded contract of `tile`.
        unsafe { store_arg_tile::<S>(acc.as_flattened(), |i, j| idx[i][j], NR, out) };
    }
}

/// The MR values of packed A and the NR of packed B at depth p.
///
/// # Safety
/// `a` holds at least (p+1)·MR and `b` at least (p+1)·NR packed
/// elements.
#[inline(always)]
unsafe fn depth_slices<T: Copy>(a: *const T, b: *const T, p: usize) -> ([T; MR], [T; NR]) {
    // SAFETY: the caller's bound; unaligned reads.
    unsafe {
        (
            std::ptr::read_unaligned(a.add(p * MR).cast::<[T; MR]>()),
            std::ptr::read_unaligned(b.add(p * NR).cast::<[T; NR]>()),
        )
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
