//! Differential fuzzer over the public entry points: a random built-in
//! semiring, shapes 0..=70 (and some larger), random layouts (negative,
//! padded, transposed, broadcast zero strides), `Accum`, ISA levels,
//! thread counts 1-3, tilings and workspace reuse. Every call is compared
//! bit for bit with the reference, over the whole buffer (guard cells
//! included), or must return an `Error` and leave every output as it was.
//! Adversarial cases probe the constructors and the batched entries with
//! sizes, strides and counts near the overflow boundaries.
//!
//! `TROPICAL_BLAS_FUZZ_CASES` sets the number of cases (default 2000, 200
//! under `TROPICAL_BLAS_TEST_QUICK=1`), `TROPICAL_BLAS_FUZZ_SEED` the first
//! seed (default 0); case i uses seed first + i, so a failure reported
//! with its seed reruns alone with that seed and one case.

#[path = "fuzz/adversarial.rs"]
mod adversarial;
mod common;
#[path = "fuzz/storage.rs"]
mod storage;

use adversarial::{adversarial_batches, adversarial_views, huge_k_case};
use storage::{Cell, Strided, operand};

use std::ops::{Add, Mul};
use std::time::Instant;

use common::{Dense, GUARD, Rng, TestScalar, available_levels, quick, reference, reference_arg};
use tropical_blas::{
    Accum, DifferentiableSemiring, Error, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MaxMin,
    MaxMul, MaxPlus, MinMax, MinPlus, NO_ARG, OrAnd, Par, SelectingSemiring, Semiring,
    TilingParams, argmax_backward, argmax_backward_batched, gemm, gemm_argmax,
    gemm_argmax_batched_with, gemm_argmax_with, gemm_batched_views, gemm_batched_with, gemm_raw,
    gemm_with,
};

/// What every case gets: the levels this CPU runs and a workspace that
/// lives across cases (replaced now and then).
struct Ctx {
    levels: Vec<IsaLevel>,
    ws: GemmWorkspace,
}

type Case = fn(&mut Rng, &mut Ctx);

macro_rules! cases {
    ($($s:ty: [$($f:ident),*];)*) => {
        &[$($((concat!(stringify!($f), " ", stringify!($s)), $f::<$s> as Case),)*)*]
    };
}

const SEMIRING_CASES: &[(&str, Case)] = cases! {
    MaxPlus<f32>: [value_case, arg_case, backward_case];
    MinPlus<f32>: [value_case, arg_case, backward_case];
    MaxMul<f32>: [value_case, arg_case, backward_case];
    MaxMin<f32>: [value_case, arg_case, backward_case];
    MinMax<f32>: [value_case, arg_case, backward_case];
    MaxPlus<f64>: [value_case, arg_case, backward_case];
    MinPlus<f64>: [value_case, arg_case];
    MaxMul<f64>: [value_case];
    MaxMin<f64>: [value_case, arg_case];
    MinMax<f64>: [value_case];
    MaxPlus<i32>: [value_case, arg_case, huge_k_case];
    MinPlus<i32>: [value_case, arg_case];
    MaxMin<i32>: [value_case, arg_case];
    MinMax<i32>: [value_case];
    MaxPlus<i64>: [value_case, arg_case];
    MinPlus<i64>: [value_case, arg_case];
    MaxMin<i64>: [value_case];
    MinMax<i64>: [value_case, arg_case];
    MaxPlus<i16>: [value_case, arg_case, huge_k_case];
    MinPlus<i16>: [value_case, arg_case];
    MaxMin<i16>: [value_case, arg_case];
    MinMax<i16>: [value_case, arg_case];
    OrAnd: [value_case, value_case, huge_k_case];
    MaxPlus<f32>: [huge_k_case];
    MinMax<f64>: [huge_k_case];
};

