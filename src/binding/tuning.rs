//! Where the default block sizes come from: a tuned table for this CPU
//! (a file named by `TROPICAL_BLAS_TUNING`, or one compiled in), or else
//! sizes derived from the detected cache sizes.
//!
//! The tuned file is what `tuning/tune.sh` writes: `key = value` lines,
//! `#` comments, for example
//!
//! ```text
//! # tropical-blas tuning v1
//! cpu = Intel(R) Xeon(R) Platinum 8480+
//! isa = avx512
//! element_bytes = 4
//! mc = 64
//! kc = 512
//! nc = 4096
//! small_ops = 262144
//! ```
//!
//! It applies to kernels of that ISA level and element size; every other
//! kernel uses the cache-derived sizes. `cpu` is informational for a file
//! (the user chose it for this machine). A compiled-in entry
//! ([`TUNED_TABLE`]) is keyed by the [`CpuIdentity`]: vendor, family,
//! model, stepping and cache sizes, never the brand string, which a
//! virtual machine may mask.

use std::fmt;
use std::sync::OnceLock;

use crate::blocking::{BlockLimits, DEFAULT_LIMITS, TilingParams};
use crate::error::Error;
use crate::isa::IsaLevel;
use crate::semiring::{Kernel, Semiring};

/// The environment variable naming a tuned block-size file.
pub const TUNING_ENV_VAR: &str = "TROPICAL_BLAS_TUNING";

/// One tuned set of block sizes for one CPU model, ISA level and element
/// size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TunedBlocks {
    /// The CPU the sizes were measured on (informational: its
    /// [`CpuIdentity`] as text).
    pub cpu: String,
    /// The kernels' ISA level.
    pub isa: IsaLevel,
    /// Bytes per element (4 for f32/i32, 8 for f64/i64).
    pub element_bytes: usize,
    /// Rows of A per packed block.
    pub mc: usize,
    /// Depth per packed block.
    pub kc: usize,
    /// Columns of B per packed panel.
    pub nc: usize,
    /// Products of at most this many ops (m·n·k) skip packing.
    pub small_ops: usize,
}

/// A compiled-in tuned entry: the [`CpuIdentity`] it applies to, matched
/// field by field, and the fields of [`TunedBlocks`].
#[derive(Clone, Copy, Debug)]
pub struct TunedEntry {
    /// CPUID vendor string, such as `GenuineIntel`.
    pub vendor: &'static str,
    /// Family, with the extended family added.
    pub family: u32,
    /// Model, with the extended model added.
    pub model: u32,
    /// Stepping.
    pub stepping: u32,
    /// Level-1 data cache in bytes.
    pub l1d: usize,
    /// Level-2 cache in bytes.
    pub l2: usize,
    /// Level-3 cache in bytes (0 if none).
    pub l3: usize,
    /// The kernels' ISA level.
    pub isa: IsaLevel,
    /// Bytes per element.
    pub element_bytes: usize,
    /// Rows of A per packed block.
    pub mc: usize,
    /// Depth per packed block.
    pub kc: usize,
    /// Columns of B per packed panel.
    pub nc: usize,
    /// Small-path threshold in ops.
    pub small_ops: usize,
}

/// Block sizes tuned on known CPUs with `tuning/tune.sh`, used when no
/// file is named by [`TUNING_ENV_VAR`]. An entry stays only where it
/// measurably beats the cache-derived sizes on its CPU; to add one, run
/// the tuner there and paste the entry it prints.
pub const TUNED_TABLE: &[TunedEntry] = &[];

/// Cache sizes in bytes, as detected (per core for L1/L2, whole chip for
/// L3), or typical values where the CPU does not say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheSizes {
    /// Level-1 data cache.
    pub l1d: usize,
    /// Level-2 cache.
    pub l2: usize,
    /// Level-3 cache (0 if none).
    pub l3: usize,
    /// Whether the sizes came from the CPU (`false`: the fallback values).
    pub detected: bool,
}

/// Where the default block sizes of a kernel come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockSource {
    /// The file named by `TROPICAL_BLAS_TUNING`.
    File(String),
    /// The compiled-in entry for this CPU.
    CompiledIn,
    /// Derived from the cache sizes.
    CacheDerived,
}

impl fmt::Display for BlockSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockSource::File(path) => write!(f, "tuned file {path}"),
            BlockSource::CompiledIn => f.write_str("compiled-in tuned table"),
            BlockSource::CacheDerived => f.write_str("derived from cache sizes"),
        }
    }
}

