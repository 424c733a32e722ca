//! Every `Error` variant reached through the public API, with C untouched.

use tropical_blas::{
    Accum, Error, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, MaxPlus, MinPlus, Operand,
    TilingParams, gemm, gemm_raw, gemm_with,
};

const SENTINEL: f32 = 12345.0;

#[test]
fn dimension_mismatch_leaves_c_untouched() {
    let a = [1.0f32; 6];
    let b = [1.0f32; 6];
    let mut c = [SENTINEL; 4];
    let err = gemm::<MaxPlus<f32>>(
        MatRef::row_major(&a, 2, 3).unwrap(),
        MatRef::row_major(&b, 2, 3).unwrap(), // should be 3×n
        MatMut::row_major(&mut c, 2, 2).unwrap(),
        Accum::Replace,
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::DimensionMismatch {
            a: (2, 3),
            b: (2, 3),
            c: (2, 2)
        }
    );
    assert!(err.to_string().contains("dimension mismatch"));
    assert_eq!(c, [SENTINEL; 4]);

    let b = [1.0f32; 6];
    let mut c = [SENTINEL; 6];
    let err = gemm::<MaxPlus<f32>>(
        MatRef::row_major(&a, 2, 3).unwrap(),
        MatRef::row_major(&b, 3, 2).unwrap(),
        MatMut::row_major(&mut c, 3, 2).unwrap(), // should be 2×2
        Accum::Combine,
    )
    .unwrap_err();
    assert!(matches!(err, Error::DimensionMismatch { .. }));
    assert_eq!(c, [SENTINEL; 6]);
}

#[test]
fn buffer_too_short() {
    let a = [0.0f32; 5];
    assert_eq!(
        MatRef::row_major(&a, 2, 3).unwrap_err(),
        Error::BufferTooShort { needed: 6, len: 5 }
    );
    assert_eq!(
        MatRef::new(&a, 2, 2, 4, 1).unwrap_err(),
        Error::BufferTooShort { needed: 6, len: 5 }
    );
    let mut c = [0.0f32; 3];
    assert!(matches!(
        MatMut::col_major(&mut c, 2, 2).unwrap_err(),
        Error::BufferTooShort { needed: 4, len: 3 }
    ));
    // Negative strides need the same span, measured from the other end.
    assert!(MatRef::new(&a, 2, 2, -4, -1).is_err());
    assert!(MatRef::new(&a, 2, 2, -3, -1).is_ok());
}

#[test]
fn layout_overflow() {
    let a = [0.0f32; 4];
    assert_eq!(
        MatRef::new(&a, 3, 3, isize::MAX, 1).unwrap_err(),
        Error::LayoutOverflow
    );
    assert_eq!(
        MatRef::row_major(&a, 2, usize::MAX).unwrap_err(),
        Error::LayoutOverflow
    );
}

#[test]
fn aliasing_output_is_rejected_exactly() {
    let mut c = [0.0f32; 16];
    // A zero stride aliases; so does a row stride smaller than the row.
    assert!(matches!(
        MatMut::new(&mut c, 2, 2, 0, 1),
        Err(Error::AliasingOutput { .. })
    ));
    assert!(matches!(
        MatMut::new(&mut c, 3, 3, 2, 1),
        Err(Error::AliasingOutput { .. })
    ));
    assert!(matches!(
        MatMut::new(&mut c, 2, 3, 2, 1),
        Err(Error::AliasingOutput { .. })
    ));
    // Interleaved but disjoint layouts are accepted: 2×2 at strides (3, 2)
    // touches 0, 2, 3, 5.
    assert!(MatMut::new(&mut c, 2, 2, 3, 2).is_ok());
    assert!(MatMut::new(&mut c, 1, 4, 0, 1).is_ok()); // a single row may have any row stride
    assert!(MatMut::new(&mut c, 0, 4, 0, 0).is_ok()); // empty views are valid whatever the strides
    // A MatRef may broadcast.
    assert!(MatRef::new(&c, 4, 4, 0, 1).is_ok());
    let err = MatMut::new(&mut c, 4, 4, 1, 1).unwrap_err();
    assert!(err.to_string().contains("aliasing"));
}

