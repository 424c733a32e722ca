//! The kernels room: register tiles, vector lane operations per ISA,
//! packing bodies and the portable kernel. Nothing here knows about the
//! blocking loops, the API or which ISA the CPU has; `binding` compiles
//! these bodies into `#[target_feature]` entries.

pub(crate) mod bits;
pub(crate) mod counting;
pub(crate) mod micro;
pub(crate) mod pack;
pub(crate) mod portable;
pub(crate) mod prefetch;
pub(crate) mod scan;
pub(crate) mod simd;
