//! `gemm_argmax` against an independent reference, bitwise, for every
//! selecting built-in at every ISA level: values, indices (smallest k on
//! ties, global across k-blocks), `Combine`, k = 0, layouts, threads,
//! batches and errors (the backward pass: tests/argmax_backward.rs).

mod common;

use common::{
    Dense, LAYOUTS, Layout, Rng, TestScalar, available_levels, extents, quick, random_dense,
    random_output, reference_arg, store,
};
use tropical_blas::half::{bf16, f16};
use tropical_blas::{
    Accum, BatchMut, BatchRef, Error, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, MaxMin,
    MaxMul, MaxPlus, MinMax, MinPlus, NO_ARG, Operand, Par, SelectingSemiring, TilingParams,
    arg_kernel_at, gemm_argmax, gemm_argmax_batched, gemm_argmax_with, gemm_with,
};

/// One argmax product checked bitwise against the reference, including
/// every cell of C's and argk's buffers outside the views.
#[allow(clippy::too_many_arguments)]
fn check_arg<S: SelectingSemiring>(
    ws: &mut GemmWorkspace,
    cfg: &GemmConfig,
    a: &Dense<S::Scalar>,
    b: &Dense<S::Scalar>,
    c0: &Dense<S::Scalar>,
    argk0: &Dense<u32>,
    layouts: [Layout; 4],
    accum: Accum,
    what: &str,
) where
    S::Scalar: TestScalar,
{
    let sentinel = S::Scalar::garbage();
    let sa = store(a, layouts[0], sentinel);
    let sb = store(b, layouts[1], sentinel);
    let (c_init, k_init) = match accum {
        Accum::Replace => (
            Dense::from_fn(c0.rows, c0.cols, |_, _| S::Scalar::garbage()),
            Dense::from_fn(c0.rows, c0.cols, |_, _| 0xDEAD_BEEF),
        ),
        Accum::Combine => (c0.clone(), argk0.clone()),
    };
    let mut sc = store(&c_init, layouts[2], sentinel);
    let mut si = store(&k_init, layouts[3], 0xBAD_u32);
    let (want_c, want_k) = reference_arg::<S>(a, b, c0, argk0, accum);
    let mut want_cbuf = sc.buf.clone();
    let mut want_kbuf = si.buf.clone();
    for i in 0..c0.rows {
        for j in 0..c0.cols {
            want_cbuf[sc.index(i, j)] = want_c.at(i, j);
            want_kbuf[si.index(i, j)] = want_k.at(i, j);
        }
    }
    let result = gemm_argmax_with::<S>(
        ws,
        cfg,
        sa.view(),
        sb.view(),
        sc.view_mut(),
        si.view_mut(),
        accum,
    );
    assert_eq!(result, Ok(()), "{what}");
    let shape = format!(
        "{what}: m={} k={} n={} layouts={layouts:?} accum={accum:?}",
        a.rows, a.cols, b.cols
    );
    for (idx, (got, want)) in sc.buf.iter().zip(&want_cbuf).enumerate() {
        assert_eq!(
            got.bits(),
            want.bits(),
            "{shape}: C buffer index {idx}: got {got:?}, want {want:?}"
        );
    }
    assert_eq!(si.buf, want_kbuf, "{shape}: argk buffer");
}

/// C's old indices for Combine: a marker, so "kept" is visible.
fn old_indices(rows: usize, cols: usize) -> Dense<u32> {
    Dense::from_fn(rows, cols, |i, j| 1_000_000 + (i * cols + j) as u32)
}

fn layouts_for(case: usize) -> [Layout; 4] {
    [
        LAYOUTS[case % 6],
        LAYOUTS[(case / 6 + 1) % 6],
        LAYOUTS[(case / 36 + 2) % 6],
        LAYOUTS[(case / 3 + 3) % 6],
    ]
}

