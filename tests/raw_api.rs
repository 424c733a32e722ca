//! The raw pointer entry agrees with the safe one, for every stride sign.

mod common;

use common::{Rng, TestScalar, random_dense, random_output, reference};
use tropical_blas::{Accum, MaxPlus, gemm_raw};

#[test]
fn raw_matches_reference_with_negative_and_padded_strides() {
    type S = MaxPlus<f32>;
    let mut rng = Rng::new(99);
    for (m, k, n) in [(5, 7, 3), (17, 33, 18), (1, 1, 1), (0, 3, 2), (3, 0, 2)] {
        let a = random_dense::<S>(&mut rng, m, k);
        let b = random_dense::<S>(&mut rng, k, n);
        let c0 = random_output::<S>(&mut rng, m, n);
        for accum in [Accum::Replace, Accum::Combine] {
            // A column-major with padding, B row-major reversed, C row-major reversed.
            let lda = m + 2;
            let mut abuf = vec![f32::NAN; lda * k.max(1)];
            for i in 0..m {
                for p in 0..k {
                    abuf[p * lda + i] = a.at(i, p);
                }
            }
            let mut bbuf = vec![f32::NAN; k * n];
            for p in 0..k {
                for j in 0..n {
                    bbuf[(k - 1 - p) * n + (n - 1 - j)] = b.at(p, j);
                }
            }
            let mut cbuf = vec![f32::NAN; m * n];
            if accum == Accum::Combine {
                for i in 0..m {
                    for j in 0..n {
                        cbuf[(m - 1 - i) * n + (n - 1 - j)] = c0.at(i, j);
                    }
                }
            }
            let last_b = (k * n).saturating_sub(1);
            let last_c = (m * n).saturating_sub(1);
            // SAFETY: A covers lda·k elements from abuf[0]; B and C start at
            // their last element and step backwards over k·n and m·n
            // elements; C is its own buffer.
            let result = unsafe {
                gemm_raw::<S>(
                    m,
                    k,
                    n,
                    abuf.as_ptr(),
                    1,
                    lda as isize,
                    bbuf.as_ptr().add(last_b),
                    -(n as isize),
                    -1,
                    cbuf.as_mut_ptr().add(last_c),
                    -(n as isize),
                    -1,
                    accum,
                )
            };
            assert_eq!(result, Ok(()));
            let want = reference::<S>(&a, &b, &c0, accum);
            for i in 0..m {
                for j in 0..n {
                    let got = cbuf[(m - 1 - i) * n + (n - 1 - j)];
                    assert_eq!(
                        got.bits(),
                        want.at(i, j).bits(),
                        "({m},{k},{n}) at ({i},{j})"
                    );
                }
            }
        }
    }
}