/// What identifies a CPU model to the tuned table: what CPUID reports of
/// the core, and the cache sizes the block sizes depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuIdentity {
    /// CPUID vendor string, such as `GenuineIntel` (empty off x86-64).
    pub vendor: String,
    /// Family, with the extended family added.
    pub family: u32,
    /// Model, with the extended model added.
    pub model: u32,
    /// Stepping.
    pub stepping: u32,
    /// The cache sizes.
    pub caches: CacheSizes,
}

impl CpuIdentity {
    /// Whether the compiled-in `entry` was tuned on a CPU like this one.
    pub fn matches(&self, entry: &TunedEntry) -> bool {
        self.vendor == entry.vendor
            && (self.family, self.model, self.stepping)
                == (entry.family, entry.model, entry.stepping)
            && (self.caches.l1d, self.caches.l2, self.caches.l3) == (entry.l1d, entry.l2, entry.l3)
    }
}

impl fmt::Display for CpuIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kib = |bytes: usize| bytes >> 10;
        write!(
            f,
            "{} family {} model {} stepping {}, L1d {} KiB, L2 {} KiB, L3 {} KiB",
            self.vendor,
            self.family,
            self.model,
            self.stepping,
            kib(self.caches.l1d),
            kib(self.caches.l2),
            kib(self.caches.l3)
        )
    }
}

/// This CPU's identity (read once).
pub fn cpu_identity() -> &'static CpuIdentity {
    static IDENTITY: OnceLock<CpuIdentity> = OnceLock::new();
    IDENTITY.get_or_init(|| {
        let (vendor, family, model, stepping) = read_signature();
        CpuIdentity {
            vendor,
            family,
            model,
            stepping,
            caches: cache_sizes(),
        }
    })
}

/// CPUID leaf 0's vendor string and leaf 1's signature, with the extended
/// family and model folded in as the vendors document.
#[cfg(target_arch = "x86_64")]
fn read_signature() -> (String, u32, u32, u32) {
    use std::arch::x86_64::__cpuid;
    let leaf0 = __cpuid(0);
    let vendor: Vec<u8> = [leaf0.ebx, leaf0.edx, leaf0.ecx]
        .into_iter()
        .flat_map(u32::to_le_bytes)
        .collect();
    let vendor = String::from_utf8_lossy(&vendor).into_owned();
    if leaf0.eax < 1 {
        return (vendor, 0, 0, 0);
    }
    let eax = __cpuid(1).eax;
    let base_family = (eax >> 8) & 0xf;
    let family = if base_family == 0xf {
        base_family + ((eax >> 20) & 0xff)
    } else {
        base_family
    };
    let model = if base_family == 0x6 || base_family == 0xf {
        ((eax >> 12) & 0xf0) | ((eax >> 4) & 0xf)
    } else {
        (eax >> 4) & 0xf
    };
    (vendor, family, model, eax & 0xf)
}

#[cfg(not(target_arch = "x86_64"))]
fn read_signature() -> (String, u32, u32, u32) {
    (String::new(), 0, 0, 0)
}

/// The CPU's brand string (empty if it has none).
pub fn cpu_model() -> &'static str {
    static MODEL: OnceLock<String> = OnceLock::new();
    MODEL.get_or_init(read_cpu_model)
}

#[cfg(target_arch = "x86_64")]
fn read_cpu_model() -> String {
    use std::arch::x86_64::__cpuid;
    // Leaf 0x80000000 reports the highest extended leaf; the brand string
    // is in 0x80000002-4.
    if __cpuid(0x8000_0000).eax < 0x8000_0004 {
        return String::new();
    }
    let bytes: Vec<u8> = (0x8000_0002u32..=0x8000_0004)
        .flat_map(|leaf| {
            let r = __cpuid(leaf);
            [r.eax, r.ebx, r.ecx, r.edx]
        })
        .flat_map(u32::to_le_bytes)
        .collect();
    String::from_utf8_lossy(&bytes)
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .to_string()
}

#[cfg(not(target_arch = "x86_64"))]
fn read_cpu_model() -> String {
    String::new()
}

/// This CPU's cache sizes (read once).
pub fn cache_sizes() -> CacheSizes {
    static SIZES: OnceLock<CacheSizes> = OnceLock::new();
    *SIZES.get_or_init(|| {
        read_cache_sizes().unwrap_or(CacheSizes {
            l1d: 32 << 10,
            l2: 1 << 20,
            l3: 8 << 20,
            detected: false,
        })
    })
}

