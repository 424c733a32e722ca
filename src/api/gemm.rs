//! The safe entry points.

use std::cell::RefCell;

use crate::api::prepare::{check_dimensions, run_product};
use crate::binding::dispatch::resolve_level;
use crate::config::Accum;
use crate::error::Error;
use crate::isa::IsaLevel;
use crate::semiring::{Kernel, Semiring};
use crate::view::{MatMut, MatRef};
use crate::workspace::GemmWorkspace;

thread_local! {
    static THREAD_WORKSPACE: RefCell<GemmWorkspace> = RefCell::new(GemmWorkspace::new());
}

/// Declares an entry point in its two forms: `$with`, which takes a
/// workspace and a configuration, runs `$body`; `$name` runs `$with` on
/// this thread's cached workspace ([`with_thread_workspace`]) with the
/// default configuration. Every public product has both forms, and this is
/// the one place the plain form is written.
macro_rules! entry_points {
    ($(#[$doc:meta])* pub fn $name:ident;
     $(#[$with_doc:meta])* pub fn $with:ident<S: $bound:path>($ws:ident, $cfg:ident, $($arg:ident: $ty:ty),+)
        $body:block) => {
        $(#[$doc])*
        pub fn $name<S: $bound>($($arg: $ty),+) -> Result<(), $crate::error::Error> {
            $crate::api::gemm::with_thread_workspace(|ws| {
                $with::<S>(ws, &$crate::config::GemmConfig::default(), $($arg),+)
            })
        }

        $(#[$with_doc])*
        pub fn $with<S: $bound>(
            $ws: &mut $crate::workspace::GemmWorkspace,
            $cfg: &$crate::config::GemmConfig,
            $($arg: $ty),+
        ) -> Result<(), $crate::error::Error> $body
    };
}
pub(crate) use entry_points;

/// Runs `f` with this thread's cached workspace, or with a fresh one when
/// the cached one is out of reach: in use (`gemm` re-entered from inside a
/// user semiring), or already destroyed (`gemm` called from another
/// thread-local's destructor at thread exit, where `LocalKey::with` would
/// panic).
pub(crate) fn with_thread_workspace<R>(f: impl FnOnce(&mut GemmWorkspace) -> R) -> R {
    let mut f = Some(f);
    let mut run = |ws: &mut GemmWorkspace| f.take().map(|f| f(ws));
    let cached = THREAD_WORKSPACE
        .try_with(|cell| cell.try_borrow_mut().ok().and_then(|mut ws| run(&mut ws)))
        .ok()
        .flatten();
    match cached {
        Some(result) => result,
        None => run(&mut GemmWorkspace::new()).expect("f did not run on the cached workspace"),
    }
}

entry_points! {
    /// C = A ⊗ B (`Accum::Replace`) or C = C ⊕ (A ⊗ B) (`Accum::Combine`)
    /// over the semiring `S`.
    ///
    /// Uses a per-thread workspace (so repeated calls do not allocate) and the
    /// default configuration. On error nothing has been written to C.
    ///
    /// ```
    /// use tropical_blas::{gemm, Accum, MatMut, MatRef, MaxPlus};
    /// let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2×3, row-major
    /// let b = [1.0f32, 0.0, 0.0, 1.0, 2.0, 2.0]; // 3×2, column-major
    /// let mut c = [0.0f32; 4];
    /// gemm::<MaxPlus<f32>>(
    ///     MatRef::row_major(&a, 2, 3)?,
    ///     MatRef::col_major(&b, 3, 2)?,
    ///     MatMut::row_major(&mut c, 2, 2)?,
    ///     Accum::Replace,
    /// )?;
    /// assert_eq!(c, [3.0, 5.0, 6.0, 8.0]);
    /// # Ok::<(), tropical_blas::Error>(())
    /// ```
    pub fn gemm;

    /// [`gemm`] with an explicit workspace and configuration.
    ///
    /// ```
    /// use tropical_blas::{gemm_with, Accum, GemmConfig, GemmWorkspace, MatMut, MatRef, MinPlus};
    /// let mut ws = GemmWorkspace::new();
    /// let cfg = GemmConfig::default();
    /// let d = [0.0f64, 4.0, 1.0, 0.0]; // edge weights, 2 nodes
    /// let mut d2 = [0.0f64; 4];
    /// gemm_with::<MinPlus<f64>>(
    ///     &mut ws, &cfg,
    ///     MatRef::row_major(&d, 2, 2)?,
    ///     MatRef::row_major(&d, 2, 2)?,
    ///     MatMut::row_major(&mut d2, 2, 2)?,
    ///     Accum::Replace,
    /// )?;
    /// assert_eq!(d2, [0.0, 4.0, 1.0, 0.0]);
    /// # Ok::<(), tropical_blas::Error>(())
    /// ```
    pub fn gemm_with<S: Semiring>(ws, cfg, a: MatRef<'_, S::Scalar>, b: MatRef<'_, S::Scalar>,
        c: MatMut<'_, S::Scalar>, accum: Accum) {
        check_dimensions(a.shape(), b.shape(), c.shape())?;
        run_product::<S, Kernel<S>>(ws, cfg, a, b, c, accum)
    }
}

/// The kernel `gemm` runs for `S` at the active level (the detected one,
/// capped by `TROPICAL_BLAS_ISA`).
pub fn kernel_for<S: Semiring>() -> Result<Kernel<S>, Error> {
    Ok(S::kernel(resolve_level(None)?))
}

/// The kernel for `S` at an explicit level, or the error a call at that
/// level would return.
pub fn kernel_at<S: Semiring>(level: IsaLevel) -> Result<Kernel<S>, Error> {
    Ok(S::kernel(resolve_level(Some(level))?))
}
