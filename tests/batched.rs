//! Batched products: every item bit-identical to the reference, every
//! error before any write.

mod common;

use common::{Dense, Rng, TestScalar, random_dense, random_output, reference};
use tropical_blas::{
    Accum, BatchMut, BatchRef, Error, GemmConfig, GemmWorkspace, MatMut, MatRef, MaxPlus, MinPlus,
    Par, Semiring, gemm_batched, gemm_batched_views, gemm_batched_with, gemm_with,
};

/// Lays `items` out with `stride` between items (negative: last item
/// first), row-major with `pad` extra columns; returns (buffer, first index
/// of item 0's element (0,0)).
fn lay_out<T: Copy>(
    items: &[Dense<T>],
    stride_sign: isize,
    pad: usize,
    filler: T,
) -> (Vec<T>, isize, usize) {
    let (rows, cols) = (items[0].rows, items[0].cols);
    let span = rows * (cols + pad);
    let stride = (span + 3) as isize * stride_sign;
    let mut buf = vec![filler; span * items.len() + 3 * items.len() + 8];
    let origin = if stride < 0 {
        (items.len() - 1) * (span + 3)
    } else {
        0
    };
    for (i, m) in items.iter().enumerate() {
        let base = (origin as isize + i as isize * stride) as usize;
        for r in 0..rows {
            for c in 0..cols {
                buf[base + r * (cols + pad) + c] = m.at(r, c);
            }
        }
    }
    (buf, stride, origin)
}

fn check_strided<S: Semiring>(count: usize, (m, k, n): (usize, usize, usize), par: Par, seed: u64)
where
    S::Scalar: TestScalar,
{
    let mut rng = Rng::new(seed);
    let a: Vec<_> = (0..count)
        .map(|_| random_dense::<S>(&mut rng, m, k))
        .collect();
    let b_shared = random_dense::<S>(&mut rng, k, n);
    let c0: Vec<_> = (0..count)
        .map(|_| random_output::<S>(&mut rng, m, n))
        .collect();
    for accum in [Accum::Replace, Accum::Combine] {
        let (abuf, a_stride, _) = lay_out(&a, 1, 0, S::ZERO);
        let (mut cbuf, c_stride, c_origin) = lay_out(&c0, -1, 2, S::Scalar::garbage());
        if accum == Accum::Replace {
            // Replace must not read C: poison the items themselves.
            for i in 0..count {
                let base = (c_origin as isize + i as isize * c_stride) as usize;
                for r in 0..m {
                    for col in 0..n {
                        cbuf[base + r * (n + 2) + col] = S::Scalar::garbage();
                    }
                }
            }
        }
        let before = cbuf.clone();
        let cfg = GemmConfig::default().with_par(par);
        gemm_batched_with::<S>(
            &mut GemmWorkspace::new(),
            &cfg,
            BatchRef::new(&abuf, count, a_stride, m, k, k as isize, 1).unwrap(),
            BatchRef::new(&b_shared.data, count, 0, k, n, n as isize, 1).unwrap(),
            BatchMut::new(&mut cbuf, count, c_stride, m, n, (n + 2) as isize, 1).unwrap(),
            accum,
        )
        .unwrap();
        let mut expected = before;
        for i in 0..count {
            let want = reference::<S>(&a[i], &b_shared, &c0[i], accum);
            let base = (c_origin as isize + i as isize * c_stride) as usize;
            for r in 0..m {
                for col in 0..n {
                    expected[base + r * (n + 2) + col] = want.at(r, col);
                }
            }
        }
        let same = cbuf
            .iter()
            .zip(&expected)
            .all(|(x, y)| x.bits() == y.bits());
        assert!(
            same,
            "{} count={count} ({m},{k},{n}) {par:?} {accum:?}",
            std::any::type_name::<S>()
        );
    }
}

