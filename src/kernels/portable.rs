//! The portable microkernel: plain Rust for any semiring, the reference the
//! SIMD kernels are tested against.

use std::marker::PhantomData;

use super::micro::{ArgTile, MicroKernel, PackedPanels, TileC, store_arg_tile, store_tile};
use crate::semiring::NO_ARG;
use crate::semiring::{SelectingSemiring, Semiring};

const MR: usize = 4;
const NR: usize = 8;

/// A 4×8 register tile in plain Rust; the compiler may vectorize it for
/// the target's baseline, never beyond. `R` is what the tile records
/// besides its values: nothing ([`PortableKernel`]) or the winning k of
/// every output ([`PortableArgKernel`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Portable<R>(PhantomData<R>);

/// The portable value kernel.
pub(crate) type PortableKernel = Portable<Values>;

/// The portable argmax kernel: [`PortableKernel`]'s values, with the
/// winning k of every output.
pub(crate) type PortableArgKernel = Portable<Args>;

/// What a portable tile records besides its values, and where it stores
/// them.
pub(crate) trait Record<S: Semiring>: Copy + Default + Send + Sync + 'static {
    /// The tile's place in the output (the kernel's `Out`).
    type Out: Copy;
    /// What the tile keeps per output besides its value.
    type Mark: Copy;
    /// A fresh output's mark.
    const START: Self::Mark;
    /// Product `x` of depth `k` is about to be ⊕-ed into an output whose
    /// accumulator holds `acc`.
    fn note(mark: &mut Self::Mark, k: u32, x: S::Scalar, acc: S::Scalar);
    /// Stores the values (`acc`, rows of NR) and the marks to `out`.
    ///
    /// # Safety
    /// As [`MicroKernel::tile`] for `out`.
    unsafe fn store(acc: &[S::Scalar], marks: &[[Self::Mark; NR]; MR], out: Self::Out);
}

/// Values only.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Values;

impl<S: Semiring> Record<S> for Values {
    type Out = TileC<S::Scalar>;
    type Mark = ();
    const START: () = ();
    #[inline(always)]
    fn note(_: &mut (), _: u32, _: S::Scalar, _: S::Scalar) {}
    #[inline(always)]
    unsafe fn store(acc: &[S::Scalar], _: &[[(); NR]; MR], out: Self::Out) {
        // SAFETY: forwarded contract.
        unsafe { store_tile::<S>(acc, NR, out) };
    }
}

/// Values and the smallest k whose product won each of them.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Args;

impl<S: SelectingSemiring> Record<S> for Args {
    type Out = ArgTile<S::Scalar>;
    type Mark = u32;
    const START: u32 = NO_ARG;
    #[inline(always)]
    fn note(winner: &mut u32, k: u32, x: S::Scalar, acc: S::Scalar) {
        if S::improves(x, acc) {
            *winner = k;
        }
    }
    #[inline(always)]
    unsafe fn store(acc: &[S::Scalar], winners: &[[u32; NR]; MR], out: Self::Out) {
        // SAFETY: forwarded contract.
        unsafe { store_arg_tile::<S>(acc, |i, j| winners[i][j], NR, out) };
    }
}

impl<S: Semiring, R: Record<S>> MicroKernel<S> for Portable<R> {
    const MR: usize = MR;
    const NR: usize = NR;
    type Out = R::Out;

    #[inline(always)]
    unsafe fn tile(self, panels: PackedPanels<S::Scalar>, out: Self::Out) {
        let PackedPanels { a, b, kc, depth } = panels;
        let mut acc = [[S::ZERO; NR]; MR];
        let mut marks = [[R::START; NR]; MR];
        for p in 0..kc {
            // SAFETY: a holds kc·MR and b kc·NR packed elements.
            let (a_col, b_row) = unsafe { depth_slices::<S::Scalar>(a, b, p) };
            let k = (depth + p) as u32;
            for ((acc_row, mark_row), &a_val) in acc.iter_mut().zip(marks.iter_mut()).zip(&a_col) {
                for ((acc_val, mark), &b_val) in
                    acc_row.iter_mut().zip(mark_row.iter_mut()).zip(&b_row)
                {
                    let x = S::mul(a_val, b_val);
                    R::note(mark, k, x, *acc_val);
                    // ⊕ itself (not `x`), so argmax values match `gemm`
                    // even for a semiring whose `improves` is looser
                    // than its ⊕.
                    *acc_val = S::add(*acc_val, x);
                }
            }
        }
        // SAFETY: forwarded contract of `tile`.
        unsafe { R::store(acc.as_flattened(), &marks, out) };
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
