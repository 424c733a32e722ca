//! The `ndarray` adapter: conversions keep every stride without copying,
//! views with gaps are refused by the conversions and copied by the `nd`
//! functions, and every product equals `gemm` on dense copies, bit for bit.
#![cfg(feature = "ndarray")]

use ndarray::{Array2, Array3, ArrayView2, ArrayViewMut2, Axis, ShapeBuilder, s};
use tropical_blas::{
    Accum, Error, MatMut, MatRef, MaxMul, MaxPlus, MinPlus, NO_ARG, OrAnd, Semiring, gemm,
    gemm_argmax, nd,
};

/// Deterministic values with ties (few distinct values), and a NaN.
fn values(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    Array2::from_shape_fn((rows, cols), |_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        match state % 23 {
            0 => f32::NAN,
            v => v as f32 * 0.5 - 4.0,
        }
    })
}

fn same_bits(x: &Array2<f32>, y: &Array2<f32>) -> bool {
    x.shape() == y.shape() && x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits())
}

/// `gemm` on dense row-major copies: the reference for every layout.
fn reference<S: Semiring>(a: ArrayView2<S::Scalar>, b: ArrayView2<S::Scalar>) -> Array2<S::Scalar> {
    let (a, b) = (
        a.as_standard_layout().to_owned(),
        b.as_standard_layout().to_owned(),
    );
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    let mut c = vec![S::ZERO; m * n];
    gemm::<S>(
        MatRef::row_major(a.as_slice().unwrap(), m, k).unwrap(),
        MatRef::row_major(b.as_slice().unwrap(), k, n).unwrap(),
        MatMut::row_major(&mut c, m, n).unwrap(),
        Accum::Replace,
    )
    .unwrap();
    Array2::from_shape_vec((m, n), c).unwrap()
}

#[test]
fn strided_views_convert_without_copying() {
    let base = values(9, 12, 1);
    let transposed = base.t();
    let reversed = base.slice(s![..;-1, ..;-1]);
    let row = values(1, 12, 2);
    let broadcast = row.broadcast((9, 12)).unwrap();
    for view in [base.view(), transposed, reversed, broadcast] {
        let mat = MatRef::try_from(view).unwrap();
        assert_eq!((mat.rows(), mat.cols()), view.dim());
        assert_eq!([mat.row_stride(), mat.col_stride()], view.strides());
        for ((i, j), x) in view.indexed_iter() {
            assert_eq!(mat.get(i, j).unwrap().to_bits(), x.to_bits());
            // The element itself is borrowed, not a copy of it.
            let back = ArrayView2::try_from(mat).unwrap();
            assert!(std::ptr::eq(&back[[i, j]], x));
        }
    }
}

#[test]
fn views_with_gaps_are_refused_by_the_conversions() {
    let mut base = values(8, 8, 3);
    let block = base.slice(s![1..5, 2..6]);
    let err = MatRef::try_from(block).unwrap_err();
    assert!(matches!(
        err,
        Error::LayoutNotConvertible { ref shape, ref strides, .. }
            if shape == &[4, 4] && strides == &[8, 1]
    ));
    assert!(MatMut::try_from(base.slice_mut(s![.., ..;2])).is_err());
    // One column of a row-major matrix has gaps; one row has none.
    assert!(MatRef::try_from(base.slice(s![.., 3..4])).is_err());
    assert!(MatRef::try_from(base.slice(s![2..3, ..])).is_ok());
}

#[test]
fn mutable_views_write_where_ndarray_reads() {
    let mut data = [0.0f32; 24];
    {
        // 3×4 stored column-major with reversed rows.
        let view = MatMut::new(&mut data[..], 3, 4, -1, 3).unwrap();
        let mut nd_view = ArrayViewMut2::try_from(view).unwrap();
        for ((i, j), x) in nd_view.indexed_iter_mut() {
            *x = (10 * i + j) as f32;
        }
    }
    let check = MatRef::new(&data[..], 3, 4, -1, 3).unwrap();
    for i in 0..3 {
        for j in 0..4 {
            assert_eq!(check.get(i, j), Some((10 * i + j) as f32));
        }
    }
    // Rows and columns that interleave: exact for this crate, not ndarray.
    let interleaved = MatMut::new(&mut data[..11], 3, 3, 2, 3).unwrap();
    assert!(matches!(
        ArrayViewMut2::try_from(interleaved),
        Err(Error::LayoutNotConvertible { .. })
    ));
}

