//! Every error path: the same error on every rank (or, for an error only
//! some ranks can see, that error there and `OtherRank` elsewhere), with
//! the outputs untouched, and nobody left waiting.

use mpi::topology::SimpleCommunicator;
use mpi::traits::Communicator;
use tropical_blas::{
    Accum, GemmConfig, MatMut, MatRef, MaxPlus, MinPlus, Operand, TilingParams, gemm,
};
use tropical_blas_mpi::{
    DistMatrix, Error, ProcessGrid, SummaConfig, SummaWorkspace, summa, summa_argmax,
    summa_argmax_with, summa_with,
};

use crate::Tally;
use crate::values::{Sample, block_equals, global};

type Mp = MaxPlus<f32>;

/// Checks `result` is `Err(expected)` and that `c` still holds `before`.
fn expect_err(
    tally: &mut Tally,
    what: &str,
    result: Result<(), Error>,
    expected: &Error,
    c: &DistMatrix<'_, f32>,
    before: &[f32],
) {
    let untouched = c
        .local()
        .iter()
        .zip(before)
        .all(|(x, y)| x.bits() == y.bits());
    tally.check(result.as_ref() == Err(expected) && untouched, || {
        format!("{what}: got {result:?}, expected {expected:?}, C untouched: {untouched}")
    });
}

pub fn all(world: &SimpleCommunicator, grid: &ProcessGrid, tally: &mut Tally) {
    let (m, k, n) = (9, 7, 5);
    let a = DistMatrix::from_fn(grid, m, k, |i, j| (i + j) as f32);
    let b = DistMatrix::from_fn(grid, k, n, |i, j| (i * j) as f32);
    let c_fill = |i: usize, j: usize| (i * 100 + j) as f32 - 0.5;
    let mut c = DistMatrix::from_fn(grid, m, n, c_fill);
    let before = c.local().to_vec();

    // Shapes that do not chain: B has one row too many.
    let b_bad = DistMatrix::from_fn(grid, k + 1, n, |_, _| 1.0f32);
    let r = summa::<Mp>(&a, &b_bad, &mut c, Accum::Replace);
    let dims = Error::Node(tropical_blas::Error::DimensionMismatch {
        a: (m, k),
        b: (k + 1, n),
        c: (m, n),
    });
    expect_err(tally, "dimension mismatch", r, &dims, &c, &before);

    // argk of the wrong shape.
    let mut argk = DistMatrix::filled(grid, m, n + 1, 0u32);
    let r = summa_argmax::<Mp>(&a, &b, &mut c, &mut argk, Accum::Replace);
    let shape = Error::Node(tropical_blas::Error::ShapeMismatch {
        operand: Operand::ArgK,
        expected: (m, n),
        found: (m, n + 1),
    });
    expect_err(tally, "argk shape", r, &shape, &c, &before);

    // Panel width 0.
    let cfg = SummaConfig::default().with_panel_width(0);
    let r = summa_with::<Mp>(
        &mut SummaWorkspace::new(),
        &cfg,
        &a,
        &b,
        &mut c,
        Accum::Combine,
    );
    expect_err(
        tally,
        "panel width 0",
        r,
        &Error::InvalidPanelWidth,
        &c,
        &before,
    );

    // A configuration every rank refuses: the node's own error everywhere.
    let bad_tiling = TilingParams::new(0, 64, 64);
    let cfg = SummaConfig::default().with_gemm(GemmConfig::default().with_tiling(bad_tiling));
    let node_err = gemm::<Mp>(
        MatRef::row_major(&[0.0f32], 1, 1).unwrap(),
        MatRef::row_major(&[0.0f32], 1, 1).unwrap(),
        MatMut::row_major(&mut [0.0f32], 1, 1).unwrap(),
        Accum::Replace,
    )
    .and_then(|_| {
        tropical_blas::gemm_with::<Mp>(
            &mut tropical_blas::GemmWorkspace::new(),
            cfg.gemm(),
            MatRef::row_major(&[0.0f32], 1, 1).unwrap(),
            MatRef::row_major(&[0.0f32], 1, 1).unwrap(),
            MatMut::row_major(&mut [0.0f32], 1, 1).unwrap(),
            Accum::Replace,
        )
    })
    .expect_err("a zero block size is refused");
    let r = summa_with::<Mp>(
        &mut SummaWorkspace::new(),
        &cfg,
        &a,
        &b,
        &mut c,
        Accum::Replace,
    );
    expect_err(
        tally,
        "bad tiling everywhere",
        r,
        &Error::Node(node_err.clone()),
        &c,
        &before,
    );

    // A configuration only the last rank refuses: its own error there,
    // OtherRank elsewhere, and nobody hangs.
    let last = grid.size() as i32 - 1;
    let cfg_here = if grid.rank() == last {
        cfg
    } else {
        SummaConfig::default()
    };
    let mut argk = DistMatrix::filled(grid, m, n, 0u32);
    let r = summa_argmax_with::<Mp>(
        &mut SummaWorkspace::new(),
        &cfg_here,
        &a,
        &b,
        &mut c,
        &mut argk,
        Accum::Replace,
    );
    let expected = if grid.rank() == last {
        Error::Node(node_err)
    } else {
        Error::OtherRank { rank: last }
    };
    expect_err(tally, "bad tiling on one rank", r, &expected, &c, &before);

    out_of_range(grid, tally);
    inconsistent(grid, tally);
    mismatched_grids(world, grid, tally);
    scatter_errors(grid, tally);
}

