//! Block sizes for the five-loop driver, as plain data.

use crate::error::Error;

/// Cache blocking for one product.
///
/// `kc` is the depth of one packed panel (the k-block), `mc` the rows of A
/// packed per block, `nc` the columns of B packed per panel. Products with
/// `m·n·k ≤ small_ops` skip packing and take the unpacked small-matrix path.
///
/// [`TilingParams::for_problem`] chooses balanced blocks for a shape; a value
/// passed through [`GemmConfig::with_tiling`](crate::GemmConfig::with_tiling)
/// is used exactly as given, so tuning scripts can try any blocking at run
/// time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TilingParams {
    /// Rows of A per packed block.
    pub mc: usize,
    /// Depth (k) per packed block.
    pub kc: usize,
    /// Columns of B per packed panel.
    pub nc: usize,
    /// Largest m·n·k that takes the unpacked small-matrix path.
    pub small_ops: usize,
}

/// Upper bounds the size-adaptive constructor balances against.
///
/// kc·NR·size bounds the B micro-panel (about 4/3 of L1, see
/// `tuning::cache_derived_limits`), mc·kc·size (times the copies a spread kernel packs of each A element)
/// keeps the packed A block in L2, and kc·nc·size the B panel in the
/// last-level cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlockLimits {
    pub mc: usize,
    pub kc: usize,
    pub nc: usize,
    pub small_ops: usize,
}

/// Hand-picked limits: the small-path threshold of the cache-derived
/// limits and the base of the argmax limits. Block sizes themselves come
/// from `tuning` (a tuned table, or the cache sizes).
pub(crate) const DEFAULT_LIMITS: BlockLimits = BlockLimits {
    mc: 64,
    kc: 512,
    nc: 4096,
    small_ops: 64 * 64 * 64,
};

/// Rows of A per packed block of an argmax product.
const ARGMAX_MC: usize = 32;

impl TilingParams {
    /// Explicit block sizes, with the small-matrix path switched off.
    pub const fn new(mc: usize, kc: usize, nc: usize) -> Self {
        Self {
            mc,
            kc,
            nc,
            small_ops: 0,
        }
    }

    /// The same blocks with a different small-matrix threshold.
    pub const fn with_small_ops(self, small_ops: usize) -> Self {
        Self { small_ops, ..self }
    }

    /// Block sizes for an argmax product. Its tiles end with a pass
    /// over their outputs (see `kernels::simd::tile::arg_tile_body`), paid
    /// once per k-block, so k-blocks are longer: up to 8 KiB of one row of
    /// A (2048 f32 or 1024 f64), which doubled the argmax kernel's speed
    /// against kc = 512. The A block is small for the reason the value
    /// kernels' is (`tuning`'s `A_BLOCK_L2_SHARE`).
    pub(crate) fn for_argmax_problem<T>(
        m: usize,
        n: usize,
        k: usize,
        mr: usize,
        nr: usize,
    ) -> Self {
        let limits = BlockLimits {
            mc: ARGMAX_MC,
            kc: 8192 / std::mem::size_of::<T>().max(1),
            ..DEFAULT_LIMITS
        };
        Self::balanced(m, n, k, mr, nr, limits)
    }

    pub(crate) fn balanced(
        m: usize,
        n: usize,
        k: usize,
        mr: usize,
        nr: usize,
        limits: BlockLimits,
    ) -> Self {
        Self {
            mc: balanced_block(m, limits.mc, mr),
            kc: balanced_block(k, limits.kc, 1),
            nc: balanced_block(n, limits.nc, nr),
            small_ops: limits.small_ops,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.mc == 0 || self.kc == 0 || self.nc == 0 {
            return Err(Error::InvalidTiling {
                reason: "mc, kc and nc must be at least 1",
            });
        }
        Ok(())
    }
}

/// The block for `extent` split into equal parts of at most `limit`,
/// rounded up to a multiple of `unit`.
fn balanced_block(extent: usize, limit: usize, unit: usize) -> usize {
    let unit = unit.max(1);
    let limit = limit.max(unit);
    if extent == 0 {
        return unit;
    }
    let blocks = extent.div_ceil(limit);
    let block = extent.div_ceil(blocks);
    // Rounded down instead where rounding up would overflow (only for
    // blocks near usize::MAX; the block then still exceeds one unit).
    block
        .checked_next_multiple_of(unit)
        .unwrap_or(block / unit * unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_balanced_and_aligned() {
        assert_eq!(balanced_block(300, 256, 16), 160);
        assert_eq!(balanced_block(257, 256, 1), 129);
        assert_eq!(balanced_block(1000, 96, 16), 96);
        assert_eq!(balanced_block(1000, 64, 16), 64);
        assert_eq!(balanced_block(20, 256, 16), 32);
        assert_eq!(balanced_block(0, 256, 16), 16);
        assert_eq!(balanced_block(512, 256, 16), 256);
    }

    #[test]
    fn small_problems_get_small_blocks() {
        let t = TilingParams::for_problem(8, 8, 8, 16, 16);
        assert_eq!((t.mc, t.kc, t.nc), (16, 8, 16));
        let t = TilingParams::balanced(1000, 1000, 1000, 16, 16, DEFAULT_LIMITS);
        assert_eq!((t.mc, t.kc, t.nc), (64, 500, 1008));
        // Whatever this machine's limits, blocks are balanced and aligned.
        let t = TilingParams::for_problem(1000, 1000, 1000, 16, 16);
        assert!(t.mc.is_multiple_of(16) && t.nc.is_multiple_of(16));
        assert_eq!(1000usize.div_ceil(1000usize.div_ceil(t.kc)), t.kc);
    }
}
