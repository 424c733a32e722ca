//! A semiring the crate does not ship runs through the portable path.

mod common;

use common::{LAYOUTS, Rng, check_product, random_dense, random_output};
use tropical_blas::{
    Accum, GemmConfig, GemmWorkspace, MatMut, MatRef, Semiring, TilingParams, gemm, kernel_for,
};

/// Widest path over u8 capacities: (max, min), implementing exactly the
/// five required items.
struct Widest;

impl Semiring for Widest {
    type Scalar = u8;
    const ZERO: u8 = 0;
    const ONE: u8 = u8::MAX;
    fn add(acc: u8, x: u8) -> u8 {
        acc.max(x)
    }
    fn mul(a: u8, b: u8) -> u8 {
        a.min(b)
    }
}

/// Ordinary (+, ×) over wrapping i64: a non-selecting ⊕.
struct Counting;

impl Semiring for Counting {
    type Scalar = i64;
    const ZERO: i64 = 0;
    const ONE: i64 = 1;
    fn add(acc: i64, x: i64) -> i64 {
        acc.wrapping_add(x)
    }
    fn mul(a: i64, b: i64) -> i64 {
        a.wrapping_mul(b)
    }
}

#[test]
fn user_semiring_gets_the_portable_kernel() {
    let kernel = kernel_for::<Widest>().unwrap();
    assert_eq!(kernel.name(), "portable");
}

#[test]
fn user_semiring_matches_reference_on_every_path() {
    let mut rng = Rng::new(5);
    let mut ws = GemmWorkspace::new();
    let mut case = 0;
    for (m, k, n) in [(1, 1, 1), (9, 3, 17), (33, 40, 5), (64, 64, 64), (4, 0, 4)] {
        let a = random_dense::<Widest>(&mut rng, m, k);
        let b = random_dense::<Widest>(&mut rng, k, n);
        let c = random_output::<Widest>(&mut rng, m, n);
        for cfg in [
            GemmConfig::default(),
            GemmConfig::default().with_tiling(TilingParams::new(5, 7, 9)),
        ] {
            for accum in [Accum::Replace, Accum::Combine] {
                let layouts = [
                    LAYOUTS[case % 6],
                    LAYOUTS[(case + 1) % 6],
                    LAYOUTS[(case + 2) % 6],
                ];
                check_product::<Widest>(&mut ws, &cfg, &a, &b, &c, layouts, accum, "Widest");
                case += 1;
            }
        }
    }
}

#[test]
fn counting_semiring_counts_paths() {
    // Adjacency of a directed 4-cycle plus a chord 0→2: (A²)[0][2] counts
    // the 2-step paths 0→1→2 (one).
    let adj = [0i64, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0];
    let mut two = [0i64; 16];
    gemm::<Counting>(
        MatRef::row_major(&adj, 4, 4).unwrap(),
        MatRef::row_major(&adj, 4, 4).unwrap(),
        MatMut::row_major(&mut two, 4, 4).unwrap(),
        Accum::Replace,
    )
    .unwrap();
    assert_eq!(two, [0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0]);
}
