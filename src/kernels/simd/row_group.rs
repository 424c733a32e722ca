//! The row-group tile: C with n columns, n a divisor of the register's
//! lanes, holds g = LANES/n of its rows in one register. A tall-skinny
//! product (m ≫ n = k = 4, the typical tensor-network contraction step)
//! otherwise runs the MR-row direct tile with n of its LANES lanes in
//! use, so three quarters of its vector work is thrown away.
//!
//! When A is row-major and k ≤ n, the g rows of A that feed one register
//! of C are g·k ≤ LANES consecutive values: one load. For each depth p a
//! whole-register permute spreads A[r + q, p] over lanes q·n..(q+1)·n,
//! and B's row p, repeated g times, is built once per task. A depth then
//! costs a permute, ⊗ and ⊕ for g rows, where the direct tile spends a
//! broadcast, ⊗ and ⊕ per row, and C is written with one full store per
//! g rows instead of a masked store per row.
//!
//! The fold is the reference's: ZERO, then ⊕ of the depths in order,
//! lane by lane, and C ⊕ that when combining. The integer plus semirings
//! map A and B to their packed form (ZERO as the sentinel) on the way in
//! and the sums back on the way out, as their packed tiles do.

use super::{LanePermute, VecOps};
use crate::semiring::Semiring;
use crate::workspace::SharedPtr;
use crate::{MatMut, MatRef};

/// The most depths a row group takes: k ≤ n ≤ LANES/2, and LANES ≤ 16
/// for the 4- and 8-byte types it serves.
const MAX_DEPTH: usize = 8;

/// One task of the row-group path: row groups `first_group..last_group`
/// of a checked product whose A and C are contiguous and row-major.
#[derive(Clone, Copy)]
pub(crate) struct RowGroupJob<T> {
    a: SharedPtr<T>,
    b: SharedPtr<T>,
    rsb: isize,
    csb: isize,
    c: SharedPtr<T>,
    m: usize,
    n: usize,
    k: usize,
    load_c: bool,
    first_group: usize,
    last_group: usize,
}

impl<T: Copy> RowGroupJob<T> {
    /// The job covering every row group of C = A ⊗ B (or C ⊕ A ⊗ B), if
    /// `O` and the layouts allow row groups: `O` has masked edges (for
    /// the last group),
    /// elements are 4 or 8 bytes, n divides LANES with g ≥ 2 rows per
    /// register, k ≤ n (so g rows of A fit in one register), and A and C
    /// are contiguous row-major (a group's rows are consecutive values).
    /// B may have any layout: each task reads it once.
    pub(crate) fn for_product<O: VecOps<S: Semiring<Scalar = T>>>(
        a: &MatRef<'_, T>,
        b: &MatRef<'_, T>,
        c: &mut MatMut<'_, T>,
        load_c: bool,
    ) -> Option<Self> {
        let (m, k, n) = (a.rows(), a.cols(), b.cols());
        let lanes = O::LANES;
        let unit_bytes = std::mem::size_of::<T>();
        let fits = O::MASKED_EDGES
            && (unit_bytes == 4 || unit_bytes == 8)
            && <O::V as LanePermute>::UNITS * 4 == lanes * unit_bytes
            && lanes <= 16
            && n >= 1
            && n <= lanes / 2
            && lanes % n == 0
            && (1..=n).contains(&k)
            && a.col_stride() == 1
            && a.row_stride() == k as isize
            && c.col_stride() == 1
            && c.row_stride() == n as isize;
        fits.then(|| Self {
            a: SharedPtr(a.as_ptr().cast_mut()),
            b: SharedPtr(b.as_ptr().cast_mut()),
            rsb: b.row_stride(),
            csb: b.col_stride(),
            c: SharedPtr(c.as_mut_ptr()),
            m,
            n,
            k,
            load_c,
            first_group: 0,
            last_group: m.div_ceil(lanes / n),
        })
    }

    /// Row groups in the product.
    pub(crate) fn groups(&self) -> usize {
        self.last_group
    }

    /// This job restricted to row groups `first..last`.
    pub(crate) fn part(&self, first: usize, last: usize) -> Self {
        Self {
            first_group: first,
            last_group: last,
            ..*self
        }
    }
}

