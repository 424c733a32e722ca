//! The bit-packed or-and product's entry points.

use std::time::{Duration, Instant};

use crate::binding::bits::{BitBinding, bit_binding};
use crate::binding::dispatch::resolve_level;
use crate::bit_view::{BitMatMut, BitMatRef};
use crate::config::{Accum, GemmConfig};
use crate::error::Error;
use crate::isa::IsaLevel;

/// Products below this many entry operations (m·n·k) run on one thread
/// whatever the configuration says: at about 10^12 operations a second a
/// smaller product takes under a few microseconds, less than waking a pool.
const PARALLEL_MIN_OPS: u128 = 1 << 26;

/// A bound bit-matrix kernel: what runs, and how fast its inner step can.
#[derive(Clone, Copy, Debug)]
pub struct BitKernel(BitBinding);

impl BitKernel {
    /// Its name (`avx512-bits-4r`, `avx2-bits-4r`, `portable-bits-4r`).
    pub fn name(&self) -> &'static str {
        self.0.name
    }

    /// The ISA level it runs at.
    pub fn isa(&self) -> IsaLevel {
        self.0.level
    }

    /// Entry operations per second of the kernel's inner step (ten table
    /// lookups ORed into a 512-column block of a row of C, 60 values of k)
    /// with tables, A and C in L1: the ceiling of [`gemm`] on this kernel
    /// (whose rows of C stream from L2),
    /// counted as m·n·k. The best of 3 runs of at least `min_time` / 8.
    pub fn peak_ops_per_second(&self, min_time: Duration) -> f64 {
        let probe = self.0.probe;
        let mut iters = 1 << 8;
        loop {
            let start = Instant::now();
            probe(iters);
            if start.elapsed() * 8 >= min_time || iters >= 1 << 40 {
                break;
            }
            iters *= 2;
        }
        (0..3)
            .map(|_| {
                let start = Instant::now();
                let ops = probe(iters);
                ops as f64 / start.elapsed().as_secs_f64()
            })
            .fold(0.0, f64::max)
    }
}

/// The kernel [`gemm`] runs at `level`; [`Error::IsaUnavailable`] when the
/// CPU lacks it.
pub fn kernel_at(level: IsaLevel) -> Result<BitKernel, Error> {
    Ok(BitKernel(bit_binding(resolve_level(Some(level))?)))
}

/// The kernel [`gemm`] runs with the default configuration (the detected
/// level, capped by `TROPICAL_BLAS_ISA`).
pub fn kernel_for() -> Result<BitKernel, Error> {
    Ok(BitKernel(bit_binding(resolve_level(None)?)))
}

/// `C = A·B` ([`Accum::Replace`]) or `C |= A·B` ([`Accum::Combine`]) over
/// (or, and): `C[i, j] = OR_p A[i, p] AND B[p, j]`, on every thread of the
/// current rayon pool. See [`gemm_with`].
pub fn gemm(
    a: BitMatRef<'_>,
    b: BitMatRef<'_>,
    c: BitMatMut<'_>,
    accum: Accum,
) -> Result<(), Error> {
    gemm_with(&GemmConfig::default(), a, b, c, accum)
}

/// [`gemm`] with an explicit configuration: `cfg.par()` threads (any
/// count gives the same bits: the product is an OR of ORs) and
/// `cfg.isa()` to choose the level (else `TROPICAL_BLAS_ISA`, else the
/// detected one). The tiling, if any, is ignored (the bit kernels block by
/// 512 columns and 60 rows of B, fixed).
///
/// Only the entries of C are written: the bits of its last word past
/// column n − 1 and its padding words keep their values; Replace never
/// reads the entries. A and B are read only at their entries (bits past
/// their last column may hold anything). Errors (nothing written):
/// [`Error::DimensionMismatch`] unless A is m×k, B k×n and C m×n; a bad
/// or unavailable ISA level.
pub fn gemm_with(
    cfg: &GemmConfig,
    a: BitMatRef<'_>,
    b: BitMatRef<'_>,
    c: BitMatMut<'_>,
    accum: Accum,
) -> Result<(), Error> {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    if b.rows() != k || c.rows() != m || c.cols() != n {
        return Err(Error::DimensionMismatch {
            a: (a.rows(), a.cols()),
            b: (b.rows(), b.cols()),
            c: (c.rows(), c.cols()),
        });
    }
    let binding = bit_binding(resolve_level(cfg.isa())?);
    let ops = m as u128 * n as u128 * k as u128;
    let threads = if ops < PARALLEL_MIN_OPS {
        1
    } else {
        cfg.par().threads()
    };
    // SAFETY: `bit_binding` returns SIMD entries only for a level the CPU
    // has; the shapes agree (checked above).
    unsafe { crate::frame::bits::bit_product(binding.entries, threads, a, b, c, accum) }
}
