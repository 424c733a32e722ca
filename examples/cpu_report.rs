//! Prints what tropical-blas detected on this CPU and which kernel each
//! built-in semiring runs, then checks every kernel this CPU can run
//! against the portable one on a few awkward shapes.
//!
//! ```text
//! cargo run --release --example cpu_report
//! TROPICAL_BLAS_ISA=avx2 cargo run --release --example cpu_report
//! ```

use tropical_blas::{
    Accum, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, MaxMin, MaxMul, MaxPlus, MinMax,
    MinPlus, SelectingSemiring, Semiring, TilingParams, gemm_argmax_with, gemm_with,
};

trait Sample: Copy + PartialEq {
    fn sample(i: usize) -> Self;
    fn same(self, other: Self) -> bool;
}
macro_rules! sample_float {
    ($t:ty) => {
        impl Sample for $t {
            fn sample(i: usize) -> Self {
                match i % 11 {
                    0 => <$t>::NAN,
                    1 => -0.0,
                    2 => <$t>::NEG_INFINITY,
                    _ => ((i * 7919) % 23) as $t - 11.0,
                }
            }
            fn same(self, other: Self) -> bool {
                self.to_bits() == other.to_bits()
            }
        }
    };
}
sample_float!(f32);
sample_float!(f64);
macro_rules! sample_int {
    ($t:ty) => {
        impl Sample for $t {
            fn sample(i: usize) -> Self {
                match i % 13 {
                    0 => <$t>::MIN,
                    1 => <$t>::MAX,
                    _ => ((i * 7919) % 23) as $t - 11,
                }
            }
            fn same(self, other: Self) -> bool {
                self == other
            }
        }
    };
}
sample_int!(i32);
sample_int!(i64);
impl Sample for bool {
    fn sample(i: usize) -> Self {
        (i * 7919).is_multiple_of(3)
    }
    fn same(self, other: Self) -> bool {
        self == other
    }
}

/// Compares the kernel at `level` with the portable one; returns the
/// number of products checked.
fn self_check<S: Semiring>(level: IsaLevel) -> Result<usize, String>
where
    S::Scalar: Sample,
{
    let mut ws = GemmWorkspace::new();
    let mut checked = 0;
    for (m, k, n) in [(1, 1, 1), (17, 9, 33), (40, 70, 21), (100, 300, 70)] {
        let inputs = |len: usize, salt: usize| -> Vec<S::Scalar> {
            (0..len)
                .map(|i| S::Scalar::sample(i + salt))
                .map(|x| if S::accepts_input(x) { x } else { S::ZERO })
                .collect()
        };
        let (a, b) = (inputs(m * k, 1), inputs(k * n, 5));
        let c0: Vec<S::Scalar> = (0..m * n).map(S::Scalar::sample).collect();
        for small in [0, usize::MAX] {
            for accum in [Accum::Replace, Accum::Combine] {
                let mut results = Vec::new();
                for lvl in [IsaLevel::Scalar, level] {
                    let mut c = c0.clone();
                    let kernel = tropical_blas::kernel_at::<S>(lvl).map_err(|e| e.to_string())?;
                    let tiling = TilingParams::for_problem(m, n, k, kernel.mr(), kernel.nr())
                        .with_small_ops(small);
                    gemm_with::<S>(
                        &mut ws,
                        &GemmConfig::default().with_isa(lvl).with_tiling(tiling),
                        MatRef::row_major(&a, m, k).map_err(|e| e.to_string())?,
                        MatRef::col_major(&b, k, n).map_err(|e| e.to_string())?,
                        MatMut::row_major(&mut c, m, n).map_err(|e| e.to_string())?,
                        accum,
                    )
                    .map_err(|e| e.to_string())?;
                    results.push(c);
                }
                if !results[0].iter().zip(&results[1]).all(|(x, y)| x.same(*y)) {
                    return Err(format!(
                        "{m}x{k}x{n} {accum:?} differs from the portable kernel"
                    ));
                }
                checked += 1;
            }
        }
    }
    Ok(checked)
}

