//! The counting tropical entry points: [`gemm`], [`gemm_with`] and
//! [`gemm_batched`] over an operand of two planes, values and counts.
//!
//! Every check runs before anything is written: shapes, the counts of A
//! and B (and C under `Combine`), the ISA level, the packing buffers, and
//! whether a count of the result could reach 2^53. When a bound on the
//! counts (`Σ_p max_i A.count[i,p] · max_j B.count[p,j]`, plus C's largest)
//! proves it cannot, the product runs in place; otherwise it runs into a
//! scratch copy of C, which is checked before C is written.

use crate::api::gemm::entry_points;
use crate::api::prepare::check_dimensions;
use crate::binding::dispatch::resolve_level;
use crate::binding::scan::first_invalid_count;
use crate::config::{Accum, GemmConfig};
use crate::error::{Error, Operand};
use crate::frame::counting::{Operands, Output, counting_product, reserve_workspace};
use crate::isa::IsaLevel;
use crate::semiring::counting::{COUNT_LIMIT, CountValue, CountingKernel, CountingSemiring};
use crate::view::{MatMut, MatRef};
use crate::workspace::{GemmWorkspace, SharedPtr, try_filled_vec};

/// Declares a counting view type: a value view and a count view (`$view`)
/// of the same shape, paired by `new` (a shape error names `$operand`),
/// with the accessors both kinds share.
macro_rules! counting_view {
    ($(#[$doc:meta])* $name:ident over $view:ident, operand = $operand:ident;
     $(#[$new_doc:meta])*) => {
        $(#[$doc])*
        pub struct $name<'a, T> {
            values: $view<'a, T>,
            counts: $view<'a, f64>,
        }

        impl<'a, T: Copy> $name<'a, T> {
            $(#[$new_doc])*
            pub fn new(values: $view<'a, T>, counts: $view<'a, f64>) -> Result<Self, Error> {
                same_shape(Operand::$operand, values.shape(), counts.shape())?;
                Ok(Self { values, counts })
            }
            /// Rows.
            pub fn rows(&self) -> usize {
                self.values.rows()
            }
            /// Columns.
            pub fn cols(&self) -> usize {
                self.values.cols()
            }
        }
    };
}

counting_view! {
    /// A read-only counting matrix: a value view and a count view of the same
    /// shape (element (i, j) is `(values[i, j], counts[i, j])`). Two planes,
    /// not an array of pairs: the kernels load NR values and the NR counts of
    /// the same lanes with plain vector loads, values and counts of different
    /// widths never share a register, and each plane keeps its own layout
    /// (strides, transposes) as any other view.
    #[derive(Clone, Copy, Debug)]
    CountingRef over MatRef, operand = A;
    /// Pairs a value view and a count view; they must have the same shape
    /// ([`Error::ShapeMismatch`] otherwise, naming the counts as
    /// `operand`).
}

counting_view! {
    /// A mutable counting matrix: a value view and a count view of the same
    /// shape (see [`CountingRef`]).
    #[derive(Debug)]
    CountingMut over MatMut, operand = C;
    /// Pairs a value view and a count view of the same shape.
}

impl<'a, T: Copy> CountingRef<'a, T> {
    /// The value plane.
    pub fn values(&self) -> MatRef<'a, T> {
        self.values
    }
    /// The count plane.
    pub fn counts(&self) -> MatRef<'a, f64> {
        self.counts
    }
    /// The transpose (both planes).
    pub fn t(self) -> Self {
        Self {
            values: self.values.t(),
            counts: self.counts.t(),
        }
    }
}

impl<'a, T: Copy> CountingMut<'a, T> {
    /// A shorter-lived view of the same planes.
    pub fn rb_mut(&mut self) -> CountingMut<'_, T> {
        CountingMut {
            values: self.values.rb_mut(),
            counts: self.counts.rb_mut(),
        }
    }
    /// Element (i, j) as (value, count), or `None` outside.
    pub fn get(&self, i: usize, j: usize) -> Option<(T, f64)> {
        Some((self.values.get(i, j)?, self.counts.get(i, j)?))
    }
}

/// `found` must be `expected`, else a shape error naming `operand`.
fn same_shape(
    operand: Operand,
    expected: (usize, usize),
    found: (usize, usize),
) -> Result<(), Error> {
    if expected != found {
        return Err(Error::ShapeMismatch {
            operand,
            expected,
            found,
        });
    }
    Ok(())
}

