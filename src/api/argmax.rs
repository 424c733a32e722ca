//! Products that also report which k won every output (argmax for the max
//! semirings, argmin for the min ones), and the gradients that flow back
//! through those winners.

use std::ops::{Add, Mul};

use rayon::prelude::*;

use crate::api::gemm::entry_points;
use crate::api::prepare::{Prepared, check_batch_counts, check_dimensions, run_product};
use crate::batch_view::{BatchMut, BatchRef};
use crate::binding::dispatch::resolve_level;
use crate::config::{Accum, Par};
use crate::error::{Error, Operand};
use crate::isa::IsaLevel;
use crate::semiring::{ArgKernel, NO_ARG};
use crate::semiring::{DifferentiableSemiring, SelectingSemiring};
use crate::view::{MatMut, MatRef};
use crate::workspace::try_empty_vec;

entry_points! {
    /// C = A ⊗ B together with `argk[i, j]`, the k whose product
    /// `A[i, k] ⊗ B[k, j]` produced `C[i, j]`.
    ///
    /// - Values are bit-identical to [`gemm`](crate::gemm)'s.
    /// - Ties go to the smallest k, across every blocking and thread count.
    /// - Where no product beats ZERO (k = 0, all products ZERO or NaN),
    ///   `argk` is [`NO_ARG`].
    /// - Under `Accum::Combine`, C's old value comes first: where it wins
    ///   (including ties) C and `argk[i, j]` are left as they were, so `argk`
    ///   keeps whatever the caller put there. Fill it with [`NO_ARG`] first to
    ///   mark the outputs C's old value won.
    ///
    /// For the min semirings (`MinPlus`, `MinMax`) the index is an argmin.
    /// Errors as for `gemm`, plus [`Error::ShapeMismatch`] if `argk` is not
    /// m × n and [`Error::IndexOverflow`] if k ≥ `u32::MAX` (and the
    /// product has an output: m, n ≥ 1); nothing is written on error.
    ///
    /// ```
    /// use tropical_blas::{gemm_argmax, Accum, MatMut, MatRef, MaxPlus};
    /// let a = [1.0f32, 5.0, 2.0, /* row 1 */ 0.0, 0.0, 0.0]; // 2×3
    /// let b = [0.0f32, 0.0, 0.0]; // 3×1
    /// let (mut c, mut argk) = ([0.0f32; 2], [0u32; 2]);
    /// gemm_argmax::<MaxPlus<f32>>(
    ///     MatRef::row_major(&a, 2, 3)?,
    ///     MatRef::row_major(&b, 3, 1)?,
    ///     MatMut::row_major(&mut c, 2, 1)?,
    ///     MatMut::row_major(&mut argk, 2, 1)?,
    ///     Accum::Replace,
    /// )?;
    /// assert_eq!(c, [5.0, 0.0]);
    /// assert_eq!(argk, [1, 0]); // row 1 ties at k = 0: the smallest k wins
    /// # Ok::<(), tropical_blas::Error>(())
    /// ```
    pub fn gemm_argmax;

    /// [`gemm_argmax`] with an explicit workspace and configuration.
    pub fn gemm_argmax_with<S: SelectingSemiring>(ws, cfg, a: MatRef<'_, S::Scalar>,
        b: MatRef<'_, S::Scalar>, c: MatMut<'_, S::Scalar>, argk: MatMut<'_, u32>, accum: Accum) {
        check_arg_shapes(a.shape(), b.shape(), c.shape(), argk.shape())?;
        run_product::<S, ArgKernel<S>>(ws, cfg, a, b, (c, argk), accum)
    }
}

/// The argmax kernel `gemm_argmax` runs for `S` at the active level.
pub fn arg_kernel_for<S: SelectingSemiring>() -> Result<ArgKernel<S>, Error> {
    Ok(S::arg_kernel(resolve_level(None)?))
}