/// The deterministic cache parameters of CPUID leaf 4 (Intel) or
/// 0x8000001D (AMD): size = ways · partitions · line · sets per level.
#[cfg(target_arch = "x86_64")]
fn read_cache_sizes() -> Option<CacheSizes> {
    use std::arch::x86_64::__cpuid_count;
    // Read a leaf only when the maximum (extended) leaf covers it.
    let leaf = if __cpuid_count(0, 0).eax >= 4 && __cpuid_count(4, 0).eax & 0x1f != 0 {
        4
    } else if __cpuid_count(0x8000_0000, 0).eax >= 0x8000_001d {
        0x8000_001d
    } else {
        return None;
    };
    let (mut l1d, mut l2, mut l3) = (0, 0, 0);
    for index in 0..16 {
        // Sub-leaves past the last cache report type 0.
        let r = __cpuid_count(leaf, index);
        let kind = r.eax & 0x1f; // 1 data, 2 instruction, 3 unified
        if kind == 0 {
            break;
        }
        let level = (r.eax >> 5) & 0x7;
        let size = (((r.ebx >> 22) & 0x3ff) as usize + 1)
            * (((r.ebx >> 12) & 0x3ff) as usize + 1)
            * ((r.ebx & 0xfff) as usize + 1)
            * (r.ecx as usize + 1);
        match (level, kind) {
            (1, 1 | 3) => l1d = size,
            (2, 1 | 3) => l2 = size,
            (3, 1 | 3) => l3 = size,
            _ => {}
        }
    }
    (l1d > 0 && l2 > 0).then_some(CacheSizes {
        l1d,
        l2,
        l3,
        detected: true,
    })
}

#[cfg(not(target_arch = "x86_64"))]
fn read_cache_sizes() -> Option<CacheSizes> {
    None
}

/// The longest k-block the cache-derived limits choose: longer ones gained
/// nothing (f32 AVX-512, n = 2048).
const MAX_DERIVED_KC: usize = 1024;

/// The packed A block takes `1 / A_BLOCK_L2_SHARE` of L2, well below the
/// half that the model of Low et al. gives it: both micro-panels of a tile
/// then stream from L2 and the block stays there beside the B panel's
/// traffic. On Sapphire Rapids it ran MaxPlus<f32> at 90 % of the probe
/// against 84 % with a quarter of L2 (see CHANGELOG.md).
pub(crate) const A_BLOCK_L2_SHARE: usize = 16;

/// Block limits from the cache sizes, after the analytical model of Low et
/// al. ("Analytical modeling is enough for high-performance BLIS", 2016),
/// with one departure: a B micro-panel (kc × NR) may take 4/3 of L1 (the
/// model says 2/3), up to [`MAX_DERIVED_KC`]. Each k-block costs one more
/// read and write of all of C, which cost more than keeping the B
/// micro-panel in L1 saved, since L2 feeds both micro-panels at the rate
/// the tile consumes them. The packed A block (mc × kc, `a_copies` stored
/// per element) takes `1 / A_BLOCK_L2_SHARE` of L2 and at least two
/// micro-panels; the packed B panel (kc × nc) at most a quarter of L3 (the
/// chip's L3 is shared).
pub(crate) fn cache_derived_limits(
    element_bytes: usize,
    a_copies: usize,
    mr: usize,
    nr: usize,
) -> BlockLimits {
    let cache = cache_sizes();
    // Any tile size is accepted (the tuner and users pass their own): the
    // arithmetic saturates, and where a tile is so large that its own
    // minimum exceeds a block's cap, the minimum wins.
    let (elem, mr, nr) = (element_bytes.max(1), mr.max(1), nr.max(1));
    let within = |x: usize, min: usize, max: usize| x.min(max).max(min);
    let kc = within(
        cache.l1d * 4 / 3 / nr.saturating_mul(elem),
        64,
        MAX_DERIVED_KC,
    ) / 8
        * 8;
    let packed_a_elem = elem.saturating_mul(a_copies.max(1));
    let a_share = cache.l2 / A_BLOCK_L2_SHARE / kc.saturating_mul(packed_a_elem);
    let mc = within(a_share, mr.saturating_mul(2), 1024) / mr * mr;
    let l3 = if cache.l3 > 0 { cache.l3 } else { cache.l2 * 4 };
    let nc = within(l3 / 4 / kc.saturating_mul(elem), nr.saturating_mul(4), 8192) / nr * nr;
    BlockLimits {
        mc,
        kc,
        nc,
        small_ops: DEFAULT_LIMITS.small_ops,
    }
}

