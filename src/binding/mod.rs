//! The binding room: the only place that names an ISA and a driver
//! together. CPU detection and the level ladder, the `#[target_feature]`
//! entry points that compile the kernel bodies for one ISA and hand them
//! to the frame's drivers, input scans at the widest level, cache sizes
//! and the tuned or derived block sizes.

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512fp16;
pub(crate) mod bind;
pub(crate) mod bits;
pub(crate) mod counting;
pub(crate) mod dispatch;
pub(crate) mod entries;
pub(crate) mod scan;
pub(crate) mod select;
pub mod tuning;