/// The argmax kernel for `S` at an explicit level, or the error a call at
/// that level would return.
pub fn arg_kernel_at<S: SelectingSemiring>(level: IsaLevel) -> Result<ArgKernel<S>, Error> {
    Ok(S::arg_kernel(resolve_level(Some(level))?))
}

/// Shapes of A (m×k), B (k×n), C and argk (both m×n), and k's index
/// range (unless there is no output to index).
fn check_arg_shapes(
    a: (usize, usize),
    b: (usize, usize),
    c: (usize, usize),
    argk: (usize, usize),
) -> Result<(), Error> {
    check_dimensions(a, b, c)?;
    let ((m, k), n) = (a, b.1);
    if argk != (m, n) {
        return Err(Error::ShapeMismatch {
            operand: Operand::ArgK,
            expected: (m, n),
            found: argk,
        });
    }
    if k >= NO_ARG as usize && m > 0 && n > 0 {
        return Err(Error::IndexOverflow { k });
    }
    Ok(())
}

entry_points! {
    /// [`gemm_argmax`] for every item of strided batches: C_i and argk_i from
    /// A_i ⊗ B_i. Small items run in parallel across the batch, large ones
    /// each on all threads. Every item is checked before anything is written.
    ///
    /// ```
    /// use tropical_blas::{gemm_argmax_batched, Accum, BatchMut, BatchRef, MinPlus};
    /// let a = [0.0f32, 3.0, /* item 1 */ 2.0, 0.0]; // two 1×2
    /// let b = [1.0f32, 1.0]; // one 2×1, shared (batch stride 0)
    /// let (mut c, mut argk) = ([0.0f32; 2], [0u32; 2]);
    /// gemm_argmax_batched::<MinPlus<f32>>(
    ///     BatchRef::row_major(&a, 2, 1, 2)?,
    ///     BatchRef::new(&b, 2, 0, 2, 1, 1, 1)?,
    ///     BatchMut::row_major(&mut c, 2, 1, 1)?,
    ///     BatchMut::row_major(&mut argk, 2, 1, 1)?,
    ///     Accum::Replace,
    /// )?;
    /// assert_eq!((c, argk), ([1.0, 1.0], [0, 1]));
    /// # Ok::<(), tropical_blas::Error>(())
    /// ```
    pub fn gemm_argmax_batched;

    /// [`gemm_argmax_batched`] with an explicit workspace (used for large
    /// items, and holding the worker workspaces of small ones) and
    /// configuration.
    pub fn gemm_argmax_batched_with<S: SelectingSemiring>(ws, cfg, a: BatchRef<'_, S::Scalar>,
        b: BatchRef<'_, S::Scalar>, c: BatchMut<'_, S::Scalar>, argk: BatchMut<'_, u32>,
        accum: Accum) {
        let count = c.count();
        check_batch_counts(count, a.count(), b.count(), &[argk.count()])?;
        check_arg_shapes(a.shape(), b.shape(), c.shape(), argk.shape())?;
        let (m, n, k) = (a.rows(), b.cols(), a.cols());
        let prepared = Prepared::<S, ArgKernel<S>>::for_batch(cfg, &a, &b)?;
        if count == 0 || m == 0 || n == 0 {
            return Ok(()); // no item has an output
        }
        let mut items = try_empty_vec(count)?;
        items.extend(c.into_item_views()?.into_iter().zip(argk.into_item_views()?));
        // One plan (blocking, route) for every item: they share one shape,
        // so one item's reservation (sized for any data) covers them all,
        // and it is made before the first item is written.
        let (a0, b0) = (a.get(0).expect("count > 0"), b.get(0).expect("count > 0"));
        let (c0, k0) = &mut items[0];
        if prepared.items_in_parallel(count, m, n, k) {
            let plan = prepared.with_par(Par::Seq).plan(m, n, k);
            let workers = ws.reserve_workers(count, |worker| {
                plan.reserve(worker, a0, b0, (c0.rb_mut(), k0.rb_mut()))
            })?;
            let workers = ws.workers(workers);
            items
                .par_iter_mut()
                .enumerate()
                .try_for_each(|(i, (ci, ki))| {
                    let (ai, bi) = (a.get(i).expect("i < count"), b.get(i).expect("i < count"));
                    workers.with(|worker| {
                        plan.execute(worker, ai, bi, (ci.rb_mut(), ki.rb_mut()), accum)
                    })
                })
        } else {
            let plan = prepared.plan(m, n, k);
            plan.reserve(ws, a0, b0, (c0.rb_mut(), k0.rb_mut()))?;
            for (i, (ci, ki)) in items.iter_mut().enumerate() {
                let (ai, bi) = (a.get(i).expect("i < count"), b.get(i).expect("i < count"));
                plan.execute(ws, ai, bi, (ci.rb_mut(), ki.rb_mut()), accum)?;
            }
            Ok(())
        }
    }
}

