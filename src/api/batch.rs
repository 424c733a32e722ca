//! Batched products: many independent C_i = A_i ⊗ B_i in one call.

use rayon::prelude::*;

use crate::api::gemm::{entry_points, with_thread_workspace};
use crate::api::prepare::{Prepared, check_batch_counts, check_dimensions};
use crate::batch_view::{BatchMut, BatchRef};
use crate::config::{Accum, GemmConfig, Par};
use crate::error::Error;
use crate::semiring::{Kernel, Semiring};
use crate::view::{MatMut, MatRef};

entry_points! {
    /// C_i = A_i ⊗ B_i (or C_i ⊕ A_i ⊗ B_i) for every item of strided
    /// batches, with the default configuration.
    ///
    /// Small products run in parallel across the batch (each on one thread,
    /// with a worker workspace kept in the caller's); large ones one after
    /// another, each on all threads. Every item is checked, and its buffers
    /// reserved, before anything is written.
    ///
    /// ```
    /// use tropical_blas::{gemm_batched, Accum, BatchMut, BatchRef, MaxPlus};
    /// let a = [0.0f32, 1.0, 2.0, 3.0, /* item 1 */ 4.0, 5.0, 6.0, 7.0];
    /// let b = [0.0f32, 0.0, 0.0, 0.0]; // one 2×2 matrix shared by both items
    /// let mut c = [0.0f32; 8];
    /// gemm_batched::<MaxPlus<f32>>(
    ///     BatchRef::row_major(&a, 2, 2, 2)?,
    ///     BatchRef::new(&b, 2, 0, 2, 2, 2, 1)?,
    ///     BatchMut::row_major(&mut c, 2, 2, 2)?,
    ///     Accum::Replace,
    /// )?;
    /// assert_eq!(c, [1.0, 1.0, 3.0, 3.0, 5.0, 5.0, 7.0, 7.0]);
    /// # Ok::<(), tropical_blas::Error>(())
    /// ```
    pub fn gemm_batched;

    /// [`gemm_batched`] with an explicit workspace (used for large items, and
    /// holding the worker workspaces of small ones) and configuration.
    pub fn gemm_batched_with<S: Semiring>(ws, cfg, a: BatchRef<'_, S::Scalar>,
        b: BatchRef<'_, S::Scalar>, c: BatchMut<'_, S::Scalar>, accum: Accum) {
        let mut c = c;
        let count = c.count();
        check_batch_counts(count, a.count(), b.count(), &[])?;
        check_dimensions(a.shape(), b.shape(), c.shape())?;
        let (m, n, k) = (a.rows(), b.cols(), a.cols());
        let prepared = Prepared::<S, Kernel<S>>::for_batch(cfg, &a, &b)?;
        if count == 0 || m == 0 || n == 0 {
            return Ok(()); // no item has an output
        }
        let ops = m.saturating_mul(n).saturating_mul(k);
        let across_batch = prepared.items_in_parallel(count, m, n, k);
        if let Some(batch_entry) = prepared.plan(a.rows(), b.cols(), a.cols()).batch_entry() {
            let threads = if across_batch { cfg.par().threads() } else { 1 };
            if ops > 0 && batch_entry(threads, &a, &b, &mut c, accum) {
                return Ok(());
            }
        }
        // One plan (blocking, route) for every item: they share one shape,
        // so one item's reservation (sized for any data) covers them all,
        // and it is made before the first item is written.
        let (a0, b0) = (a.get(0).expect("count > 0"), b.get(0).expect("count > 0"));
        if across_batch {
            let plan = prepared.with_par(Par::Seq).plan(m, n, k);
            let workers = ws.reserve_workers(count, |worker| {
                plan.reserve(worker, a0, b0, c.lowest_item().expect("count > 0"))
            })?;
            let workers = ws.workers(workers);
            c.par_try_for_each_item(|i, ci| {
                let (ai, bi) = (a.get(i).expect("i < count"), b.get(i).expect("i < count"));
                workers.with(|ws| plan.execute(ws, ai, bi, ci, accum))
            })
        } else {
            let plan = prepared.plan(m, n, k);
            plan.reserve(ws, a0, b0, c.lowest_item().expect("count > 0"))?;
            let mut outcome = Ok(());
            c.for_each_item(|i, next, ci| {
                if outcome.is_err() {
                    return;
                }
                if let Some(next) = next {
                    a.prefetch(next);
                    b.prefetch(next);
                }
                let (ai, bi) = (a.get(i).expect("i < count"), b.get(i).expect("i < count"));
                outcome = plan.execute(ws, ai, bi, ci, accum);
            });
            outcome
        }
    }
}

