//! `TROPICAL_BLAS_ISA`: set in the environment of this test binary's own
//! process. One test per binary, because the variable is read once.

use std::process::Command;

/// Re-runs this test binary with the variable set and checks what a
/// default `gemm` call does (`TROPICAL_BLAS_ENV_CHILD` marks the child).
#[test]
fn env_var_caps_and_rejects() {
    if let Ok(mode) = std::env::var("TROPICAL_BLAS_ENV_CHILD") {
        return child(&mode);
    }
    let exe = std::env::current_exe().unwrap();
    let detected = tropical_blas::detected_isa();
    let mut cases = vec![
        ("scalar", "ok:scalar"),
        ("sse9", "err:InvalidIsaSetting"),
        ("", "ok:default"),
    ];
    match detected {
        tropical_blas::IsaLevel::Avx512Fp16 => {
            cases.push(("avx512", "ok:avx512"));
            cases.push(("avx2", "ok:avx2"));
        }
        tropical_blas::IsaLevel::Avx512 => {
            cases.push(("avx2", "ok:avx2"));
            cases.push(("avx512fp16", "err:IsaUnavailable"));
        }
        tropical_blas::IsaLevel::Avx2 => cases.push(("avx512", "err:IsaUnavailable")),
        tropical_blas::IsaLevel::Scalar => cases.push(("avx2", "err:IsaUnavailable")),
    }
    for (value, want) in cases {
        let out = Command::new(&exe)
            .args([
                "--exact",
                "env_var_caps_and_rejects",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("TROPICAL_BLAS_ISA", value)
            .env("TROPICAL_BLAS_ENV_CHILD", want)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "TROPICAL_BLAS_ISA={value:?}: {text}");
    }
}

fn child(want: &str) {
    use tropical_blas::{Accum, Error, MatMut, MatRef, MaxPlus, gemm};
    let a = [1.0f32; 4];
    let mut c = [7.0f32; 4];
    let result = gemm::<MaxPlus<f32>>(
        MatRef::row_major(&a, 2, 2).unwrap(),
        MatRef::row_major(&a, 2, 2).unwrap(),
        MatMut::row_major(&mut c, 2, 2).unwrap(),
        Accum::Replace,
    );
    let active = tropical_blas::active_isa();
    match want {
        "ok:default" => {
            assert_eq!(result, Ok(()));
            assert_eq!(active, Ok(tropical_blas::detected_isa()));
        }
        w if w.starts_with("ok:") => {
            assert_eq!(result, Ok(()));
            assert_eq!(active.unwrap().name(), &w[3..]);
            assert_eq!(c, [2.0; 4]);
        }
        "err:InvalidIsaSetting" => {
            assert!(
                matches!(result, Err(Error::InvalidIsaSetting { .. })),
                "{result:?}"
            );
            assert_eq!(c, [7.0; 4]);
            println!("{}", tropical_blas::dispatch_report());
            // An explicit level overrides the environment, even a bad one.
            let cfg =
                tropical_blas::GemmConfig::default().with_isa(tropical_blas::IsaLevel::Scalar);
            let mut ws = tropical_blas::GemmWorkspace::new();
            let explicit = tropical_blas::gemm_with::<MaxPlus<f32>>(
                &mut ws,
                &cfg,
                MatRef::row_major(&a, 2, 2).unwrap(),
                MatRef::row_major(&a, 2, 2).unwrap(),
                MatMut::row_major(&mut c, 2, 2).unwrap(),
                Accum::Replace,
            );
            assert_eq!(explicit, Ok(()));
            assert_eq!(c, [2.0; 4]);
            assert!(
                tropical_blas::kernel_at::<MaxPlus<f32>>(tropical_blas::IsaLevel::Scalar).is_ok()
            );
        }
        "err:IsaUnavailable" => {
            assert!(
                matches!(result, Err(Error::IsaUnavailable { .. })),
                "{result:?}"
            );
            assert_eq!(c, [7.0; 4]);
        }
        other => panic!("unknown mode {other}"),
    }
}