/// One view per item of `g`, or `count` of `None` without it, allocated
/// fallibly: a view takes more memory than a one-element item.
fn optional_item_views<'a, T: Copy>(
    g: Option<BatchMut<'a, T>>,
    count: usize,
) -> Result<Vec<Option<MatMut<'a, T>>>, Error> {
    let mut views = try_empty_vec(count)?;
    match g {
        Some(g) => views.extend(g.into_item_views()?.into_iter().map(Some)),
        None => views.extend((0..count).map(|_| None)),
    }
    Ok(views)
}

/// The backward pass of an argmax product, for automatic differentiation.
///
/// Given the factors of `C = A ⊗ B`, the `argk` that [`gemm_argmax`]
/// returned and the upstream gradient `grad_c` (∂L/∂C), adds each output's
/// gradient to the one product that produced it:
///
/// ```text
/// for every (i, j) with k = argk[i, j] != NO_ARG:
///     (da, db) = S::mul_partials(A[i, k], B[k, j])
///     grad_a[i, k] += grad_c[i, j] · da
///     grad_b[k, j] += grad_c[i, j] · db
/// ```
///
/// This is a scatter-add: `grad_a` and `grad_b` are accumulated into (fill
/// them with 0 for a fresh gradient); pass `None` for one you do not need.
/// Outputs marked [`NO_ARG`] (no product won) pass no gradient. The sum
/// runs in (i, j) row-major order, so the result is deterministic.
///
/// Errors: [`Error::DimensionMismatch`] for A and B,
/// [`Error::ShapeMismatch`] for the others, and
/// [`Error::IndexOutOfRange`] for an index that is neither below k nor
/// `NO_ARG`; nothing is written on error.
///
/// ```
/// use tropical_blas::{argmax_backward, gemm_argmax, Accum, MatMut, MatRef, MaxPlus};
/// let a = [1.0f32, 5.0]; // 1×2
/// let b = [0.0f32, 2.0, /* row 1 */ 0.0, 0.0]; // 2×2
/// let (mut c, mut argk) = ([0.0f32; 2], [0u32; 2]);
/// let (av, bv) = (MatRef::row_major(&a, 1, 2)?, MatRef::row_major(&b, 2, 2)?);
/// gemm_argmax::<MaxPlus<f32>>(av, bv, MatMut::row_major(&mut c, 1, 2)?,
///     MatMut::row_major(&mut argk, 1, 2)?, Accum::Replace)?;
/// assert_eq!((c, argk), ([5.0, 5.0], [1, 1]));
///
/// let grad_c = [1.0f32, 10.0];
/// let (mut grad_a, mut grad_b) = ([0.0f32; 2], [0.0f32; 4]);
/// argmax_backward::<MaxPlus<f32>>(
///     av, bv,
///     MatRef::row_major(&argk, 1, 2)?,
///     MatRef::row_major(&grad_c, 1, 2)?,
///     Some(MatMut::row_major(&mut grad_a, 1, 2)?),
///     Some(MatMut::row_major(&mut grad_b, 2, 2)?),
/// )?;
/// assert_eq!(grad_a, [0.0, 11.0]);
/// assert_eq!(grad_b, [0.0, 0.0, 1.0, 10.0]);
/// # Ok::<(), tropical_blas::Error>(())
/// ```
pub fn argmax_backward<S: DifferentiableSemiring>(
    a: MatRef<'_, S::Scalar>,
    b: MatRef<'_, S::Scalar>,
    argk: MatRef<'_, u32>,
    grad_c: MatRef<'_, S::Scalar>,
    grad_a: Option<MatMut<'_, S::Scalar>>,
    grad_b: Option<MatMut<'_, S::Scalar>>,
) -> Result<(), Error>
where
    S::Scalar: Add<Output = S::Scalar> + Mul<Output = S::Scalar>,
{
    check_backward(a, b, argk, grad_c, grad_a.as_ref(), grad_b.as_ref())?;
    scatter_gradients::<S>(a, b, argk, grad_c, grad_a, grad_b);
    Ok(())
}

