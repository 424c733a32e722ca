//! Counting tropical tiles: the portable tile and the one SIMD tile body,
//! generic over an ISA's count lanes ([`CountLanes`]). Nothing here knows
//! the loops or which ISA the CPU has: `binding::counting` compiles
//! [`tile_body`] with each ISA's features.
//!
//! The packed panels keep values and counts in separate planes (values
//! `[kc][MR]`/`[kc][NR]`, counts likewise), so one vector load gives NR
//! values and the counts of the same lanes come from a load of the count
//! plane: no shuffles between the two widths (f32 values, f64 counts).

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;

use crate::semiring::counting::{CountValue, CountingSemiring};

/// An ISA's registers for one row of a counting tile: a value vector of
/// `LANES` values and the counts of the same lanes in one or two `f64`
/// vectors. The fold of one product into a row is the lane form of
/// [`CountingSemiring::fold`] (compare, blend, masked add of counts);
/// direction is the const `MAX`, so the semiring is written once.
///
/// # Safety
/// Implementors' methods use their ISA's instructions: call them only
/// where that ISA is enabled and available.
pub(crate) unsafe trait CountLanes {
    /// The value type.
    type T: CountValue;
    /// A vector of `LANES` values.
    type Values: Copy;
    /// The counts of `LANES` lanes (one or two registers).
    type Counts: Copy;
    /// A count splat, for A's broadcast count.
    type Count: Copy;
    /// Value lanes per vector: the tile's NR.
    const LANES: usize;

    /// `LANES` values from `p`.
    unsafe fn load_values(p: *const Self::T) -> Self::Values;
    /// `LANES` values to `p`.
    unsafe fn store_values(p: *mut Self::T, v: Self::Values);
    /// `LANES` counts from `p`.
    unsafe fn load_counts(p: *const f64) -> Self::Counts;
    /// `LANES` counts to `p`.
    unsafe fn store_counts(p: *mut f64, c: Self::Counts);
    /// `x` in every value lane.
    unsafe fn splat_value(x: Self::T) -> Self::Values;
    /// `x` in every count lane.
    unsafe fn splat_count(x: f64) -> Self::Count;
    /// ⊗ on the values: `a + b`.
    unsafe fn add_values(a: Self::Values, b: Self::Values) -> Self::Values;
    /// ⊕ of the products (`x`, `a_count · b_counts`) into the row
    /// (`acc`, `acc_counts`): where `x` beats `acc` (`>` for `MAX`, `<`
    /// otherwise) the pair is replaced, where it ties (`>=`/`<=` and not
    /// better) the count is added, elsewhere (NaN included) nothing moves.
    unsafe fn fold<const MAX: bool>(
        acc: &mut Self::Values,
        acc_counts: &mut Self::Counts,
        x: Self::Values,
        a_count: Self::Count,
        b_counts: Self::Counts,
    );
}

/// The SIMD tile: `MR` rows of one value vector (NR = `L::LANES`) and
/// its counts, held in registers over the `kc` depths; see
/// [`CountingTileFn`](crate::semiring::counting::CountingTileFn) for the
/// operands.
///
/// # Safety
/// As `CountingTileFn`, with MR and NR = `L::LANES`; `L`'s ISA enabled.
#[inline(always)]
pub(crate) unsafe fn tile_body<L: CountLanes, const MAX: bool, const MR: usize>(
    kc: usize,
    a_values: *const L::T,
    a_counts: *const f64,
    b_values: *const L::T,
    b_counts: *const f64,
    acc_values: *mut L::T,
    acc_counts: *mut f64,
) {
    let nr = L::LANES;
    // SAFETY: the caller's contract: every pointer holds the tile's
    // extent, and the ISA of `L` is enabled.
    unsafe {
        let mut values: [L::Values; MR] =
            std::array::from_fn(|r| L::load_values(acc_values.add(r * nr)));
        let mut counts: [L::Counts; MR] =
            std::array::from_fn(|r| L::load_counts(acc_counts.add(r * nr)));
        for p in 0..kc {
            let bv = L::load_values(b_values.add(p * nr));
            let bc = L::load_counts(b_counts.add(p * nr));
            for r in 0..MR {
                let x = L::add_values(L::splat_value(*a_values.add(p * MR + r)), bv);
                let ac = L::splat_count(*a_counts.add(p * MR + r));
                L::fold::<MAX>(&mut values[r], &mut counts[r], x, ac, bc);
            }
        }
        for r in 0..MR {
            L::store_values(acc_values.add(r * nr), values[r]);
            L::store_counts(acc_counts.add(r * nr), counts[r]);
        }
    }
}

/// Rows of the portable tile.
pub(crate) const PORTABLE_MR: usize = 4;
/// Columns of the portable tile.
pub(crate) const PORTABLE_NR: usize = 8;

/// The portable tile (4×8): the scalar rule [`CountingSemiring::fold`]
/// on every element, which the compiler may vectorize for the baseline.
///
/// # Safety
/// As `CountingTileFn` with MR = 4, NR = 8.
pub(crate) unsafe fn portable_tile<S: CountingSemiring>(
    kc: usize,
    a_values: *const S::Value,
    a_counts: *const f64,
    b_values: *const S::Value,
    b_counts: *const f64,
    acc_values: *mut S::Value,
    acc_counts: *mut f64,
) {
    const MR: usize = PORTABLE_MR;
    const NR: usize = PORTABLE_NR;
    // SAFETY: the caller's contract: each operand holds its extent.
    unsafe {
        let mut acc = [[(S::Value::ZERO, 0.0f64); NR]; MR];
        for (r, row) in acc.iter_mut().enumerate() {
            for (j, cell) in row.iter_mut().enumerate() {
                *cell = (*acc_values.add(r * NR + j), *acc_counts.add(r * NR + j));
            }
        }
        for p in 0..kc {
            for (r, row) in acc.iter_mut().enumerate() {
                let (av, ac) = (*a_values.add(p * MR + r), *a_counts.add(p * MR + r));
                for (j, cell) in row.iter_mut().enumerate() {
                    let x = S::Value::plus(av, *b_values.add(p * NR + j));
                    let q = ac * *b_counts.add(p * NR + j);
                    *cell = S::fold(*cell, x, q);
                }
            }
        }
        for (r, row) in acc.iter().enumerate() {
            for (j, cell) in row.iter().enumerate() {
                *acc_values.add(r * NR + j) = cell.0;
                *acc_counts.add(r * NR + j) = cell.1;
            }
        }
    }
}
