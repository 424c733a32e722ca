//! Values and winners of every built-in semiring, against the node crate.

use tropical_blas::{
    Accum, MatMut, MatRef, NO_ARG, SelectingSemiring, Semiring, gemm, gemm_argmax,
};
use tropical_blas_mpi::{
    DistMatrix, ProcessGrid, SummaConfig, SummaWorkspace, summa_argmax_with, summa_with,
};

use crate::Tally;

/// Scalars the checks can make from small integers and compare bitwise.
pub trait Sample:
    Copy + PartialEq + Default + std::fmt::Debug + mpi::datatype::Equivalence
{
    /// A small value, from -3..=3.
    fn small(v: i64) -> Self;
    /// Values that test the rules: NaN, signed zeros, infinities.
    fn specials() -> &'static [Self];
    /// The bits, for exact comparison (NaN == NaN, -0.0 != 0.0).
    fn bits(self) -> u64;
}

macro_rules! float_sample {
    ($($t:ty),*) => {$(
        impl Sample for $t {
            fn small(v: i64) -> Self { v as $t }
            fn specials() -> &'static [Self] {
                &[<$t>::NAN, -0.0, 0.0, <$t>::INFINITY, <$t>::NEG_INFINITY]
            }
            fn bits(self) -> u64 { self.to_bits() as u64 }
        }
    )*};
}
float_sample!(f32, f64);

macro_rules! int_sample {
    ($($t:ty),*) => {$(
        impl Sample for $t {
            fn small(v: i64) -> Self { v as $t }
            fn specials() -> &'static [Self] { &[] }
            fn bits(self) -> u64 { self as u64 }
        }
    )*};
}
int_sample!(i16, i32, i64);

impl Sample for bool {
    fn small(v: i64) -> Self {
        v > 0
    }
    fn specials() -> &'static [Self] {
        &[]
    }
    fn bits(self) -> u64 {
        self as u64
    }
}

/// splitmix64 of (seed, i, j): the same on every rank.
pub fn hash(seed: u64, i: usize, j: usize) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((i as u64) << 32 | j as u64)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Element (i, j) of test matrix `seed`: mostly small values (many ties),
/// some ZERO and ONE, some special floats.
pub fn value<S: Semiring>(seed: u64, i: usize, j: usize) -> S::Scalar
where
    S::Scalar: Sample,
{
    let h = hash(seed, i, j);
    let specials = S::Scalar::specials();
    match h % 16 {
        0 => S::ZERO,
        1 => S::ONE,
        2 if !specials.is_empty() => specials[(h >> 8) as usize % specials.len()],
        _ => S::Scalar::small((h >> 8) as i64 % 7 - 3),
    }
}

/// A global row-major matrix from [`value`].
pub fn global<S: Semiring>(seed: u64, rows: usize, cols: usize) -> Vec<S::Scalar>
where
    S::Scalar: Sample,
{
    (0..rows * cols)
        .map(|at| value::<S>(seed, at / cols, at % cols))
        .collect()
}

/// Whether this rank's block of `d` equals the global row-major `full`.
pub fn block_equals<T: Sample>(d: &DistMatrix<'_, T>, full: &[T]) -> bool {
    let cols = d.cols();
    let (rr, cr) = (d.row_range(), d.col_range());
    rr.clone().enumerate().all(|(li, i)| {
        cr.clone()
            .enumerate()
            .all(|(lj, j)| d.local()[li * cr.len() + lj].bits() == full[i * cols + j].bits())
    })
}

/// (m, k, n): uneven against every grid, empty dimensions, k = 1, and one
/// large enough for the node's packed path.
pub fn shapes(quick: bool) -> Vec<(usize, usize, usize)> {
    let mut s = vec![
        (5, 7, 3),
        (13, 1, 11),
        (3, 0, 4),
        (0, 5, 2),
        (1, 1, 1),
        (17, 29, 23),
        (2, 9, 1),
    ];
    if !quick {
        s.push((70, 131, 45));
    }
    s
}

/// Configurations: one-element panels (many panels per rank, ties across
/// panels), a panel width that splits blocks unevenly, whole blocks; with
/// and without overlap; and the default configuration.
pub fn configs() -> Vec<SummaConfig> {
    // The defaults too (panels of 1024, 4 polls, the rank's rayon pool).
    let mut out = vec![SummaConfig::default()];
    for width in [1, 3, 256] {
        for overlap in [true, false] {
            out.push(
                SummaConfig::default()
                    .with_panel_width(width)
                    .with_overlap(overlap)
                    .with_progress_polls(3),
            );
        }
    }
    out
}