#[test]
fn products_of_any_layout_equal_gemm_on_copies() {
    let a = values(17, 23, 4);
    let b = values(29, 25, 5); // used as its transpose, 25×29, sliced
    let a_views = [a.view(), a.slice(s![..;-1, ..]), a.slice(s![1..16, ..;2])];
    for av in a_views {
        let k = av.ncols();
        let bt = b.t();
        let b_views = [bt.slice(s![..k, ..]), bt.slice(s![..k;-1, 3..])];
        for bv in b_views {
            let expected = reference::<MaxPlus<f32>>(av, bv);
            let c = nd::matmul::<MaxPlus<f32>>(av, bv).unwrap();
            assert!(same_bits(&c, &expected));
            let (values, argk) = nd::matmul_argmax::<MaxPlus<f32>>(av, bv).unwrap();
            assert!(same_bits(&values, &expected));
            let mut want_arg = Array2::from_elem(c.dim(), 0u32);
            let mut want_c = c.clone();
            gemm_argmax::<MaxPlus<f32>>(
                MatRef::try_from(av.as_standard_layout().view()).unwrap(),
                MatRef::try_from(bv.as_standard_layout().view()).unwrap(),
                MatMut::try_from(want_c.view_mut()).unwrap(),
                MatMut::try_from(want_arg.view_mut()).unwrap(),
                Accum::Replace,
            )
            .unwrap();
            assert_eq!(argk, want_arg);
        }
    }
}

#[test]
fn other_semirings_and_element_types() {
    let a = Array2::from_shape_fn((5, 7), |(i, j)| (i * 7 + j) as i32 % 11 - 5);
    let b = Array2::from_shape_fn((7, 4), |(i, j)| (i * 3 + j * 5) as i32 % 9 - 4);
    let c = nd::matmul::<MinPlus<i32>>(&a, b.view()).unwrap();
    assert_eq!(c, reference::<MinPlus<i32>>(a.view(), b.view()));
    let too_big = Array2::from_elem((7, 4), i32::MAX - 1);
    assert!(matches!(
        nd::matmul::<MinPlus<i32>>(&a, &too_big),
        Err(Error::ValueOutOfRange { .. })
    ));
    let p = Array2::from_shape_fn((6, 6), |(i, j)| (i + j) % 3 == 0);
    let q = p.t();
    assert_eq!(
        nd::matmul::<OrAnd>(&p, q).unwrap(),
        reference::<OrAnd>(p.view(), q)
    );
    let x = Array2::from_shape_fn((4, 6), |(i, j)| (i + 2 * j) as f64 * 0.25);
    let y = x.t();
    assert_eq!(
        nd::matmul::<MaxMul<f64>>(&x, y).unwrap(),
        reference::<MaxMul<f64>>(x.view(), y)
    );
}

#[test]
fn matmul_into_writes_only_its_view_and_nothing_on_error() {
    let a = values(6, 5, 6);
    let b = values(5, 4, 7);
    let expected = reference::<MaxPlus<f32>>(a.view(), b.view());
    let mut big = Array2::from_elem((10, 10), 99.0f32);
    // A block with gaps: computed beside and copied in.
    nd::matmul_into::<MaxPlus<f32>>(&a, &b, big.slice_mut(s![2..8, 3..7]), Accum::Replace).unwrap();
    assert!(same_bits(&big.slice(s![2..8, 3..7]).to_owned(), &expected));
    let outside = big.iter().filter(|&&x| x == 99.0).count();
    assert_eq!(outside, 100 - 24);
    // Combine: C ⊕ A⊗B over a transposed (gapless) output.
    let mut ct = Array2::from_elem((4, 6).f(), 0.0f32);
    nd::matmul_into::<MaxPlus<f32>>(&a, &b, ct.view_mut().reversed_axes(), Accum::Combine).unwrap();
    let combined = expected.mapv(|x| if x > 0.0 { x } else { 0.0 });
    assert!(same_bits(&ct.t().to_owned(), &combined));
    // A shape mismatch leaves the output as it was.
    let before = big.clone();
    let wrong = values(4, 4, 8);
    let err =
        nd::matmul_into::<MaxPlus<f32>>(&a, &wrong, big.slice_mut(s![2..8, 3..7]), Accum::Replace);
    assert!(matches!(err, Err(Error::DimensionMismatch { .. })));
    assert!(same_bits(&big, &before));
}

#[test]
fn batches_broadcast_a_single_item() {
    let a = Array3::from_shape_fn((3, 4, 5), |(t, i, j)| ((t * 7 + i * 3 + j) % 6) as f32);
    let b = Array3::from_shape_fn((1, 5, 2), |(_, i, j)| ((i + 2 * j) % 4) as f32);
    let c = nd::matmul_batched::<MaxPlus<f32>>(&a, &b).unwrap();
    let (values, argk) = nd::matmul_argmax_batched::<MaxPlus<f32>>(&a, &b).unwrap();
    assert_eq!(c.dim(), (3, 4, 2));
    for t in 0..3 {
        let want = reference::<MaxPlus<f32>>(a.index_axis(Axis(0), t), b.index_axis(Axis(0), 0));
        assert_eq!(c.index_axis(Axis(0), t), want);
        assert_eq!(values.index_axis(Axis(0), t), want);
        let (_, want_arg) =
            nd::matmul_argmax::<MaxPlus<f32>>(a.index_axis(Axis(0), t), b.index_axis(Axis(0), 0))
                .unwrap();
        assert_eq!(argk.index_axis(Axis(0), t), want_arg);
    }
    // Batches with gaps (every other item) are copied, not refused.
    let strided = nd::matmul_batched::<MaxPlus<f32>>(a.slice(s![..;2, .., ..]), &b).unwrap();
    assert_eq!(strided.index_axis(Axis(0), 1), c.index_axis(Axis(0), 2));
    let two = Array3::from_elem((2, 5, 2), 0.0f32);
    assert!(matches!(
        nd::matmul_batched::<MaxPlus<f32>>(&a, &two),
        Err(Error::BatchCountMismatch { .. })
    ));
}