#[test]
fn aliasing_check_matches_brute_force() {
    let mut buf = [0u8; 64];
    for rows in 1..5usize {
        for cols in 1..5usize {
            for rs in -5isize..=5 {
                for cs in -5isize..=5 {
                    let mut seen = std::collections::HashSet::new();
                    let mut distinct = true;
                    for i in 0..rows as isize {
                        for j in 0..cols as isize {
                            distinct &= seen.insert(i * rs + j * cs);
                        }
                    }
                    let ok = MatMut::new(&mut buf, rows, cols, rs, cs).is_ok();
                    assert_eq!(ok, distinct, "{rows}x{cols} strides ({rs}, {cs})");
                }
            }
        }
    }
}

#[test]
fn integer_out_of_range_leaves_c_untouched() {
    let limit = 1i32 << 28;
    let b = [0i32; 4];
    for (bad, operand, row, col) in [(limit + 1, Operand::A, 1, 0), (i32::MAX, Operand::B, 0, 1)] {
        let mut a = [0i32; 4];
        let mut b = b;
        match operand {
            Operand::A => a[2] = bad,
            _ => b[1] = bad,
        }
        let mut c = [77i32; 4];
        let err = gemm::<MaxPlus<i32>>(
            MatRef::row_major(&a, 2, 2).unwrap(),
            MatRef::row_major(&b, 2, 2).unwrap(),
            MatMut::row_major(&mut c, 2, 2).unwrap(),
            Accum::Replace,
        )
        .unwrap_err();
        assert_eq!(err, Error::ValueOutOfRange { operand, row, col });
        assert!(err.to_string().contains("out of range"));
        assert_eq!(c, [77; 4]);
    }
    // MIN is MinPlus's out-of-range value and MaxPlus's ZERO.
    let a = [i64::MIN, 0, 0, 0];
    let mut c = [5i64; 4];
    let err = gemm::<MinPlus<i64>>(
        MatRef::row_major(&a, 2, 2).unwrap(),
        MatRef::row_major(&a, 2, 2).unwrap(),
        MatMut::row_major(&mut c, 2, 2).unwrap(),
        Accum::Combine,
    );
    assert!(matches!(
        err,
        Err(Error::ValueOutOfRange {
            operand: Operand::A,
            row: 0,
            col: 0
        })
    ));
    assert_eq!(c, [5; 4]);
}

#[test]
fn invalid_tiling() {
    let a = [1.0f32; 4];
    let mut c = [SENTINEL; 4];
    let cfg = GemmConfig::default().with_tiling(TilingParams::new(0, 4, 4));
    let err = gemm_with::<MaxPlus<f32>>(
        &mut GemmWorkspace::new(),
        &cfg,
        MatRef::row_major(&a, 2, 2).unwrap(),
        MatRef::row_major(&a, 2, 2).unwrap(),
        MatMut::row_major(&mut c, 2, 2).unwrap(),
        Accum::Replace,
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidTiling { .. }));
    assert_eq!(c, [SENTINEL; 4]);
}

#[test]
fn unavailable_isa_is_an_error_not_a_fallback() {
    let detected = tropical_blas::detected_isa();
    let a = [1.0f32; 4];
    for level in IsaLevel::ALL {
        let mut c = [SENTINEL; 4];
        let result = gemm_with::<MaxPlus<f32>>(
            &mut GemmWorkspace::new(),
            &GemmConfig::default().with_isa(level),
            MatRef::row_major(&a, 2, 2).unwrap(),
            MatRef::row_major(&a, 2, 2).unwrap(),
            MatMut::row_major(&mut c, 2, 2).unwrap(),
            Accum::Replace,
        );
        if level > detected {
            assert_eq!(
                result,
                Err(Error::IsaUnavailable {
                    requested: level,
                    detected
                })
            );
            assert_eq!(c, [SENTINEL; 4]);
        } else {
            assert_eq!(result, Ok(()));
            assert_eq!(c, [2.0; 4]);
        }
    }
}

