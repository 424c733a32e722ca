//! Prints what tropical-blas detected on this CPU and which kernel each
//! built-in semiring runs, then checks every kernel this CPU can run
//! against the portable one on a few awkward shapes.
//!
//! ```text
//! cargo run --release --example cpu_report
//! TROPICAL_BLAS_ISA=avx2 cargo run --release --example cpu_report
//! ```

use tropical_blas::counting;
use tropical_blas::{
    Accum, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, SelectingSemiring, Semiring,
    TilingParams, gemm_argmax_with, gemm_with,
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
/// The half-precision floats: the same pool, converted once.
macro_rules! sample_half {
    ($t:ty) => {
        impl Sample for $t {
            fn sample(i: usize) -> Self {
                <$t>::from_f32(<f32 as Sample>::sample(i))
            }
            fn same(self, other: Self) -> bool {
                self.to_bits() == other.to_bits()
            }
        }
    };
}
sample_half!(tropical_blas::half::f16);
sample_half!(tropical_blas::half::bf16);
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
sample_int!(i16);
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

/// Values with ties, ±∞ and NaN for the counting self-check.
trait CountingSample: Copy {
    fn sample(i: usize) -> Self;
    fn bits(self) -> u64;
}
macro_rules! counting_sample {
    ($($t:ty),*) => {$(
        impl CountingSample for $t {
            fn sample(i: usize) -> Self {
                match (i * 7919) % 23 {
                    0 => <$t>::NAN,
                    1 => <$t>::INFINITY,
                    2 => <$t>::NEG_INFINITY,
                    x => (x % 7) as $t - 3.0,
                }
            }
            fn bits(self) -> u64 {
                self.to_bits() as u64
            }
        }
    )*};
}
counting_sample!(f32, f64);

/// A counting product at `level` against the portable kernel, bitwise
/// (values and counts).
fn counting_self_check<S>(level: IsaLevel) -> Result<usize, String>
where
    S: counting::CountingSemiring<Value: CountingSample>,
{
    let (m, k, n) = (37, 150, 41);
    let av: Vec<S::Value> = (0..m * k).map(S::Value::sample).collect();
    let bv: Vec<S::Value> = (0..k * n).map(|i| S::Value::sample(i + 5)).collect();
    let ac: Vec<f64> = (0..m * k).map(|i| (i % 4) as f64).collect();
    let bc: Vec<f64> = (0..k * n).map(|i| (i % 3 + 1) as f64).collect();
    let run = |level: IsaLevel| -> Result<(Vec<S::Value>, Vec<f64>), tropical_blas::Error> {
        let (mut cv, mut cc) = (vec![S::Value::sample(1); m * n], vec![0.0; m * n]);
        counting::gemm_with::<S>(
            &mut tropical_blas::GemmWorkspace::new(),
            &tropical_blas::GemmConfig::default().with_isa(level),
            counting::CountingRef::new(
                MatRef::row_major(&av, m, k)?,
                MatRef::row_major(&ac, m, k)?,
            )?,
            counting::CountingRef::new(
                MatRef::row_major(&bv, k, n)?,
                MatRef::row_major(&bc, k, n)?,
            )?,
            counting::CountingMut::new(
                MatMut::row_major(&mut cv, m, n)?,
                MatMut::row_major(&mut cc, m, n)?,
            )?,
            Accum::Replace,
        )?;
        Ok((cv, cc))
    };
    let got = run(level).map_err(|e| e.to_string())?;
    let want = run(IsaLevel::Scalar).map_err(|e| e.to_string())?;
    let same = got.0.iter().zip(&want.0).all(|(x, y)| x.bits() == y.bits())
        && got
            .1
            .iter()
            .zip(&want.1)
            .all(|(x, y)| x.to_bits() == y.to_bits());
    if same {
        Ok(1)
    } else {
        Err("counting product differs from the portable kernel".into())
    }
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
        ($(($name:literal, $s:ty)),* $(,)?) => {$(
            for &level in &levels {
                match arg_self_check::<$s>(level) {
                    Ok(n) => checked += n,
                    Err(e) => {
                        failures += 1;
                        println!("self-check FAILED: {} at {level}: {e}", $name);
                    }
                }
            }
        )*};
    }
    tropical_blas::for_each_selecting_semiring!(arg_check);
    macro_rules! counting_check {
        ($($s:ty),* $(,)?) => {$(
            for &level in &levels {
                match counting_self_check::<$s>(level) {
                    Ok(n) => checked += n,
                    Err(e) => {
                        failures += 1;
                        println!("self-check FAILED: {} at {level}: {e}", stringify!($s));
                    }
                }
            }
        )*};
    }
    counting_check!(
        counting::CountingMax<f32>,
        counting::CountingMin<f32>,
        counting::CountingMax<f64>,
        counting::CountingMin<f64>,
    );
    let names: Vec<String> = levels.iter().map(|l| l.to_string()).collect();
    println!(
        "self-check: {checked} products (plain, argmax and counting) at levels [{}] bit-identical to the portable kernel, {failures} failures",
        names.join(", ")
    );
    if failures > 0 {
        std::process::exit(1);
    }
}