/// The row groups of one job.
///
/// # Safety
/// The job was built by [`RowGroupJob::for_product`] for `O` from checked
/// views (m, n, k ≥ 1; A, B readable, C writable and not aliasing them),
/// restricted to groups of that product; the caller runs with `O`'s
/// features enabled.
#[inline(always)]
pub(crate) unsafe fn row_groups<O: VecOps>(job: &RowGroupJob<<O::S as Semiring>::Scalar>) {
    let lanes = O::LANES;
    let (m, n, k) = (job.m, job.n, job.k);
    let rows_per_group = lanes / n;
    let units_per_lane = <O::V as LanePermute>::UNITS / lanes;
    let zero = <O::S as Semiring>::ZERO;
    let (a, c) = (job.a.get().cast_const(), job.c.get());
    // SAFETY: (whole body) `for_product` admitted only layouts where
    // rows r.. of A are the (m − r)·k values from a + r·k and rows r.. of
    // C the (m − r)·n values from c + r·n; B's k × n elements are read at
    // their strides; every index unit is < UNITS; features enabled
    // (caller).
    unsafe {
        let mut b_rows = [O::splat(zero); MAX_DEPTH];
        let mut spread = [<O::V as LanePermute>::index(&[0; 16]); MAX_DEPTH];
        for p in 0..k {
            let mut line = [zero; 16];
            for (lane, value) in line.iter_mut().take(lanes).enumerate() {
                let j = lane % n;
                *value = O::packed_value(
                    *job.b
                        .get()
                        .offset(p as isize * job.rsb + j as isize * job.csb),
                );
            }
            b_rows[p] = O::load(line.as_ptr());
            let mut units = [0i32; 16];
            for (u, unit) in units
                .iter_mut()
                .take(<O::V as LanePermute>::UNITS)
                .enumerate()
            {
                let row = u / units_per_lane / n;
                *unit = ((row * k + p) * units_per_lane + u % units_per_lane) as i32;
            }
            spread[p] = <O::V as LanePermute>::index(&units);
        }
        let (b_rows, spread) = (&b_rows[..k], &spread[..k]);
        for group in job.first_group..job.last_group {
            let r = group * rows_per_group;
            let rows = rows_per_group.min(m - r);
            let a_rows = a.add(r * k);
            // A full register while one lies inside A; at the end, the
            // group's rows·k values (0 < rows·k < LANES there).
            let block = O::packed_lanes(if (m - r) * k >= lanes {
                debug_assert!(r * k + lanes <= m * k);
                O::load(a_rows)
            } else {
                debug_assert!(0 < rows * k && rows * k < lanes);
                O::load_first(a_rows, rows * k)
            });
            let mut acc = O::splat(zero);
            for (&index, &b_row) in spread.iter().zip(b_rows) {
                acc = O::add(acc, O::mul(block.permute(index), b_row));
            }
            acc = O::finish(acc);
            let c_rows = c.add(r * n);
            if rows == rows_per_group {
                let value = if job.load_c {
                    O::add(O::load(c_rows), acc)
                } else {
                    acc
                };
                O::store(c_rows, value);
            } else {
                // 0 < rows·n < LANES: the last, partial group.
                let count = rows * n;
                debug_assert!(0 < count && count < lanes);
                let value = if job.load_c {
                    O::add(O::load_first(c_rows, count), acc)
                } else {
                    acc
                };
                O::store_first(c_rows, value, count);
            }
        }
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::kernels::simd::avx2;
    use crate::kernels::simd::ops::Ops;
    use crate::semiring::rules::{Max, Plus};

    /// Any semiring over the scalar type will do: only the layouts matter.
    struct Plain<T>(std::marker::PhantomData<T>);
    macro_rules! plain {
        ($($t:ty),*) => {$(
            impl Semiring for Plain<$t> {
                type Scalar = $t;
                const ZERO: $t = 0.0;
                const ONE: $t = 0.0;
                fn add(acc: $t, x: $t) -> $t {
                    acc + x
                }
                fn mul(a: $t, b: $t) -> $t {
                    a + b
                }
            }
        )*};
    }
    plain!(f32, f64);
    type MaxPlusF32 = Ops<Plain<f32>, avx2::F32s, Max, Plus>;
    type MaxPlusF64 = Ops<Plain<f64>, avx2::F64s, Max, Plus>;

    /// Whether `for_product` takes C = A ⊗ B for an AVX2 f32 kernel
    /// (8 lanes), with A and C laid out as given (rows, cols, strides).
    fn takes<O: VecOps<S: Semiring<Scalar = T>>, T: Copy + Default>(
        a: (usize, usize, isize, isize),
        n: usize,
        c_strides: (isize, isize),
    ) -> bool {
        let (m, k, rsa, csa) = a;
        let a_data = vec![T::default(); 4 * m * k + 64];
        let b_data = vec![T::default(); k * n];
        let mut c_data = vec![T::default(); 4 * m * n + 64];
        let a_view = MatRef::new(&a_data, m, k, rsa, csa).unwrap();
        let b_view = MatRef::new(&b_data, k, n, n as isize, 1).unwrap();
        let mut c_view = MatMut::new(&mut c_data, m, n, c_strides.0, c_strides.1).unwrap();
        RowGroupJob::for_product::<O>(&a_view, &b_view, &mut c_view, false).is_some()
    }

    #[test]
    fn row_groups_take_exactly_their_shapes() {
        let f32_takes = |m: usize, k: usize, n: usize| {
            takes::<MaxPlusF32, f32>((m, k, k as isize, 1), n, (n as isize, 1))
        };
        // n divides the 8 lanes, at most half of them; 1 ≤ k ≤ n.
        for (k, n) in [(1, 1), (1, 2), (2, 2), (3, 4), (4, 4), (1, 4)] {
            assert!(f32_takes(1000, k, n), "k={k} n={n}");
            assert!(f32_takes(1, k, n), "m=1 k={k} n={n}");
        }
        assert!(!f32_takes(1000, 5, 4), "k > n");
        assert!(!f32_takes(1000, 3, 3), "n does not divide the lanes");
        assert!(!f32_takes(1000, 8, 8), "one row per register");
        // Padded or transposed A or C, negative strides.
        assert!(!takes::<MaxPlusF32, f32>((1000, 4, 5, 1), 4, (4, 1)));
        assert!(!takes::<MaxPlusF32, f32>((1000, 4, 1, 1000), 4, (4, 1)));
        assert!(!takes::<MaxPlusF32, f32>((1000, 4, 4, 1), 4, (5, 1)));
        assert!(!takes::<MaxPlusF32, f32>((1000, 4, 4, 1), 4, (1, 1000)));
        assert!(!takes::<MaxPlusF32, f32>((1000, 4, -4, 1), 4, (4, 1)));
        // f64 on AVX2: 4 lanes, so n = 2 (2 rows per register) but not 4.
        assert!(takes::<MaxPlusF64, f64>((1000, 2, 2, 1), 2, (2, 1)));
        assert!(!takes::<MaxPlusF64, f64>((1000, 4, 4, 1), 4, (4, 1)));
    }
}