/// The same over slices of views: `c[i] = a[i] ⊗ b[i]` (or ⊕-combined),
/// for matrices of any shapes and layouts. Every item is checked, and its
/// buffers reserved, before anything is written.
///
/// ```
/// use tropical_blas::{gemm_batched_views, Accum, MatMut, MatRef, MinPlus};
/// let (x, y) = ([1.0f64, 2.0], [3.0f64, 4.0, 5.0, 6.0]);
/// let (mut c0, mut c1) = ([0.0f64; 1], [0.0f64; 4]);
/// gemm_batched_views::<MinPlus<f64>>(
///     &[MatRef::row_major(&x, 1, 2)?, MatRef::col_major(&x, 2, 1)?],
///     &[MatRef::col_major(&y[..2], 2, 1)?, MatRef::row_major(&y[2..], 1, 2)?],
///     &mut [MatMut::row_major(&mut c0, 1, 1)?, MatMut::row_major(&mut c1, 2, 2)?],
///     Accum::Replace,
/// )?;
/// assert_eq!((c0, c1), ([4.0], [6.0, 7.0, 7.0, 8.0]));
/// # Ok::<(), tropical_blas::Error>(())
/// ```
pub fn gemm_batched_views<S: Semiring>(
    a: &[MatRef<'_, S::Scalar>],
    b: &[MatRef<'_, S::Scalar>],
    c: &mut [MatMut<'_, S::Scalar>],
    accum: Accum,
) -> Result<(), Error> {
    let cfg = GemmConfig::default();
    check_batch_counts(c.len(), a.len(), b.len(), &[])?;
    let prepared = Prepared::<S, Kernel<S>>::new(&cfg)?;
    for ((ai, bi), ci) in a.iter().zip(b).zip(c.iter()) {
        check_dimensions(ai.shape(), bi.shape(), ci.shape())?;
        prepared.check_product(*ai, *bi)?;
    }
    // Items that run on one thread go side by side, each on a worker's
    // workspace; larger ones one after another, each on all threads and
    // this thread's workspace. Every item's buffers are reserved before
    // the first item is written; each item is planned once.
    let (mut alone, mut shared): (Vec<_>, Vec<_>) = c
        .iter_mut()
        .enumerate()
        .map(|(i, ci)| (i, prepared.plan(a[i].rows(), b[i].cols(), a[i].cols()), ci))
        .partition(|(_, plan, _)| plan.threads() == 1);
    with_thread_workspace(|ws| {
        let workers = ws.reserve_workers(alone.len(), |worker| {
            alone
                .iter_mut()
                .try_for_each(|(i, plan, ci)| plan.reserve(worker, a[*i], b[*i], ci.rb_mut()))
        })?;
        for (i, plan, ci) in shared.iter_mut() {
            plan.reserve(ws, a[*i], b[*i], ci.rb_mut())?;
        }
        for (i, plan, ci) in shared.iter_mut() {
            plan.execute(ws, a[*i], b[*i], ci.rb_mut(), accum)?;
        }
        let workers = ws.workers(workers);
        alone
            .par_iter_mut()
            .with_max_len(1)
            .try_for_each(|(i, plan, ci)| {
                workers.with(|worker| plan.execute(worker, a[*i], b[*i], ci.rb_mut(), accum))
            })
    })
}
