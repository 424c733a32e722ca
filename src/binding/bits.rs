//! The bit-packed or-and kernels' `#[target_feature]` entries, and the
//! choice among them by level. Every entry ends in `_entry` so that
//! `.ci/check-vzeroupper.py` checks that it leaves through `vzeroupper`.

use crate::binding::dispatch::detected_isa;
use crate::frame::bits::BitEntries;
use crate::isa::IsaLevel;
use crate::kernels::bits::{LookupJob, PortableBlock, build_tables, lookup_rows, probe_body};

/// One bound bit kernel: its name, level, steps and peak probe.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BitBinding {
    /// Kernel name for reports.
    pub name: &'static str,
    /// The level it runs at.
    pub level: IsaLevel,
    /// The steps the driver calls.
    pub entries: BitEntries,
    /// The peak probe: runs `iters` passes, returns the operations done.
    pub probe: fn(usize) -> u64,
}

/// The best bit kernel at or below `level` that this CPU runs (the check
/// that makes the SIMD entries sound to call).
pub(crate) fn bit_binding(level: IsaLevel) -> BitBinding {
    match level.min(detected_isa()) {
        // FP16 adds nothing to the bit kernels.
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx512 | IsaLevel::Avx512Fp16 => BitBinding {
            name: "avx512-bits-4r",
            level: IsaLevel::Avx512,
            entries: BitEntries {
                tables: avx512::tables_entry,
                lookups: avx512::lookups_entry,
            },
            probe: avx512::probe_safe,
        },
        #[cfg(target_arch = "x86_64")]
        IsaLevel::Avx2 => BitBinding {
            name: "avx2-bits-4r",
            level: IsaLevel::Avx2,
            entries: BitEntries {
                tables: avx2::tables_entry,
                lookups: avx2::lookups_entry,
            },
            probe: avx2::probe_safe,
        },
        _ => BitBinding {
            name: "portable-bits-4r",
            level: IsaLevel::Scalar,
            entries: BitEntries {
                tables: portable_tables,
                lookups: portable_lookups,
            },
            probe: portable_probe,
        },
    }
}

/// # Safety
/// As `build_tables`.
unsafe fn portable_tables(rows: *const u64, tables: *mut u64) {
    // SAFETY: forwarded contract; the portable block needs no feature.
    unsafe { build_tables::<PortableBlock>(rows, tables) }
}

/// # Safety
/// As `lookup_rows`.
unsafe fn portable_lookups(job: &LookupJob) {
    // SAFETY: forwarded contract; the portable block needs no feature.
    unsafe { lookup_rows::<PortableBlock>(job) }
}

fn portable_probe(iters: usize) -> u64 {
    // SAFETY: the portable block needs no feature.
    unsafe { probe_body::<PortableBlock>(iters) }
}

/// One ISA's entries over its word block.
#[cfg(target_arch = "x86_64")]
macro_rules! bit_entries {
    ($isa:ident, $block:ident, $features:literal, $level:ident) => {
        /// Entries compiled with this ISA's features.
        pub(crate) mod $isa {
            use crate::kernels::bits::{LookupJob, build_tables, lookup_rows, probe_body, $block};

            /// # Safety
            /// As `build_tables`; the CPU has the ISA.
            #[target_feature(enable = $features)]
            pub(crate) unsafe fn tables_entry(rows: *const u64, tables: *mut u64) {
                // SAFETY: forwarded contract, features enabled here.
                unsafe { build_tables::<$block>(rows, tables) }
            }

            /// # Safety
            /// As `lookup_rows`; the CPU has the ISA.
            #[target_feature(enable = $features)]
            pub(crate) unsafe fn lookups_entry(job: &LookupJob) {
                // SAFETY: forwarded contract, features enabled here.
                unsafe { lookup_rows::<$block>(job) }
            }

            /// # Safety
            /// The CPU has the ISA.
            #[target_feature(enable = $features)]
            unsafe fn probe_entry(iters: usize) -> u64 {
                // SAFETY: features enabled here.
                unsafe { probe_body::<$block>(iters) }
            }

            /// The probe; safe because `bit_binding` binds it only after
            /// detecting the ISA.
            pub(crate) fn probe_safe(iters: usize) -> u64 {
                debug_assert!(
                    crate::binding::dispatch::detected_isa() >= crate::isa::IsaLevel::$level
                );
                // SAFETY: reachable only through a binding made after the
                // ISA was detected.
                unsafe { probe_entry(iters) }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
bit_entries!(avx2, Avx2Block, "avx,avx2", Avx2);
#[cfg(target_arch = "x86_64")]
bit_entries!(avx512, Avx512Block, "avx2,avx512f,avx512bw", Avx512);
