//! Dispatch: the report, the kernels per level, and (under qemu in CI) the
//! level a given CPU model must detect.

use tropical_blas::half::f16;
use tropical_blas::{
    Error, IsaLevel, MaxMul, MaxPlus, MinMax, MinPlus, OrAnd, dispatch_report, kernel_at,
};

/// CI runs this binary under `qemu-x86_64 -cpu Nehalem` / `-cpu Haswell`
/// with `TROPICAL_BLAS_EXPECT_ISA` set: the detected level must match.
#[test]
fn detected_level_matches_expectation() {
    let report = dispatch_report();
    println!("{report}");
    if let Ok(expected) = std::env::var("TROPICAL_BLAS_EXPECT_ISA") {
        let expected: IsaLevel = expected.parse().unwrap();
        assert_eq!(report.detected, expected, "{report}");
        assert_eq!(report.active, Ok(expected));
        for k in &report.kernels {
            assert_eq!(k.isa, kernel_level(k.semiring, expected), "{k:?}");
        }
    }
}

/// The level of a built-in's kernel at `level`: `bf16` has only the
/// portable kernel, `f16` its AVX-512 FP16 kernel at `Avx512Fp16` and the
/// portable one below, every other type its own kernel up to `Avx512`.
fn kernel_level(semiring: &str, level: IsaLevel) -> IsaLevel {
    if semiring.ends_with("<bf16>") {
        IsaLevel::Scalar
    } else if semiring.ends_with("<f16>") {
        if level == IsaLevel::Avx512Fp16 {
            level
        } else {
            IsaLevel::Scalar
        }
    } else {
        level.min(IsaLevel::Avx512)
    }
}

#[test]
fn report_lists_every_builtin_with_its_tile() {
    let report = dispatch_report();
    assert_eq!(report.kernels.len(), 33);
    let text = report.to_string();
    assert!(text.contains("detected level"));
    assert!(text.contains("OrAnd"));
    let level = report.active.clone().unwrap();
    for k in &report.kernels {
        assert_eq!(k.isa, kernel_level(k.semiring, level), "{k:?}");
        assert!(text.contains(k.kernel));
    }
}

