//! Regression tests for the misuses a hostile audit found (issue 21): each
//! safe call returns an `Error` with its output untouched, or computes the
//! documented result, and never panics, aborts, hangs, wraps a size or
//! writes out of bounds. (The differential fuzzer, `tests/fuzz.rs`, keeps
//! the rest of the surface so.)

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::available_levels;
use tropical_blas::{
    Accum, BatchMut, BatchRef, Error, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, MaxPlus,
    MinPlus, NO_ARG, OrAnd, Par, Semiring, TilingParams, argmax_backward_batched, gemm,
    gemm_argmax_batched, gemm_batched, gemm_raw, gemm_with, tuning,
};

fn config(level: IsaLevel) -> GemmConfig {
    GemmConfig::default().with_isa(level)
}

/// Item 1: broadcast views (one element, zero strides) of a depth whose
/// packed copy cannot exist. The direct path sized its packed B as
/// width·k unchecked (wrapping to 1024 bytes for bool at k = 2^55 + 1,
/// then writing 1024·k bytes into it); now every level returns an error
/// before writing.
#[test]
fn broadcast_depths_past_memory_are_refused() {
    /// One element standing for 1×k by k×1 at `level`: an error, C as it was.
    fn refused<S: Semiring>(level: IsaLevel, k: usize, x: S::Scalar, c0: S::Scalar)
    where
        S::Scalar: PartialEq + std::fmt::Debug,
    {
        let one = [x];
        let mut c = [c0];
        let result = gemm_with::<S>(
            &mut GemmWorkspace::new(),
            &config(level),
            MatRef::new(&one, 1, k, 0, 0).unwrap(),
            MatRef::new(&one, k, 1, 0, 0).unwrap(),
            MatMut::row_major(&mut c, 1, 1).unwrap(),
            Accum::Replace,
        );
        assert!(
            matches!(
                result,
                Err(Error::WorkspaceTooLarge { .. } | Error::LayoutOverflow)
            ),
            "{level} k = {k}: {result:?}"
        );
        assert_eq!(c, [c0]);
    }
    for level in available_levels("broadcast_depths_past_memory_are_refused") {
        for k in [(1usize << 55) + 1, 1 << 40] {
            refused::<OrAnd>(level, k, true, false);
            refused::<MaxPlus<f32>>(level, k, 1.0, 9.0);
            refused::<MinPlus<i16>>(level, k, 1, 9);
        }
    }
}

/// Item 2: a dot product (1×k by k×1) packed B 256 columns wide on
/// AVX-512 (256·k·4 bytes: 256 MiB for 2 MiB of operands at k = 2^18).
/// The direct tile is now no wider than the product needs, so the
/// workspace stays within a fixed multiple of the operands.
#[test]
fn thin_products_pack_within_a_multiple_of_their_operands() {
    let k = 1usize << 18;
    let a: Vec<f32> = (0..k).map(|p| (p % 97) as f32).collect();
    let b: Vec<f32> = (0..k).map(|p| (p % 89) as f32 * 0.5).collect();
    let want = (0..k)
        .map(|p| a[p] + b[p])
        .fold(f32::NEG_INFINITY, f32::max);
    for level in available_levels("thin_products_pack_within_a_multiple_of_their_operands") {
        for (m, n) in [(1, 1), (1, 3), (3, 1), (2, 2)] {
            let av = MatRef::new(&a, m, k, 0, 1).unwrap(); // m equal rows
            let bv = MatRef::new(&b, k, n, 1, 0).unwrap(); // n equal columns
            let mut c = vec![0.0f32; m * n];
            let mut ws = GemmWorkspace::new();
            let cfg = config(level).with_par(Par::Rayon(2));
            gemm_with::<MaxPlus<f32>>(
                &mut ws,
                &cfg,
                av,
                bv,
                MatMut::row_major(&mut c, m, n).unwrap(),
                Accum::Replace,
            )
            .unwrap();
            assert!(c.iter().all(|&x| x == want), "{level} {m}x{k}x{n}");
            let operands = (m + n) * k * 4;
            assert!(
                ws.allocated_bytes() <= 32 * operands,
                "{level} {m}x{k}x{n}: {} workspace bytes for {operands} bytes of operands",
                ws.allocated_bytes()
            );
        }
    }
}

