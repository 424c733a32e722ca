//! Per-call settings.

use crate::dispatch::IsaLevel;
use crate::tiling::TilingParams;

/// What happens to the existing contents of C.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Accum {
    /// C = A ⊗ B. C is never read, so it may hold NaN or garbage.
    Replace,
    /// C = C ⊕ (A ⊗ B).
    Combine,
}

/// Explicit configuration for [`gemm_with`](crate::gemm_with).
///
/// ```
/// use tropical_blas::{GemmConfig, IsaLevel, TilingParams};
/// let cfg = GemmConfig::default()
///     .with_tiling(TilingParams::new(64, 128, 1024))
///     .with_isa(IsaLevel::Scalar);
/// assert_eq!(cfg.isa(), Some(IsaLevel::Scalar));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GemmConfig {
    tiling: Option<TilingParams>,
    isa: Option<IsaLevel>,
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

    /// The tiling override, if any.
    pub fn tiling(&self) -> Option<TilingParams> {
        self.tiling
    }

    /// The ISA override, if any.
    pub fn isa(&self) -> Option<IsaLevel> {
        self.isa
    }
}