/// The sweep for one semiring at one level: shapes around the tile, both
/// accumulation modes, forced small k-blocks (indices global across
/// them), several threads, and the small-matrix path.
fn sweep_arg<S: SelectingSemiring>(level: IsaLevel, seed: u64)
where
    S::Scalar: TestScalar,
{
    let name = std::any::type_name::<S>();
    let kernel = arg_kernel_at::<S>(level).expect("level is available");
    if kernel.isa() != level {
        // The kernel of a lower level (every type but f16 at avx512fp16,
        // f16 below it, bf16): swept at its own level.
        return;
    }
    let (mr, nr) = (kernel.mr(), kernel.nr());
    let what = format!("{name} {} [{level}]", kernel.name());
    let step = if quick() { 3 } else { 1 };
    let mut rng = Rng::new(seed);
    let mut ws = GemmWorkspace::new();
    let mut case = 0usize;
    let packed = |m: usize, n: usize, k: usize| {
        GemmConfig::default()
            .with_isa(level)
            .with_tiling(TilingParams::for_problem(m, n, k, mr, nr).with_small_ops(0))
    };
    for m in extents(mr, step) {
        for n in extents(nr, step) {
            for k in [0, 1, 2, 3, 5, 8, 13, 31] {
                let a = random_dense::<S>(&mut rng, m, k);
                let b = random_dense::<S>(&mut rng, k, n);
                let c = random_output::<S>(&mut rng, m, n);
                let accum = [Accum::Replace, Accum::Combine][case % 2];
                check_arg::<S>(
                    &mut ws,
                    &packed(m, n, k),
                    &a,
                    &b,
                    &c,
                    &old_indices(m, n),
                    layouts_for(case),
                    accum,
                    &what,
                );
                case += 1;
            }
        }
    }
    // Small forced blocks: every k-block boundary must keep the smallest
    // winning k; then several threads over a product past the threshold.
    let forced = GemmConfig::default()
        .with_isa(level)
        .with_tiling(TilingParams::new(2 * mr + 1, 7, nr + 3));
    let threaded = |threads| {
        GemmConfig::default()
            .with_isa(level)
            .with_par(Par::Rayon(threads))
            .with_tiling(TilingParams::new(3 * mr, 40, 4 * nr))
    };
    let configs = [
        (forced, 2 * mr + 2, 15, nr + 4),
        (forced, mr - 1, 22, 2 * nr + 4),
        (threaded(2), 150, 130, 120),
        (threaded(3), 131, 140, 117),
        (GemmConfig::default().with_isa(level), 5, 40, 7), // small path
    ];
    for (cfg, m, k, n) in configs {
        let a = random_dense::<S>(&mut rng, m, k);
        let b = random_dense::<S>(&mut rng, k, n);
        let c = random_output::<S>(&mut rng, m, n);
        for accum in [Accum::Replace, Accum::Combine] {
            check_arg::<S>(
                &mut ws,
                &cfg,
                &a,
                &b,
                &c,
                &old_indices(m, n),
                layouts_for(case),
                accum,
                &what,
            );
            case += 1;
        }
    }
}

macro_rules! arg_sweeps {
    ($($name:ident: $s:ty, $seed:expr;)*) => {$(
        #[test]
        fn $name() {
            for level in available_levels(stringify!($name)) {
                sweep_arg::<$s>(level, $seed);
            }
        }
    )*};
}

arg_sweeps! {
    sweep_max_plus_f32: MaxPlus<f32>, 101;
    sweep_max_plus_f64: MaxPlus<f64>, 102;
    sweep_max_plus_i32: MaxPlus<i32>, 103;
    sweep_max_plus_i64: MaxPlus<i64>, 104;
    sweep_min_plus_f32: MinPlus<f32>, 105;
    sweep_min_plus_f64: MinPlus<f64>, 106;
    sweep_min_plus_i32: MinPlus<i32>, 107;
    sweep_min_plus_i64: MinPlus<i64>, 108;
    sweep_max_mul_f32: MaxMul<f32>, 109;
    sweep_max_mul_f64: MaxMul<f64>, 110;
    sweep_max_min_f32: MaxMin<f32>, 111;
    sweep_max_min_f64: MaxMin<f64>, 112;
    sweep_max_min_i32: MaxMin<i32>, 113;
    sweep_max_min_i64: MaxMin<i64>, 114;
    sweep_min_max_f32: MinMax<f32>, 115;
    sweep_min_max_f64: MinMax<f64>, 116;
    sweep_min_max_i32: MinMax<i32>, 117;
    sweep_min_max_i64: MinMax<i64>, 118;
    sweep_max_plus_i16: MaxPlus<i16>, 119;
    sweep_min_plus_i16: MinPlus<i16>, 120;
    sweep_max_min_i16: MaxMin<i16>, 121;
    sweep_min_max_i16: MinMax<i16>, 122;
    sweep_max_plus_f16: MaxPlus<f16>, 123;
    sweep_min_plus_f16: MinPlus<f16>, 124;
    sweep_max_mul_f16: MaxMul<f16>, 125;
    sweep_max_min_f16: MaxMin<f16>, 126;
    sweep_min_max_f16: MinMax<f16>, 127;
    sweep_max_plus_bf16: MaxPlus<bf16>, 128;
    sweep_min_max_bf16: MinMax<bf16>, 129;
}

