//! The ISA levels kernels are built for.

use std::fmt;

/// A family of kernels, ordered from the one that runs anywhere to the widest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IsaLevel {
    /// Portable Rust, no instruction beyond the target's baseline.
    Scalar,
    /// 256-bit AVX2 kernels (x86-64 with `avx2`).
    Avx2,
    /// 512-bit AVX-512 kernels (x86-64 with `avx512f` and `avx512bw`: the
    /// i16 kernels' 16-bit lanes are BW instructions, which every AVX-512
    /// CPU since Skylake-SP has; a CPU with `avx512f` alone, the Xeon Phi,
    /// runs the AVX2 level).
    Avx512,
    /// AVX-512 with half-precision arithmetic (`avx512fp16`, with
    /// `avx512bw`): the `half::f16` kernels, 32 lanes a register. Every
    /// other element type runs its `Avx512` kernels at this level; `f16`
    /// runs the portable kernel below it.
    Avx512Fp16,
}

impl IsaLevel {
    /// Every level, lowest first.
    pub const ALL: [IsaLevel; 4] = [
        IsaLevel::Scalar,
        IsaLevel::Avx2,
        IsaLevel::Avx512,
        IsaLevel::Avx512Fp16,
    ];

    /// The lower-case name used by `TROPICAL_BLAS_ISA`.
    pub fn name(self) -> &'static str {
        match self {
            IsaLevel::Scalar => "scalar",
            IsaLevel::Avx2 => "avx2",
            IsaLevel::Avx512 => "avx512",
            IsaLevel::Avx512Fp16 => "avx512fp16",
        }
    }
}

impl fmt::Display for IsaLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
