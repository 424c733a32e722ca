//! `TROPICAL_BLAS_TUNING`: a tuned block-size file named in the
//! environment of this test binary's own process (read once, so the test
//! re-runs the binary per case).

use std::process::Command;

use tropical_blas::tuning::BlockSource;

#[test]
fn tuning_file_applies_or_fails_every_call() {
    if let Ok(mode) = std::env::var("TROPICAL_BLAS_TUNING_CHILD") {
        return child(&mode);
    }
    let dir = std::env::temp_dir().join(format!("tropical-blas-tuning-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The level of the kernel the child runs (MaxPlus<f32>: avx512 on an
    // avx512fp16 CPU).
    let level = tropical_blas::kernel_for::<tropical_blas::MaxPlus<f32>>()
        .unwrap()
        .isa();
    let good = dir.join("good.tuning");
    std::fs::write(
        &good,
        format!(
            "# test\ncpu = test\nisa = {level}\nelement_bytes = 4\nmc = 48\nkc = 40\nnc = 96\nsmall_ops = 0\n"
        ),
    )
    .unwrap();
    let bad = dir.join("bad.tuning");
    std::fs::write(&bad, "isa = avx2\nmc = many\n").unwrap();
    let missing = dir.join("missing.tuning");
    let exe = std::env::current_exe().unwrap();
    // A device that never ends must be refused, not read forever.
    let endless = std::path::PathBuf::from("/dev/zero");
    let mut cases = vec![(&good, "applied"), (&bad, "error"), (&missing, "error")];
    if endless.exists() {
        cases.push((&endless, "error"));
    }
    for (path, want) in cases {
        let out = Command::new(&exe)
            .args([
                "--exact",
                "tuning_file_applies_or_fails_every_call",
                "--nocapture",
            ])
            .env("TROPICAL_BLAS_TUNING", path)
            .env("TROPICAL_BLAS_TUNING_CHILD", want)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {text}", path.display());
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn child(want: &str) {
    use tropical_blas::{Accum, Error, MatMut, MatRef, MaxPlus, gemm};
    let n = 70;
    let a: Vec<f32> = (0..n * n).map(|i| (i % 13) as f32).collect();
    let mut c = vec![7.0f32; n * n];
    let result = gemm::<MaxPlus<f32>>(
        MatRef::row_major(&a, n, n).unwrap(),
        MatRef::row_major(&a, n, n).unwrap(),
        MatMut::row_major(&mut c, n, n).unwrap(),
        Accum::Replace,
    );
    let report = tropical_blas::dispatch_report();
    match want {
        "applied" => {
            assert_eq!(result, Ok(()));
            assert!(matches!(report.blocks.1, BlockSource::File(_)), "{report}");
            assert_eq!(report.blocks.0, (48, 40, 96, 0), "{report}");
            // The product is still exact with the odd blocks.
            let want = (0..n).map(|i| {
                (0..n)
                    .map(|p| a[i * n + p] + a[p * n])
                    .fold(f32::NEG_INFINITY, f32::max)
            });
            for (i, w) in want.enumerate() {
                assert_eq!(c[i * n], w);
            }
        }
        "error" => {
            assert!(
                matches!(result, Err(Error::InvalidTuningFile { .. })),
                "{result:?}"
            );
            assert!(c.iter().all(|&x| x == 7.0));
            assert!(report.tuning_error.is_some());
        }
        other => panic!("unknown mode {other}"),
    }
}