#[test]
fn many_small_products_across_threads() {
    check_strided::<MaxPlus<f32>>(300, (16, 16, 16), Par::Rayon(0), 1);
    check_strided::<MaxPlus<f32>>(37, (5, 9, 3), Par::Rayon(3), 2);
    check_strided::<MinPlus<i32>>(64, (7, 1, 33), Par::Rayon(2), 3);
    check_strided::<MinPlus<i32>>(9, (7, 20, 33), Par::Seq, 4);
    check_strided::<MaxPlus<i16>>(40, (9, 13, 33), Par::Rayon(2), 6);
    check_strided::<MinPlus<i16>>(11, (16, 40, 64), Par::Seq, 7);
    check_strided::<MaxPlus<tropical_blas::half::f16>>(50, (9, 7, 33), Par::Rayon(3), 7);
}

#[test]
fn few_large_products_inside_each() {
    check_strided::<MaxPlus<f64>>(3, (140, 150, 130), Par::Rayon(2), 5);
}

#[test]
fn empty_inner_dimension_in_a_batch() {
    // k = 0: every item is the empty ⊕ (ZERO), whatever the batch strides.
    let mut c = [1.0f32; 6];
    gemm_batched::<MaxPlus<f32>>(
        BatchRef::new(&[], 3, 5, 1, 0, 0, 1).unwrap(),
        BatchRef::new(&[], 3, 7, 0, 2, 2, 1).unwrap(),
        BatchMut::row_major(&mut c, 3, 1, 2).unwrap(),
        Accum::Replace,
    )
    .unwrap();
    assert_eq!(c, [f32::NEG_INFINITY; 6]);
}

#[test]
fn empty_batches_and_items() {
    check_strided::<MaxPlus<f32>>(1, (0, 3, 2), Par::Rayon(0), 6);
    let mut c: [f32; 0] = [];
    gemm_batched::<MaxPlus<f32>>(
        BatchRef::row_major(&[], 0, 4, 4).unwrap(),
        BatchRef::row_major(&[], 0, 4, 4).unwrap(),
        BatchMut::row_major(&mut c, 0, 4, 4).unwrap(),
        Accum::Replace,
    )
    .unwrap();
}

#[test]
fn views_form_mixes_shapes_and_layouts() {
    type S = MinPlus<f64>;
    let mut rng = Rng::new(7);
    let shapes = [
        (3, 4, 5),
        (1, 1, 1),
        (40, 30, 20),
        (130, 140, 150),
        (6, 0, 2),
    ];
    let a: Vec<_> = shapes
        .iter()
        .map(|&(m, k, _)| random_dense::<S>(&mut rng, m, k))
        .collect();
    let b: Vec<_> = shapes
        .iter()
        .map(|&(_, k, n)| random_dense::<S>(&mut rng, k, n))
        .collect();
    let c0: Vec<_> = shapes
        .iter()
        .map(|&(m, _, n)| random_output::<S>(&mut rng, m, n))
        .collect();
    let mut c_data: Vec<Vec<f64>> = c0.iter().map(|c| c.data.clone()).collect();
    {
        let a_views: Vec<_> = a
            .iter()
            .map(|x| MatRef::row_major(&x.data, x.rows, x.cols).unwrap())
            .collect();
        let b_views: Vec<_> = b
            .iter()
            .map(|x| MatRef::row_major(&x.data, x.rows, x.cols).unwrap().t().t())
            .collect();
        let mut c_views: Vec<_> = c_data
            .iter_mut()
            .zip(&shapes)
            .map(|(d, &(m, _, n))| MatMut::row_major(d, m, n).unwrap())
            .collect();
        gemm_batched_views::<S>(&a_views, &b_views, &mut c_views, Accum::Combine).unwrap();
    }
    for i in 0..shapes.len() {
        let want = reference::<S>(&a[i], &b[i], &c0[i], Accum::Combine);
        let same = c_data[i]
            .iter()
            .zip(&want.data)
            .all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "item {i} {:?}", shapes[i]);
    }
}