/// Item 3: two reaches near −2^127 whose sum overflowed i128 (a panic in
/// debug builds, a wrapped `Ok` for a 1-element slice in release builds).
#[test]
fn view_constructors_refuse_reach_sums_past_i128() {
    let data = [1.0f32];
    let (rows, cols) = (5, usize::MAX);
    let (rs, cs) = (isize::MIN, isize::MIN);
    assert_eq!(
        MatRef::new(&data, rows, cols, rs, cs).err(),
        Some(Error::LayoutOverflow)
    );
    let mut out = [1.0f32];
    assert_eq!(
        MatMut::new(&mut out, rows, cols, rs, cs).err(),
        Some(Error::LayoutOverflow)
    );
    assert_eq!(
        BatchRef::new(&data, 2, 1, rows, cols, rs, cs).err(),
        Some(Error::LayoutOverflow)
    );
    assert_eq!(
        BatchMut::new(&mut out, 2, 1, rows, cols, rs, cs).err(),
        Some(Error::LayoutOverflow)
    );
    let b = [1.0f32];
    // SAFETY: the layout check fails before any pointer is read or written
    // (gemm_raw's contract: an overflowing span is an error).
    let result = unsafe {
        gemm_raw::<MaxPlus<f32>>(
            rows,
            cols,
            1,
            data.as_ptr(),
            rs,
            cs,
            b.as_ptr(),
            1,
            1,
            out.as_mut_ptr(),
            1,
            1,
            Accum::Replace,
        )
    };
    assert_eq!(result, Err(Error::LayoutOverflow));
    assert_eq!(out, [1.0]);
}

/// Items 4 and 10: batches of broadcast inputs (batch stride 0) have no
/// bound on their count from the slice: the calls check each distinct
/// item once, allocate nothing per item, and return at once when no item
/// has an output.
#[test]
fn broadcast_batches_of_any_count_return_at_once() {
    let one = [1.0f32; 4];
    let none = [NO_ARG; 4];
    for count in [1usize << 40, usize::MAX] {
        let started = Instant::now();
        let a = BatchRef::new(&one, count, 0, 2, 2, 2, 1).unwrap();
        let b = BatchRef::new(&one, count, 0, 2, 2, 2, 1).unwrap();
        let argk = BatchRef::new(&none, count, 0, 2, 2, 2, 1).unwrap();
        // No gradient to write: the call checks the one distinct argk.
        assert_eq!(
            argmax_backward_batched::<MaxPlus<f32>>(a, b, argk, a, None, None),
            Ok(())
        );
        // Empty outputs (m = 0): nothing to compute for any item.
        let a0 = BatchRef::new(&one, count, 0, 0, 2, 2, 1).unwrap();
        let mut empty: [f32; 0] = [];
        let mut empty_k: [u32; 0] = [];
        let c0 = BatchMut::new(&mut empty, count, 0, 0, 2, 2, 1).unwrap();
        assert_eq!(
            gemm_batched::<MaxPlus<f32>>(a0, b, c0, Accum::Replace),
            Ok(())
        );
        let c0 = BatchMut::new(&mut empty, count, 0, 0, 2, 2, 1).unwrap();
        let k0 = BatchMut::new(&mut empty_k, count, 0, 0, 2, 2, 1).unwrap();
        assert_eq!(
            gemm_argmax_batched::<MaxPlus<f32>>(a0, b, c0, k0, Accum::Replace),
            Ok(())
        );
        assert!(started.elapsed() < Duration::from_secs(2), "count {count}");
    }
    // A bad index in a broadcast argk is still found.
    let bad = [7u32; 4];
    let a = BatchRef::new(&one, 1 << 40, 0, 2, 2, 2, 1).unwrap();
    let argk = BatchRef::new(&bad, 1 << 40, 0, 2, 2, 2, 1).unwrap();
    assert!(matches!(
        argmax_backward_batched::<MaxPlus<f32>>(a, a, argk, a, None, None),
        Err(Error::IndexOutOfRange { index: 7, .. })
    ));
}