const ADVERSARIAL_CASES: &[(&str, Case)] = &[
    ("adversarial views", adversarial_views),
    ("adversarial batches", adversarial_batches),
];

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[test]
fn differential_fuzz() {
    let first = env_u64("TROPICAL_BLAS_FUZZ_SEED").unwrap_or(0);
    let default = if quick() { 200 } else { 2000 };
    let count = env_u64("TROPICAL_BLAS_FUZZ_CASES").unwrap_or(default);
    let mut ctx = Ctx {
        levels: available_levels("differential_fuzz"),
        ws: GemmWorkspace::new(),
    };
    let started = Instant::now();
    for seed in first..first + count {
        let mut rng = Rng::new(seed);
        if rng.below(16) == 0 {
            ctx.ws = GemmWorkspace::new();
        }
        let (name, case) = if rng.below(10) == 0 {
            ADVERSARIAL_CASES[rng.below(ADVERSARIAL_CASES.len() as u64) as usize]
        } else {
            SEMIRING_CASES[rng.below(SEMIRING_CASES.len() as u64) as usize]
        };
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(&mut rng, &mut ctx)));
        if outcome.is_err() {
            panic!(
                "fuzz case failed: {name}, seed {seed} (rerun: TROPICAL_BLAS_FUZZ_SEED={seed} TROPICAL_BLAS_FUZZ_CASES=1)"
            );
        }
    }
    println!(
        "differential_fuzz: {count} cases, seeds {first}..{}, {:.1} s",
        first + count,
        started.elapsed().as_secs_f64()
    );
}

// ---- configurations ----------------------------------------------------

/// m, k, n: mostly small, sometimes empty, now and then one large extent.
fn shape(rng: &mut Rng) -> (usize, usize, usize) {
    let dim = |rng: &mut Rng| match rng.below(12) {
        0 => 0,
        1..=5 => 1 + rng.below(16) as usize,
        6..=10 => rng.below(71) as usize,
        _ => 71 + rng.below(230) as usize,
    };
    let (mut m, mut k, mut n) = (dim(rng), dim(rng), dim(rng));
    while m * k * n > 2_000_000 {
        let big = m.max(k).max(n);
        if m == big {
            m /= 2
        } else if k == big {
            k /= 2
        } else {
            n /= 2
        }
    }
    (m, k, n)
}

fn config(rng: &mut Rng, levels: &[IsaLevel]) -> GemmConfig {
    let level = levels[rng.below(levels.len() as u64) as usize];
    let par = match rng.below(5) {
        0 => Par::Seq,
        x => Par::Rayon(x as usize - 1),
    };
    let mut cfg = GemmConfig::default().with_isa(level).with_par(par);
    if rng.below(4) == 0 {
        let mut block = |top: u64| 1 + rng.below(top) as usize;
        let tiling = TilingParams::new(block(80), block(80), block(100));
        let small = [0, 1000, 70 * 70 * 70][rng.below(3) as usize];
        cfg = cfg.with_tiling(tiling.with_small_ops(small));
    }
    cfg
}

fn accum(rng: &mut Rng) -> Accum {
    if rng.below(2) == 0 {
        Accum::Replace
    } else {
        Accum::Combine
    }
}

/// An input value: valid for `S`, or (one in `raw_odds`) any sample, which
/// the integer semirings may refuse.
fn input_value<S: Semiring>(rng: &mut Rng, raw_odds: u64) -> S::Scalar
where
    S::Scalar: TestScalar,
{
    let x = S::Scalar::sample(rng);
    if S::accepts_input(x) || (raw_odds > 0 && rng.below(raw_odds) == 0) {
        x
    } else {
        S::ZERO
    }
}

fn refused<S: Semiring>(items: &[Dense<S::Scalar>]) -> bool {
    items
        .iter()
        .any(|d| d.data.iter().any(|&x| !S::accepts_input(x)))
}

/// Whether a product of these factors is refused for its inputs: one
/// with no output (m = 0 or n = 0) reads neither, so it never is.
fn refuses<S: Semiring>(
    a: &[Dense<S::Scalar>],
    b: &[Dense<S::Scalar>],
    m: usize,
    n: usize,
) -> bool {
    m > 0 && n > 0 && (refused::<S>(a) || refused::<S>(b))
}

/// The buffer `out` must hold: its items replaced by `want`.
fn expected_buffer<T: Copy>(out: &Strided<T>, want: &[Dense<T>]) -> Vec<T> {
    let mut buf = out.buf.clone();
    for (item, d) in want.iter().enumerate() {
        for i in 0..out.rows {
            for j in 0..out.cols {
                buf[out.index(item, i, j)] = d.at(i, j);
            }
        }
    }
    buf
}

