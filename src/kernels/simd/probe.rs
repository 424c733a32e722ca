//! The peak probe: the ⊗+⊕ instruction pair on independent accumulators.

use super::VecOps;
use crate::semiring::Semiring;

/// Independent accumulators the peak probe keeps in flight: enough to hide
/// the ⊕ latency on every port (4 cycles × 3 ports on AVX2) while leaving
/// registers for the operands.
/// (accumulators, distinct x registers) per ISA.
pub(crate) const PROBE_AVX2: (usize, usize) = (12, 2);
/// AVX2 with `+` on the multiply-add units: the constant 1 takes a
/// register, and with 12 accumulators the 16 no longer hold the loop.
pub(crate) const PROBE_AVX2_ON_FMA: (usize, usize) = (10, 2);
pub(crate) const PROBE_AVX512: (usize, usize) = (24, 4);

/// The peak probe: `iters` steps of `acc[r] = acc[r] ⊕ (x[r % X] ⊗ y[r / X])`
/// on `R` independent accumulators. Every step loads R/X fresh `y` vectors
/// from a 16-row ring in L1, so all R products are distinct and none can be
/// hoisted or shared (with `x[r % 4] ⊗ y` alone the compiler computes 4 ⊗
/// per step, not R, and the "peak" comes out 1.7× too high). Returns the
/// tropical ops done (R · LANES per step) and a value that depends on every
/// accumulator, for the caller to consume.
///
/// # Safety
/// Runs `O`'s instructions: call inside a function compiled with them.
#[inline(always)]
pub(crate) unsafe fn probe_body<O: VecOps, const R: usize, const X: usize>(
    iters: usize,
) -> (u64, O::V) {
    let lanes = O::LANES;
    // SAFETY: (whole body) `ring` holds 16·64 ≥ 16·LANES scalars and every
    // load reads LANES of them at a row index below 16; features are
    // enabled by the caller.
    unsafe {
        let ring = [<O::S as Semiring>::ONE; 16 * 64];
        // Opaque to the optimizer, so it cannot prove the x equal and share
        // their products.
        let x: [O::V; X] =
            std::hint::black_box(std::array::from_fn(|_| O::splat(<O::S as Semiring>::ONE)));
        let mut acc = [O::splat(<O::S as Semiring>::ZERO); R];
        let mut row = 0usize;
        for _ in 0..iters {
            for (j, group) in acc.chunks_exact_mut(X).enumerate() {
                let y = O::load(ring.as_ptr().add(((row + j) % 16) * lanes));
                for (xi, acc_r) in x.iter().zip(group.iter_mut()) {
                    *acc_r = O::add(*acc_r, O::mul(*xi, y));
                }
            }
            row = (row + 1) % 16;
        }
        let mut folded = acc[0];
        for acc_r in &acc[1..] {
            folded = O::add(folded, *acc_r);
        }
        ((iters * R * lanes) as u64, folded)
    }
}