#[test]
fn argmax_marks_outputs_nothing_won() {
    let a = Array2::from_elem((2, 3), f32::NEG_INFINITY);
    let b = Array2::from_elem((3, 2), 1.0f32);
    let (c, argk) = nd::matmul_argmax::<MaxPlus<f32>>(&a, &b).unwrap();
    assert!(c.iter().all(|&x| x == f32::NEG_INFINITY));
    assert!(argk.iter().all(|&k| k == NO_ARG));
}

#[test]
fn outputs_past_memory_are_an_error_not_an_abort() {
    let one = [1.0f32];
    let tall = ArrayView2::from_shape((1, 1), &one[..]).unwrap();
    let a = tall.broadcast((1usize << 40, 1)).unwrap();
    let b = tall.broadcast((1, 1usize << 40)).unwrap();
    assert!(matches!(
        nd::matmul::<MaxPlus<f32>>(a, b),
        Err(Error::LayoutOverflow)
    ));
}

#[test]
fn broadcast_views_past_isize_elements_do_not_convert() {
    let one = [1.0f32];
    let huge = MatRef::new(&one[..], 1 << 32, 1 << 32, 0, 0).unwrap();
    assert_eq!(
        ArrayView2::try_from(huge).unwrap_err(),
        Error::LayoutOverflow
    );
    let none: [f32; 0] = [];
    let wide = MatRef::new(&none[..], 0, usize::MAX, 1, 1).unwrap();
    assert_eq!(
        ArrayView2::try_from(wide).unwrap_err(),
        Error::LayoutOverflow
    );
    let fits = MatRef::new(&one[..], 1 << 20, 1 << 20, 0, 0).unwrap();
    assert_eq!(
        ArrayView2::try_from(fits).unwrap().dim(),
        (1 << 20, 1 << 20)
    );
}

#[test]
fn empty_views_convert_with_any_strides() {
    let none: [f32; 0] = [];
    let view = ArrayView2::try_from(MatRef::new(&none[..], 3, 0, -1000, 1).unwrap()).unwrap();
    assert_eq!(view.dim(), (3, 0));
    assert_eq!(view.index_axis(Axis(0), 2).len(), 0);
    let mut nothing: [f32; 0] = [];
    let view =
        ArrayViewMut2::try_from(MatMut::new(&mut nothing[..], 0, 4, 7, -9).unwrap()).unwrap();
    assert_eq!(view.dim(), (0, 4));
}

#[test]
fn a_wrong_depth_is_reported_before_any_output_is_made() {
    let one = [1.0f32];
    let cell = ArrayView2::from_shape((1, 1), &one[..]).unwrap();
    let a = Array2::from_elem((2, 3), 0.0f32);
    let wide = cell.broadcast((4, 1usize << 40)).unwrap(); // 2 × 2^40 outputs
    assert!(matches!(
        nd::matmul::<MaxPlus<f32>>(&a, wide),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        nd::matmul_argmax::<MaxPlus<f32>>(&a, wide),
        Err(Error::DimensionMismatch { .. })
    ));
}

#[test]
fn a_broadcast_view_with_gaps_is_copied_once_not_per_repeat() {
    // A column cut out of a matrix (gaps) repeated 2^40 times: the copy
    // holds the 8 distinct elements, so the call reaches the shape check
    // instead of asking for 32 TiB.
    let base = values(8, 8, 9);
    let column = base.slice(s![.., 3..4]);
    let a = column.broadcast((8, 1usize << 40)).unwrap();
    let one = [1.0f32];
    let cell = ArrayView2::from_shape((1, 1), &one[..]).unwrap();
    let b = cell.broadcast(((1usize << 40) + 1, 1)).unwrap();
    let mut c = Array2::from_elem((8, 1), 0.0f32);
    let err = nd::matmul_into::<MaxPlus<f32>>(a, b, c.view_mut(), Accum::Replace);
    assert!(matches!(err, Err(Error::DimensionMismatch { .. })));
    // The same column broadcast to a product that runs.
    let a = column.broadcast((8, 5)).unwrap();
    let b = values(5, 3, 10);
    let c = nd::matmul::<MaxPlus<f32>>(a, &b).unwrap();
    assert!(same_bits(&c, &reference::<MaxPlus<f32>>(a, b.view())));
}
