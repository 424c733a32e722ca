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
    /// What the tile keeps per output while it folds.
    type State;
    /// A fresh tile's state.
    fn start() -> Self::State;
    /// Product `x` of depth `k` is about to be ⊕-ed into output `at`,
    /// whose accumulator holds `acc`.
    fn note(state: &mut Self::State, at: (usize, usize), k: u32, x: S::Scalar, acc: S::Scalar);
    /// Stores the values (`acc`, rows of NR) and the state to `out`.
    ///
    /// # Safety
    /// As [`MicroKernel::tile`] for `out`.
    unsafe fn store(acc: &[S::Scalar], state: &Self::State, out: Self::Out);
}

/// Values only.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Values;

impl<S: Semiring> Record<S> for Values {
    type Out = TileC<S::Scalar>;
    type State = ();
    #[inline(always)]
    fn start() {}
    #[inline(always)]
    fn note(_: &mut (), _: (usize, usize), _: u32, _: S::Scalar, _: S::Scalar) {}
    #[inline(always)]
    unsafe fn store(acc: &[S::Scalar], _: &(), out: Self::Out) {
        // SAFETY: forwarded contract.
        unsafe { store_tile::<S>(acc, NR, out) };
    }
}

/// Values and the smallest k whose product won each of them.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Args;

impl<S: SelectingSemiring> Record<S> for Args {
    type Out = ArgTile<S::Scalar>;
    type State = [[u32; NR]; MR];
    #[inline(always)]
    fn start() -> Self::State {
        [[NO_ARG; NR]; MR]
    }
    #[inline(always)]
    fn note(idx: &mut Self::State, (i, j): (usize, usize), k: u32, x: S::Scalar, acc: S::Scalar) {
        if S::improves(x, acc) {
            idx[i][j] = k;
        }
    }
    #[inline(always)]
    unsafe fn store(acc: &[S::Scalar], idx: &Self::State, out: Self::Out) {
        // SAFETY: forwarded contract.
        unsafe { store_arg_tile::<S>(acc, |i, j| idx[i][j], NR, out) };
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
        let mut state = R::start();
        for p in 0..kc {
            // SAFETY: a holds kc·MR and b kc·NR packed elements.
            let (a_col, b_row) = unsafe { depth_slices::<S::Scalar>(a, b, p) };
            let k = (depth + p) as u32;
            for (i, (acc_row, &a_val)) in acc.iter_mut().zip(&a_col).enumerate() {
                for (j, (acc_val, &b_val)) in acc_row.iter_mut().zip(&b_row).enumerate() {
                    let x = S::mul(a_val, b_val);
                    R::note(&mut state, (i, j), k, x, *acc_val);
                    // ⊕ itself (not `x`), so argmax values match `gemm`
                    // even for a semiring whose `improves` is looser
                    // than its ⊕.
                    *acc_val = S::add(*acc_val, x);
                }
            }
        }
        // SAFETY: forwarded contract of `tile`.
        unsafe { R::store(acc.as_flattened(), &state, out) };
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