/// Integers outside MinPlus<i32>'s range, in A on the last rank's block
/// and in B on the first: every rank reports the node's error (A first).
fn out_of_range(grid: &ProcessGrid, tally: &mut Tally) {
    type S = MinPlus<i32>;
    let (m, k, n) = (11, 10, 7);
    let mut a_full = global::<S>(5, m, k);
    let mut b_full = global::<S>(6, k, n);
    let big = (1 << 28) + 1;
    a_full[(m - 1) * k + (k - 1)] = big; // the last rank's block
    a_full[(m - 1) * k + (k - 2)] = -big;
    b_full[1] = big; // the first rank's block
    let mut c_full = vec![7i32; m * n];
    let node = gemm::<S>(
        MatRef::row_major(&a_full, m, k).unwrap(),
        MatRef::row_major(&b_full, k, n).unwrap(),
        MatMut::row_major(&mut c_full, m, n).unwrap(),
        Accum::Replace,
    )
    .expect_err("out of range");
    let a = DistMatrix::from_fn(grid, m, k, |i, j| a_full[i * k + j]);
    let b = DistMatrix::from_fn(grid, k, n, |i, j| b_full[i * n + j]);
    let mut c = DistMatrix::filled(grid, m, n, 7i32);
    let r = summa::<S>(&a, &b, &mut c, Accum::Replace);
    tally.check(
        r == Err(Error::Node(node.clone())) && block_equals(&c, &c_full),
        || format!("out of range in A: got {r:?}, node says {node:?}"),
    );
    // Only B out of range.
    let a = DistMatrix::from_fn(grid, m, k, |_, _| 1i32);
    let mut argk = DistMatrix::filled(grid, m, n, 3u32);
    let r = summa_argmax::<S>(&a, &b, &mut c, &mut argk, Accum::Combine);
    let expected = Error::Node(tropical_blas::Error::ValueOutOfRange {
        operand: Operand::B,
        row: 0,
        col: 1,
    });
    let argk_kept = argk.local().iter().all(|&x| x == 3);
    tally.check(
        r == Err(expected.clone()) && block_equals(&c, &c_full) && argk_kept,
        || format!("out of range in B: got {r:?}, expected {expected:?}"),
    );
    // No output (m = 0, or n = 0): the factors are not read, so B's value
    // out of range is no error, as in the node crate.
    for (m, n) in [(0, n), (m, 0)] {
        let a = DistMatrix::from_fn(grid, m, k, |_, _| 1i32);
        let b = DistMatrix::from_fn(grid, k, n, |i, j| b_full[i * 7 + j]);
        let mut c = DistMatrix::filled(grid, m, n, 7i32);
        let mut argk = DistMatrix::filled(grid, m, n, 3u32);
        let r = summa::<S>(&a, &b, &mut c, Accum::Replace);
        let r_arg = summa_argmax::<S>(&a, &b, &mut c, &mut argk, Accum::Replace);
        tally.check(r.is_ok() && r_arg.is_ok(), || {
            format!("{m}x{k}x{n} with B out of range: {r:?}, {r_arg:?}")
        });
    }
}