/// Item 5: a user `accepts_input` that answers differently when asked
/// again made the column-wise scan's `expect` panic. (The trait asks for
/// a pure function; one that is not gets one of two answers, never a
/// panic.)
#[test]
fn an_impure_input_check_never_panics() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    struct Fickle;
    impl Semiring for Fickle {
        type Scalar = i32;
        const ZERO: i32 = i32::MIN;
        const ONE: i32 = 0;
        const RESTRICTS_INPUT: bool = true;
        fn add(acc: i32, x: i32) -> i32 {
            acc.max(x)
        }
        fn mul(a: i32, b: i32) -> i32 {
            a.saturating_add(b)
        }
        /// Refuses 5 the first two times it sees it (the scan asks twice), and
        /// nothing after.
        fn accepts_input(x: i32) -> bool {
            x != 5 || CALLS.fetch_add(1, Ordering::Relaxed) > 1
        }
    }
    let a = [1, 2, 3, 4, 5, 6]; // 3×2 column-major: the column-wise scan
    let mut c = [0i32; 9];
    let result = gemm::<Fickle>(
        MatRef::col_major(&a, 3, 2).unwrap(),
        MatRef::row_major(&a, 2, 3).unwrap(),
        MatMut::row_major(&mut c, 3, 3).unwrap(),
        Accum::Replace,
    );
    // Either answer is allowed for a check that contradicts itself; a
    // panic, or a half-written C, is not.
    match result {
        Err(Error::ValueOutOfRange { .. }) => assert_eq!(c, [0; 9]),
        Ok(()) => {
            let want: Vec<i32> = (0..9)
                .map(|at| {
                    let (i, j) = (at / 3, at % 3);
                    (0..2).map(|p| a[p * 3 + i] + a[p * 3 + j]).max().unwrap()
                })
                .collect();
            assert_eq!(c.to_vec(), want);
        }
        other => panic!("{other:?}"),
    }
}

/// Item 6: the public tiling helpers clamped with a minimum above the
/// maximum (a panic) for large tiles.
#[test]
fn tiling_helpers_take_any_tile_size() {
    for (mr, nr) in [
        (1024, 16),
        (4, 1024),
        (1 << 20, 1 << 20),
        (usize::MAX, usize::MAX),
    ] {
        for t in [
            tuning::cache_derived_tiling(4, mr, nr),
            tuning::cache_derived_tiling(usize::MAX, mr, nr),
            TilingParams::for_problem(100, 100, 100, mr, nr),
            TilingParams::for_problem(usize::MAX, usize::MAX, usize::MAX, mr, nr),
        ] {
            assert!(t.mc >= 1 && t.kc >= 1 && t.nc >= 1, "{mr}x{nr}: {t:?}");
        }
    }
}