fn assert_bits<T: Cell>(got: &[T], want: &[T], what: &str) {
    assert_eq!(got.len(), want.len());
    for (idx, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            g.cell_bits() == w.cell_bits(),
            "{what}: buffer index {idx}: got {g:?}, want {w:?}"
        );
    }
}

// ---- value products ------------------------------------------------------

fn value_case<S: Semiring>(rng: &mut Rng, ctx: &mut Ctx)
where
    S::Scalar: TestScalar,
{
    let entry = rng.below(5);
    if entry == 4 {
        return views_case::<S>(rng, ctx);
    }
    let (m, k, n) = shape(rng);
    let count = if entry == 3 { rng.below(5) as usize } else { 1 };
    let cfg = config(rng, &ctx.levels);
    let acc = accum(rng);
    let c_rows = if entry != 2 && rng.below(25) == 0 {
        m + 1
    } else {
        m
    };
    let (a, a_items) = operand(rng, count, (m, k), true, &mut |r| input_value::<S>(r, 40));
    let (b, b_items) = operand(rng, count, (k, n), true, &mut |r| input_value::<S>(r, 40));
    let (mut c, c_items) = operand(rng, count, (c_rows, n), false, &mut |r| {
        S::Scalar::sample(r)
    });
    let before = c.buf.clone();
    let result = match entry {
        0 => gemm_with::<S>(&mut ctx.ws, &cfg, a.mat(), b.mat(), c.mat_mut(), acc),
        1 => gemm::<S>(a.mat(), b.mat(), c.mat_mut(), acc),
        2 => {
            let (rsa, csa) = (a.strides.1, a.strides.2);
            let (rsb, csb) = (b.strides.1, b.strides.2);
            let (rsc, csc) = (c.strides.1, c.strides.2);
            let (pa, pb) = (a.buf[a.origin..].as_ptr(), b.buf[b.origin..].as_ptr());
            let pc = c.origin_ptr();
            // SAFETY: each pointer is element (0, 0) of a layout whose whole
            // span lies in its own initialized buffer; C's buffer is
            // separate from A's and B's.
            unsafe { gemm_raw::<S>(m, k, n, pa, rsa, csa, pb, rsb, csb, pc, rsc, csc, acc) }
        }
        _ => gemm_batched_with::<S>(&mut ctx.ws, &cfg, a.batch(), b.batch(), c.batch_mut(), acc),
    };
    if c_rows != m {
        assert!(
            matches!(result, Err(Error::DimensionMismatch { .. })),
            "{result:?}"
        );
        return assert_bits(&c.buf, &before, "C after a dimension mismatch");
    }
    if refuses::<S>(&a_items, &b_items, m, n) {
        assert!(
            matches!(result, Err(Error::ValueOutOfRange { .. })),
            "{result:?}"
        );
        return assert_bits(&c.buf, &before, "C after a refused input");
    }
    assert_eq!(result, Ok(()), "m={m} k={k} n={n} count={count} {cfg:?}");
    let want: Vec<_> = (0..count)
        .map(|i| reference::<S>(&a_items[i], &b_items[i], &c_items[i], acc))
        .collect();
    assert_bits(&c.buf, &expected_buffer(&c, &want), "values");
}

