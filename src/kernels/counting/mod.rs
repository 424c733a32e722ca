//! Counting tropical tiles: the portable tile and the one SIMD tile body,
//! generic over an ISA's count lanes ([`CountLanes`]). Nothing here knows
//! the loops or which ISA the CPU has: `binding::counting` compiles
//! [`tile_body`] with each ISA's features.
//!
//! The packed panels keep values and counts in separate planes (values
//! `[kc][MR]`/`[kc][NR]`, counts likewise), so one vector load gives NR
//! values and the counts of the same lanes come from a load of the count
//! plane: no shuffles between the two widths (f32 values, f64 counts).

/// The ordered compares of a product `x` against the row's value `acc`
/// for direction `max`: `reaches!` finds the lanes it reaches, better or
/// tied (`>=`/`<=`), `beats!` those it strictly beats (`>`/`<`). NaN on
/// either side reaches nothing.
#[cfg(target_arch = "x86_64")]
macro_rules! directed_compare {
    ($max_predicate:ident, $min_predicate:ident, $cmp:ident, $max:expr, $x:expr, $acc:expr) => {
        if $max {
            $cmp::<$max_predicate>($x, $acc)
        } else {
            $cmp::<$min_predicate>($x, $acc)
        }
    };
}

/// See [`directed_compare!`]: better or tied.
#[cfg(target_arch = "x86_64")]
macro_rules! reaches {
    ($($args:tt)*) => { directed_compare!(_CMP_GE_OQ, _CMP_LE_OQ, $($args)*) };
}

/// See [`directed_compare!`]: strictly better.
#[cfg(target_arch = "x86_64")]
macro_rules! beats {
    ($($args:tt)*) => { directed_compare!(_CMP_GT_OQ, _CMP_LT_OQ, $($args)*) };
}

/// Rows per chain of masked compares in a mask-register ISA's
/// `reaches_none`: each compare waits for the mask of the one before, so
/// one chain through every row made the tile's one test per depth wait
/// for MR compare latencies; short chains, and-ed, run side by side.
#[cfg(target_arch = "x86_64")]
pub(crate) const CHAIN_ROWS: usize = 3;

/// An ISA's compare result: a mask register, or all-ones lanes.
///
/// # Safety
/// As [`Lanes`]: the methods may run the ISA's instructions.
pub(crate) unsafe trait LaneMask: Copy {
    /// The lanes set in `self` or `other`.
    unsafe fn either(self, other: Self) -> Self;
    /// Whether no lane is set.
    unsafe fn none(self) -> bool;
}