/// An i16 argmax tile numbers its chunks of 4 depths in 16-bit lanes, so
/// a k-block deeper than 4·65535 runs in parts: a winner past that depth,
/// a tie after it (which must not win), ZERO and the input bound, with
/// one k-block over the whole depth, at every level, against the
/// reference and against known indices.
#[test]
fn i16_deep_k_block_keeps_first_winner() {
    let k = 4 * 65535 + 4 * 300 + 3;
    let (m, n) = (3, 33);
    let limit = 1i16 << 12;
    let a = Dense::from_fn(m, k, |i, p| match (i, p) {
        (_, 10) => 5,
        (0, 262_000) | (0, 262_200) => 7,
        (1, 262_150) | (1, 262_141) => limit,
        (2, _) if p % 3 == 0 => i16::MIN,
        (2, 262_143) => -limit,
        _ => 0,
    });
    let b = Dense::from_fn(k, n, |p, j| if p == k - 1 { j as i16 - 16 } else { 0 });
    let c = Dense::from_fn(m, n, |i, j| (i * n + j) as i16 - 50);
    let mut rng = Rng::new(123);
    for level in available_levels("i16_deep_k_block_keeps_first_winner") {
        let cfg = GemmConfig::default()
            .with_isa(level)
            .with_tiling(TilingParams::new(8, k, 64));
        let mut ws = GemmWorkspace::new();
        for (case, accum) in [Accum::Replace, Accum::Combine].into_iter().enumerate() {
            check_arg::<MaxPlus<i16>>(
                &mut ws,
                &cfg,
                &a,
                &b,
                &c,
                &old_indices(m, n),
                layouts_for(case),
                accum,
                &format!("MaxPlus<i16> deep [{level}]"),
            );
        }
        let (want, indices) =
            reference_arg::<MaxPlus<i16>>(&a, &b, &c, &old_indices(m, n), Accum::Replace);
        assert_eq!(want.at(0, 0), 7);
        assert_eq!(indices.at(0, 0), 262_000);
        assert_eq!(indices.at(1, 0), 262_141);
        // The same depth through MinPlus, random small values.
        let a2 = random_dense::<MinPlus<i16>>(&mut rng, 2, k);
        let b2 = random_dense::<MinPlus<i16>>(&mut rng, k, 17);
        let c2 = random_output::<MinPlus<i16>>(&mut rng, 2, 17);
        check_arg::<MinPlus<i16>>(
            &mut ws,
            &cfg,
            &a2,
            &b2,
            &c2,
            &old_indices(2, 17),
            layouts_for(3),
            Accum::Combine,
            &format!("MinPlus<i16> deep [{level}]"),
        );
    }
}

/// Every level binds its own SIMD argmax kernel for every built-in.
#[test]
fn every_level_has_its_kernel() {
    for level in available_levels("every_level_has_its_kernel") {
        macro_rules! check {
            ($($s:ty),*) => {$(
                let kernel = arg_kernel_at::<$s>(level).unwrap();
                assert_eq!(
                    kernel.isa(),
                    level.min(IsaLevel::Avx512),
                    "{}: {}",
                    stringify!($s),
                    kernel.name()
                );
            )*};
        }
        check!(
            MaxPlus<f32>,
            MinPlus<f64>,
            MaxMul<f32>,
            MaxMin<i32>,
            MinMax<i64>,
            MinPlus<i32>,
            MaxPlus<i16>,
            MinPlus<i16>,
            MaxMin<i16>,
            MinMax<i16>
        );
        // f16: its FP16 kernel at that level, the portable one below.
        let kernel = arg_kernel_at::<MaxPlus<f16>>(level).unwrap();
        let want = if level == IsaLevel::Avx512Fp16 {
            level
        } else {
            IsaLevel::Scalar
        };
        assert_eq!(kernel.isa(), want, "{}", kernel.name());
    }
}