entry_points! {
    /// C = A ⊗ B (`Replace`) or C = C ⊕ (A ⊗ B) (`Combine`) in the counting
    /// semiring `S` ([`CountingMax`](crate::counting::CountingMax) or
    /// [`CountingMin`](crate::counting::CountingMin)), with a per-thread
    /// workspace and the default configuration. On error C is untouched.
    ///
    /// ```
    /// use tropical_blas::counting::{self, CountingMax, CountingMut, CountingRef};
    /// use tropical_blas::{Accum, MatMut, MatRef};
    /// // Two ways through k = 0 and k = 1 reach the best value 3, once each.
    /// let (av, ac) = ([1.0f32, 2.0], [1.0, 1.0]); // 1×2
    /// let (bv, bc) = ([2.0f32, 1.0], [1.0, 1.0]); // 2×1
    /// let (mut cv, mut cc) = ([0.0f32], [0.0]);
    /// counting::gemm::<CountingMax<f32>>(
    ///     CountingRef::new(MatRef::row_major(&av, 1, 2)?, MatRef::row_major(&ac, 1, 2)?)?,
    ///     CountingRef::new(MatRef::row_major(&bv, 2, 1)?, MatRef::row_major(&bc, 2, 1)?)?,
    ///     CountingMut::new(MatMut::row_major(&mut cv, 1, 1)?, MatMut::row_major(&mut cc, 1, 1)?)?,
    ///     Accum::Replace,
    /// )?;
    /// assert_eq!((cv[0], cc[0]), (3.0, 2.0));
    /// # Ok::<(), tropical_blas::Error>(())
    /// ```
    pub fn gemm;

    /// [`gemm`] with an explicit workspace and configuration: the ISA level
    /// (`with_isa`) and the threads (`with_par`; the result is the same for
    /// every thread count) are honoured, the tiling is the counting kernels'
    /// own (`with_tiling` is ignored).
    pub fn gemm_with<S: CountingSemiring>(ws, cfg, a: CountingRef<'_, S::Value>,
        b: CountingRef<'_, S::Value>, c: CountingMut<'_, S::Value>, accum: Accum) {
        let kernel = kernel_at_config::<S>(cfg)?;
        let exact = check::<S>(&a, &b, &c, accum, kernel.level)?;
        let threads = cfg.par().threads();
        run(Product { kernel, threads, a, b, accum }, ws, c, exact)
    }
}