/// One ISA's [`CountLanes`] for one value type: the struct, its register
/// types, the compare `$cmp` (given the `_CMP_*` predicate of `reaches`
/// and, inside the fold, of `beats`), and the rest of the fold once
/// `better` (the lanes `x` strictly beats) is known, written as
/// `|names| body` like `lanes!`.
#[cfg(target_arch = "x86_64")]
macro_rules! count_lanes {
    ($(#[$doc:meta])* $name:ident: values = $values:ty, counts = $counts:ty, mask = $mask:ty, cmp = $cmp:ident
     $(, chain = $chain:ident)?;
     fold = |$acc:ident, $acc_counts:ident, $x:ident, $better:ident, $reached:ident, $a_count:ident, $b_counts:ident|
        $fold:block) => {
        $(#[$doc])*
        pub(crate) struct $name;

        // SAFETY: the methods run only the instructions of the ISA whose
        // file invokes this, from entries compiled with its features after
        // detecting it.
        unsafe impl $crate::kernels::counting::CountLanes for $name {
            type Values = $values;
            type Count = F64s;
            type Counts = $counts;
            type Mask = $mask;

            #[inline(always)]
            unsafe fn reaches<const MAX: bool>(
                x: $crate::kernels::counting::ValueReg<Self>,
                acc: $crate::kernels::counting::ValueReg<Self>,
            ) -> $mask {
                // SAFETY: the ISA is enabled (trait contract).
                unsafe { reaches!($cmp, MAX, x, acc) }
            }
            $(
            /// One compare per row into a mask register, each under the
            /// mask of the rows before it in its chain of
            /// [`CHAIN_ROWS`](crate::kernels::counting::CHAIN_ROWS) rows
            /// (`$chain` is the masked compare), the chains' masks and-ed:
            /// the lanes that miss in every row. Or-ing every row's mask
            /// took one `korw` per row besides, on port 0 (as the test).
            #[inline(always)]
            unsafe fn reaches_none<const MAX: bool, const MR: usize>(
                x: &[$crate::kernels::counting::ValueReg<Self>; MR],
                acc: &[$crate::kernels::counting::ValueReg<Self>; MR],
            ) -> bool {
                use $crate::kernels::counting::CHAIN_ROWS;
                // SAFETY: the ISA is enabled (trait contract).
                unsafe {
                    let missed_in = |first: usize| {
                        let rows = first..MR.min(first + CHAIN_ROWS);
                        let mut missed: $mask =
                            directed_compare!(_CMP_NGE_UQ, _CMP_NLE_UQ, $cmp, MAX, x[first], acc[first]);
                        for r in rows.skip(1) {
                            missed = if MAX {
                                $chain::<_CMP_NGE_UQ>(missed, x[r], acc[r])
                            } else {
                                $chain::<_CMP_NLE_UQ>(missed, x[r], acc[r])
                            };
                        }
                        missed
                    };
                    let chains = (0..MR).step_by(CHAIN_ROWS);
                    let missed = chains.fold(<$mask>::MAX, |all, first| all & missed_in(first));
                    missed == <$mask>::MAX
                }
            }
            )?
            #[inline(always)]
            unsafe fn fold<const MAX: bool>(
                $acc: &mut $crate::kernels::counting::ValueReg<Self>,
                $acc_counts: &mut $counts,
                $x: $crate::kernels::counting::ValueReg<Self>,
                $reached: $mask,
                $a_count: $crate::kernels::counting::CountReg<Self>,
                $b_counts: $counts,
            ) {
                // SAFETY: the ISA is enabled (trait contract).
                unsafe {
                    let $better: $mask = beats!($cmp, MAX, $x, *$acc);
                    $fold
                }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;

use crate::kernels::simd::ops::{Additive, Lanes};
use crate::semiring::counting::{CountValue, CountingSemiring, CountingTile};

/// The counts of one value register's lanes, in f64 registers of `C`:
/// [`OneReg`] when values are f64 (as many lanes), [`TwoRegs`] when they
/// are f32 (twice as many).
///
/// # Safety
/// As [`Lanes`]: the methods run `C`'s instructions.
pub(crate) unsafe trait CountRegs<C: Lanes<T = f64>>: Copy {
    /// The counts of a value register's lanes from `p`.
    unsafe fn load(p: *const f64) -> Self;
    /// The counts to `p`.
    unsafe fn store(self, p: *mut f64);
}

/// One f64 register of counts.
#[derive(Clone, Copy)]
pub(crate) struct OneReg<V>(pub(crate) V);

/// Two f64 registers of counts: the low lanes, then the high lanes.
#[derive(Clone, Copy)]
pub(crate) struct TwoRegs<V>(pub(crate) V, pub(crate) V);

// SAFETY: forwards to `C`'s loads and stores (their contract).
unsafe impl<C: Lanes<T = f64>> CountRegs<C> for OneReg<C::V> {
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: C::LANES counts at p (the caller's contract).
        unsafe { OneReg(C::load(p)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: as for `load`.
        unsafe { C::store(p, self.0) }
    }
}

// SAFETY: as for `OneReg`.
unsafe impl<C: Lanes<T = f64>> CountRegs<C> for TwoRegs<C::V> {
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: 2·C::LANES counts at p (the caller's contract).
        unsafe { TwoRegs(C::load(p), C::load(p.add(C::LANES))) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: as for `load`.
        unsafe {
            C::store(p, self.0);
            C::store(p.add(C::LANES), self.1);
        }
    }
}

/// The value register type of count lanes `L`.
type ValueReg<L> = <<L as CountLanes>::Values as Lanes>::V;
/// The count register type of count lanes `L`.
type CountReg<L> = <<L as CountLanes>::Count as Lanes>::V;

/// An ISA's registers for one row of a counting tile: the ISA's value
/// lanes (`Values`, whose loads, stores, splat and `+` the main kernels
/// share), the counts of the same lanes in f64 registers (`Counts`), and
/// the fold of one product into a row, the lane form of
/// [`CountingSemiring::fold`] (compare, blend, masked add of counts);
/// direction is the const `MAX`, so the semiring is written once.
///
/// # Safety
/// Implementors' methods use their ISA's instructions: call them only
/// where that ISA is enabled and available.
pub(crate) unsafe trait CountLanes {
    /// The value lanes; their `LANES` is the tile's NR.
    type Values: Additive<T: CountValue>;
    /// The f64 lanes of the counts.
    type Count: Lanes<T = f64>;
    /// The counts of one value register's lanes.
    type Counts: CountRegs<Self::Count>;

    /// The lanes a compare selects: a mask register, or all-ones lanes.
    type Mask: LaneMask;

    /// The lanes where `x` reaches `acc`: beats or ties it (`>=` for
    /// `MAX`, `<=` otherwise; NaN on either side reaches nothing).
    unsafe fn reaches<const MAX: bool>(x: ValueReg<Self>, acc: ValueReg<Self>) -> Self::Mask;

    /// Whether no row's `x` reaches its `acc` in any lane: the one test
    /// of most depths. By default the rows' [`CountLanes::reaches`], or-ed.
    #[inline(always)]
    unsafe fn reaches_none<const MAX: bool, const MR: usize>(
        x: &[ValueReg<Self>; MR],
        acc: &[ValueReg<Self>; MR],
    ) -> bool {
        // SAFETY: the ISA is enabled (the trait's contract).
        unsafe {
            let reached = |r: usize| Self::reaches::<MAX>(x[r], acc[r]);
            (1..MR)
                .fold(reached(0), |all, r| all.either(reached(r)))
                .none()
        }
    }

    /// ⊕ of the products (`x`, `a_count · b_counts`) into the row
    /// (`acc`, `acc_counts`), given the lanes `x` reaches: where `x`
    /// beats `acc` (`>` for `MAX`, `<` otherwise) the pair is replaced,
    /// where it ties the count is added, elsewhere nothing moves.
    unsafe fn fold<const MAX: bool>(
        acc: &mut ValueReg<Self>,
        acc_counts: &mut Self::Counts,
        x: ValueReg<Self>,
        reached: Self::Mask,
        a_count: CountReg<Self>,
        b_counts: Self::Counts,
    );
}

/// The value type of count lanes `L`.
pub(crate) type CountValueOf<L> = <<L as CountLanes>::Values as Lanes>::T;

/// The SIMD tile: `MR` rows of one value vector (NR = the value lanes)
/// and its counts, held in registers over the `kc` depths.
///
/// # Safety
/// As `CountingTileFn`, with MR and NR = `L::Values::LANES`; `L`'s ISA
/// enabled.
#[inline(always)]
pub(crate) unsafe fn tile_body<L: CountLanes, const MAX: bool, const MR: usize>(
    t: CountingTile<CountValueOf<L>>,
) {
    let nr = L::Values::LANES;
    // SAFETY: the caller's contract: every pointer holds the tile's
    // extent, and the ISA of `L` is enabled.
    unsafe {
        let mut values: [ValueReg<L>; MR] =
            std::array::from_fn(|r| L::Values::load(t.acc_values.add(r * nr)));
        let mut counts: [L::Counts; MR] =
            std::array::from_fn(|r| L::Counts::load(t.acc_counts.add(r * nr)));
        for p in 0..t.kc {
            let bv = L::Values::load(t.b_values.add(p * nr));
            let x: [ValueReg<L>; MR] = std::array::from_fn(|r| {
                L::Values::plus(L::Values::splat(*t.a_values.add(p * MR + r)), bv)
            });
            // Past the first few k most depths reach no lane of any row:
            // one test for the whole tile, and nothing moves.
            if L::reaches_none::<MAX, MR>(&x, &values) {
                continue;
            }
            let bc = L::Counts::load(t.b_counts.add(p * nr));
            for r in 0..MR {
                // Row r's value is as the test saw it: rows fold apart.
                let reached = L::reaches::<MAX>(x[r], values[r]);
                if !reached.none() {
                    let ac = L::Count::splat(*t.a_counts.add(p * MR + r));
                    L::fold::<MAX>(&mut values[r], &mut counts[r], x[r], reached, ac, bc);
                }
            }
        }
        for r in 0..MR {
            L::Values::store(t.acc_values.add(r * nr), values[r]);
            counts[r].store(t.acc_counts.add(r * nr));
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
pub(crate) unsafe fn portable_tile<S: CountingSemiring>(t: CountingTile<S::Value>) {
    let CountingTile {
        kc,
        a_values,
        a_counts,
        b_values,
        b_counts,
        acc_values,
        acc_counts,
    } = t;
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