/// The block limits derived from this CPU's cache sizes for a kernel with
/// an MR×NR tile of `element_bytes` scalars that packs one copy of each A
/// element, ignoring any tuned table.
/// [`Kernel::cache_derived_tiling`](crate::Kernel::cache_derived_tiling)
/// gives them for any kernel (the bool kernels pack A four times).
pub fn cache_derived_tiling(element_bytes: usize, mr: usize, nr: usize) -> TilingParams {
    derived_tiling(element_bytes, 1, mr, nr)
}

/// [`cache_derived_limits`] as the tiling they give.
pub(crate) fn derived_tiling(
    element_bytes: usize,
    a_copies: usize,
    mr: usize,
    nr: usize,
) -> TilingParams {
    let l = cache_derived_limits(element_bytes, a_copies, mr, nr);
    TilingParams::new(l.mc, l.kc, l.nc).with_small_ops(l.small_ops)
}

/// The tuned sizes in force: a valid file from the environment, else the
/// compiled-in entry for this CPU. An unreadable or malformed file is an
/// error returned by every product call.
pub(crate) fn tuned() -> Result<&'static [(TunedBlocks, BlockSource)], Error> {
    static TUNED: OnceLock<Result<Vec<(TunedBlocks, BlockSource)>, Error>> = OnceLock::new();
    TUNED
        .get_or_init(|| match std::env::var_os(TUNING_ENV_VAR) {
            Some(path) if !path.is_empty() => {
                let path = path.to_string_lossy().into_owned();
                let text = read_tuning_file(&path).map_err(|reason| Error::InvalidTuningFile {
                    path: path.clone(),
                    reason,
                })?;
                let blocks = parse(&text).map_err(|reason| Error::InvalidTuningFile {
                    path: path.clone(),
                    reason,
                })?;
                Ok(vec![(blocks, BlockSource::File(path))])
            }
            _ => Ok(TUNED_TABLE
                .iter()
                .filter(|e| cpu_identity().matches(e))
                .map(|e| {
                    let blocks = TunedBlocks {
                        cpu: cpu_identity().to_string(),
                        isa: e.isa,
                        element_bytes: e.element_bytes,
                        mc: e.mc,
                        kc: e.kc,
                        nc: e.nc,
                        small_ops: e.small_ops,
                    };
                    (blocks, BlockSource::CompiledIn)
                })
                .collect()),
        })
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// The longest tuning file read: a real one is a few hundred bytes; the
/// bound keeps a path such as `/dev/zero` from reading without end.
const MAX_TUNING_FILE_BYTES: u64 = 64 << 10;

/// The text of a tuning file, or why it cannot be used.
fn read_tuning_file(path: &str) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_TUNING_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_TUNING_FILE_BYTES {
        return Err(format!("longer than {MAX_TUNING_FILE_BYTES} bytes"));
    }
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// The default block limits for a kernel, and where they come from.
pub(crate) fn limits_for(
    element_bytes: usize,
    a_copies: usize,
    mr: usize,
    nr: usize,
    isa: IsaLevel,
) -> (BlockLimits, BlockSource) {
    let tuned = tuned().unwrap_or(&[]);
    match tuned
        .iter()
        .find(|(t, _)| t.isa == isa && t.element_bytes == element_bytes)
    {
        Some((t, source)) => (
            BlockLimits {
                mc: t.mc,
                kc: t.kc,
                nc: t.nc,
                small_ops: t.small_ops,
            },
            source.clone(),
        ),
        None => (
            cache_derived_limits(element_bytes, a_copies, mr, nr),
            BlockSource::CacheDerived,
        ),
    }
}

impl TilingParams {
    /// Balanced default blocks for an m×k by k×n product with an MR×NR
    /// kernel: small problems get small blocks (and small buffers), and a
    /// dimension that needs several blocks gets equal ones instead of a
    /// full block plus a thin tail (`blocks = ceil(k/KC); kc = ceil(k/blocks)`).
    pub fn for_problem(m: usize, n: usize, k: usize, mr: usize, nr: usize) -> Self {
        // The limits of a 4-byte kernel, whose top level is Avx512.
        let level = crate::binding::dispatch::active_isa()
            .unwrap_or(IsaLevel::Scalar)
            .min(IsaLevel::Avx512);
        let (limits, _) = limits_for(4, 1, mr, nr, level);
        TilingParams::balanced(m, n, k, mr, nr, limits)
    }