/// The argmax kernel at `level` against the portable one: values and
/// indices, both accumulation modes, several k-blocks.
fn arg_self_check<S: SelectingSemiring>(level: IsaLevel) -> Result<usize, String>
where
    S::Scalar: Sample,
{
    let mut ws = GemmWorkspace::new();
    let mut checked = 0;
    for (m, k, n) in [(1, 1, 1), (17, 9, 33), (40, 70, 21), (100, 300, 70)] {
        let inputs = |len: usize, salt: usize| -> Vec<S::Scalar> {
            (0..len)
                .map(|i| S::Scalar::sample(i + salt))
                .map(|x| if S::accepts_input(x) { x } else { S::ZERO })
                .collect()
        };
        let (a, b) = (inputs(m * k, 1), inputs(k * n, 5));
        let c0: Vec<S::Scalar> = (0..m * n).map(S::Scalar::sample).collect();
        for accum in [Accum::Replace, Accum::Combine] {
            let mut results = Vec::new();
            for lvl in [IsaLevel::Scalar, level] {
                let (mut c, mut argk) = (c0.clone(), vec![7u32; m * n]);
                let kernel = tropical_blas::arg_kernel_at::<S>(lvl).map_err(|e| e.to_string())?;
                let tiling = TilingParams::new(2 * kernel.mr(), 64, 4 * kernel.nr());
                gemm_argmax_with::<S>(
                    &mut ws,
                    &GemmConfig::default().with_isa(lvl).with_tiling(tiling),
                    MatRef::row_major(&a, m, k).map_err(|e| e.to_string())?,
                    MatRef::col_major(&b, k, n).map_err(|e| e.to_string())?,
                    MatMut::row_major(&mut c, m, n).map_err(|e| e.to_string())?,
                    MatMut::row_major(&mut argk, m, n).map_err(|e| e.to_string())?,
                    accum,
                )
                .map_err(|e| e.to_string())?;
                results.push((c, argk));
            }
            let same_values = results[0]
                .0
                .iter()
                .zip(&results[1].0)
                .all(|(x, y)| x.same(*y));
            if !same_values || results[0].1 != results[1].1 {
                return Err(format!(
                    "argmax {m}x{k}x{n} {accum:?} differs from the portable kernel"
                ));
            }
            checked += 1;
        }
    }
    Ok(checked)
}

fn main() {
    let report = tropical_blas::dispatch_report();
    print!("{report}");
    let Ok(active) = report.active else {
        std::process::exit(2);
    };
    let mut failures = 0;
    let mut checked = 0;
    let levels: Vec<IsaLevel> = IsaLevel::ALL
        .into_iter()
        .filter(|&l| l > IsaLevel::Scalar && l <= active)
        .collect();
    macro_rules! check {
        ($(($name:literal, $s:ty)),* $(,)?) => {$(
            for &level in &levels {
                match self_check::<$s>(level) {
                    Ok(n) => checked += n,
                    Err(e) => {
                        failures += 1;
                        println!("self-check FAILED: {} at {level}: {e}", $name);
                    }
                }
            }
        )*};
    }
    tropical_blas::for_each_builtin_semiring!(check);
    macro_rules! arg_check {
        ($($s:ty),* $(,)?) => {$(
            for &level in &levels {
                match arg_self_check::<$s>(level) {
                    Ok(n) => checked += n,
                    Err(e) => {
                        failures += 1;
                        println!("self-check FAILED: {} at {level}: {e}", stringify!($s));
                    }
                }
            }
        )*};
    }
    arg_check!(
        MaxPlus<f32>,
        MinPlus<f32>,
        MaxMul<f32>,
        MaxMin<f32>,
        MinMax<f32>,
        MaxPlus<f64>,
        MinPlus<f64>,
        MaxMul<f64>,
        MaxMin<f64>,
        MinMax<f64>,
        MaxPlus<i32>,
        MinPlus<i32>,
        MaxMin<i32>,
        MinMax<i32>,
        MaxPlus<i64>,
        MinPlus<i64>,
        MaxMin<i64>,
        MinMax<i64>,
    );
    let names: Vec<String> = levels.iter().map(|l| l.to_string()).collect();
    println!(
        "self-check: {checked} products (plain and argmax) at levels [{}] bit-identical to the portable kernel, {failures} failures",
        names.join(", ")
    );
    if failures > 0 {
        std::process::exit(1);
    }
}