/// One rank (the last) passes another panel width, overlap or global k
/// than the others: different panel plans, whose broadcasts would not
/// match (a hang or an abort). Every rank must return
/// `InconsistentArguments` naming the argument and the last rank, with C
/// and argk untouched.
fn inconsistent(grid: &ProcessGrid, tally: &mut Tally) {
    if grid.size() < 2 {
        return;
    }
    let last = grid.size() as i32 - 1;
    let odd = grid.rank() == last;
    let (m, k, n) = (8, 9, 6);
    let a = DistMatrix::from_fn(grid, m, k, |i, j| (i + 2 * j) as f32);
    let b = DistMatrix::from_fn(grid, k, n, |i, j| (3 * i + j) as f32);
    let mut c = DistMatrix::from_fn(grid, m, n, |i, j| (i * 10 + j) as f32 + 0.25);
    let before = c.local().to_vec();
    let base = SummaConfig::default().with_panel_width(2);
    let expected = |what| Error::InconsistentArguments { what, rank: last };

    // Panel width: 2 against 4, so the ranks cut k into different panels.
    let cfg = if odd { base.with_panel_width(4) } else { base };
    for overlap in [true, false] {
        let cfg = cfg.with_overlap(overlap);
        let r = summa_with::<Mp>(
            &mut SummaWorkspace::new(),
            &cfg,
            &a,
            &b,
            &mut c,
            Accum::Replace,
        );
        let what = format!("panel width differs on one rank (overlap {overlap})");
        expect_err(tally, &what, r, &expected("panel width"), &c, &before);
    }

    // Overlap: non-blocking broadcasts against blocking ones.
    let cfg = base.with_overlap(!odd);
    let r = summa_with::<Mp>(
        &mut SummaWorkspace::new(),
        &cfg,
        &a,
        &b,
        &mut c,
        Accum::Combine,
    );
    expect_err(
        tally,
        "overlap differs on one rank",
        r,
        &expected("overlap"),
        &c,
        &before,
    );

    // Global k: the last rank's A and B are one deeper (consistent on that
    // rank by itself), so its plan has more panels.
    let k_here = if odd { k + 1 } else { k };
    let a2 = DistMatrix::from_fn(grid, m, k_here, |i, j| (i + j) as f32);
    let b2 = DistMatrix::from_fn(grid, k_here, n, |i, j| (i * j) as f32);
    let mut argk = DistMatrix::filled(grid, m, n, 5u32);
    let r = summa_argmax_with::<Mp>(
        &mut SummaWorkspace::new(),
        &base,
        &a2,
        &b2,
        &mut c,
        &mut argk,
        Accum::Replace,
    );
    let argk_kept = argk.local().iter().all(|&x| x == 5);
    tally.check(argk_kept, || "global k differs: argk written".into());
    expect_err(
        tally,
        "global k differs on one rank",
        r,
        &expected("global shape of A"),
        &c,
        &before,
    );

    // A gather whose ranks disagree on the root.
    let r = c.gather(if odd { 0 } else { last });
    tally.check(r == Err(expected("root")), || {
        format!("gather with different roots: {r:?}")
    });

    // Another semiring over the same scalar: min-plus on the last rank.
    let r = if odd {
        summa::<MinPlus<f32>>(&a, &b, &mut c, Accum::Replace)
    } else {
        summa::<Mp>(&a, &b, &mut c, Accum::Replace)
    };
    expect_err(
        tally,
        "the semiring differs on one rank",
        r,
        &expected("semiring"),
        &c,
        &before,
    );

    // A gather and a scatter of another element type on the last rank.
    let r = if odd {
        DistMatrix::filled(grid, m, n, 0i32)
            .gather(0)
            .map(|x| x.is_some())
    } else {
        c.gather(0).map(|x| x.is_some())
    };
    tally.check(r == Err(expected("element type")), || {
        format!("gather of different element types: {r:?}")
    });
    let data = [1.0f32; 4];
    let r = if odd {
        DistMatrix::<i32>::scatter(grid, 0, None).map(drop)
    } else {
        DistMatrix::scatter(grid, 0, MatRef::row_major(&data, 2, 2).ok()).map(drop)
    };
    tally.check(r == Err(expected("element type")), || {
        format!("scatter of different element types: {r:?}")
    });
}

