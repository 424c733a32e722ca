//! Distributed tropical matrix multiplication over MPI: SUMMA on a 2-D
//! process grid, with tropical-blas as the node kernel.
//!
//! ```no_run
//! use mpi::Threading;
//! use tropical_blas::{Accum, MaxPlus};
//! use tropical_blas_mpi::{DistMatrix, ProcessGrid, summa};
//!
//! // Funneled: the node kernel's rayon threads run next to MPI, which this
//! // crate calls only from this (the main) thread.
//! let (universe, level) = mpi::initialize_with_threading(Threading::Funneled).unwrap();
//! assert!(level >= Threading::Funneled, "MPI granted only {level:?}");
//! let grid = ProcessGrid::square(&universe.world())?; // e.g. 2×2 on 4 ranks
//! let (m, k, n) = (1000, 700, 900);
//! // Every rank fills only its own block, from a global index function.
//! let a = DistMatrix::from_fn(&grid, m, k, |i, j| (i * 7 + j % 13) as f32);
//! let b = DistMatrix::from_fn(&grid, k, n, |i, j| (i % 5 + j) as f32);
//! let mut c = DistMatrix::filled(&grid, m, n, 0.0f32);
//! summa::<MaxPlus<f32>>(&a, &b, &mut c, Accum::Replace)?;
//! let full = c.gather(0)?; // Some(row-major m×n) on rank 0, None elsewhere
//! # Ok::<(), tropical_blas_mpi::Error>(())
//! ```
//!
//! # What the result is
//!
//! Bit for bit the single-node [`tropical_blas::gemm`] (and
//! [`tropical_blas::gemm_argmax`]) of the gathered matrices: the k range is
//! cut into panels, multiplied in increasing k order, each panel folded
//! into C with ⊕. The built-in ⊕ are selections that keep the earlier value
//! on ties, so folding block results in increasing k is the same fold as
//! the node kernel's own k blocking (see docs/DISTRIBUTED.md).
//!
//! # Threads: initialize MPI at `Threading::Funneled`
//!
//! The node kernel runs on the rank's rayon pool (`Par::Rayon(0)`, the
//! default), so a rank has several threads; every MPI call of this crate
//! is made from the thread that calls it. MPI must therefore be
//! initialized with `mpi::initialize_with_threading(Threading::Funneled)`
//! (or higher), not `mpi::initialize()` (`Threading::Single`); a product
//! that would use more than one thread under `Single` is refused with
//! [`Error::SingleThreadedMpi`]. Call the crate from the thread that
//! initialized MPI.
//!
//! # Errors are collective
//!
//! Every call that takes distributed operands checks its arguments on
//! every rank and agrees on the outcome with one small all-gather before
//! any rank writes: either every rank computes, or every rank returns an
//! [`Error`] and no output is touched. The same all-gather compares the
//! arguments every rank must pass alike (global shapes, panel width,
//! overlap, …: [`Error::InconsistentArguments`]). No rank is left waiting
//! in a broadcast that another rank skipped. One error can come after
//! writing has begun: the node kernel failing to allocate its packing
//! buffers mid-product; every rank still returns an error, but C may be
//! partly written (see [`Error`]).

#![deny(unsafe_code)]
#![warn(missing_docs)]

mod agree;
mod error;
mod grid;
mod matrix;
mod plan;
mod summa;

pub use error::Error;
pub use grid::ProcessGrid;
pub use matrix::{DistMatrix, block_range};
pub use plan::{Panel, panels};
pub use summa::{
    SummaConfig, SummaStats, SummaWorkspace, summa, summa_argmax, summa_argmax_with, summa_with,
};

/// Re-exported so that callers name the same MPI crate version.
pub use mpi;
