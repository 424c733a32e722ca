//! The benchmark examples' timer and the product they time, shared by
//! `#[path]` (an example is its own crate).

use std::time::{Duration, Instant};

use tropical_blas::{Accum, GemmConfig, GemmWorkspace, MatMut, MatRef, Semiring, gemm_with};

/// One call of `C = A ⊗ B` (row-major A m×k, B k×n, `Replace`) per run of
/// the returned closure, on its own C and workspace: what the examples
/// time.
pub fn product<'a, S: Semiring>(
    a: &'a [S::Scalar],
    b: &'a [S::Scalar],
    (m, k, n): (usize, usize, usize),
    cfg: GemmConfig,
) -> impl FnMut() + 'a {
    let mut c = vec![S::ZERO; m * n];
    let mut ws = GemmWorkspace::new();
    move || {
        gemm_with::<S>(
            &mut ws,
            &cfg,
            MatRef::row_major(a, m, k).unwrap(),
            MatRef::row_major(b, k, n).unwrap(),
            MatMut::row_major(&mut c, m, n).unwrap(),
            Accum::Replace,
        )
        .unwrap()
    }
}

/// Best seconds per call over `batches` batches of at least `batch` each
/// (on a shared machine the minimum is the stable estimate of what the
/// code does; noise only ever adds time).
pub fn seconds_per_call(batch: Duration, batches: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut reps = 1usize;
    loop {
        let start = Instant::now();
        for _ in 0..reps {
            f();
        }
        if start.elapsed() >= batch {
            break;
        }
        reps *= 2;
    }
    (0..batches)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..reps {
                f();
            }
            start.elapsed().as_secs_f64() / reps as f64
        })
        .fold(f64::INFINITY, f64::min)
}
