//! The row-group path's loop: row groups split among tasks.

use crate::kernels::simd::VecOps;
use crate::kernels::simd::row_group::RowGroupJob;
use crate::semiring::Semiring;
use crate::view::{MatMut, MatRef};

/// Runs C = A ⊗ B (or C ⊕ A ⊗ B) through row groups when the product
/// and `O` allow them ([`RowGroupJob::for_product`]), split into
/// `threads` runs of consecutive groups, each of which enters the ISA's
/// code through `groups`; returns `false`, having written nothing,
/// otherwise.
///
/// # Safety
/// The views were checked by the public entry (`gemm_with`, or a batch
/// item through `Plan::execute`): m, n, k ≥ 1, inputs in range, C not
/// aliasing A or B; `groups` runs [`row_groups`] for `O` and may run on
/// this CPU.
pub(crate) unsafe fn row_group_driver<O: VecOps>(
    threads: usize,
    a: &MatRef<'_, <O::S as Semiring>::Scalar>,
    b: &MatRef<'_, <O::S as Semiring>::Scalar>,
    c: &mut MatMut<'_, <O::S as Semiring>::Scalar>,
    accum: crate::config::Accum,
    groups: unsafe fn(&RowGroupJob<<O::S as Semiring>::Scalar>),
) -> bool {
    let load_c = accum == crate::config::Accum::Combine;
    let Some(job) = RowGroupJob::for_product::<O>(a, b, c, load_c) else {
        return false;
    };
    let total = job.groups();
    let tasks = threads.clamp(1, total);
    let run_task = |task: usize| {
        let (first, last) = crate::frame::split(total, tasks, task);
        // SAFETY: tasks write disjoint row groups of C; `groups` may run
        // here (caller's contract).
        unsafe { groups(&job.part(first, last)) };
    };
    crate::frame::run_tasks(tasks, run_task);
    true
}
