//! The portable input scan.

/// The index of the first element of `line` that fails `passes`: blocks
/// of 64 are tested with a branch-free fold, which vectorizes (an
/// early-exit search does not, and cost a quarter of a 64×64 integer
/// product); only a failing block is searched.
#[inline(always)]
pub(crate) fn first_failing<T: Copy>(line: &[T], passes: impl Fn(T) -> bool) -> Option<usize> {
    const BLOCK: usize = 64;
    line.chunks(BLOCK)
        .enumerate()
        .find_map(|(block_index, block)| {
            if block.iter().fold(true, |ok, &v| ok & passes(v)) {
                None
            } else {
                let j = block.iter().position(|&v| !passes(v))?;
                Some(block_index * BLOCK + j)
            }
        })
}
