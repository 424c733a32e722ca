//! `TROPICAL_BLAS_NARROW_TILES`: the AVX-512 tiles of 8-byte and bool
//! elements one vector wide (16×8, 16×64) instead of two (8×16, 8×128),
//! forced on and off in this test binary's own processes (the variable is
//! read once per process). Either shape must give the scalar reference's
//! results bit for bit, at every level, thread count and block size, and
//! only those tiles change.

mod common;

use common::{
    LAYOUTS, Rng, assert_calls_refused, available_levels, check_product, random_dense,
    random_output, rerun_test, sweep,
};
use tropical_blas::{
    Accum, Error, GemmConfig, GemmWorkspace, IsaLevel, MaxMin, MaxMul, MaxPlus, MinMax, MinPlus,
    OrAnd, Par, Semiring, TilingParams, dispatch_report, kernel_at,
};

/// Re-runs this binary with each setting (`TROPICAL_BLAS_NARROW_CHILD`
/// marks the child and says what it expects), with the add on FMA on
/// (where the CPU has FMA) and off, so that narrow tiles meet both forms
/// of the float max-plus kernels.
#[test]
fn narrow_tiles_setting() {
    if let Ok(mode) = std::env::var("TROPICAL_BLAS_NARROW_CHILD") {
        return child(&mode);
    }
    for (value, want, add_on_fma) in [
        ("on", "on", "on"),
        (" Off ", "off", "on"),
        ("", "default", "off"),
        ("2", "invalid", ""),
    ] {
        let text = rerun_test(
            "narrow_tiles_setting",
            &[
                ("TROPICAL_BLAS_NARROW_TILES", value),
                ("TROPICAL_BLAS_NARROW_CHILD", want),
                ("TROPICAL_BLAS_ADD_ON_FMA", add_on_fma),
            ],
        );
        assert!(text.contains("narrow tiles checked"), "{text}");
    }
}

fn child(want: &str) {
    let report = dispatch_report();
    if want == "invalid" {
        assert_calls_refused(Error::InvalidNarrowTilesSetting { value: "2".into() });
        println!("narrow tiles checked: invalid setting refused");
        return;
    }
    let on = report.narrow_tiles.0;
    let avx512 = report.active.clone().unwrap() >= IsaLevel::Avx512;
    match want {
        "on" => assert_eq!(on, avx512),
        "off" => assert!(!on),
        // Unset: on exactly for the CPUs measured faster (AMD family 25,
        // Zen 4, with AVX-512).
        _ => {
            let id = &report.identity;
            let zen4 = id.vendor == "AuthenticAMD" && id.family == 25;
            assert_eq!(on, zen4 && avx512, "{report}");
        }
    }
    println!("narrow tiles: {on} ({})", report.narrow_tiles.1);
    // Below AVX-512 nothing changes (tests/reference.rs sweeps those
    // levels).
    let levels = available_levels("narrow_tiles");
    for level in levels.into_iter().filter(|&l| l >= IsaLevel::Avx512) {
        let shape = |mr: usize, nr: usize| if on { (16, nr / 2) } else { (mr, nr) };
        assert_tile::<MaxMul<f64>>(level, "avx512", shape(8, 16));
        assert_tile::<MinPlus<i64>>(level, "avx512", shape(8, 16));
        assert_tile::<MaxMin<f64>>(level, "avx512", shape(8, 16));
        assert_tile::<OrAnd>(level, "avx512", shape(8, 128));
        // One vector per row already: unchanged.
        assert_tile::<MaxPlus<i32>>(level, "avx512", (16, 16));
        assert_tile::<MaxPlus<i16>>(level, "avx512", (16, 32));
        // The ⊗ on FMA reads A's element as a memory operand in either
        // shape, and keeps its two vectors; the plain add narrows.
        let plus = kernel_at::<MaxPlus<f64>>(level).unwrap();
        let on_fma = report.add_on_fma.0;
        assert_eq!(plus.name().ends_with("-fma"), on_fma, "{}", plus.name());
        let want = if on_fma { (8, 16) } else { shape(8, 16) };
        assert_eq!((plus.mr(), plus.nr()), want, "{}", plus.name());
        sweep::<MaxPlus<f64>>(level, 40);
        sweep::<MaxMul<f64>>(level, 41);
        sweep::<MinPlus<i64>>(level, 42);
        sweep::<MinMax<f64>>(level, 43);
        sweep::<MaxPlus<i64>>(level, 44);
        sweep::<OrAnd>(level, 45);
        threads_and_blocks::<MaxMul<f64>>(level, 46);
        threads_and_blocks::<MinPlus<i64>>(level, 47);
        threads_and_blocks::<OrAnd>(level, 48);
    }
    println!("narrow tiles checked: {want}");
}

/// The kernel of `S` at `level` is the `prefix` ISA's with this tile, and
/// its name says so.
fn assert_tile<S: Semiring>(level: IsaLevel, prefix: &str, (mr, nr): (usize, usize)) {
    let k = kernel_at::<S>(level).unwrap();
    assert_eq!(
        (k.name(), k.mr(), k.nr()),
        (format!("{prefix}-{mr}x{nr}").as_str(), mr, nr),
        "{}",
        std::any::type_name::<S>()
    );
}

/// Products large enough to split among threads, with blocks that leave
/// edge tiles in every direction, on 1, 2 and 3 threads: bitwise the
/// reference.
fn threads_and_blocks<S: Semiring>(level: IsaLevel, seed: u64)
where
    S::Scalar: common::TestScalar,
{
    let kernel = kernel_at::<S>(level).unwrap();
    let mut rng = Rng::new(seed);
    let mut ws = GemmWorkspace::new();
    let (m, k, n) = (5 * kernel.mr() + 3, 61, 3 * kernel.nr() + 5);
    let a = random_dense::<S>(&mut rng, m, k);
    let b = random_dense::<S>(&mut rng, k, n);
    let c = random_output::<S>(&mut rng, m, n);
    for (i, threads) in [1, 2, 3].into_iter().enumerate() {
        for tiling in [
            TilingParams::new(2 * kernel.mr() + 1, 13, kernel.nr() + 3),
            TilingParams::for_problem(m, n, k, kernel.mr(), kernel.nr()).with_small_ops(0),
        ] {
            let cfg = GemmConfig::default()
                .with_isa(level)
                .with_par(Par::Rayon(threads))
                .with_tiling(tiling);
            let accum = if i % 2 == 0 {
                Accum::Combine
            } else {
                Accum::Replace
            };
            let what = format!("{} [{level}] {threads} threads", kernel.name());
            let layouts = [LAYOUTS[i], LAYOUTS[i + 1], LAYOUTS[i + 2]];
            check_product::<S>(&mut ws, &cfg, &a, &b, &c, layouts, accum, &what);
        }
    }
}