#[test]
fn each_level_binds_its_own_kernel() {
    let detected = tropical_blas::detected_isa();
    // The float (max|min, +) kernels add on the multiply-add units where
    // the report says so, and their names end in "-fma"; only they do.
    let fma = if dispatch_report().add_on_fma.0 {
        "-fma"
    } else {
        ""
    };
    // The 8-byte and bool AVX-512 tiles are one vector wide where the
    // report says so (tests/narrow_tiles.rs forces either shape).
    let narrow = dispatch_report().narrow_tiles.0;
    let expect = |level: IsaLevel| -> (String, usize, usize) {
        match level {
            IsaLevel::Scalar => ("portable".into(), 4, 8),
            IsaLevel::Avx2 => (format!("avx2-8x8{fma}"), 8, 8),
            IsaLevel::Avx512 | IsaLevel::Avx512Fp16 => (format!("avx512-16x16{fma}"), 16, 16),
        }
    };
    for level in IsaLevel::ALL {
        match kernel_at::<MaxPlus<f32>>(level) {
            Ok(k) => {
                assert!(level <= detected);
                assert_eq!((k.name().to_string(), k.mr(), k.nr()), expect(level));
                assert_eq!(k.isa(), level.min(IsaLevel::Avx512));
            }
            Err(e) => {
                assert!(level > detected);
                assert_eq!(
                    e,
                    Error::IsaUnavailable {
                        requested: level,
                        detected
                    }
                );
                println!("skipping level {level}: {e}");
            }
        }
    }
    if detected >= IsaLevel::Avx512Fp16 {
        let k = kernel_at::<MaxPlus<f16>>(IsaLevel::Avx512Fp16).unwrap();
        assert_eq!((k.name(), k.mr(), k.nr()), ("avx512fp16-16x32", 16, 32));
        assert_eq!(k.isa(), IsaLevel::Avx512Fp16);
        let k = tropical_blas::arg_kernel_at::<MinMax<f16>>(IsaLevel::Avx512Fp16).unwrap();
        assert_eq!((k.name(), k.mr(), k.nr()), ("avx512fp16-arg-8x32", 8, 32));
    }
    if detected >= IsaLevel::Avx512 {
        // The name states the packed tile, and the tile is what it says.
        // The ⊗ on FMA keeps 8×16 with narrow tiles too.
        let f64_kernel = kernel_at::<MinPlus<f64>>(IsaLevel::Avx512).unwrap();
        let (mr, nr) = if narrow && fma.is_empty() {
            (16, 8)
        } else {
            (8, 16)
        };
        assert_eq!(
            (
                f64_kernel.name().to_string(),
                f64_kernel.mr(),
                f64_kernel.nr()
            ),
            (format!("avx512-{mr}x{nr}{fma}"), mr, nr)
        );
        let f64_times = kernel_at::<MaxMul<f64>>(IsaLevel::Avx512).unwrap();
        let (mr, nr) = if narrow { (16, 8) } else { (8, 16) };
        assert_eq!(
            (f64_times.name(), f64_times.mr(), f64_times.nr()),
            (format!("avx512-{mr}x{nr}").as_str(), mr, nr)
        );
        let f32_arg = tropical_blas::arg_kernel_at::<MinPlus<f32>>(IsaLevel::Avx512).unwrap();
        assert_eq!(f32_arg.name(), format!("avx512-arg-8x16{fma}"));
        // f16 has no AVX-512F kernel: the portable one, bit-identical.
        assert_eq!(
            kernel_at::<MaxPlus<f16>>(IsaLevel::Avx512).unwrap().name(),
            "portable"
        );
        let or_and = kernel_at::<OrAnd>(IsaLevel::Avx512).unwrap();
        let (mr, nr) = if narrow { (16, 64) } else { (8, 128) };
        assert_eq!(
            (or_and.name(), or_and.mr(), or_and.nr()),
            (format!("avx512-{mr}x{nr}").as_str(), mr, nr)
        );
        assert_eq!(
            kernel_at::<OrAnd>(IsaLevel::Avx2).unwrap().name(),
            "avx2-8x32"
        );
        // i16: one register of 32 lanes per row, 16 rows.
        let i16_kernel = kernel_at::<MaxPlus<i16>>(IsaLevel::Avx512).unwrap();
        assert_eq!(
            (i16_kernel.name(), i16_kernel.mr(), i16_kernel.nr()),
            ("avx512-16x32", 16, 32)
        );
        let i16_arg = tropical_blas::arg_kernel_at::<MinPlus<i16>>(IsaLevel::Avx512).unwrap();
        assert_eq!(
            (i16_arg.name(), i16_arg.mr(), i16_arg.nr()),
            ("avx512-arg-8x32", 8, 32)
        );
    }
    if detected >= IsaLevel::Avx2 {
        let i16_kernel = kernel_at::<MinPlus<i16>>(IsaLevel::Avx2).unwrap();
        assert_eq!(
            (i16_kernel.name(), i16_kernel.mr(), i16_kernel.nr()),
            ("avx2-8x16", 8, 16)
        );
        let i16_arg = tropical_blas::arg_kernel_at::<MaxPlus<i16>>(IsaLevel::Avx2).unwrap();
        assert_eq!(
            (i16_arg.name(), i16_arg.mr(), i16_arg.nr()),
            ("avx2-arg-6x16", 6, 16)
        );
    }
}

#[test]
fn peak_probe_measures_something() {
    let k = kernel_at::<MaxPlus<f32>>(IsaLevel::Scalar).unwrap();
    let ops = k.peak_ops_per_second(std::time::Duration::from_millis(5));
    assert!(ops.is_finite() && ops > 1e6, "{ops}");
}
