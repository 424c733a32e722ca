//! The ISA ladder: the best kernel of a built-in semiring that this CPU
//! runs at or below a level.

use crate::binding::dispatch::detected_isa;
use crate::isa::IsaLevel;
use crate::kernels::simd::{ArgVecOps, VecOps};
use crate::semiring::{ArgKernel, Kernel, SelectingSemiring, Semiring};

/// The built-in semirings name their vector operations per ISA.
pub(crate) trait BuiltinSimd: Semiring {
    #[cfg(target_arch = "x86_64")]
    type Avx512: VecOps<S = Self>;
    #[cfg(target_arch = "x86_64")]
    type Avx2: VecOps<S = Self>;
}

/// The best kernel for `S` at or below `level` that this CPU can run.
pub(crate) fn select<S: BuiltinSimd>(level: IsaLevel) -> Kernel<S> {
    match level.min(detected_isa()) {
        // FP16 adds nothing to the other element types' kernels.
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx512 | IsaLevel::Avx512Fp16 => crate::binding::avx512::kernel::<S::Avx512>(),
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx2 => crate::binding::avx2::kernel::<S::Avx2>(),
        _ => Kernel::portable(),
    }
}

/// The best argmax kernel for `S` at or below `level` that this CPU can
/// run.
pub(crate) fn select_arg<S>(level: IsaLevel) -> ArgKernel<S>
where
    S: BuiltinSimd + SelectingSemiring,
    S::Avx512: ArgVecOps,
    S::Avx2: ArgVecOps,
{
    match level.min(detected_isa()) {
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx512 | IsaLevel::Avx512Fp16 => {
            crate::binding::avx512::arg_kernel::<S::Avx512>()
        }
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx2 => crate::binding::avx2::arg_kernel::<S::Avx2>(),
        _ => ArgKernel::portable(),
    }
}

/// The ladder of `f16`, whose one vector kernel is the AVX-512 FP16
/// kernel over `O`: that kernel at `Avx512Fp16`, the portable one below it
/// (on AVX2 and plain AVX-512 CPUs too; bit-identical, as every level).
pub(crate) fn select_fp16<O: VecOps>(level: IsaLevel) -> Kernel<O::S> {
    match level.min(detected_isa()) {
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx512Fp16 => crate::binding::avx512fp16::kernel::<O>(),
        _ => Kernel::portable(),
    }
}

/// The argmax ladder of `f16` (as [`select_fp16`]).
pub(crate) fn select_fp16_arg<O>(level: IsaLevel) -> ArgKernel<O::S>
where
    O: ArgVecOps<S: SelectingSemiring>,
{
    match level.min(detected_isa()) {
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx512Fp16 => crate::binding::avx512fp16::arg_kernel::<O>(),
        _ => ArgKernel::portable(),
    }
}
