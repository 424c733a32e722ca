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
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx512 => crate::binding::avx512::kernel::<S::Avx512>(),
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
        IsaLevel::Avx512 => crate::binding::avx512::arg_kernel::<S::Avx512>(),
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx2 => crate::binding::avx2::arg_kernel::<S::Avx2>(),
        _ => ArgKernel::portable(),
    }
}