#[test]
fn errors_come_before_any_write() {
    let a = vec![1i32; 4 * 6];
    let mut c = vec![9i32; 4 * 4];
    let err = gemm_batched::<MaxPlus<i32>>(
        BatchRef::row_major(&a, 4, 2, 3).unwrap(),
        BatchRef::row_major(&a, 3, 3, 2).unwrap(),
        BatchMut::row_major(&mut c, 4, 2, 2).unwrap(),
        Accum::Replace,
    );
    assert_eq!(err, Err(Error::BatchCountMismatch { a: 4, b: 3, c: 4 }));
    assert!(err.unwrap_err().to_string().contains("batch count"));
    // An out-of-range value in the last item: nothing is written, not even
    // the first items.
    let mut bad = a.clone();
    bad[23] = i32::MAX;
    let err = gemm_batched::<MaxPlus<i32>>(
        BatchRef::row_major(&a, 4, 2, 3).unwrap(),
        BatchRef::row_major(&bad, 4, 3, 2).unwrap(),
        BatchMut::row_major(&mut c, 4, 2, 2).unwrap(),
        Accum::Replace,
    );
    assert_eq!(
        err,
        Err(Error::ValueOutOfRange {
            operand: tropical_blas::Operand::B,
            row: 2,
            col: 1
        })
    );
    assert_eq!(c, vec![9; 16]);
    // Dimension mismatch.
    let err = gemm_batched::<MaxPlus<i32>>(
        BatchRef::row_major(&a, 4, 2, 3).unwrap(),
        BatchRef::row_major(&a, 4, 2, 3).unwrap(),
        BatchMut::row_major(&mut c, 4, 2, 2).unwrap(),
        Accum::Replace,
    );
    assert!(matches!(err, Err(Error::DimensionMismatch { .. })));
    // Overlapping items, and a batch that does not fit.
    assert!(matches!(
        BatchMut::new(&mut c, 4, 3, 2, 2, 2, 1),
        Err(Error::AliasingOutput { .. })
    ));
    assert!(matches!(
        BatchMut::new(&mut c, 4, 0, 2, 2, 2, 1),
        Err(Error::AliasingOutput { .. })
    ));
    assert!(matches!(
        BatchRef::new(&a, 5, 6, 2, 3, 3, 1),
        Err(Error::BufferTooShort {
            needed: 30,
            len: 24
        })
    ));
    assert_eq!(c, vec![9; 16]);
}