entry_points! {
    /// Many counting products, item i: `c[i] = a[i] ⊗ b[i]` (or ⊕-combined),
    /// each of its own shape. Every item is checked before any is written;
    /// an error leaves every C untouched.
    pub fn gemm_batched;

    /// [`gemm_batched`] with an explicit workspace and configuration.
    pub fn gemm_batched_with<S: CountingSemiring>(ws, cfg, a: &[CountingRef<'_, S::Value>],
        b: &[CountingRef<'_, S::Value>], c: &mut [CountingMut<'_, S::Value>], accum: Accum) {
        if a.len() != b.len() || a.len() != c.len() {
            return Err(Error::BatchCountMismatch {
                a: a.len(),
                b: b.len(),
                c: c.len(),
            });
        }
        let kernel = kernel_at_config::<S>(cfg)?;
        let mut exact = Vec::with_capacity(a.len());
        for i in 0..a.len() {
            exact.push(check::<S>(&a[i], &b[i], &c[i], accum, kernel.level)?);
        }
        let threads = cfg.par().threads();
        // Items whose bound does not prove exactness run into scratch first:
        // an overflow there must stop the call before any C is written.
        let mut scratch = Vec::new();
        for i in (0..a.len()).filter(|&i| !exact[i]) {
            let product = Product { kernel, threads, a: a[i], b: b[i], accum };
            scratch.push((i, scratch_product(product, ws, &c[i])?));
        }
        // The exact items' workspace, reserved before anything is written:
        // a later item cannot then fail to allocate after earlier ones
        // were written.
        for i in (0..a.len()).filter(|&i| exact[i]) {
            let shape = (a[i].rows(), a[i].cols(), b[i].cols());
            reserve_workspace(kernel, ws, threads, shape)?;
        }
        for (i, (values, counts)) in scratch {
            write_back(&mut c[i], &values, &counts);
        }
        for i in (0..a.len()).filter(|&i| exact[i]) {
            let product = Product { kernel, threads, a: a[i], b: b[i], accum };
            run(product, ws, c[i].rb_mut(), true)?;
        }
        Ok(())
    }
}

/// The counting kernel `gemm` runs for `S` at the active level.
pub fn kernel_for<S: CountingSemiring>() -> Result<CountingKernel<S>, Error> {
    Ok(S::counting_kernel(resolve_level(None)?))
}

/// The counting kernel for `S` at an explicit level, or the error a call
/// at that level would return.
pub fn kernel_at<S: CountingSemiring>(level: IsaLevel) -> Result<CountingKernel<S>, Error> {
    Ok(S::counting_kernel(resolve_level(Some(level))?))
}

fn kernel_at_config<S: CountingSemiring>(cfg: &GemmConfig) -> Result<CountingKernel<S>, Error> {
    Ok(S::counting_kernel(resolve_level(cfg.isa())?))
}

/// Checks one product's shapes and counts; returns whether the bound
/// proves every count of the result below 2^53. A product with no output
/// (m = 0 or n = 0) reads neither factor: only its shapes are checked.
fn check<S: CountingSemiring>(
    a: &CountingRef<'_, S::Value>,
    b: &CountingRef<'_, S::Value>,
    c: &CountingMut<'_, S::Value>,
    accum: Accum,
    level: IsaLevel,
) -> Result<bool, Error> {
    check_dimensions(
        (a.rows(), a.cols()),
        (b.rows(), b.cols()),
        (c.rows(), c.cols()),
    )?;
    let (k, n) = (a.cols(), b.cols());
    if a.rows() == 0 || n == 0 {
        return Ok(true);
    }
    // The largest valid count of each depth, in A's columns and B's rows.
    let mut a_max = try_filled_vec(k, 0.0f64)?;
    let mut b_max = try_filled_vec(k, 0.0f64)?;
    let mut b_col_max = try_filled_vec(n, 0.0f64)?;
    scan_counts::<S>(a.values, a.counts, Operand::A, level, &mut a_max, |_, _| {})?;
    scan_counts::<S>(
        b.values,
        b.counts,
        Operand::B,
        level,
        &mut b_col_max,
        |i, max| b_max[i] = max,
    )?;
    let mut c_max = 0.0f64;
    if accum == Accum::Combine {
        let mut c_col_max = try_filled_vec(n, 0.0f64)?;
        let (values, counts) = (c.values.as_ref(), c.counts.as_ref());
        scan_counts::<S>(
            values,
            counts,
            Operand::C,
            level,
            &mut c_col_max,
            |_, max| c_max = c_max.max(max),
        )?;
    }
    // Rounded f64 arithmetic: below 2^52 the true bound is below 2^53 for
    // any k below 2^40 (a relative error of k·2^-53 at most).
    let bound = a_max.iter().zip(&b_max).map(|(x, y)| x * y).sum::<f64>() + c_max;
    Ok(bound < COUNT_LIMIT / 2.0)
}

/// Checks every count of an operand's two planes (those of ZERO values
/// are never read, so any goes); the largest of each column goes into
/// `col_max` (`cols` long) and of each row to `row_max(i, max)`. A row's
/// counts are scanned alone, as slices, with the input scan of the level
/// (`binding::scan`, AVX2 where it can), and only an invalid one is
/// looked at with its value; the first invalid count of a live entry in
/// row order is the error.
fn scan_counts<S: CountingSemiring>(
    values: MatRef<'_, S::Value>,
    counts: MatRef<'_, f64>,
    operand: Operand,
    level: IsaLevel,
    col_max: &mut [f64],
    mut row_max: impl FnMut(usize, f64),
) -> Result<(), Error> {
    let cols = values.cols();
    // Rows that are not contiguous in both planes are copied here first.
    let strided = values.col_stride() != 1 || counts.col_stride() != 1;
    let room = if strided { cols } else { 0 };
    let mut value_row = try_filled_vec(room, S::ZERO_VALUE)?;
    let mut count_row = try_filled_vec(room, 0.0f64)?;
    for i in 0..values.rows() {
        let (values, counts) = match (values.row_slice(i), counts.row_slice(i)) {
            (Some(values), Some(counts)) => (values, counts),
            _ => {
                for (j, (v, count)) in value_row.iter_mut().zip(&mut count_row).enumerate() {
                    (*v, *count) = (values.get(i, j).unwrap(), counts.get(i, j).unwrap());
                }
                (&value_row[..], &count_row[..])
            }
        };
        let live = |v: S::Value| v != S::ZERO_VALUE;
        // The counts alone first, with the widest instructions the level
        // has; an invalid count at a ZERO value is no error (it is never
        // read), so the search goes on past it.
        let mut from = 0;
        while let Some(j) = first_invalid_count(&counts[from..], level) {
            let col = from + j;
            if live(values[col]) {
                return Err(Error::InvalidCount {
                    operand,
                    row: i,
                    col,
                });
            }
            from = col + 1;
        }
        let mut max = 0.0f64;
        for ((&v, &count), column) in values.iter().zip(counts).zip(col_max.iter_mut()) {
            let count = if live(v) { count } else { 0.0 };
            *column = column.max(count);
            max = max.max(count);
        }
        row_max(i, max);
    }
    Ok(())
}

/// One checked counting product, apart from its C and workspace: the
/// kernel, the threads, the factors and the accumulation.
struct Product<'p, S: CountingSemiring> {
    kernel: CountingKernel<S>,
    threads: usize,
    a: CountingRef<'p, S::Value>,
    b: CountingRef<'p, S::Value>,
    accum: Accum,
}

