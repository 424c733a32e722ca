//! `argmax_backward` and `argmax_backward_batched`: the gradient routed
//! through the winning products, against a hand-written scatter and finite
//! differences, and errors that write nothing.

mod common;

use common::{Dense, Rng, random_dense};
use tropical_blas::{
    Accum, BatchMut, BatchRef, DifferentiableSemiring, Error, MatMut, MatRef, MaxMin, MaxMul,
    MaxPlus, MinMax, MinPlus, NO_ARG, SelectingSemiring, argmax_backward, argmax_backward_batched,
    gemm_argmax, gemm_argmax_batched,
};

/// The backward pass against a hand-written scatter, for every
/// differentiable built-in.
fn backward_matches_scatter<S: DifferentiableSemiring<Scalar = f64>>(seed: u64) {
    let mut rng = Rng::new(seed);
    let (m, k, n) = (9, 13, 7);
    let a = Dense::from_fn(m, k, |_, _| rng.below(50) as f64 / 8.0);
    let b = Dense::from_fn(k, n, |_, _| rng.below(50) as f64 / 8.0);
    let (mut c, mut argk) = (vec![0f64; m * n], vec![0u32; m * n]);
    gemm_argmax::<S>(
        MatRef::row_major(&a.data, m, k).unwrap(),
        MatRef::row_major(&b.data, k, n).unwrap(),
        MatMut::row_major(&mut c, m, n).unwrap(),
        MatMut::row_major(&mut argk, m, n).unwrap(),
        Accum::Replace,
    )
    .unwrap();
    argk[3] = NO_ARG; // passes no gradient
    let grad_c = Dense::from_fn(m, n, |i, j| (i * n + j) as f64 + 0.5);
    let (mut want_a, mut want_b) = (vec![0.25f64; m * k], vec![0.25f64; k * n]);
    for i in 0..m {
        for j in 0..n {
            let p = argk[i * n + j];
            if p == NO_ARG {
                continue;
            }
            let p = p as usize;
            let (da, db) = S::mul_partials(a.at(i, p), b.at(p, j));
            want_a[i * k + p] += grad_c.at(i, j) * da;
            want_b[p * n + j] += grad_c.at(i, j) * db;
        }
    }
    let (mut grad_a, mut grad_b) = (vec![0.25f64; m * k], vec![0.25f64; k * n]);
    argmax_backward::<S>(
        MatRef::row_major(&a.data, m, k).unwrap(),
        MatRef::row_major(&b.data, k, n).unwrap(),
        MatRef::row_major(&argk, m, n).unwrap(),
        MatRef::row_major(&grad_c.data, m, n).unwrap(),
        Some(MatMut::row_major(&mut grad_a, m, k).unwrap()),
        // grad_b through a transposed column-major view: same k×n matrix.
        Some(MatMut::col_major(&mut grad_b, n, k).unwrap().t()),
    )
    .unwrap();
    assert_eq!(grad_a, want_a, "{}", std::any::type_name::<S>());
    assert_eq!(grad_b, want_b, "{}", std::any::type_name::<S>());
}

#[test]
fn backward_scatter_every_semiring() {
    backward_matches_scatter::<MaxPlus<f64>>(1);
    backward_matches_scatter::<MinPlus<f64>>(2);
    backward_matches_scatter::<MaxMul<f64>>(3);
    backward_matches_scatter::<MaxMin<f64>>(4);
    backward_matches_scatter::<MinMax<f64>>(5);
}

/// The gradient of L = Σ G ∘ (A ⊗ B) against central finite differences,
/// on inputs with distinct products (so the winners do not change under a
/// small step): an independent check of the partials and the routing.
#[test]
fn backward_matches_finite_differences() {
    fn loss<S: SelectingSemiring<Scalar = f64>>(
        a: &[f64],
        b: &[f64],
        g: &[f64],
        (m, k, n): (usize, usize, usize),
    ) -> f64 {
        let mut c = vec![0f64; m * n];
        tropical_blas::gemm::<S>(
            MatRef::row_major(a, m, k).unwrap(),
            MatRef::row_major(b, k, n).unwrap(),
            MatMut::row_major(&mut c, m, n).unwrap(),
            Accum::Replace,
        )
        .unwrap();
        c.iter().zip(g).map(|(x, y)| x * y).sum()
    }
    fn check<S: DifferentiableSemiring<Scalar = f64>>() {
        let dims @ (m, k, n) = (4, 6, 5);
        let mut rng = Rng::new(99);
        // Distinct values in [1, 2): products never tie, max-times stays
        // positive, and no min/max operand pair is equal.
        let a: Vec<f64> = (0..m * k)
            .map(|_| 1.0 + rng.below(1 << 20) as f64 / (1 << 20) as f64)
            .collect();
        let b: Vec<f64> = (0..k * n)
            .map(|_| 1.0 + rng.below(1 << 20) as f64 / (1 << 20) as f64)
            .collect();
        let g: Vec<f64> = (0..m * n).map(|i| (i % 7) as f64 - 3.0).collect();
        let (mut c, mut argk) = (vec![0f64; m * n], vec![0u32; m * n]);
        gemm_argmax::<S>(
            MatRef::row_major(&a, m, k).unwrap(),
            MatRef::row_major(&b, k, n).unwrap(),
            MatMut::row_major(&mut c, m, n).unwrap(),
            MatMut::row_major(&mut argk, m, n).unwrap(),
            Accum::Replace,
        )
        .unwrap();
        let (mut ga, mut gb) = (vec![0f64; m * k], vec![0f64; k * n]);
        argmax_backward::<S>(
            MatRef::row_major(&a, m, k).unwrap(),
            MatRef::row_major(&b, k, n).unwrap(),
            MatRef::row_major(&argk, m, n).unwrap(),
            MatRef::row_major(&g, m, n).unwrap(),
            Some(MatMut::row_major(&mut ga, m, k).unwrap()),
            Some(MatMut::row_major(&mut gb, k, n).unwrap()),
        )
        .unwrap();
        let h = 1e-7;
        for (which, grad) in [(0, &ga), (1, &gb)] {
            for idx in 0..grad.len() {
                let (mut plus, mut minus) = (a.clone(), a.clone());
                let (mut bplus, mut bminus) = (b.clone(), b.clone());
                if which == 0 {
                    plus[idx] += h;
                    minus[idx] -= h;
                } else {
                    bplus[idx] += h;
                    bminus[idx] -= h;
                }
                let numeric = (loss::<S>(&plus, &bplus, &g, dims)
                    - loss::<S>(&minus, &bminus, &g, dims))
                    / (2.0 * h);
                approx::assert_abs_diff_eq!(grad[idx], numeric, epsilon = 1e-5);
            }
        }
    }
    check::<MaxPlus<f64>>();
    check::<MinPlus<f64>>();
    check::<MaxMul<f64>>();
    check::<MaxMin<f64>>();
    check::<MinMax<f64>>();
}