fn check_values<S: Semiring>(name: &str, grid: &ProcessGrid, tally: &mut Tally, quick: bool)
where
    S::Scalar: Sample,
{
    let mut ws = SummaWorkspace::new();
    for (case, &(m, k, n)) in shapes(quick).iter().enumerate() {
        let seed = 1000 * case as u64;
        let (a_full, b_full, c0) = (
            global::<S>(seed + 1, m, k),
            global::<S>(seed + 2, k, n),
            global::<S>(seed + 3, m, n),
        );
        let a = DistMatrix::from_fn(grid, m, k, |i, j| a_full[i * k + j]);
        let b = DistMatrix::from_fn(grid, k, n, |i, j| b_full[i * n + j]);
        for accum in [Accum::Replace, Accum::Combine] {
            let mut reference = c0.clone();
            gemm::<S>(
                MatRef::row_major(&a_full, m, k).unwrap(),
                MatRef::row_major(&b_full, k, n).unwrap(),
                MatMut::row_major(&mut reference, m, n).unwrap(),
                accum,
            )
            .expect("the node product of valid inputs");
            for cfg in configs() {
                let mut c = DistMatrix::from_fn(grid, m, n, |i, j| c0[i * n + j]);
                let r = summa_with::<S>(&mut ws, &cfg, &a, &b, &mut c, accum);
                tally.check(r.is_ok() && block_equals(&c, &reference), || {
                    format!(
                        "{name} {m}x{k}x{n} {accum:?} {cfg:?} on {}x{}: {r:?}",
                        grid.rows(),
                        grid.cols()
                    )
                });
            }
        }
    }
}

fn check_argmax<S: SelectingSemiring>(
    name: &str,
    grid: &ProcessGrid,
    tally: &mut Tally,
    quick: bool,
) where
    S::Scalar: Sample,
{
    let mut ws = SummaWorkspace::new();
    for (case, &(m, k, n)) in shapes(quick).iter().enumerate() {
        let seed = 7000 + 1000 * case as u64;
        let (a_full, b_full, c0) = (
            global::<S>(seed + 1, m, k),
            global::<S>(seed + 2, k, n),
            global::<S>(seed + 3, m, n),
        );
        // Old winners for Combine: some NO_ARG, some indices.
        let arg0: Vec<u32> = (0..m * n)
            .map(|at| if at % 3 == 0 { NO_ARG } else { (at % 5) as u32 })
            .collect();
        let a = DistMatrix::from_fn(grid, m, k, |i, j| a_full[i * k + j]);
        let b = DistMatrix::from_fn(grid, k, n, |i, j| b_full[i * n + j]);
        for accum in [Accum::Replace, Accum::Combine] {
            let (mut c_ref, mut arg_ref) = (c0.clone(), arg0.clone());
            gemm_argmax::<S>(
                MatRef::row_major(&a_full, m, k).unwrap(),
                MatRef::row_major(&b_full, k, n).unwrap(),
                MatMut::row_major(&mut c_ref, m, n).unwrap(),
                MatMut::row_major(&mut arg_ref, m, n).unwrap(),
                accum,
            )
            .expect("the node product of valid inputs");
            for cfg in configs() {
                let mut c = DistMatrix::from_fn(grid, m, n, |i, j| c0[i * n + j]);
                let mut argk = DistMatrix::from_fn(grid, m, n, |i, j| arg0[i * n + j]);
                let r = summa_argmax_with::<S>(&mut ws, &cfg, &a, &b, &mut c, &mut argk, accum);
                let same_args = argk_equals(&argk, &arg_ref);
                tally.check(r.is_ok() && block_equals(&c, &c_ref) && same_args, || {
                    format!(
                        "argmax {name} {m}x{k}x{n} {accum:?} {cfg:?} on {}x{}: {r:?}, argk equal: {same_args}",
                        grid.rows(),
                        grid.cols()
                    )
                });
            }
        }
    }
}

fn argk_equals(d: &DistMatrix<'_, u32>, full: &[u32]) -> bool {
    let (rr, cr) = (d.row_range(), d.col_range());
    rr.clone().enumerate().all(|(li, i)| {
        cr.clone()
            .enumerate()
            .all(|(lj, j)| d.local()[li * cr.len() + lj] == full[i * d.cols() + j])
    })
}