/// Shapes of every operand of a backward pass, and the range of `argk`.
fn check_backward<T: Copy>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    argk: MatRef<'_, u32>,
    grad_c: MatRef<'_, T>,
    grad_a: Option<&MatMut<'_, T>>,
    grad_b: Option<&MatMut<'_, T>>,
) -> Result<(), Error> {
    check_backward_shapes(BackwardShapes {
        a: (a.rows(), a.cols()),
        b: (b.rows(), b.cols()),
        argk: (argk.rows(), argk.cols()),
        grad_c: (grad_c.rows(), grad_c.cols()),
        grad_a: grad_a.map(|g| (g.rows(), g.cols())),
        grad_b: grad_b.map(|g| (g.rows(), g.cols())),
    })?;
    check_indices(argk, a.cols())
}

/// The (rows, cols) of every operand of a backward pass.
struct BackwardShapes {
    a: (usize, usize),
    b: (usize, usize),
    argk: (usize, usize),
    grad_c: (usize, usize),
    grad_a: Option<(usize, usize)>,
    grad_b: Option<(usize, usize)>,
}

/// A is m×k, B k×n, argk and grad_c m×n, grad_a m×k, grad_b k×n.
fn check_backward_shapes(shapes: BackwardShapes) -> Result<(), Error> {
    let ((m, k), n) = (shapes.a, shapes.b.1);
    if shapes.b.0 != k {
        return Err(Error::DimensionMismatch {
            a: (m, k),
            b: shapes.b,
            c: shapes.argk,
        });
    }
    let expected = [
        (Operand::ArgK, Some(shapes.argk), (m, n)),
        (Operand::GradC, Some(shapes.grad_c), (m, n)),
        (Operand::GradA, shapes.grad_a, (m, k)),
        (Operand::GradB, shapes.grad_b, (k, n)),
    ];
    for (operand, found, expected) in expected {
        if let Some(found) = found.filter(|&f| f != expected) {
            return Err(Error::ShapeMismatch {
                operand,
                expected,
                found,
            });
        }
    }
    Ok(())
}

/// Every index in `argk` is below k or `NO_ARG`.
fn check_indices(argk: MatRef<'_, u32>, k: usize) -> Result<(), Error> {
    for i in 0..argk.rows() {
        for j in 0..argk.cols() {
            let index = argk.get(i, j).expect("i < m, j < n");
            if index != NO_ARG && index as usize >= k {
                return Err(Error::IndexOutOfRange {
                    row: i,
                    col: j,
                    index,
                    k,
                });
            }
        }
    }
    Ok(())
}