#[test]
fn backward_errors_write_nothing() {
    let a = [1.0f32; 4];
    let b = [1.0f32; 4];
    let g = [1.0f32; 4];
    let argk = [0u32, 1, 2, NO_ARG]; // 2 is not below k = 2
    let mut ga = [0.0f32; 4];
    let err = argmax_backward::<MaxPlus<f32>>(
        MatRef::row_major(&a, 2, 2).unwrap(),
        MatRef::row_major(&b, 2, 2).unwrap(),
        MatRef::row_major(&argk, 2, 2).unwrap(),
        MatRef::row_major(&g, 2, 2).unwrap(),
        Some(MatMut::row_major(&mut ga, 2, 2).unwrap()),
        None,
    );
    assert_eq!(
        err,
        Err(Error::IndexOutOfRange {
            row: 1,
            col: 0,
            index: 2,
            k: 2
        })
    );
    assert_eq!(ga, [0.0; 4]);
}

/// The batched backward pass equals item-by-item calls.
#[test]
fn backward_batched_matches_items() {
    let mut rng = Rng::new(5);
    let (count, m, k, n) = (6, 4, 5, 3);
    let a = random_dense::<MaxPlus<f32>>(&mut rng, count * m, k);
    let b = random_dense::<MaxPlus<f32>>(&mut rng, count * k, n);
    let mut c = vec![0f32; count * m * n];
    let mut argk = vec![0u32; count * m * n];
    gemm_argmax_batched::<MaxPlus<f32>>(
        BatchRef::row_major(&a.data, count, m, k).unwrap(),
        BatchRef::row_major(&b.data, count, k, n).unwrap(),
        BatchMut::row_major(&mut c, count, m, n).unwrap(),
        BatchMut::row_major(&mut argk, count, m, n).unwrap(),
        Accum::Replace,
    )
    .unwrap();
    let g: Vec<f32> = (0..count * m * n).map(|i| (i % 5) as f32).collect();
    let (mut ga, mut gb) = (vec![0f32; count * m * k], vec![0f32; count * k * n]);
    argmax_backward_batched::<MaxPlus<f32>>(
        BatchRef::row_major(&a.data, count, m, k).unwrap(),
        BatchRef::row_major(&b.data, count, k, n).unwrap(),
        BatchRef::row_major(&argk, count, m, n).unwrap(),
        BatchRef::row_major(&g, count, m, n).unwrap(),
        Some(BatchMut::row_major(&mut ga, count, m, k).unwrap()),
        Some(BatchMut::row_major(&mut gb, count, k, n).unwrap()),
    )
    .unwrap();
    for i in 0..count {
        let (mut gai, mut gbi) = (vec![0f32; m * k], vec![0f32; k * n]);
        argmax_backward::<MaxPlus<f32>>(
            MatRef::row_major(&a.data[i * m * k..][..m * k], m, k).unwrap(),
            MatRef::row_major(&b.data[i * k * n..][..k * n], k, n).unwrap(),
            MatRef::row_major(&argk[i * m * n..][..m * n], m, n).unwrap(),
            MatRef::row_major(&g[i * m * n..][..m * n], m, n).unwrap(),
            Some(MatMut::row_major(&mut gai, m, k).unwrap()),
            Some(MatMut::row_major(&mut gbi, k, n).unwrap()),
        )
        .unwrap();
        assert_eq!(&ga[i * m * k..][..m * k], &gai[..], "item {i}");
        assert_eq!(&gb[i * k * n..][..k * n], &gbi[..], "item {i}");
    }
}