// By hand: a derive would ask `S: Copy`.
impl<S: CountingSemiring> Clone for Product<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S: CountingSemiring> Copy for Product<'_, S> {}

/// Runs a checked product into C: in place when `exact` (the bound holds),
/// else through a scratch copy that is checked for overflow first.
fn run<S: CountingSemiring>(
    product: Product<'_, S>,
    ws: &mut GemmWorkspace,
    mut c: CountingMut<'_, S::Value>,
    exact: bool,
) -> Result<(), Error> {
    let Product {
        kernel,
        threads,
        a,
        b,
        accum,
    } = product;
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    if m == 0 || n == 0 {
        return Ok(());
    }
    if !exact {
        let (values, counts) = scratch_product(product, ws, &c)?;
        write_back(&mut c, &values, &counts);
        return Ok(());
    }
    if k == 0 {
        empty_depth::<S>(&mut c, accum);
        return Ok(());
    }
    let out = Output {
        value_strides: (c.values.row_stride(), c.values.col_stride()),
        count_strides: (c.counts.row_stride(), c.counts.col_stride()),
        values: SharedPtr(c.values.as_mut_ptr()),
        counts: SharedPtr(c.counts.as_mut_ptr()),
    };
    let ops = Operands {
        a_values: a.values,
        a_counts: a.counts,
        b_values: b.values,
        b_counts: b.counts,
    };
    // SAFETY: `out` is C's checked footprint, borrowed mutably here (so
    // it overlaps neither A nor B), m × n through its strides.
    unsafe { counting_product::<S>(kernel, ws, threads, ops, out, accum) }
}

/// k = 0: the empty ⊕ is ZERO, so C becomes ZERO (`Replace`) or stays,
/// with the count of a ZERO value set to 0 (`Combine`).
fn empty_depth<S: CountingSemiring>(c: &mut CountingMut<'_, S::Value>, accum: Accum) {
    for i in 0..c.rows() {
        for j in 0..c.cols() {
            let zero = accum == Accum::Replace || c.values.get(i, j) == Some(S::ZERO_VALUE);
            if zero {
                c.values.set(i, j, S::ZERO_VALUE);
                c.counts.set(i, j, 0.0);
            }
        }
    }
}

/// The product into a row-major scratch copy of C (C's contents under
/// `Combine`), or [`Error::CountOverflow`] at the first count ≥ 2^53.
fn scratch_product<S: CountingSemiring>(
    product: Product<'_, S>,
    ws: &mut GemmWorkspace,
    c: &CountingMut<'_, S::Value>,
) -> Result<(Vec<S::Value>, Vec<f64>), Error> {
    let (m, n) = (c.rows(), c.cols());
    let len = m.checked_mul(n).ok_or(Error::LayoutOverflow)?;
    let mut values = try_filled_vec(len, S::Value::ZERO)?;
    let mut counts = try_filled_vec(len, 0.0f64)?;
    for i in 0..m {
        for j in 0..n {
            let (v, count) = c.get(i, j).unwrap();
            values[i * n + j] = v;
            counts[i * n + j] = count;
        }
    }
    let scratch = CountingMut::new(
        MatMut::row_major(&mut values, m, n)?,
        MatMut::row_major(&mut counts, m, n)?,
    )?;
    run(product, ws, scratch, true)?;
    if let Some(at) = counts.iter().position(|&count| count >= COUNT_LIMIT) {
        return Err(Error::CountOverflow {
            row: at / n.max(1),
            col: at % n.max(1),
        });
    }
    Ok((values, counts))
}

/// Copies a row-major result into C.
fn write_back<T: Copy>(c: &mut CountingMut<'_, T>, values: &[T], counts: &[f64]) {
    let n = c.cols();
    for i in 0..c.rows() {
        for j in 0..n {
            c.values.set(i, j, values[i * n + j]);
            c.counts.set(i, j, counts[i * n + j]);
        }
    }
}
