//! The benchmark examples' timer, shared by `#[path]` (an example is its
//! own crate).

use std::time::{Duration, Instant};

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
