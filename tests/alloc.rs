//! After a warm-up call, products of the same size allocate nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use tropical_blas::{
    Accum, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, MaxPlus, MinPlus, Par,
    TilingParams, gemm, gemm_with,
};

struct CountingAlloc;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged, counting calls.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    f();
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

// One test function: the counter is global, so concurrent tests would
// disturb each other.
#[test]
fn warm_workspace_allocates_nothing() {
    let (m, k, n) = (300, 270, 130);
    let a: Vec<f32> = (0..m * k).map(|x| (x % 17) as f32).collect();
    let b: Vec<f32> = (0..k * n).map(|x| (x % 13) as f32).collect();
    let mut c = vec![0.0f32; m * n];
    let mut ws = GemmWorkspace::new();
    let mut levels = vec![IsaLevel::Scalar];
    levels.extend(
        IsaLevel::ALL
            .into_iter()
            .filter(|&l| l > IsaLevel::Scalar && l <= tropical_blas::detected_isa()),
    );
    for level in levels {
        for tiling in [None, Some(TilingParams::new(64, 100, 48))] {
            let mut cfg = GemmConfig::default().with_isa(level).with_par(Par::Seq);
            if let Some(t) = tiling {
                cfg = cfg.with_tiling(t);
            }
            let call = |ws: &mut GemmWorkspace, c: &mut [f32]| {
                gemm_with::<MaxPlus<f32>>(
                    ws,
                    &cfg,
                    MatRef::row_major(&a, m, k).unwrap(),
                    MatRef::col_major(&b, k, n).unwrap(),
                    MatMut::row_major(c, m, n).unwrap(),
                    Accum::Replace,
                )
                .unwrap()
            };
            call(&mut ws, &mut c); // warm-up may grow the buffers
            let count = allocations_during(|| {
                for _ in 0..3 {
                    call(&mut ws, &mut c);
                }
            });
            assert_eq!(count, 0, "level {level}, tiling {tiling:?}");
        }
    }

    // Parallel products: inside a rayon pool, warm calls allocate nothing
    // (calls from outside any pool enter the global queue, whose blocks
    // rayon allocates once per few dozen jobs).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    pool.install(|| {
        let mut ws = GemmWorkspace::new();
        for threads in [2, 3] {
            let cfg = GemmConfig::default().with_par(Par::Rayon(threads));
            let call = |ws: &mut GemmWorkspace, c: &mut [f32]| {
                gemm_with::<MaxPlus<f32>>(
                    ws,
                    &cfg,
                    MatRef::row_major(&a, m, k).unwrap(),
                    MatRef::col_major(&b, k, n).unwrap(),
                    MatMut::row_major(c, m, n).unwrap(),
                    Accum::Replace,
                )
                .unwrap()
            };
            // Warm-up also lets each worker make its first steal, which
            // registers it with the deque's epoch collector (once).
            for _ in 0..10 {
                call(&mut ws, &mut c);
            }
            let count = allocations_during(|| {
                for _ in 0..20 {
                    call(&mut ws, &mut c);
                }
            });
            assert_eq!(count, 0, "{threads} threads inside a pool");
        }
    });

    // `gemm` keeps a per-thread workspace: the same holds without one.
    let mut d = vec![0.0f64; 50 * 50];
    let e: Vec<f64> = (0..50 * 50).map(|x| (x % 7) as f64).collect();
    let call = |d: &mut [f64]| {
        gemm::<MinPlus<f64>>(
            MatRef::row_major(&e, 50, 50).unwrap(),
            MatRef::row_major(&e, 50, 50).unwrap(),
            MatMut::row_major(d, 50, 50).unwrap(),
            Accum::Combine,
        )
        .unwrap()
    };
    call(&mut d);
    assert_eq!(allocations_during(|| call(&mut d)), 0);
}
