//! Semiring laws as property tests: identity, annihilator, associativity on
//! small integers, and the transpose law for commutative ⊗.

mod common;

use common::{Dense, TestScalar};
use proptest::prelude::*;
use tropical_blas::{
    Accum, MatMut, MatRef, MaxMin, MaxPlus, MinMax, MinPlus, OrAnd, Semiring, gemm,
};

fn product<S: Semiring>(a: &Dense<S::Scalar>, b: &Dense<S::Scalar>) -> Dense<S::Scalar> {
    let mut out = vec![S::ZERO; a.rows * b.cols];
    gemm::<S>(
        MatRef::row_major(&a.data, a.rows, a.cols).unwrap(),
        MatRef::row_major(&b.data, b.rows, b.cols).unwrap(),
        MatMut::row_major(&mut out, a.rows, b.cols).unwrap(),
        Accum::Replace,
    )
    .unwrap();
    Dense {
        rows: a.rows,
        cols: b.cols,
        data: out,
    }
}

fn transpose<T: Copy>(x: &Dense<T>) -> Dense<T> {
    Dense::from_fn(x.cols, x.rows, |i, j| x.at(j, i))
}

fn bits<T: TestScalar>(x: &Dense<T>) -> Vec<u64> {
    x.data.iter().map(|v| v.bits()).collect()
}

fn identity<S: Semiring>(n: usize) -> Dense<S::Scalar> {
    Dense::from_fn(n, n, |i, j| if i == j { S::ONE } else { S::ZERO })
}

/// Matrices of small integers in a given shape, from a flat value list.
fn dense_from<T: Copy>(rows: usize, cols: usize, values: &[T]) -> Dense<T> {
    Dense::from_fn(rows, cols, |i, j| values[(i * cols + j) % values.len()])
}

fn laws_for<S: Semiring>(
    (m, k, n, l): (usize, usize, usize, usize),
    values: &[S::Scalar],
    commutative: bool,
) -> Result<(), TestCaseError>
where
    S::Scalar: TestScalar,
{
    let a = dense_from(m, k, values);
    let b = dense_from(k, n, &values[values.len() / 3..]);
    let c = dense_from(n, l, &values[values.len() / 2..]);
    // Identity: I ⊗ A = A = A ⊗ I.
    prop_assert_eq!(bits(&product::<S>(&identity::<S>(m), &a)), bits(&a));
    prop_assert_eq!(bits(&product::<S>(&a, &identity::<S>(k))), bits(&a));
    // Annihilator: the all-ZERO matrix absorbs.
    let zero = Dense::from_fn(k, n, |_, _| S::ZERO);
    let z = product::<S>(&a, &zero);
    prop_assert!(z.data.iter().all(|v| v.bits() == S::ZERO.bits()));
    // Associativity (exact on small integers).
    let left = product::<S>(&product::<S>(&a, &b), &c);
    let right = product::<S>(&a, &product::<S>(&b, &c));
    prop_assert_eq!(bits(&left), bits(&right));
    // (A ⊗ B)ᵀ = Bᵀ ⊗ Aᵀ when ⊗ commutes.
    if commutative {
        let ab_t = transpose(&product::<S>(&a, &b));
        let bt_at = product::<S>(&transpose(&b), &transpose(&a));
        prop_assert_eq!(bits(&ab_t), bits(&bt_at));
    }
    Ok(())
}

fn shapes() -> impl Strategy<Value = (usize, usize, usize, usize)> {
    (1usize..24, 1usize..24, 1usize..24, 1usize..12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn max_plus_f32(shape in shapes(), values in prop::collection::vec(-20i32..20, 8..64)) {
        let v: Vec<f32> = values.iter().map(|&x| x as f32).collect();
        laws_for::<MaxPlus<f32>>(shape, &v, true)?;
    }

    #[test]
    fn min_plus_f64(shape in shapes(), values in prop::collection::vec(-20i32..20, 8..64)) {
        let v: Vec<f64> = values.iter().map(|&x| x as f64).collect();
        laws_for::<MinPlus<f64>>(shape, &v, true)?;
    }

    #[test]
    fn max_plus_i32_with_zero(shape in shapes(), values in prop::collection::vec(-20i32..20, 8..64)) {
        // Sprinkle ZERO (MIN) to exercise absorption inside products.
        let v: Vec<i32> = values.iter().map(|&x| if x == 19 { i32::MIN } else { x }).collect();
        laws_for::<MaxPlus<i32>>(shape, &v, true)?;
    }

    #[test]
    fn min_plus_i64_with_zero(shape in shapes(), values in prop::collection::vec(-20i64..20, 8..64)) {
        let v: Vec<i64> = values.iter().map(|&x| if x == 19 { i64::MAX } else { x }).collect();
        laws_for::<MinPlus<i64>>(shape, &v, true)?;
    }

    #[test]
    fn max_min_i32(shape in shapes(), values in prop::collection::vec(any::<i32>(), 8..64)) {
        laws_for::<MaxMin<i32>>(shape, &values, false)?;
    }

    #[test]
    fn min_max_f32(shape in shapes(), values in prop::collection::vec(-20i32..20, 8..64)) {
        let v: Vec<f32> = values.iter().map(|&x| x as f32).collect();
        laws_for::<MinMax<f32>>(shape, &v, false)?;
    }

    #[test]
    fn or_and(shape in shapes(), values in prop::collection::vec(any::<bool>(), 8..64)) {
        laws_for::<OrAnd>(shape, &values, true)?;
    }
}