/// The checked scatter-add of [`argmax_backward`].
fn scatter_gradients<S: DifferentiableSemiring>(
    a: MatRef<'_, S::Scalar>,
    b: MatRef<'_, S::Scalar>,
    argk: MatRef<'_, u32>,
    grad_c: MatRef<'_, S::Scalar>,
    mut grad_a: Option<MatMut<'_, S::Scalar>>,
    mut grad_b: Option<MatMut<'_, S::Scalar>>,
) where
    S::Scalar: Add<Output = S::Scalar> + Mul<Output = S::Scalar>,
{
    for i in 0..argk.rows() {
        for j in 0..argk.cols() {
            let index = argk.get(i, j).expect("checked shape");
            if index == NO_ARG {
                continue;
            }
            let p = index as usize;
            let g = grad_c.get(i, j).expect("checked shape");
            let (x, y) = (
                a.get(i, p).expect("checked index"),
                b.get(p, j).expect("checked index"),
            );
            let (da, db) = S::mul_partials(x, y);
            if let Some(ga) = grad_a.as_mut() {
                let old = ga.get(i, p).expect("checked shape");
                ga.set(i, p, old + g * da);
            }
            if let Some(gb) = grad_b.as_mut() {
                let old = gb.get(p, j).expect("checked shape");
                gb.set(p, j, old + g * db);
            }
        }
    }
}

/// [`argmax_backward`] for every item of strided batches (the backward
/// pass of [`gemm_argmax_batched`]). Items run in parallel; each item's
/// gradients are accumulated in the same order as the plain call, so the
/// result is deterministic. Every item is checked before anything is
/// written.
#[allow(clippy::too_many_arguments)]
pub fn argmax_backward_batched<S: DifferentiableSemiring>(
    a: BatchRef<'_, S::Scalar>,
    b: BatchRef<'_, S::Scalar>,
    argk: BatchRef<'_, u32>,
    grad_c: BatchRef<'_, S::Scalar>,
    grad_a: Option<BatchMut<'_, S::Scalar>>,
    grad_b: Option<BatchMut<'_, S::Scalar>>,
) -> Result<(), Error>
where
    S::Scalar: Add<Output = S::Scalar> + Mul<Output = S::Scalar>,
{
    let count = argk.count();
    // argk sets the count; the error's C is the first operand whose count
    // differs, A and B included. A gradient not asked for cannot differ.
    let others = [
        a.count(),
        b.count(),
        grad_c.count(),
        grad_a.as_ref().map_or(count, |g| g.count()),
        grad_b.as_ref().map_or(count, |g| g.count()),
    ];
    check_batch_counts(count, a.count(), b.count(), &others)?;
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    check_backward_shapes(BackwardShapes {
        a: (m, k),
        b: (b.rows(), n),
        argk: (argk.rows(), argk.cols()),
        grad_c: (grad_c.rows(), grad_c.cols()),
        grad_a: grad_a.as_ref().map(|g| (g.rows(), g.cols())),
        grad_b: grad_b.as_ref().map(|g| (g.rows(), g.cols())),
    })?;
    if m == 0 || n == 0 {
        return Ok(()); // no output, so no gradient flows
    }
    // Each distinct argk item once: a broadcast one (batch stride 0) is
    // one matrix, however large the count.
    for i in 0..argk.distinct_items() {
        check_indices(argk.get(i).expect("i < count"), k)?;
    }
    // A gradient with no elements (k = 0) receives nothing; with neither
    // gradient to write, the call is done. Otherwise the count is bounded
    // by a gradient's slice (its items are disjoint).
    let grad_a = grad_a.filter(|_| k > 0);
    let grad_b = grad_b.filter(|_| k > 0);
    if grad_a.is_none() && grad_b.is_none() {
        return Ok(());
    }
    let mut grads_a = optional_item_views(grad_a, count)?;
    let mut grads_b = optional_item_views(grad_b, count)?;
    let item = |i: usize| {
        (
            a.get(i).expect("i < count"),
            b.get(i).expect("i < count"),
            argk.get(i).expect("i < count"),
            grad_c.get(i).expect("i < count"),
        )
    };
    grads_a
        .par_iter_mut()
        .zip(grads_b.par_iter_mut())
        .enumerate()
        .for_each(|(i, (ga, gb))| {
            let (ai, bi, ki, gi) = item(i);
            scatter_gradients::<S>(
                ai,
                bi,
                ki,
                gi,
                ga.as_mut().map(|g| g.rb_mut()),
                gb.as_mut().map(|g| g.rb_mut()),
            );
        });
    Ok(())
}