/// Item 7: `gemm` called from a thread-local's destructor after the
/// crate's own per-thread workspace was destroyed (`LocalKey::with`
/// panicked there, which aborts the process).
#[test]
fn gemm_runs_in_a_thread_local_destructor() {
    static RESULT: AtomicUsize = AtomicUsize::new(0);
    struct MultipliesOnDrop;
    impl Drop for MultipliesOnDrop {
        fn drop(&mut self) {
            let a = [1.0f32, 2.0, 3.0, 4.0];
            let mut c = [0.0f32; 4];
            let ok = gemm::<MaxPlus<f32>>(
                MatRef::row_major(&a, 2, 2).unwrap(),
                MatRef::row_major(&a, 2, 2).unwrap(),
                MatMut::row_major(&mut c, 2, 2).unwrap(),
                Accum::Replace,
            )
            .is_ok();
            RESULT.store(
                if ok && c == [5.0, 6.0, 7.0, 8.0] {
                    1
                } else {
                    2
                },
                Ordering::SeqCst,
            );
        }
    }
    thread_local! {
        static LAST: MultipliesOnDrop = const { MultipliesOnDrop };
    }
    std::thread::spawn(|| {
        // Registered first, so destroyed after the workspace that the
        // `gemm` call below registers (destructors run in reverse).
        LAST.with(|_| ());
        let a = [1.0f32];
        let mut c = [0.0f32];
        gemm::<MaxPlus<f32>>(
            MatRef::row_major(&a, 1, 1).unwrap(),
            MatRef::row_major(&a, 1, 1).unwrap(),
            MatMut::row_major(&mut c, 1, 1).unwrap(),
            Accum::Replace,
        )
        .unwrap();
    })
    .join()
    .unwrap();
    assert_eq!(RESULT.load(Ordering::SeqCst), 1);
}

/// Item 8: the documented requirement is an associative ⊕ with identity
/// ZERO; commutativity is not needed. "The first non-ZERO product" is
/// associative and not commutative: any reordering of k, in the blocks or
/// across threads, would show.
#[test]
fn an_associative_non_commutative_add_gives_the_fold() {
    struct FirstNonZero;
    impl Semiring for FirstNonZero {
        type Scalar = u32;
        const ZERO: u32 = 0;
        const ONE: u32 = 1;
        fn add(acc: u32, x: u32) -> u32 {
            if acc == 0 { x } else { acc }
        }
        fn mul(a: u32, b: u32) -> u32 {
            a.wrapping_mul(b)
        }
    }
    let (m, k, n) = (37, 300, 29);
    let a: Vec<u32> = (0..m * k).map(|i| ((i * 7919) % 11) as u32 % 3).collect();
    let b: Vec<u32> = (0..k * n)
        .map(|i| ((i * 104_729) % 13) as u32 % 4 * 5)
        .collect();
    let c0: Vec<u32> = (0..m * n).map(|i| (i % 2) as u32 * 9).collect();
    for accum in [Accum::Replace, Accum::Combine] {
        let want: Vec<u32> = (0..m * n)
            .map(|at| {
                let (i, j) = (at / n, at % n);
                let acc = (0..k).fold(0, |acc, p| {
                    FirstNonZero::add(acc, a[i * k + p] * b[p * n + j])
                });
                match accum {
                    Accum::Replace => acc,
                    Accum::Combine => FirstNonZero::add(c0[at], acc),
                }
            })
            .collect();
        for (tiling, par) in [
            (None, Par::Seq),
            (Some(TilingParams::new(8, 17, 12)), Par::Seq),
            (Some(TilingParams::new(8, 17, 12)), Par::Rayon(3)),
            (Some(TilingParams::new(64, 1, 64)), Par::Rayon(2)),
        ] {
            let mut cfg = GemmConfig::default().with_par(par);
            if let Some(t) = tiling {
                cfg = cfg.with_tiling(t);
            }
            let mut c = c0.clone();
            gemm_with::<FirstNonZero>(
                &mut GemmWorkspace::new(),
                &cfg,
                MatRef::row_major(&a, m, k).unwrap(),
                MatRef::row_major(&b, k, n).unwrap(),
                MatMut::row_major(&mut c, m, n).unwrap(),
                accum,
            )
            .unwrap();
            assert_eq!(c, want, "{accum:?} {tiling:?} {par:?}");
        }
    }
}