#[test]
fn isa_names_parse_and_reject_unknown() {
    assert_eq!("avx512".parse::<IsaLevel>(), Ok(IsaLevel::Avx512));
    assert_eq!("AVX512FP16".parse::<IsaLevel>(), Ok(IsaLevel::Avx512Fp16));
    assert_eq!(" AVX2 ".parse::<IsaLevel>(), Ok(IsaLevel::Avx2));
    assert_eq!("scalar".parse::<IsaLevel>(), Ok(IsaLevel::Scalar));
    let err = "sse9".parse::<IsaLevel>().unwrap_err();
    assert_eq!(
        err,
        Error::InvalidIsaSetting {
            value: "sse9".into()
        }
    );
    assert!(err.to_string().contains("TROPICAL_BLAS_ISA"));
}

#[test]
fn raw_entry_reports_errors_without_writing() {
    let a = [1.0f32; 4];
    let mut c = [SENTINEL; 4];
    // SAFETY: every pointer covers its 2×2 layout; C is disjoint from A.
    let err = unsafe {
        gemm_raw::<MaxPlus<f32>>(
            2,
            2,
            2,
            a.as_ptr(),
            2,
            1,
            a.as_ptr(),
            2,
            1,
            c.as_mut_ptr(),
            0,
            1,
            Accum::Replace,
        )
    };
    assert!(matches!(err, Err(Error::AliasingOutput { .. })));
    assert_eq!(c, [SENTINEL; 4]);
}

#[test]
fn out_of_range_position_is_reported_for_every_layout() {
    let mut data = [0i64; 12];
    data[7] = i64::MIN + 1; // row 1, col 2 of a 3×4 column-major matrix
    let b = [0i64; 8];
    for (a, want) in [
        (MatRef::col_major(&data, 3, 4).unwrap(), (1, 2)),
        (MatRef::row_major(&data, 3, 4).unwrap(), (1, 3)),
        (MatRef::new(&data, 3, 4, -4, -1).unwrap(), (1, 0)),
    ] {
        let mut c = [5i64; 6];
        let err = gemm::<MinPlus<i64>>(
            a,
            MatRef::row_major(&b, 4, 2).unwrap(),
            MatMut::row_major(&mut c, 3, 2).unwrap(),
            Accum::Replace,
        );
        assert_eq!(
            err,
            Err(Error::ValueOutOfRange {
                operand: Operand::A,
                row: want.0,
                col: want.1
            })
        );
        assert_eq!(c, [5; 6]);
    }
}

#[test]
fn huge_broadcast_shapes_are_refused_not_overflowed() {
    // Zero strides let one element stand for a 1×2^62 matrix: the packing
    // buffers for it cannot exist, so the call must fail before writing.
    let one = [true];
    let mut c = [true];
    for level in [IsaLevel::Scalar, tropical_blas::detected_isa()] {
        let err = gemm_with::<tropical_blas::OrAnd>(
            &mut GemmWorkspace::new(),
            &GemmConfig::default().with_isa(level),
            MatRef::new(&one, 1, 1 << 62, 0, 0).unwrap(),
            MatRef::new(&one, 1 << 62, 1, 0, 0).unwrap(),
            MatMut::row_major(&mut c, 1, 1).unwrap(),
            Accum::Replace,
        );
        assert_eq!(err, Err(Error::LayoutOverflow));
        assert_eq!(c, [true]);
    }
}

