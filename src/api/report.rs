//! What runs where: detected features, the active cap, and the kernel for
//! every built-in (semiring, type), in the spirit of NumPy's
//! `show_runtime()`.

use std::fmt;

use crate::binding::dispatch::{
    ISA_ENV_VAR, add_on_fma_setting, detected_isa, env_cap, narrow_tiles_setting, resolve_level,
};
use crate::binding::select::{
    add_on_fma, add_on_fma_measured, narrow_tiles, narrow_tiles_measured,
};
use crate::builtin::{BuiltinVisitor, visit_builtins};
use crate::error::Error;
use crate::isa::IsaLevel;
use crate::semiring::Semiring;

/// One row of the report: the kernel a built-in semiring runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelChoice {
    /// The semiring and scalar, e.g. `MaxPlus<f32>`.
    pub semiring: &'static str,
    /// The kernel's name, e.g. `avx512-16x16`.
    pub kernel: &'static str,
    /// The ISA level the kernel uses.
    pub isa: IsaLevel,
    /// Rows of its register tile.
    pub mr: usize,
    /// Columns of its register tile.
    pub nr: usize,
}

/// The dispatch report: see [`dispatch_report`].
#[derive(Clone, Debug)]
pub struct DispatchReport {
    /// CPU features that matter here, with whether this CPU has them.
    pub features: Vec<(&'static str, bool)>,
    /// The best level this CPU runs.
    pub detected: IsaLevel,
    /// The value of `TROPICAL_BLAS_ISA` as parsed (`Ok(None)` when unset).
    pub env_cap: Result<Option<IsaLevel>, Error>,
    /// The level default calls run at, or the error they return.
    pub active: Result<IsaLevel, Error>,
    /// The kernel every built-in (semiring, type) runs at the active level
    /// (at the detected level when the setting is invalid).
    pub kernels: Vec<KernelChoice>,
    /// The CPU's brand string (a virtual machine may mask it).
    pub cpu: &'static str,
    /// What identifies the CPU model to the tuned table.
    pub identity: crate::binding::tuning::CpuIdentity,
    /// Its cache sizes (detected, or fallback values).
    pub caches: crate::binding::tuning::CacheSizes,
    /// Default block limits (mc, kc, nc, small-path ops) of the f32 kernel
    /// at the active level, and where they come from.
    pub blocks: (
        (usize, usize, usize, usize),
        crate::binding::tuning::BlockSource,
    ),
    /// An error in the tuning file named by `TROPICAL_BLAS_TUNING`, if any.
    pub tuning_error: Option<Error>,
    /// Whether the float (max|min, +) kernels of the active level add on
    /// the multiply-add units (kernel names ending in `-fma`), and why:
    /// `TROPICAL_BLAS_ADD_ON_FMA`, or whether this CPU is one where that
    /// was measured faster.
    pub add_on_fma: (bool, &'static str),
    /// Whether the AVX-512 tiles of 8-byte and bool elements at the
    /// active level are one vector wide (16×8 and 16×64 instead of 8×16
    /// and 8×128; the float max-plus and min-plus kernels on FMA keep
    /// 8×16), and why: `TROPICAL_BLAS_NARROW_TILES`, or whether this CPU
    /// is one where that was measured faster.
    pub narrow_tiles: (bool, &'static str),
}

/// Reports the detected CPU features, the `TROPICAL_BLAS_ISA` cap, and the
/// kernel each built-in (semiring, type) runs.
///
/// ```
/// let report = tropical_blas::dispatch_report();
/// println!("{report}");
/// assert!(report.kernels.iter().any(|k| k.semiring == "MaxPlus<f32>"));
/// ```
pub fn dispatch_report() -> DispatchReport {
    let detected = detected_isa();
    let active = resolve_level(None);
    let level = active.clone().unwrap_or(detected);
    let mut kernels = Choices {
        level,
        rows: Vec::new(),
    };
    visit_builtins(&mut kernels);
    let kernels = kernels.rows;
    let f32_kernel = <crate::builtin::MaxPlus<f32> as Semiring>::kernel(level);
    let (limits, source) = crate::binding::tuning::limits_for(
        4,
        1,
        f32_kernel.mr(),
        f32_kernel.nr(),
        f32_kernel.isa(),
    );
    DispatchReport {
        features: cpu_features(),
        detected,
        env_cap: env_cap(),
        active,
        kernels,
        cpu: crate::binding::tuning::cpu_model(),
        identity: crate::binding::tuning::cpu_identity().clone(),
        caches: crate::binding::tuning::cache_sizes(),
        blocks: ((limits.mc, limits.kc, limits.nc, limits.small_ops), source),
        tuning_error: crate::binding::tuning::tuned().err(),
        add_on_fma: (
            add_on_fma() && level >= IsaLevel::Avx2,
            match add_on_fma_setting() {
                Err(_) => "TROPICAL_BLAS_ADD_ON_FMA invalid, calls fail",
                _ if level < IsaLevel::Avx2 => "no SIMD kernels at this level",
                Ok(Some(true)) if !add_on_fma() => "set on, but this CPU has no FMA",
                Ok(Some(_)) => "set by TROPICAL_BLAS_ADD_ON_FMA",
                Ok(None) if add_on_fma_measured() => "measured faster on this CPU",
                Ok(None) => "not known to be faster on this CPU",
            },
        ),
        narrow_tiles: (
            narrow_tiles() && level >= IsaLevel::Avx512,
            match narrow_tiles_setting() {
                Err(_) => "TROPICAL_BLAS_NARROW_TILES invalid, calls fail",
                _ if level < IsaLevel::Avx512 => "no AVX-512 kernels at this level",
                Ok(Some(_)) => "set by TROPICAL_BLAS_NARROW_TILES",
                Ok(None) if narrow_tiles_measured() => "measured faster on this CPU",
                Ok(None) => "not known to be faster on this CPU",
            },
        ),
    }
}

/// The report's kernel rows, one per built-in pair, at one level.
struct Choices {
    level: IsaLevel,
    rows: Vec<KernelChoice>,
}

impl BuiltinVisitor for Choices {
    fn visit<S: Semiring>(&mut self, name: &'static str) {
        let k = S::kernel(self.level);
        self.rows.push(KernelChoice {
            semiring: name,
            kernel: k.name(),
            isa: k.isa(),
            mr: k.mr(),
            nr: k.nr(),
        });
    }
}

#[cfg(target_arch = "x86_64")]
fn cpu_features() -> Vec<(&'static str, bool)> {
    vec![
        ("sse4.2", is_x86_feature_detected!("sse4.2")),
        ("avx", is_x86_feature_detected!("avx")),
        ("avx2", is_x86_feature_detected!("avx2")),
        ("fma", is_x86_feature_detected!("fma")),
        ("avx512f", is_x86_feature_detected!("avx512f")),
        ("avx512bw", is_x86_feature_detected!("avx512bw")),
        ("avx512vl", is_x86_feature_detected!("avx512vl")),
        ("avx512fp16", is_x86_feature_detected!("avx512fp16")),
    ]
}

#[cfg(not(target_arch = "x86_64"))]
fn cpu_features() -> Vec<(&'static str, bool)> {
    Vec::new()
}

impl fmt::Display for DispatchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "tropical-blas {} dispatch report",
            env!("CARGO_PKG_VERSION")
        )?;
        let list: Vec<String> = self
            .features
            .iter()
            .map(|(name, on)| format!("{name}{}", if *on { "+" } else { "-" }))
            .collect();
        writeln!(f, "CPU:            {}", self.cpu)?;
        writeln!(f, "CPU identity:   {}", self.identity)?;
        writeln!(f, "CPU features:   {}", list.join(" "))?;
        let c = &self.caches;
        writeln!(
            f,
            "caches:         L1d {} KiB, L2 {} KiB, L3 {} KiB{}",
            c.l1d >> 10,
            c.l2 >> 10,
            c.l3 >> 10,
            if c.detected {
                ""
            } else {
                " (not reported; assumed)"
            }
        )?;
        let ((mc, kc, nc, small), source) = &self.blocks;
        writeln!(
            f,
            "f32 blocks:     mc {mc}, kc {kc}, nc {nc}, small path up to {small} ops ({source})"
        )?;
        if let Some(e) = &self.tuning_error {
            writeln!(f, "tuning file:    invalid, calls fail: {e}")?;
        }
        writeln!(f, "detected level: {}", self.detected)?;
        match &self.env_cap {
            Ok(Some(cap)) => writeln!(f, "{ISA_ENV_VAR}: {cap}")?,
            Ok(None) => writeln!(f, "{ISA_ENV_VAR}: (unset)")?,
            Err(e) => writeln!(f, "{ISA_ENV_VAR}: invalid: {e}")?,
        }
        match &self.active {
            Ok(level) => writeln!(f, "active level:   {level}")?,
            Err(e) => writeln!(f, "active level:   none, calls fail: {e}")?,
        }
        let (on, why) = self.add_on_fma;
        writeln!(
            f,
            "add on FMA:     {} ({why})",
            if on { "yes" } else { "no" }
        )?;
        let (on, why) = self.narrow_tiles;
        writeln!(
            f,
            "narrow tiles:   {} ({why})",
            if on { "yes" } else { "no" }
        )?;
        writeln!(f, "{:<14} {:<18} {:<7} MRxNR", "semiring", "kernel", "isa")?;
        for k in &self.kernels {
            writeln!(
                f,
                "{:<14} {:<18} {:<7} {}x{}",
                k.semiring, k.kernel, k.isa, k.mr, k.nr
            )?;
        }
        Ok(())
    }
}