/// Item 9: where B is read in place (the direct path), the tile stepped
/// its B pointer one stride past the last depth with `offset`: out of the
/// allocation (below it for a negative row stride), undefined behaviour
/// even unread. It steps with `wrapping_offset` now; this covers the case
/// (B in place, negative row stride, starting at its slice's first
/// element) at every level and checks the result.
#[test]
fn in_place_b_with_a_negative_row_stride() {
    let (m, k, n) = (3, 5, 64);
    let a: Vec<f32> = (0..m * k).map(|i| i as f32).collect();
    let b: Vec<f32> = (0..k * n).map(|i| (i % 7) as f32).collect();
    // Row p of the view is row k-1-p of the slice.
    let bv = MatRef::new(&b, k, n, -(n as isize), 1).unwrap();
    for level in available_levels("in_place_b_with_a_negative_row_stride") {
        let mut c = vec![0.0f32; m * n];
        gemm_with::<MaxPlus<f32>>(
            &mut GemmWorkspace::new(),
            &config(level),
            MatRef::row_major(&a, m, k).unwrap(),
            bv,
            MatMut::row_major(&mut c, m, n).unwrap(),
            Accum::Replace,
        )
        .unwrap();
        for i in 0..m {
            for j in 0..n {
                let want = (0..k)
                    .map(|p| a[i * k + p] + b[(k - 1 - p) * n + j])
                    .fold(f32::NEG_INFINITY, f32::max);
                assert_eq!(c[i * n + j], want, "{level} ({i}, {j})");
            }
        }
    }
}

/// A product with no output reads and packs nothing, so its depth does
/// not matter: m = 0 (or n = 0) with a broadcast operand of depth 2^50
/// failed the packed-size check (and, had it passed, an integer B would
/// have been scanned for hours); now every form returns at once.
#[test]
fn products_with_no_output_accept_any_depth() {
    let deep = 1usize << 50;
    let (one_f, one_i) = ([1.0f32], [1i32]);
    let (mut c_f, mut c_i, mut argk) = ([0.0f32; 0], [0i32; 0], [0u32; 0]);
    for (m, n) in [(0, 3), (3, 0)] {
        let (a, b) = (
            MatRef::new(&one_f, m, deep, 0, 0).unwrap(),
            MatRef::new(&one_f, deep, n, 0, 0).unwrap(),
        );
        let (ai, bi) = (
            MatRef::new(&one_i, m, deep, 0, 0).unwrap(),
            MatRef::new(&one_i, deep, n, 0, 0).unwrap(),
        );
        gemm::<MaxPlus<f32>>(
            a,
            b,
            MatMut::new(&mut c_f, m, n, 1, 1).unwrap(),
            Accum::Replace,
        )
        .unwrap();
        gemm::<MinPlus<i32>>(
            ai,
            bi,
            MatMut::new(&mut c_i, m, n, 1, 1).unwrap(),
            Accum::Combine,
        )
        .unwrap();
        tropical_blas::gemm_argmax::<MaxPlus<f32>>(
            a,
            b,
            MatMut::new(&mut c_f, m, n, 1, 1).unwrap(),
            MatMut::new(&mut argk, m, n, 1, 1).unwrap(),
            Accum::Replace,
        )
        .unwrap();
        tropical_blas::gemm_batched_views::<MinPlus<i32>>(
            &[ai],
            &[bi],
            &mut [MatMut::new(&mut c_i, m, n, 1, 1).unwrap()],
            Accum::Replace,
        )
        .unwrap();
        gemm_batched::<MinPlus<i32>>(
            BatchRef::new(&one_i, 4, 0, m, deep, 0, 0).unwrap(),
            BatchRef::new(&one_i, 4, 0, deep, n, 0, 0).unwrap(),
            BatchMut::new(&mut c_i, 4, 0, m, n, 1, 1).unwrap(),
            Accum::Replace,
        )
        .unwrap();
        gemm_argmax_batched::<MaxPlus<f32>>(
            BatchRef::new(&one_f, 4, 0, m, deep, 0, 0).unwrap(),
            BatchRef::new(&one_f, 4, 0, deep, n, 0, 0).unwrap(),
            BatchMut::new(&mut c_f, 4, 0, m, n, 1, 1).unwrap(),
            BatchMut::new(&mut argk, 4, 0, m, n, 1, 1).unwrap(),
            Accum::Replace,
        )
        .unwrap();
    }
}