/// Values are bit-identical to `gemm`'s on the same (tie- and NaN-heavy)
/// inputs, at every level and with the default configuration.
#[test]
fn values_match_gemm() {
    let mut rng = Rng::new(7);
    for level in available_levels("values_match_gemm") {
        for (m, k, n) in [(1, 1, 1), (40, 300, 50), (129, 77, 65), (16, 1, 300)] {
            let a = random_dense::<MaxPlus<f32>>(&mut rng, m, k);
            let b = random_dense::<MaxPlus<f32>>(&mut rng, k, n);
            let cfg = GemmConfig::default().with_isa(level);
            let mut ws = GemmWorkspace::new();
            let (mut c1, mut c2, mut argk) = (vec![0f32; m * n], vec![0f32; m * n], vec![0; m * n]);
            let (av, bv) = (
                MatRef::row_major(&a.data, m, k).unwrap(),
                MatRef::row_major(&b.data, k, n).unwrap(),
            );
            gemm_with::<MaxPlus<f32>>(
                &mut ws,
                &cfg,
                av,
                bv,
                MatMut::row_major(&mut c1, m, n).unwrap(),
                Accum::Replace,
            )
            .unwrap();
            gemm_argmax_with::<MaxPlus<f32>>(
                &mut ws,
                &cfg,
                av,
                bv,
                MatMut::row_major(&mut c2, m, n).unwrap(),
                MatMut::row_major(&mut argk, m, n).unwrap(),
                Accum::Replace,
            )
            .unwrap();
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&c1), bits(&c2), "[{level}] {m}x{k}x{n}");
        }
    }
}

/// All products equal: every output ties over all k, across k-blocks of 3,
/// so the index must be 0 everywhere; with all products ZERO (or NaN)
/// nothing wins and the index is NO_ARG.
#[test]
fn ties_and_no_winner() {
    for level in available_levels("ties_and_no_winner") {
        let cfg = GemmConfig::default()
            .with_isa(level)
            .with_tiling(TilingParams::new(8, 3, 8));
        let (m, k, n) = (20, 10, 19);
        for (fill, want_value, want_index) in [
            (0.5f32, 1.0f32, 0u32),
            (f32::NEG_INFINITY, f32::NEG_INFINITY, NO_ARG),
            (f32::NAN, f32::NEG_INFINITY, NO_ARG),
        ] {
            let a = vec![fill; m * k];
            let b = vec![fill; k * n];
            let (mut c, mut argk) = (vec![7f32; m * n], vec![7u32; m * n]);
            gemm_argmax_with::<MaxPlus<f32>>(
                &mut GemmWorkspace::new(),
                &cfg,
                MatRef::row_major(&a, m, k).unwrap(),
                MatRef::row_major(&b, k, n).unwrap(),
                MatMut::row_major(&mut c, m, n).unwrap(),
                MatMut::row_major(&mut argk, m, n).unwrap(),
                Accum::Replace,
            )
            .unwrap();
            assert!(c.iter().all(|&x| x == want_value), "[{level}] {fill}");
            assert!(argk.iter().all(|&x| x == want_index), "[{level}] {fill}");
        }
    }
}

/// The winner in the last k-block beats earlier blocks only when strictly
/// better; an equal value in a later block keeps the earlier index.
#[test]
fn later_blocks_win_only_when_strictly_better() {
    for level in available_levels("later_blocks") {
        let cfg = GemmConfig::default()
            .with_isa(level)
            .with_tiling(TilingParams::new(16, 4, 16));
        let k = 13;
        let mut a = vec![0f32; k];
        a[2] = 5.0; // block 0
        a[6] = 5.0; // block 1: ties, must not win
        a[12] = 5.0; // block 3: ties, must not win
        let b = vec![0f32; k * 3];
        let mut b_better = b.clone();
        b_better[9 * 3 + 1] = 1.0; // column 1: k = 9 wins with 1.0
        let (mut c, mut argk) = ([0f32; 3], [0u32; 3]);
        gemm_argmax_with::<MaxPlus<f32>>(
            &mut GemmWorkspace::new(),
            &cfg,
            MatRef::row_major(&a, 1, k).unwrap(),
            MatRef::row_major(&b_better, k, 3).unwrap(),
            MatMut::row_major(&mut c, 1, 3).unwrap(),
            MatMut::row_major(&mut argk, 1, 3).unwrap(),
            Accum::Replace,
        )
        .unwrap();
        assert_eq!(c, [5.0, 5.0, 5.0], "[{level}]");
        assert_eq!(argk, [2, 2, 2], "[{level}]");
        let mut a2 = a.clone();
        a2[9] = 5.0;
        gemm_argmax_with::<MaxPlus<f32>>(
            &mut GemmWorkspace::new(),
            &cfg,
            MatRef::row_major(&a2, 1, k).unwrap(),
            MatRef::row_major(&b_better, k, 3).unwrap(),
            MatMut::row_major(&mut c, 1, 3).unwrap(),
            MatMut::row_major(&mut argk, 1, 3).unwrap(),
            Accum::Replace,
        )
        .unwrap();
        assert_eq!(c, [5.0, 6.0, 5.0], "[{level}]");
        assert_eq!(argk, [2, 9, 2], "[{level}]");
    }
}

