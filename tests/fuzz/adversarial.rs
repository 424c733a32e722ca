//! The fuzzer's cases at the edges: broadcast depths, and constructors
//! and batched entries with sizes near the overflow boundaries.

use std::time::{Duration, Instant};

use super::{Ctx, input_value};
use crate::common::{Rng, TestScalar};
use tropical_blas::{
    Accum, BatchMut, BatchRef, Error, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, MaxPlus,
    NO_ARG, Semiring, argmax_backward_batched, gemm_argmax_batched_with, gemm_batched_with,
    gemm_with,
};

// ---- large k through broadcast views -----------------------------------

/// 1-3 × k by k × 1-3 with every operand one element (zero strides): k
/// up to 2^20 is computed and checked, with the workspace bounded by a
/// fixed multiple of the operands (the direct path's packed copies); k
/// far past memory returns an error at once rather than wrapping a size,
/// panicking or aborting. (Skipped at the scalar level, whose loop needs
/// no workspace and would take the whole k.)
pub fn huge_k_case<S: Semiring>(rng: &mut Rng, ctx: &mut Ctx)
where
    S::Scalar: TestScalar,
{
    let simd: Vec<IsaLevel> = ctx
        .levels
        .iter()
        .copied()
        .filter(|&l| l > IsaLevel::Scalar)
        .collect();
    let (m, n) = (1 + rng.below(3) as usize, 1 + rng.below(3) as usize);
    let huge = [
        1usize << 40,
        (1 << 55) + 1,
        1 << 62,
        usize::MAX / 2,
        usize::MAX,
    ];
    let (k, level) = match simd.is_empty() || rng.below(3) != 0 {
        true => (1usize << (10 + rng.below(11)), None),
        false => (
            huge[rng.below(huge.len() as u64) as usize],
            Some(simd[rng.below(simd.len() as u64) as usize]),
        ),
    };
    let (x, y) = (input_value::<S>(rng, 0), input_value::<S>(rng, 0));
    let (xs, ys) = ([x], [y]);
    let a = MatRef::new(&xs, m, k, 0, 0).unwrap();
    let b = MatRef::new(&ys, k, n, 0, 0).unwrap();
    let mut c = vec![S::Scalar::garbage(); m * n];
    let mut ws = GemmWorkspace::new();
    let mut cfg = GemmConfig::default();
    if let Some(level) = level {
        cfg = cfg.with_isa(level);
    }
    let started = Instant::now();
    let result = gemm_with::<S>(
        &mut ws,
        &cfg,
        a,
        b,
        MatMut::row_major(&mut c, m, n).unwrap(),
        Accum::Replace,
    );
    if level.is_some() {
        assert!(
            matches!(
                result,
                Err(Error::LayoutOverflow | Error::WorkspaceTooLarge { .. })
            ),
            "k = {k}: {result:?}"
        );
        assert!(c.iter().all(|v| v.bits() == S::Scalar::garbage().bits()));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "k = {k} took {:?}",
            started.elapsed()
        );
        return;
    }
    assert_eq!(result, Ok(()));
    let mut acc = S::ZERO;
    for _ in 0..k {
        acc = S::add(acc, S::mul(x, y));
    }
    assert!(c.iter().all(|v| v.bits() == acc.bits()), "k = {k}");
    let operand_bytes = (m + n) * k * std::mem::size_of::<S::Scalar>();
    assert!(
        ws.allocated_bytes() <= 64 * operand_bytes + (4 << 20),
        "k = {k}: {} bytes of workspace for {operand_bytes} bytes of operands",
        ws.allocated_bytes()
    );
    ctx.ws = ws;
}

// ---- adversarial layouts -----------------------------------------------

pub const SIZES: [usize; 12] = [
    0,
    1,
    2,
    3,
    7,
    1 << 31,
    1 << 32,
    1 << 62,
    1 << 63,
    usize::MAX / 2,
    usize::MAX - 1,
    usize::MAX,
];
pub const STRIDES: [isize; 12] = [
    0,
    1,
    -1,
    2,
    -3,
    isize::MAX,
    isize::MIN,
    isize::MAX / 2,
    isize::MIN / 2,
    1 << 32,
    -(1 << 32),
    1 << 62,
];

pub fn pick<T: Copy>(rng: &mut Rng, pool: &[T]) -> T {
    pool[rng.below(pool.len() as u64) as usize]
}

/// Elements a layout spans (lowest to highest, inclusive), computed in
/// u128, or `None` when it exceeds isize::MAX.
pub fn span_of(extents: &[(usize, isize)]) -> Option<usize> {
    if extents.iter().any(|&(n, _)| n == 0) {
        return Some(0);
    }
    let mut total: u128 = 1;
    for &(n, s) in extents {
        total = total.checked_add((n as u128 - 1) * s.unsigned_abs() as u128)?;
    }
    (total <= isize::MAX as u128).then_some(total as usize)
}

