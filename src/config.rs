//! Per-call settings.

use crate::blocking::TilingParams;
use crate::isa::IsaLevel;

/// What happens to the existing contents of C.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Accum {
    /// C = A ⊗ B. C is never read, so it may hold NaN or garbage.
    Replace,
    /// C = C ⊕ (A ⊗ B).
    Combine,
}

/// How many threads one product may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Par {
    /// On the calling thread only.
    Seq,
    /// Split into this many tasks on the current rayon pool; `0` means one
    /// per thread of the pool. Small products stay sequential whatever
    /// this says, so they pay no threading overhead.
    Rayon(usize),
}

impl Default for Par {
    /// All threads of the current rayon pool.
    fn default() -> Self {
        Par::Rayon(0)
    }
}

impl Par {
    /// The number of tasks this setting asks for (at least 1).
    pub fn threads(self) -> usize {
        match self {
            Par::Seq => 1,
            Par::Rayon(0) => rayon::current_num_threads().max(1),
            Par::Rayon(n) => n,
        }
    }
}

/// Explicit configuration for [`gemm_with`](crate::gemm_with).
///
/// ```
/// use tropical_blas::{GemmConfig, IsaLevel, Par, TilingParams};
/// let cfg = GemmConfig::default()
///     .with_tiling(TilingParams::new(64, 128, 1024))
///     .with_isa(IsaLevel::Scalar)
///     .with_par(Par::Seq);
/// assert_eq!(cfg.isa(), Some(IsaLevel::Scalar));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GemmConfig {
    tiling: Option<TilingParams>,
    isa: Option<IsaLevel>,
    par: Par,
}

impl GemmConfig {
    /// Use exactly these block sizes instead of the size-adaptive default.
    pub fn with_tiling(self, tiling: TilingParams) -> Self {
        Self {
            tiling: Some(tiling),
            ..self
        }
    }

    /// Run the kernels of this ISA level (overrides `TROPICAL_BLAS_ISA`).
    /// A level the CPU lacks makes the call return
    /// [`Error::IsaUnavailable`](crate::Error::IsaUnavailable).
    pub fn with_isa(self, isa: IsaLevel) -> Self {
        Self {
            isa: Some(isa),
            ..self
        }
    }

    /// Use this many threads (default: the current rayon pool).
    pub fn with_par(self, par: Par) -> Self {
        Self { par, ..self }
    }

    /// The threading setting.
    pub fn par(&self) -> Par {
        self.par
    }

    /// The tiling override, if any.
    pub fn tiling(&self) -> Option<TilingParams> {
        self.tiling
    }

    /// The ISA override, if any.
    pub fn isa(&self) -> Option<IsaLevel> {
        self.isa
    }
}