    /// The blocking `gemm` uses for `kernel`: balanced within the tuned
    /// limits for this CPU, or within limits derived from its caches.
    pub(crate) fn for_kernel<S: Semiring>(
        m: usize,
        n: usize,
        k: usize,
        kernel: &Kernel<S>,
    ) -> Self {
        let element_bytes = std::mem::size_of::<S::Scalar>();
        let (mr, nr) = (kernel.mr(), kernel.nr());
        let (limits, _) = limits_for(element_bytes, kernel.a_spread, mr, nr, kernel.isa());
        TilingParams::balanced(m, n, k, mr, nr, limits)
    }
}

/// Parses the `key = value` format described in the module docs.
pub fn parse(text: &str) -> Result<TunedBlocks, String> {
    let mut cpu = String::new();
    let (mut isa, mut element_bytes) = (None, None);
    let (mut mc, mut kc, mut nc, mut small_ops) = (None, None, None, None);
    for (number, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .map(|(k, v)| (k.trim(), v.trim()))
            .ok_or_else(|| format!("line {}: expected `key = value`", number + 1))?;
        let size = || {
            value
                .parse::<usize>()
                .ok()
                .filter(|&x| x > 0 || key == "small_ops")
                .ok_or_else(|| format!("line {}: {key} must be a positive integer", number + 1))
        };
        match key {
            "cpu" => cpu = value.to_string(),
            "isa" => isa = Some(value.parse::<IsaLevel>().map_err(|e| e.to_string())?),
            "element_bytes" => element_bytes = Some(size()?),
            "mc" => mc = Some(size()?),
            "kc" => kc = Some(size()?),
            "nc" => nc = Some(size()?),
            "small_ops" => small_ops = Some(size()?),
            other => return Err(format!("line {}: unknown key {other:?}", number + 1)),
        }
    }
    let need = |v: Option<usize>, key: &str| v.ok_or_else(|| format!("missing {key}"));
    Ok(TunedBlocks {
        cpu,
        isa: isa.ok_or("missing isa")?,
        element_bytes: need(element_bytes, "element_bytes")?,
        mc: need(mc, "mc")?,
        kc: need(kc, "kc")?,
        nc: need(nc, "nc")?,
        small_ops: need(small_ops, "small_ops")?,
    })
}

impl TunedBlocks {
    /// The file format [`parse`] reads.
    pub fn to_file(&self) -> String {
        format!(
            "# tropical-blas tuning v1\ncpu = {}\nisa = {}\nelement_bytes = {}\nmc = {}\nkc = {}\nnc = {}\nsmall_ops = {}\n",
            self.cpu, self.isa, self.element_bytes, self.mc, self.kc, self.nc, self.small_ops
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_round_trips_and_rejects_garbage() {
        let blocks = TunedBlocks {
            cpu: "Some CPU @ 2.40GHz".into(),
            isa: IsaLevel::Avx2,
            element_bytes: 4,
            mc: 96,
            kc: 384,
            nc: 2048,
            small_ops: 0,
        };
        assert_eq!(parse(&blocks.to_file()), Ok(blocks));
        assert!(parse("mc = 3").unwrap_err().contains("missing"));
        assert!(
            parse("isa = avx2\nmc = 0")
                .unwrap_err()
                .contains("positive")
        );
        assert!(parse("colour = blue").unwrap_err().contains("unknown key"));
        assert!(parse("isa = avx9").is_err());
    }

    #[test]
    fn derived_limits_are_aligned_and_bounded() {
        for (elem, mr, nr) in [(4, 16, 16), (8, 16, 8), (4, 8, 8), (1, 16, 64), (4, 4, 8)] {
            let l = cache_derived_limits(elem, 1, mr, nr);
            assert!(
                l.kc >= 64 && l.kc <= MAX_DERIVED_KC && l.kc.is_multiple_of(8),
                "{l:?}"
            );
            assert!(l.mc >= mr && l.mc.is_multiple_of(mr), "{l:?}");
            assert!(l.nc >= nr && l.nc.is_multiple_of(nr), "{l:?}");
        }
        // A kernel that packs 4 copies of each A element keeps its packed
        // A block (mc·kc·4 bytes) within its share of L2, or two tiles.
        let plain = cache_derived_limits(1, 1, 8, 128);
        let spread = cache_derived_limits(1, 4, 8, 128);
        assert_eq!(spread.kc, plain.kc);
        assert!(spread.mc.is_multiple_of(8) && spread.mc <= plain.mc);
        let budget = (cache_sizes().l2 / A_BLOCK_L2_SHARE).max(2 * 8 * spread.kc * 4);
        assert!(spread.mc * spread.kc * 4 <= budget, "{spread:?}");
    }
}