/// Under Combine, C's old value wins ties and NaN stays: C and argk are
/// left as they were there. k = 0 writes ZERO / NO_ARG under Replace and
/// changes nothing under Combine.
#[test]
fn combine_keeps_old_index_and_k_zero() {
    for level in available_levels("combine") {
        let cfg = GemmConfig::default().with_isa(level);
        let a = [1.0f32, 2.0]; // 1×2
        let b = [0.0f32; 6]; // 2×3
        let mut c = [2.0f32, f32::NAN, 6.0];
        let mut argk = [77u32, 88, 99];
        gemm_argmax_with::<MaxPlus<f32>>(
            &mut GemmWorkspace::new(),
            &cfg,
            MatRef::row_major(&a, 1, 2).unwrap(),
            MatRef::row_major(&b, 2, 3).unwrap(),
            MatMut::row_major(&mut c, 1, 3).unwrap(),
            MatMut::row_major(&mut argk, 1, 3).unwrap(),
            Accum::Combine,
        )
        .unwrap();
        // Products: column 0: 1, 2 → 2 ties C's 2 (kept); column 1: NaN
        // stays; column 2: 1, 2 < 6 (kept).
        assert_eq!(c[0], 2.0);
        assert!(c[1].is_nan());
        assert_eq!(c[2], 6.0);
        assert_eq!(argk, [77, 88, 99], "[{level}]");

        let empty: [f32; 0] = [];
        for (accum, want_c, want_k) in [
            (Accum::Combine, [2.0f32, 3.0], [5u32, 6]),
            (Accum::Replace, [f32::NEG_INFINITY; 2], [NO_ARG; 2]),
        ] {
            let (mut c, mut argk) = ([2.0f32, 3.0], [5u32, 6]);
            gemm_argmax_with::<MaxPlus<f32>>(
                &mut GemmWorkspace::new(),
                &cfg,
                MatRef::row_major(&empty, 2, 0).unwrap(),
                MatRef::row_major(&empty, 0, 1).unwrap(),
                MatMut::row_major(&mut c, 2, 1).unwrap(),
                MatMut::row_major(&mut argk, 2, 1).unwrap(),
                accum,
            )
            .unwrap();
            assert_eq!((c, argk), (want_c, want_k), "[{level}] k = 0 {accum:?}");
        }
    }
}

#[test]
fn errors_write_nothing() {
    let a = [1.0f32; 6];
    let b = [1.0f32; 6];
    let (mut c, mut argk) = ([9.0f32; 4], [9u32; 6]);
    let err = gemm_argmax::<MaxPlus<f32>>(
        MatRef::row_major(&a, 2, 3).unwrap(),
        MatRef::row_major(&b, 3, 2).unwrap(),
        MatMut::row_major(&mut c, 2, 2).unwrap(),
        MatMut::row_major(&mut argk, 2, 3).unwrap(),
        Accum::Replace,
    );
    assert_eq!(
        err,
        Err(Error::ShapeMismatch {
            operand: Operand::ArgK,
            expected: (2, 2),
            found: (2, 3)
        })
    );
    assert_eq!((c, argk), ([9.0; 4], [9; 6]));

    // k = u32::MAX through zero strides: refused before anything runs.
    let one = [0.0f32];
    let big = u32::MAX as usize;
    let (mut c1, mut k1) = ([9.0f32], [9u32]);
    let err = gemm_argmax::<MaxPlus<f32>>(
        MatRef::new(&one, 1, big, 0, 0).unwrap(),
        MatRef::new(&one, big, 1, 0, 0).unwrap(),
        MatMut::row_major(&mut c1, 1, 1).unwrap(),
        MatMut::row_major(&mut k1, 1, 1).unwrap(),
        Accum::Replace,
    );
    assert_eq!(err, Err(Error::IndexOverflow { k: big }));
    assert_eq!((c1, k1), ([9.0], [9]));

    // Out-of-range integer inputs, as for gemm.
    let bad = [i32::MAX - 1, 0];
    let (mut ci, mut ki) = ([9i32], [9u32]);
    let err = gemm_argmax::<MaxPlus<i32>>(
        MatRef::row_major(&bad, 1, 2).unwrap(),
        MatRef::row_major(&[0, 0], 2, 1).unwrap(),
        MatMut::row_major(&mut ci, 1, 1).unwrap(),
        MatMut::row_major(&mut ki, 1, 1).unwrap(),
        Accum::Replace,
    );
    assert!(matches!(err, Err(Error::ValueOutOfRange { .. })));
    assert_eq!((ci, ki), ([9], [9]));
}