/// `gemm_batched_views`: items of their own shapes and layouts.
fn views_case<S: Semiring>(rng: &mut Rng, _ctx: &mut Ctx)
where
    S::Scalar: TestScalar,
{
    let count = rng.below(5) as usize;
    let acc = accum(rng);
    let mut items = Vec::new();
    for _ in 0..count {
        let (m, k, n) = shape(rng);
        let (a, a_items) = operand(rng, 1, (m, k), true, &mut |r| input_value::<S>(r, 200));
        let (b, b_items) = operand(rng, 1, (k, n), true, &mut |r| input_value::<S>(r, 200));
        let (c, c_items) = operand(rng, 1, (m, n), false, &mut |r| S::Scalar::sample(r));
        let want = reference::<S>(&a_items[0], &b_items[0], &c_items[0], acc);
        let bad = refuses::<S>(&a_items, &b_items, m, n);
        items.push((a, b, c, want, bad));
    }
    let before: Vec<_> = items.iter().map(|item| item.2.buf.clone()).collect();
    let (a_views, b_views): (Vec<_>, Vec<_>) = items.iter().map(|x| (x.0.mat(), x.1.mat())).unzip();
    let mut c_stores: Vec<_> = items.iter().map(|x| x.2.buf.clone()).collect();
    let mut c_views: Vec<_> = items
        .iter()
        .zip(c_stores.iter_mut())
        .map(|(x, buf)| {
            let (_, rs, cs) = x.2.strides;
            MatMut::new(
                &mut buf[GUARD..GUARD + x.2.span],
                x.2.rows,
                x.2.cols,
                rs,
                cs,
            )
            .unwrap()
        })
        .collect();
    let result = gemm_batched_views::<S>(&a_views, &b_views, &mut c_views, acc);
    drop(c_views);
    if items.iter().any(|x| x.4) {
        assert!(
            matches!(result, Err(Error::ValueOutOfRange { .. })),
            "{result:?}"
        );
        for (got, want) in c_stores.iter().zip(&before) {
            assert_bits(got, want, "views after a refused input");
        }
        return;
    }
    assert_eq!(result, Ok(()));
    for (x, got) in items.iter().zip(&c_stores) {
        assert_bits(
            got,
            &expected_buffer(&x.2, std::slice::from_ref(&x.3)),
            "views",
        );
    }
}

// ---- argmax products -----------------------------------------------------

fn arg_case<S: SelectingSemiring>(rng: &mut Rng, ctx: &mut Ctx)
where
    S::Scalar: TestScalar,
{
    let entry = rng.below(3);
    let (m, k, n) = shape(rng);
    let count = if entry == 2 { rng.below(5) as usize } else { 1 };
    let cfg = config(rng, &ctx.levels);
    let acc = accum(rng);
    let (a, a_items) = operand(rng, count, (m, k), true, &mut |r| input_value::<S>(r, 60));
    let (b, b_items) = operand(rng, count, (k, n), true, &mut |r| input_value::<S>(r, 60));
    let (mut c, c_items) = operand(rng, count, (m, n), false, &mut |r| S::Scalar::sample(r));
    let index = |r: &mut Rng| {
        if r.below(4) == 0 {
            NO_ARG
        } else {
            r.below(k as u64 + 1) as u32
        }
    };
    let (mut argk, argk_items) = operand(rng, count, (m, n), false, &mut { index });
    let (c_before, argk_before) = (c.buf.clone(), argk.buf.clone());
    let result = match entry {
        0 => gemm_argmax_with::<S>(
            &mut ctx.ws,
            &cfg,
            a.mat(),
            b.mat(),
            c.mat_mut(),
            argk.mat_mut(),
            acc,
        ),
        1 => gemm_argmax::<S>(a.mat(), b.mat(), c.mat_mut(), argk.mat_mut(), acc),
        _ => gemm_argmax_batched_with::<S>(
            &mut ctx.ws,
            &cfg,
            a.batch(),
            b.batch(),
            c.batch_mut(),
            argk.batch_mut(),
            acc,
        ),
    };
    if refuses::<S>(&a_items, &b_items, m, n) {
        assert!(
            matches!(result, Err(Error::ValueOutOfRange { .. })),
            "{result:?}"
        );
        assert_bits(&c.buf, &c_before, "C after a refused input");
        return assert_bits(&argk.buf, &argk_before, "argk after a refused input");
    }
    assert_eq!(result, Ok(()), "m={m} k={k} n={n} count={count} {cfg:?}");
    let (mut want_c, mut want_k) = (Vec::new(), Vec::new());
    for i in 0..count {
        let (v, idx) =
            reference_arg::<S>(&a_items[i], &b_items[i], &c_items[i], &argk_items[i], acc);
        want_c.push(v);
        want_k.push(idx);
    }
    assert_bits(&c.buf, &expected_buffer(&c, &want_c), "argmax values");
    assert_bits(
        &argk.buf,
        &expected_buffer(&argk, &want_k),
        "argmax indices",
    );
}

// ---- backward pass -------------------------------------------------------

