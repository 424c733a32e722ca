//! The documented edge semantics, spelled out case by case.

use tropical_blas::{
    Accum, MatMut, MatRef, MaxMin, MaxMul, MaxPlus, MinMax, MinPlus, Semiring, gemm,
};

fn one_by_k<S: Semiring>(
    a: &[S::Scalar],
    b: &[S::Scalar],
    c: S::Scalar,
    accum: Accum,
) -> S::Scalar {
    let k = a.len();
    let mut out = [c];
    gemm::<S>(
        MatRef::row_major(a, 1, k).unwrap(),
        MatRef::col_major(b, k, 1).unwrap(),
        MatMut::row_major(&mut out, 1, 1).unwrap(),
        accum,
    )
    .unwrap();
    out[0]
}

#[test]
fn nan_products_never_win() {
    let nan = f32::NAN;
    assert_eq!(
        one_by_k::<MaxPlus<f32>>(&[nan, 1.0], &[0.0, 1.0], 0.0, Accum::Replace),
        2.0
    );
    // All products NaN: ZERO.
    let r = one_by_k::<MaxPlus<f32>>(&[nan, nan], &[1.0, 2.0], 0.0, Accum::Replace);
    assert_eq!(r.to_bits(), f32::NEG_INFINITY.to_bits());
    let r = one_by_k::<MinPlus<f64>>(&[f64::NAN], &[1.0], 0.0, Accum::Replace);
    assert_eq!(r, f64::INFINITY);
}

#[test]
fn nan_in_c_stays_under_combine() {
    let r = one_by_k::<MaxPlus<f32>>(&[5.0], &[5.0], f32::NAN, Accum::Combine);
    assert!(r.is_nan());
    // And Replace never reads it.
    let r = one_by_k::<MaxPlus<f32>>(&[5.0], &[5.0], f32::NAN, Accum::Replace);
    assert_eq!(r, 10.0);
}

#[test]
fn signed_zeros_keep_the_earlier_value() {
    // products: -0 then +0; a tie keeps -0.
    let r = one_by_k::<MaxPlus<f32>>(&[-0.0, 0.0], &[-0.0, 0.0], 1.0, Accum::Replace);
    assert_eq!(r.to_bits(), (-0.0f32).to_bits());
    // C = -0 wins a tie against the product +0 under Combine.
    let r = one_by_k::<MaxPlus<f32>>(&[0.0], &[0.0], -0.0, Accum::Combine);
    assert_eq!(r.to_bits(), (-0.0f32).to_bits());
    // MaxMin's ⊗ takes A's element on a tie: min(-0, +0) = +0 (vminps order).
    let r = one_by_k::<MaxMin<f32>>(&[-0.0], &[0.0], 0.0, Accum::Replace);
    assert_eq!(r.to_bits(), 0.0f32.to_bits());
}

#[test]
fn max_mul_infinity_times_zero_is_nan_and_loses() {
    let r = one_by_k::<MaxMul<f32>>(&[f32::INFINITY, 0.5], &[0.0, 4.0], 0.0, Accum::Replace);
    assert_eq!(r, 2.0);
}

#[test]
fn integer_zero_absorbs_at_the_extremes() {
    let lim = 1i32 << 28;
    assert_eq!(<MaxPlus<i32>>::mul(i32::MIN, -lim), i32::MIN);
    assert_eq!(<MaxPlus<i32>>::mul(lim, i32::MIN), i32::MIN);
    assert_eq!(<MaxPlus<i32>>::mul(i32::MIN, i32::MIN), i32::MIN);
    assert_eq!(<MinPlus<i64>>::mul(i64::MAX, 1 << 60), i64::MAX);
    assert_eq!(<MinPlus<i64>>::mul(-(1 << 60), i64::MAX), i64::MAX);
    // Direct calls outside the range saturate instead of wrapping.
    assert_eq!(<MaxPlus<i32>>::mul(i32::MAX, 1), i32::MAX);
    // Through gemm, at the edges of the accepted range.
    let r = one_by_k::<MaxPlus<i32>>(
        &[i32::MIN, -lim, lim],
        &[-lim, i32::MIN, lim],
        0,
        Accum::Replace,
    );
    assert_eq!(r, 2 * lim);
    let r = one_by_k::<MaxPlus<i32>>(&[i32::MIN, -lim], &[lim, i32::MIN], 0, Accum::Replace);
    assert_eq!(r, i32::MIN);
    let r = one_by_k::<MinPlus<i32>>(&[-lim, i32::MAX], &[-lim, -lim], 0, Accum::Replace);
    assert_eq!(r, -2 * lim);
    let r = one_by_k::<MinPlus<i64>>(&[i64::MAX], &[-(1 << 60)], 7, Accum::Combine);
    assert_eq!(r, 7);
    // MaxMin accepts every value.
    let r = one_by_k::<MaxMin<i32>>(&[i32::MAX, i32::MIN], &[i32::MAX, 3], 0, Accum::Replace);
    assert_eq!(r, i32::MAX);
}