/// The element types the distributed checks run: those MPI sends
/// ([`Sample`], which needs `Equivalence`); the half-precision floats have
/// no MPI datatype and are skipped.
trait Distributed: Sized {
    fn values<S: Semiring<Scalar = Self>>(
        name: &str,
        grid: &ProcessGrid,
        tally: &mut Tally,
        quick: bool,
    );
    fn argmax<S: SelectingSemiring<Scalar = Self>>(
        name: &str,
        grid: &ProcessGrid,
        tally: &mut Tally,
        quick: bool,
    );
}
macro_rules! distributed {
    ($($t:ty),*) => {$(
        impl Distributed for $t {
            fn values<S: Semiring<Scalar = Self>>(name: &str, grid: &ProcessGrid, tally: &mut Tally, quick: bool) {
                check_values::<S>(name, grid, tally, quick);
            }
            fn argmax<S: SelectingSemiring<Scalar = Self>>(
                name: &str,
                grid: &ProcessGrid,
                tally: &mut Tally,
                quick: bool,
            ) {
                check_argmax::<S>(name, grid, tally, quick);
            }
        }
    )*};
}
distributed!(f32, f64, i16, i32, i64, bool);
macro_rules! not_distributed {
    ($($t:ty),*) => {$(
        impl Distributed for $t {
            fn values<S: Semiring<Scalar = Self>>(_: &str, _: &ProcessGrid, _: &mut Tally, _: bool) {}
            fn argmax<S: SelectingSemiring<Scalar = Self>>(_: &str, _: &ProcessGrid, _: &mut Tally, _: bool) {}
        }
    )*};
}
not_distributed!(tropical_blas::half::f16, tropical_blas::half::bf16);

pub fn all_semirings(grid: &ProcessGrid, tally: &mut Tally, quick: bool) {
    macro_rules! each {
        ($(($name:literal, $s:ty)),* $(,)?) => {
            $(<<$s as Semiring>::Scalar as Distributed>::values::<$s>($name, grid, tally, quick);)*
        };
    }
    tropical_blas::for_each_builtin_semiring!(each);
}

pub fn argmax_semirings(grid: &ProcessGrid, tally: &mut Tally, quick: bool) {
    macro_rules! each {
        ($(($name:literal, $s:ty)),* $(,)?) => {
            $(<<$s as Semiring>::Scalar as Distributed>::argmax::<$s>($name, grid, tally, quick);)*
        };
    }
    // Every SelectingSemiring among the built-ins (all but OrAnd).
    tropical_blas::for_each_selecting_semiring!(each);
}

/// Scatter from every root (a column-major view), gather to another, and
/// the index-function constructor: the same matrix each way.
pub fn distribution(grid: &ProcessGrid, tally: &mut Tally) {
    for &(rows, cols) in &[(7usize, 5usize), (1, 9), (0, 3), (11, 13)] {
        let full: Vec<f32> = (0..rows * cols).map(|x| x as f32 * 0.5 - 3.0).collect();
        // The same matrix stored column-major, as the root's input.
        let mut col_major = vec![0.0f32; rows * cols];
        for i in 0..rows {
            for j in 0..cols {
                col_major[j * rows + i] = full[i * cols + j];
            }
        }
        let by_fn = DistMatrix::from_fn(grid, rows, cols, |i, j| full[i * cols + j]);
        for root in 0..grid.size() as i32 {
            let view =
                (grid.rank() == root).then(|| MatRef::col_major(&col_major, rows, cols).unwrap());
            let scattered = DistMatrix::scatter(grid, root, view);
            let ok = scattered
                .as_ref()
                .is_ok_and(|s| s.shape() == (rows, cols) && block_equals(s, &full));
            tally.check(ok && block_equals(&by_fn, &full), || {
                format!("scatter {rows}x{cols} from {root}")
            });
            let gather_root = (grid.size() as i32 - 1 - root).max(0);
            let gathered = by_fn.gather(gather_root);
            let expected = (grid.rank() == gather_root).then(|| full.clone());
            tally.check(gathered.as_ref() == Ok(&expected), || {
                format!("gather {rows}x{cols} to {gather_root}: {gathered:?}")
            });
        }
    }
}