/// Operands on a grid of another shape (or another communicator).
fn mismatched_grids(world: &SimpleCommunicator, grid: &ProcessGrid, tally: &mut Tally) {
    if grid.size() < 2 {
        return;
    }
    let other = ProcessGrid::new(world, grid.cols(), grid.rows()).expect("the transposed grid");
    let (m, k, n) = (6, 5, 4);
    let a = DistMatrix::from_fn(&other, m, k, |i, j| (i + j) as f32);
    let b = DistMatrix::from_fn(grid, k, n, |i, j| (i + j) as f32);
    let mut c = DistMatrix::filled(grid, m, n, 1.5f32);
    let before = c.local().to_vec();
    let r = summa::<Mp>(&a, &b, &mut c, Accum::Replace);
    let expected = if other.rows() == grid.rows() {
        // A square grid transposes into itself: another duplicate of the
        // same communicator is congruent, so the distribution is the same.
        None
    } else {
        Some(Error::GridMismatch {
            expected: (grid.rows(), grid.cols()),
            found: (other.rows(), other.cols()),
        })
    };
    match expected {
        Some(e) => expect_err(tally, "grid mismatch", r, &e, &c, &before),
        None => tally.check(r.is_ok(), || format!("congruent grids: {r:?}")),
    }
}

fn scatter_errors(grid: &ProcessGrid, tally: &mut Tally) {
    let r = DistMatrix::<f32>::scatter(grid, 0, None);
    tally.check(matches!(r, Err(Error::MissingRootMatrix)), || {
        format!("scatter without a matrix: {r:?}")
    });
    let bad_root = grid.size() as i32;
    let data = [1.0f32; 4];
    let r = DistMatrix::scatter(grid, bad_root, MatRef::row_major(&data, 2, 2).ok());
    let expected = Error::InvalidRoot {
        root: bad_root,
        size: grid.size(),
    };
    tally.check(r.as_ref().err() == Some(&expected), || {
        format!("scatter to a bad root: {r:?}")
    });
    let d = DistMatrix::filled(grid, 3, 3, 0.0f32);
    let r = d.gather(-1);
    tally.check(
        matches!(r, Err(Error::InvalidRoot { root: -1, .. })),
        || format!("gather to a bad root: {r:?}"),
    );
}

/// Grid shapes that do not fit the communicator, or that ranks disagree
/// on: `InvalidGrid` on every rank.
pub fn grids(world: &SimpleCommunicator, tally: &mut Tally) {
    let size = world.size() as usize;
    let r = ProcessGrid::new(world, size + 1, 1);
    tally.check(
        matches!(r, Err(Error::InvalidGrid { rows, cols: 1, size: s }) if rows == size + 1 && s == size),
        || format!("grid too large: {r:?}"),
    );
    let r = ProcessGrid::new(world, 0, size);
    tally.check(r.is_err(), || format!("empty grid: {r:?}"));
    if size > 1 {
        // Rank 0 asks for one row, the others for one column.
        let (rows, cols) = if world.rank() == 0 {
            (1, size)
        } else {
            (size, 1)
        };
        let r = ProcessGrid::new(world, rows, cols);
        tally.check(matches!(r, Err(Error::InvalidGrid { .. })), || {
            format!("disagreeing grid shapes: {r:?}")
        });
    }
    let square = ProcessGrid::square(world).expect("a square grid");
    tally.check(
        square.size() == size && square.rows() <= square.cols(),
        || format!("square grid {}x{}", square.rows(), square.cols()),
    );
}