#[test]
fn i16_zero_absorbs_and_the_bound_is_exact() {
    let lim = 1i16 << 12;
    assert_eq!(<MaxPlus<i16>>::mul(i16::MIN, -lim), i16::MIN);
    assert_eq!(<MaxPlus<i16>>::mul(i16::MIN, i16::MIN), i16::MIN);
    assert_eq!(<MinPlus<i16>>::mul(i16::MAX, lim), i16::MAX);
    assert_eq!(<MaxPlus<i16>>::mul(i16::MAX, 1), i16::MAX);
    // Through gemm, at the edges of the accepted range (the SIMD levels:
    // the sweeps in reference.rs, whose samples include ±2^12 and ZERO).
    let r = one_by_k::<MaxPlus<i16>>(
        &[i16::MIN, -lim, lim],
        &[-lim, i16::MIN, lim],
        0,
        Accum::Replace,
    );
    assert_eq!(r, 2 * lim);
    let r = one_by_k::<MaxPlus<i16>>(&[i16::MIN, -lim], &[lim, i16::MIN], 5, Accum::Replace);
    assert_eq!(r, i16::MIN);
    let r = one_by_k::<MaxPlus<i16>>(&[-lim, -lim], &[-lim, -lim], 0, Accum::Replace);
    assert_eq!(r, -2 * lim);
    let r = one_by_k::<MinPlus<i16>>(&[-lim, i16::MAX], &[-lim, -lim], 0, Accum::Replace);
    assert_eq!(r, -2 * lim);
    let r = one_by_k::<MinPlus<i16>>(&[lim, i16::MAX], &[lim, lim], 0, Accum::Replace);
    assert_eq!(r, 2 * lim);
    let r = one_by_k::<MinPlus<i16>>(&[i16::MAX], &[-lim], 7, Accum::Combine);
    assert_eq!(r, 7);
    let r = one_by_k::<MinPlus<i16>>(&[i16::MAX], &[-lim], i16::MAX, Accum::Combine);
    assert_eq!(r, i16::MAX);
    // MaxMin and MinMax accept the whole range.
    let r = one_by_k::<MaxMin<i16>>(&[i16::MAX, i16::MIN], &[i16::MAX, 3], 0, Accum::Replace);
    assert_eq!(r, i16::MAX);
    let r = one_by_k::<MinMax<i16>>(&[i16::MIN, i16::MAX], &[i16::MIN, -3], 0, Accum::Replace);
    assert_eq!(r, i16::MIN);
}

#[test]
fn empty_inner_dimension_gives_zero() {
    let r = one_by_k::<MaxPlus<f32>>(&[], &[], f32::NAN, Accum::Replace);
    assert_eq!(r, f32::NEG_INFINITY);
    let r = one_by_k::<MaxPlus<f32>>(&[], &[], 3.0, Accum::Combine);
    assert_eq!(r, 3.0);
    // MaxMul: Combine with k = 0 is C ⊕ 0, exactly as the reference says.
    let r = one_by_k::<MaxMul<f64>>(&[], &[], -1.0, Accum::Combine);
    assert_eq!(r, 0.0);
}