fn backward_case<S: DifferentiableSemiring>(rng: &mut Rng, _ctx: &mut Ctx)
where
    S::Scalar: TestScalar + Add<Output = S::Scalar> + Mul<Output = S::Scalar>,
{
    let batched = rng.below(2) == 0;
    let (m, k, n) = shape(rng);
    let count = if batched { rng.below(5) as usize } else { 1 };
    let bad_index = rng.below(20) == 0 && m * n > 0;
    let (a, a_items) = operand(rng, count, (m, k), true, &mut |r| input_value::<S>(r, 0));
    let (b, b_items) = operand(rng, count, (k, n), true, &mut |r| input_value::<S>(r, 0));
    let index = |r: &mut Rng| match r.below(5) {
        0 => NO_ARG,
        _ if k == 0 => NO_ARG,
        _ => r.below(k as u64) as u32,
    };
    let (mut argk, mut argk_items) = operand(rng, count, (m, n), true, &mut { index });
    if bad_index && count > 0 {
        // One index past k, in every item (a broadcast argk shares it).
        let bad = k as u32 + rng.below(3) as u32;
        for (item, d) in argk_items.iter_mut().enumerate() {
            d.data.fill(bad);
            argk.write(item, d);
        }
    }
    let (grad_c, gc_items) = operand(rng, count, (m, n), true, &mut |r| S::Scalar::sample(r));
    let grad = |rng: &mut Rng, shape| {
        (rng.below(4) != 0)
            .then(|| operand(rng, count, shape, false, &mut |r| S::Scalar::sample(r)))
    };
    let mut ga = grad(rng, (m, k));
    let mut gb = grad(rng, (k, n));
    let before: Vec<Vec<S::Scalar>> = [&ga, &gb]
        .iter()
        .flat_map(|g| g.as_ref().map(|g| g.0.buf.clone()))
        .collect();
    let result = if batched {
        argmax_backward_batched::<S>(
            a.batch(),
            b.batch(),
            argk.batch(),
            grad_c.batch(),
            ga.as_mut().map(|g| g.0.batch_mut()),
            gb.as_mut().map(|g| g.0.batch_mut()),
        )
    } else {
        argmax_backward::<S>(
            a.mat(),
            b.mat(),
            argk.mat(),
            grad_c.mat(),
            ga.as_mut().map(|g| g.0.mat_mut()),
            gb.as_mut().map(|g| g.0.mat_mut()),
        )
    };
    let after: Vec<Vec<S::Scalar>> = [&ga, &gb]
        .iter()
        .flat_map(|g| g.as_ref().map(|g| g.0.buf.clone()))
        .collect();
    if bad_index && count > 0 {
        assert!(
            matches!(result, Err(Error::IndexOutOfRange { .. })),
            "{result:?}"
        );
        for (got, want) in after.iter().zip(&before) {
            assert_bits(got, want, "gradients after a bad index");
        }
        return;
    }
    assert_eq!(result, Ok(()), "m={m} k={k} n={n} count={count}");
    for item in 0..count {
        let (x, y, idx, g) = (
            &a_items[item],
            &b_items[item],
            &argk_items[item],
            &gc_items[item],
        );
        let mut da = ga.as_ref().map(|s| s.1[item].clone());
        let mut db = gb.as_ref().map(|s| s.1[item].clone());
        for i in 0..m {
            for j in 0..n {
                let p = idx.at(i, j);
                if p == NO_ARG {
                    continue;
                }
                let p = p as usize;
                let (pa, pb) = S::mul_partials(x.at(i, p), y.at(p, j));
                if let Some(d) = da.as_mut() {
                    d.data[i * k + p] = d.data[i * k + p] + g.at(i, j) * pa;
                }
                if let Some(d) = db.as_mut() {
                    d.data[p * n + j] = d.data[p * n + j] + g.at(i, j) * pb;
                }
            }
        }
        for (store, want) in [(&ga, da), (&gb, db)] {
            if let (Some(store), Some(want)) = (store, want) {
                assert_eq!(store.0.read(item).data.len(), want.data.len());
                // Bitwise, except that any NaN matches any NaN: the sums
                // are plain float arithmetic, whose NaN payload Rust does
                // not fix (the compiler may swap an addition's operands).
                for (&got, &w) in store.0.read(item).data.iter().zip(&want.data) {
                    #[allow(clippy::eq_op)] // NaN alone is unequal to itself
                    let nan = |x: S::Scalar| x != x;
                    assert!(
                        got.bits() == w.bits() || (nan(got) && nan(w)),
                        "gradient item {item}: got {got:?}, want {w:?}"
                    );
                }
            }
        }
    }
}
