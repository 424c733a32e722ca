//! The ISA ladder: the best kernel of a built-in semiring that this CPU
//! runs at or below a level.

use std::sync::OnceLock;

use crate::binding::dispatch::{add_on_fma_setting, detected_isa, narrow_tiles_setting};
use crate::binding::tuning::cpu_identity;
use crate::isa::IsaLevel;
use crate::kernels::simd::{ArgVecOps, VecOps};
use crate::semiring::{ArgKernel, Kernel, SelectingSemiring, Semiring};

/// The built-in semirings name their vector operations per ISA: as their
/// rules say, and with `+` on the multiply-add units (`on_fma::PlusOnFma`;
/// the same types for every row whose ⊗ is not a float `+`).
pub(crate) trait BuiltinSimd: Semiring {
    #[cfg(target_arch = "x86_64")]
    type Avx512: VecOps<S = Self>;
    #[cfg(target_arch = "x86_64")]
    type Avx2: VecOps<S = Self>;
    #[cfg(target_arch = "x86_64")]
    type Avx512OnFma: VecOps<S = Self>;
    #[cfg(target_arch = "x86_64")]
    type Avx2OnFma: VecOps<S = Self>;
}

/// How the SIMD kernels are built on one kind of CPU, where that was
/// measured to differ from the default (no entry: both `false`).
#[derive(Clone, Copy)]
struct KernelForm {
    /// The float (max|min, +) kernels add on the multiply-add units
    /// (`on_fma::PlusOnFma`), on AVX-512 and AVX2.
    add_on_fma: bool,
    /// The AVX-512 tiles of 8-byte and bool elements are one vector wide
    /// (16×8, 16×64) instead of two (8×16, 8×128).
    narrow_tiles: bool,
}

/// The measured kernel forms, by CPUID vendor and family, for CPUs with
/// AVX-512. AMD family 25 with AVX-512 is Zen 4: its FP add and max
/// share two of its four FP ports (max-plus ran at half the rate of
/// max-times, 0.5 zmm add+max per cycle), and an A element broadcast into
/// a register for two vectors takes a port slot that a broadcast folded
/// into the one operation reading it does not (MaxMul<f64> 16-17 G ops/s
/// on 8×16, 25.6 on 16×8). Intel keeps the defaults: there add,
/// multiply-add and max share the same ports, and the 8×16 tile was
/// measured fastest; a CPU not measured is not assumed.
const MEASURED_FORMS: &[(&str, u32, KernelForm)] = &[(
    "AuthenticAMD",
    25,
    KernelForm {
        add_on_fma: true,
        narrow_tiles: true,
    },
)];

/// This CPU's entry in [`MEASURED_FORMS`], if it has one.
fn measured_form() -> Option<KernelForm> {
    let id = cpu_identity();
    if detected_isa() < IsaLevel::Avx512 {
        return None;
    }
    MEASURED_FORMS
        .iter()
        .find(|(vendor, family, _)| id.vendor == *vendor && id.family == *family)
        .map(|&(_, _, form)| form)
}

/// Whether the float (max|min, +) SIMD kernels add on the multiply-add
/// units: `TROPICAL_BLAS_ADD_ON_FMA` if set, else this CPU's
/// [`MEASURED_FORMS`] entry; never on a CPU without FMA (where `on` keeps
/// the plain kernels rather than fall to the portable one). An invalid
/// setting counts as unset here: every call reports it as an error before
/// it reaches a kernel.
pub fn add_on_fma() -> bool {
    static CHOICE: OnceLock<bool> = OnceLock::new();
    *CHOICE.get_or_init(|| {
        let wanted = match add_on_fma_setting() {
            Ok(Some(on)) => on,
            _ => add_on_fma_measured(),
        };
        wanted && has_fma()
    })
}

/// Whether this CPU has FMA.
fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    return false;
}

/// Whether this CPU's [`MEASURED_FORMS`] entry adds on FMA.
pub fn add_on_fma_measured() -> bool {
    measured_form().is_some_and(|form| form.add_on_fma)
}

/// Whether the AVX-512 tiles of 8-byte and bool elements are one vector
/// wide: `TROPICAL_BLAS_NARROW_TILES` if set, else this CPU's
/// [`MEASURED_FORMS`] entry (an invalid setting counts as unset, as in
/// [`add_on_fma`]).
pub fn narrow_tiles() -> bool {
    static CHOICE: OnceLock<bool> = OnceLock::new();
    *CHOICE.get_or_init(|| match narrow_tiles_setting() {
        Ok(Some(on)) => on,
        _ => narrow_tiles_measured(),
    })
}

/// Whether this CPU's [`MEASURED_FORMS`] entry has narrow tiles.
pub fn narrow_tiles_measured() -> bool {
    measured_form().is_some_and(|form| form.narrow_tiles)
}

/// The best kernel for `S` at or below `level` that this CPU can run.
pub(crate) fn select<S: BuiltinSimd>(level: IsaLevel) -> Kernel<S> {
    match level.min(detected_isa()) {
        // FP16 adds nothing to the other element types' kernels.
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx512 | IsaLevel::Avx512Fp16 if add_on_fma() && S::Avx512OnFma::ON_FMA => {
            crate::binding::avx512::kernel::<S::Avx512OnFma, false>()
        }
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx512 | IsaLevel::Avx512Fp16
            if narrow_tiles() && const { crate::binding::avx512::narrows::<S::Avx512>() } =>
        {
            crate::binding::avx512::kernel::<S::Avx512, true>()
        }
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx512 | IsaLevel::Avx512Fp16 => {
            crate::binding::avx512::kernel::<S::Avx512, false>()
        }
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx2 if add_on_fma() => crate::binding::avx2::kernel::<S::Avx2OnFma, false>(),
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx2 => crate::binding::avx2::kernel::<S::Avx2, false>(),
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
    S::Avx512OnFma: ArgVecOps,
    S::Avx2OnFma: ArgVecOps,
{
    match level.min(detected_isa()) {
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx512 | IsaLevel::Avx512Fp16 if add_on_fma() => {
            crate::binding::avx512::arg_kernel::<S::Avx512OnFma>()
        }
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx512 | IsaLevel::Avx512Fp16 => {
            crate::binding::avx512::arg_kernel::<S::Avx512>()
        }
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx2 if add_on_fma() => crate::binding::avx2::arg_kernel::<S::Avx2OnFma>(),
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
        IsaLevel::Avx512Fp16 => crate::binding::avx512fp16::kernel::<O, false>(),
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