/// The view constructors on a short slice with sizes and strides near the
/// overflow boundaries: never a panic; `MatRef`/`BatchRef` accept exactly
/// the layouts that fit; an accepted view reads (and a mutable one
/// writes) its corners.
pub fn adversarial_views(rng: &mut Rng, _ctx: &mut Ctx) {
    let mut data = vec![0.5f32; rng.below(6) as usize];
    let len = data.len();
    let (rows, cols) = (pick(rng, &SIZES), pick(rng, &SIZES));
    let (rs, cs) = (pick(rng, &STRIDES), pick(rng, &STRIDES));
    let item = span_of(&[(rows, rs), (cols, cs)]);
    let fits = item.is_some_and(|span| span <= len);
    let corners = [
        (0, 0),
        (rows.wrapping_sub(1), cols.wrapping_sub(1)),
        (0, cols.wrapping_sub(1)),
    ];
    match MatRef::new(&data, rows, cols, rs, cs) {
        Ok(v) => {
            assert!(fits, "{rows}x{cols} ({rs}, {cs}) on {len} accepted");
            if rows > 0 && cols > 0 {
                assert!(corners.iter().all(|&(i, j)| v.get(i, j).is_some()));
            }
        }
        Err(e) => assert!(!fits, "{rows}x{cols} ({rs}, {cs}) on {len} refused: {e:?}"),
    }
    if let Ok(mut v) = MatMut::new(&mut data, rows, cols, rs, cs) {
        assert!(fits);
        if rows > 0 && cols > 0 {
            assert!(corners.iter().all(|&(i, j)| v.set(i, j, 1.0)));
        }
    }
    let (count, bs) = (pick(rng, &SIZES), pick(rng, &STRIDES));
    let batch_fits = match item {
        None => false,
        Some(0) => true,
        Some(_) if count == 0 => true,
        Some(span) => span_of(&[(count, bs)])
            .and_then(|reach| (reach - 1).checked_add(span))
            .is_some_and(|need| need <= len && need <= isize::MAX as usize),
    };
    match BatchRef::new(&data, count, bs, rows, cols, rs, cs) {
        Ok(batch) => {
            assert!(
                batch_fits,
                "batch {count} x ({bs}) of {rows}x{cols} ({rs}, {cs}) on {len} accepted"
            );
            if let Some(last) = count.checked_sub(1).filter(|_| rows > 0 && cols > 0) {
                let v = batch.get(last).expect("last item");
                assert!(corners.iter().all(|&(i, j)| v.get(i, j).is_some()));
            }
        }
        Err(e) => assert!(!batch_fits, "batch {count} x ({bs}) refused: {e:?}"),
    }
    if BatchMut::new(&mut data, count, bs, rows, cols, rs, cs).is_ok() {
        assert!(batch_fits);
    }
}

/// Batched entries over huge counts of broadcast (batch stride 0) inputs:
/// with empty outputs they return at once; with real outputs the output
/// batch's own slice bounds the count (its constructor refuses more).
pub fn adversarial_batches(rng: &mut Rng, _ctx: &mut Ctx) {
    let count = pick(rng, &[2usize, 1 << 20, 1 << 40, usize::MAX]);
    let (m, k, n) = (
        rng.below(3) as usize,
        rng.below(3) as usize,
        rng.below(3) as usize,
    );
    let one = [1.0f32; 16];
    let a = BatchRef::new(&one, count, 0, m, k, k as isize, 1).unwrap();
    let b = BatchRef::new(&one, count, 0, k, n, n as isize, 1).unwrap();
    let argk_data = [NO_ARG; 16];
    let argk = BatchRef::new(&argk_data, count, 0, m, n, n as isize, 1).unwrap();
    let mut c_data = vec![7.0f32; 64];
    let mut k_data = vec![9u32; 64];
    let started = Instant::now();
    let c = BatchMut::new(&mut c_data, count, (m * n) as isize, m, n, n as isize, 1);
    let kk = BatchMut::new(&mut k_data, count, (m * n) as isize, m, n, n as isize, 1);
    let (Ok(c), Ok(kk)) = (c, kk) else {
        assert!(m * n > 0, "an empty output batch of any count is valid");
        return;
    };
    let result = match rng.below(3) {
        0 => gemm_batched_with::<MaxPlus<f32>>(
            &mut GemmWorkspace::new(),
            &GemmConfig::default(),
            a,
            b,
            c,
            Accum::Combine,
        ),
        1 => gemm_argmax_batched_with::<MaxPlus<f32>>(
            &mut GemmWorkspace::new(),
            &GemmConfig::default(),
            a,
            b,
            c,
            kk,
            Accum::Combine,
        ),
        _ => {
            let grad_c = BatchRef::new(&one, count, 0, m, n, n as isize, 1).unwrap();
            argmax_backward_batched::<MaxPlus<f32>>(a, b, argk, grad_c, None, None)
        }
    };
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "count {count}: {:?}",
        started.elapsed()
    );
    assert_eq!(result, Ok(()), "count {count}, {m}x{k}x{n}");
}