/// The input range check scans with vectors where the level allows
/// (AVX2 for 64-bit values): a refused value is found, and its position
/// reported, in every lane and on both sides of the 64-element scan
/// blocks, at every level, in A's row scan and column scan and in B; the
/// accepted extremes (±limit and ZERO) pass.
#[test]
fn range_check_finds_every_position_at_every_level() {
    fn sweep<S: tropical_blas::Semiring>(accepted: [S::Scalar; 3], refused: [S::Scalar; 3])
    where
        S::Scalar: Default,
    {
        let len = 131;
        let levels = IsaLevel::ALL
            .into_iter()
            .filter(|&level| level <= tropical_blas::detected_isa());
        for level in levels {
            let cfg = GemmConfig::default().with_isa(level);
            for pos in 0..len {
                let values = accepted.iter().map(|&v| (v, false));
                for (value, refuse) in values.chain(refused.iter().map(|&v| (v, true))) {
                    let mut line = vec![S::Scalar::default(); len];
                    line[pos] = value;
                    let other = vec![S::Scalar::default(); len];
                    let one = [S::Scalar::default()];
                    let two = [S::Scalar::default(); 2];
                    // Two lines of len with 3 values of padding between
                    // them: the per-line scans (gapless matrices scan as
                    // one slice); the value sits in the second line.
                    let stride = len + 3;
                    let mut gapped = vec![S::Scalar::default(); stride + len];
                    gapped[stride + pos] = value;
                    // (A, B, C's shape, the operand and position refused)
                    let cases = [
                        // A 1×len, row-major: the row scan.
                        (
                            MatRef::row_major(&line, 1, len).unwrap(),
                            MatRef::col_major(&other, len, 1).unwrap(),
                            (1, 1),
                            (Operand::A, 0, pos),
                        ),
                        // A len×1, column-major: the column scan.
                        (
                            MatRef::col_major(&line, len, 1).unwrap(),
                            MatRef::row_major(&one, 1, 1).unwrap(),
                            (len, 1),
                            (Operand::A, pos, 0),
                        ),
                        // A 2×len, rows apart: the scan row by row.
                        (
                            MatRef::new(&gapped, 2, len, stride as isize, 1).unwrap(),
                            MatRef::col_major(&other, len, 1).unwrap(),
                            (2, 1),
                            (Operand::A, 1, pos),
                        ),
                        // A len×2, columns apart: column by column.
                        (
                            MatRef::new(&gapped, len, 2, 1, stride as isize).unwrap(),
                            MatRef::row_major(&two, 2, 1).unwrap(),
                            (len, 1),
                            (Operand::A, pos, 1),
                        ),
                        // B 1×len, row-major.
                        (
                            MatRef::row_major(&one, 1, 1).unwrap(),
                            MatRef::row_major(&line, 1, len).unwrap(),
                            (1, len),
                            (Operand::B, 0, pos),
                        ),
                    ];
                    for (a, b, (m, n), (operand, row, col)) in cases {
                        let mut c = vec![S::ZERO; m * n];
                        let result = gemm_with::<S>(
                            &mut GemmWorkspace::new(),
                            &cfg,
                            a,
                            b,
                            MatMut::row_major(&mut c, m, n).unwrap(),
                            Accum::Replace,
                        );
                        let want = if refuse {
                            Err(Error::ValueOutOfRange { operand, row, col })
                        } else {
                            Ok(())
                        };
                        assert_eq!(
                            result, want,
                            "level {level}, {operand:?} position {pos}, value {value:?}"
                        );
                    }
                }
            }
        }
    }
    let limit64 = 1i64 << 60;
    sweep::<MinPlus<i64>>(
        [limit64, -limit64, i64::MAX],
        [limit64 + 1, -limit64 - 1, i64::MIN],
    );
    sweep::<MaxPlus<i64>>(
        [limit64, -limit64, i64::MIN],
        [limit64 + 1, -limit64 - 1, i64::MAX],
    );
    let limit16 = 1i16 << 12;
    sweep::<MinPlus<i16>>(
        [limit16, -limit16, i16::MAX],
        [limit16 + 1, -limit16 - 1, i16::MIN],
    );
    sweep::<MaxPlus<i16>>(
        [limit16, -limit16, i16::MIN],
        [limit16 + 1, -limit16 - 1, i16::MAX],
    );
    let limit32 = 1i32 << 28;
    sweep::<MinPlus<i32>>(
        [limit32, -limit32, i32::MAX],
        [limit32 + 1, -limit32 - 1, i32::MIN],
    );
    sweep::<MaxPlus<i32>>(
        [limit32, -limit32, i32::MIN],
        [limit32 + 1, -limit32 - 1, i32::MAX],
    );
}
