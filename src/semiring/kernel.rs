//! The kernel handles a semiring names: plain data, a kernel's tile and
//! the routines that run it. They are built in `binding`.

use std::fmt;
use std::marker::PhantomData;

use crate::batch_view::{BatchMut, BatchRef};
use crate::blocking::TilingParams;
use crate::config::Accum;
use crate::error::Error;
use crate::isa::IsaLevel;
use crate::semiring::{SelectingSemiring, Semiring};
use crate::view::{MatMut, MatRef};
use crate::workspace::GemmWorkspace;

/// One monomorphized product routine.
/// Arguments: workspace, blocking, threads, A, B, C, accumulation. Its
/// only error is a workspace that cannot be allocated, returned before C
/// is written.
pub(crate) type GemmFn<S> = fn(
    &mut GemmWorkspace,
    &TilingParams,
    usize,
    MatRef<'_, <S as Semiring>::Scalar>,
    MatRef<'_, <S as Semiring>::Scalar>,
    MatMut<'_, <S as Semiring>::Scalar>,
    Accum,
) -> Result<(), Error>;

/// What every kernel handle shows: its name, the ISA level it needs and
/// its register tile.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TileInfo {
    pub(crate) name: &'static str,
    pub(crate) isa: IsaLevel,
    /// Rows of the register tile.
    pub(crate) mr: usize,
    /// Columns of the register tile.
    pub(crate) nr: usize,
}

/// The kernel chosen for one semiring at one ISA level: its name and tile,
/// plus the routines that run it.
///
/// Obtained from [`Semiring::kernel`] or [`kernel_for`](crate::kernel_for).
/// Only the crate can build a SIMD `Kernel`, and it does so only after
/// checking that the CPU has the instructions, so holding one is proof that
/// it may run.
pub struct Kernel<S: Semiring> {
    pub(crate) tile: TileInfo,
    /// Copies of each A element in a packed panel (`MicroKernel::A_SPREAD`).
    pub(crate) a_spread: usize,
    /// Rows and columns of the small-matrix path's tallest tile: the
    /// packed tile's unless the kernel binds its own path (the SIMD direct
    /// path keeps the ISA's 16- or 8-row tiles of one vector when the
    /// packed tile is 8 rows of two).
    pub(crate) small_tile: (usize, usize),
    pub(crate) packed: GemmFn<S>,
    pub(crate) small: GemmFn<S>,
    /// The batch entry, for kernels that have one.
    pub(crate) batch: Option<BatchFn<S::Scalar>>,
    pub(crate) probe: fn(usize) -> u64,
    pub(crate) _semiring: PhantomData<fn() -> S>,
}

impl<S: Semiring> Kernel<S> {
    /// This core's ceiling for this kernel's instructions, in tropical
    /// ops per second (one ⊗ and one ⊕ on one element each).
    ///
    /// Runs the ⊗+⊕ instruction pair of this kernel on independent
    /// register accumulators with no memory operands but one L1 load per
    /// step, for about `min_time`, and reports the best of three runs. It
    /// is the denominator for "fraction of peak" figures: measure it in the
    /// same run as the product it is compared with.
    pub fn peak_ops_per_second(&self, min_time: std::time::Duration) -> f64 {
        let mut iters = 1 << 12;
        loop {
            let start = std::time::Instant::now();
            (self.probe)(iters);
            if start.elapsed() * 8 >= min_time || iters >= 1 << 40 {
                break;
            }
            iters *= 2;
        }
        (0..3)
            .map(|_| {
                let start = std::time::Instant::now();
                let ops = (self.probe)(iters);
                ops as f64 / start.elapsed().as_secs_f64()
            })
            .fold(0.0, f64::max)
    }
}

/// One monomorphized argmax product routine.
/// Arguments: workspace, blocking, threads, A, B, (C, argk), accumulation.
pub(crate) type ArgGemmFn<S> = for<'w, 't, 'a, 'b, 'c> fn(
    &'w mut GemmWorkspace,
    &'t TilingParams,
    usize,
    MatRef<'a, <S as Semiring>::Scalar>,
    MatRef<'b, <S as Semiring>::Scalar>,
    (MatMut<'c, <S as Semiring>::Scalar>, MatMut<'c, u32>),
    Accum,
) -> Result<(), Error>;

/// The argmax kernel chosen for one selecting semiring at one ISA level.
///
/// Obtained from [`SelectingSemiring::arg_kernel`] or
/// [`arg_kernel_for`](crate::arg_kernel_for). As with [`Kernel`], only the
/// crate builds SIMD ones, after checking the CPU.
pub struct ArgKernel<S: SelectingSemiring> {
    pub(crate) tile: TileInfo,
    pub(crate) packed: ArgGemmFn<S>,
    pub(crate) small: ArgGemmFn<S>,
}

/// What both handles show: Clone, Copy, Debug and the tile accessors.
macro_rules! handle_basics {
    ($handle:ident<S: $bound:ident>, $example:literal) => {
        impl<S: $bound> Clone for $handle<S> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<S: $bound> Copy for $handle<S> {}

        impl<S: $bound> fmt::Debug for $handle<S> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let TileInfo { name, isa, mr, nr } = self.tile;
                f.debug_struct(stringify!($handle))
                    .field("name", &name)
                    .field("isa", &isa)
                    .field("mr", &mr)
                    .field("nr", &nr)
                    .finish()
            }
        }

        impl<S: $bound> $handle<S> {
            #[doc = concat!("A short name, such as ", $example, ".")]
            pub fn name(&self) -> &'static str {
                self.tile.name
            }
            /// The ISA level the kernel needs.
            pub fn isa(&self) -> IsaLevel {
                self.tile.isa
            }
            /// Rows of its register tile.
            pub fn mr(&self) -> usize {
                self.tile.mr
            }
            /// Columns of its register tile.
            pub fn nr(&self) -> usize {
                self.tile.nr
            }
        }
    };
}

handle_basics!(Kernel<S: Semiring>, "`avx512-16x16` or `portable`");
handle_basics!(ArgKernel<S: SelectingSemiring>, "`avx512-arg-8x16` or `portable-arg`");

/// A batch entry: computes every item of checked strided batches of
/// small products (A `m×k`, B `k×n`, C `m×n`, all ≥ 1) in one call into
/// the ISA's code per task, or returns `false` (having written nothing) if
/// it does not take this layout.
pub(crate) type BatchFn<T> = fn(
    threads: usize,
    a: &BatchRef<'_, T>,
    b: &BatchRef<'_, T>,
    c: &mut BatchMut<'_, T>,
    accum: Accum,
) -> bool;