/// Batched argmax equals item-by-item calls, on the parallel
/// (small items) and the sequential (large items) routes, with a shared
/// operand and a descending batch stride for argk.
#[test]
fn batched_matches_items() {
    let mut rng = Rng::new(11);
    for (count, m, k, n) in [(37, 5, 9, 6), (3, 140, 130, 120)] {
        let a = random_dense::<MinPlus<f64>>(&mut rng, count * m, k);
        let b = random_dense::<MinPlus<f64>>(&mut rng, k, n); // shared
        let mut c = vec![0f64; count * m * n];
        let mut argk = vec![0u32; count * m * n];
        let item = (m * n) as isize;
        gemm_argmax_batched::<MinPlus<f64>>(
            BatchRef::row_major(&a.data, count, m, k).unwrap(),
            BatchRef::new(&b.data, count, 0, k, n, n as isize, 1).unwrap(),
            BatchMut::row_major(&mut c, count, m, n).unwrap(),
            // argk items stored last to first.
            BatchMut::new(&mut argk, count, -item, m, n, n as isize, 1).unwrap(),
            Accum::Replace,
        )
        .unwrap();
        for i in 0..count {
            let (mut ci, mut ki) = (vec![0f64; m * n], vec![0u32; m * n]);
            gemm_argmax::<MinPlus<f64>>(
                MatRef::row_major(&a.data[i * m * k..(i + 1) * m * k], m, k).unwrap(),
                MatRef::row_major(&b.data, k, n).unwrap(),
                MatMut::row_major(&mut ci, m, n).unwrap(),
                MatMut::row_major(&mut ki, m, n).unwrap(),
                Accum::Replace,
            )
            .unwrap();
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&c[i * m * n..(i + 1) * m * n]), bits(&ci), "item {i}");
            let j = count - 1 - i;
            assert_eq!(&argk[j * m * n..(j + 1) * m * n], &ki[..], "item {i}");
        }
    }
}

/// An f16 argmax lane holds a chunk number in 16 bits: a tile deeper
/// than 2^16 chunks runs in parts, whatever the tiling asks, so a winner
/// past that depth still gets its own index.
#[test]
fn f16_winner_beyond_sixteen_bits_of_chunks() {
    let k = 270_000;
    let mut a = vec![f16::from_f32(1.0); k];
    a[265_001] = f16::from_f32(2.0);
    let b = vec![f16::from_f32(0.5); k];
    for level in available_levels("f16_winner_beyond_sixteen_bits_of_chunks") {
        let cfg = GemmConfig::default()
            .with_isa(level)
            .with_tiling(TilingParams::new(8, 1 << 20, 32));
        let (mut c, mut argk) = ([f16::ZERO; 1], [0u32; 1]);
        gemm_argmax_with::<MaxPlus<f16>>(
            &mut GemmWorkspace::new(),
            &cfg,
            MatRef::row_major(&a, 1, k).unwrap(),
            MatRef::row_major(&b, k, 1).unwrap(),
            MatMut::row_major(&mut c, 1, 1).unwrap(),
            MatMut::row_major(&mut argk, 1, 1).unwrap(),
            Accum::Replace,
        )
        .unwrap();
        assert_eq!((c[0].to_f32(), argk[0]), (2.5, 265_001), "{level}");
    }
}