/// The batch entry (items of a strided batch inside one call into the
/// kernel) against one `gemm_with` per item, bit for bit, at every ISA
/// level: per-item A in column-major order, per-item B with padded rows,
/// C last item first, edge rows, on one and on three threads; and layouts
/// the entry declines (a strided B, columns not a whole number of panels),
/// which take the per-item path.
#[test]
fn batch_entry_matches_single_products() {
    fn run<S: Semiring>(
        level: tropical_blas::IsaLevel,
        (m, k, n): (usize, usize, usize),
        b_cs: isize,
        par: Par,
        seed: u64,
    ) where
        S::Scalar: TestScalar,
    {
        let count = 7;
        let mut rng = Rng::new(seed);
        let (a_item, b_rs) = (m * k + 3, if b_cs == 1 { n as isize + 5 } else { 1 });
        let b_item = if b_cs == 1 {
            k * (n + 5) + 1
        } else {
            k * n + 2
        };
        let abuf: Vec<S::Scalar> = (0..count * a_item)
            .map(|_| common::sample_input::<S>(&mut rng))
            .collect();
        let bbuf: Vec<S::Scalar> = (0..count * b_item)
            .map(|_| common::sample_input::<S>(&mut rng))
            .collect();
        let c_item = m * (n + 1) + 2;
        let c0: Vec<S::Scalar> = (0..count * c_item)
            .map(|_| common::sample_input::<S>(&mut rng))
            .collect();
        let b_cs = if b_cs == 1 { 1 } else { k as isize };
        let cfg = GemmConfig::default().with_isa(level).with_par(par);
        for accum in [Accum::Replace, Accum::Combine] {
            let a = BatchRef::new(&abuf, count, a_item as isize, m, k, 1, m as isize).unwrap();
            let b = BatchRef::new(&bbuf, count, b_item as isize, k, n, b_rs, b_cs).unwrap();
            let mut c = c0.clone();
            let c_last_first = c_item as isize * (count as isize - 1);
            gemm_batched_with::<S>(
                &mut GemmWorkspace::new(),
                &cfg,
                a,
                b,
                BatchMut::new(
                    &mut c[..],
                    count,
                    -(c_item as isize),
                    m,
                    n,
                    (n + 1) as isize,
                    1,
                )
                .unwrap(),
                accum,
            )
            .unwrap();
            let mut want = c0.clone();
            for i in 0..count {
                let start = (c_last_first - (i * c_item) as isize) as usize;
                gemm_with::<S>(
                    &mut GemmWorkspace::new(),
                    &cfg.with_par(Par::Seq),
                    a.get(i).unwrap(),
                    b.get(i).unwrap(),
                    MatMut::new(&mut want[start..start + c_item], m, n, (n + 1) as isize, 1)
                        .unwrap(),
                    accum,
                )
                .unwrap();
            }
            let same = c.iter().zip(&want).all(|(x, y)| x.bits() == y.bits());
            assert!(
                same,
                "{} {level} ({m},{k},{n}) b_cs={b_cs} {par:?} {accum:?}",
                std::any::type_name::<S>()
            );
        }
    }
    for level in common::available_levels("batch_entry_matches_single_products") {
        for par in [Par::Seq, Par::Rayon(3)] {
            run::<MaxPlus<f32>>(level, (21, 5, 32), 1, par, 11);
            run::<MaxPlus<f32>>(level, (16, 16, 16), 1, par, 12);
            run::<MinPlus<f64>>(level, (3, 9, 16), 1, par, 13);
            run::<tropical_blas::MaxMin<i64>>(level, (17, 2, 8), 1, par, 14);
            run::<tropical_blas::OrAnd>(level, (5, 7, 64), 1, par, 15);
            run::<MinPlus<i32>>(level, (9, 4, 16), 1, par, 16);
            run::<MaxPlus<i16>>(level, (9, 4, 32), 1, par, 19);
            run::<tropical_blas::MinMax<i16>>(level, (17, 7, 40), 1, par, 20);
            run::<MaxPlus<f32>>(level, (6, 4, 16), 0, par, 17);
            run::<MaxPlus<f32>>(level, (6, 4, 20), 1, par, 18);
            run::<MaxPlus<tropical_blas::half::f16>>(level, (21, 5, 40), 1, par, 19);
            run::<tropical_blas::MinMax<tropical_blas::half::f16>>(level, (7, 9, 32), 0, par, 20);
        }
    }
}

/// Items that run side by side take their buffers from workspaces kept in
/// the caller's: the first call grows it, a second of the same shape
/// finds them there (they were made afresh per call, and dropped).
#[test]
fn batches_keep_their_buffers_in_the_callers_workspace() {
    let (count, m, k, n) = (8, 20, 30, 20);
    let a: Vec<f32> = (0..count * m * k).map(|x| (x % 23) as f32).collect();
    let b: Vec<f32> = (0..count * k * n).map(|x| (x % 19) as f32).collect();
    let mut c = vec![0.0f32; count * m * n];
    let mut ws = GemmWorkspace::new();
    let mut run = |ws: &mut GemmWorkspace| {
        gemm_batched_with::<MaxPlus<f32>>(
            ws,
            &GemmConfig::default(),
            BatchRef::row_major(&a, count, m, k).unwrap(),
            // Column-major B: the batch entry declines, the items run.
            BatchRef::new(&b, count, (k * n) as isize, k, n, 1, k as isize).unwrap(),
            BatchMut::row_major(&mut c, count, m, n).unwrap(),
            Accum::Replace,
        )
        .unwrap();
    };
    // The portable kernel reads small products in place: no buffers.
    let packs = tropical_blas::kernel_for::<MaxPlus<f32>>().unwrap().isa()
        != tropical_blas::IsaLevel::Scalar;
    run(&mut ws);
    let held = ws.allocated_bytes();
    assert_eq!(held > 0, packs, "{held} bytes held");
    run(&mut ws);
    assert_eq!(ws.allocated_bytes(), held);
}
