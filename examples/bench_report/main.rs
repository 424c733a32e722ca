//! Single-thread performance report: G tropical-ops/s per semiring, type,
//! size and ISA level, as a fraction of the peak probe measured in the same
//! run, and against `matrixmultiply` sgemm/dgemm (same n, same run).
//!
//! ```text
//! cargo run --release --example bench_report            # full table (about 7 minutes)
//! cargo run --release --example bench_report -- quick   # a subset (under a minute)
//! cargo run --release --example bench_report -- parallel # threads, batches, shapes
//! cargo run --release --example bench_report -- shapes   # only the shapes
//! cargo run --release --example bench_report -- argmax   # gemm_argmax vs gemm (Replace, Combine)
//! cargo run --release --example bench_report -- i16      # MaxPlus<i16> vs <f32>, n = 1024
//! cargo run --release --example bench_report -- quick --csv report.csv
//! cargo run --release --example bench_report -- --only OrAnd  # rows whose label contains OrAnd
//! cargo run --release --manifest-path tuning/Cargo.toml --bin plot -- report.csv report.png
//! ```
//!
//! `--csv FILE` also writes every row of the single-thread table as CSV
//! (section, semiring, implementation, kernel, n, threads, gops, peak_gops,
//! vs_real, vs_peer); the `plot` tool in `tuning/` draws it.
//!
//! One tropical op is one ⊗ plus one ⊕ on one element: an m×k by k×n
//! product is m·n·k ops. sgemm's rate is counted the same way (m·n·k
//! multiply-adds/s), so "vs sgemm" compares the two at equal work counts.

mod sections;

use sections::{batched_section, combine_argmax_section, shapes_section, threads_section};
#[path = "../common/timing.rs"]
mod timing;

use std::time::Duration;
use tropical_blas::half::f16;

use tropical_blas::{
    Accum, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, MaxMin, MaxMul, MaxPlus, MinMax,
    MinPlus, OrAnd, Par, SelectingSemiring, Semiring, TilingParams, arg_kernel_at,
    gemm_argmax_with, kernel_at,
};

/// Best seconds per call over 5 batches of at least 30 ms.
fn seconds_per_call(f: impl FnMut()) -> f64 {
    timing::seconds_per_call(Duration::from_millis(30), 5, f)
}

trait Fill: Copy {
    fn fill(i: usize) -> Self;
}
impl Fill for f32 {
    fn fill(i: usize) -> Self {
        ((i * 7919) % 1000) as f32 / 8.0
    }
}
impl Fill for f64 {
    fn fill(i: usize) -> Self {
        ((i * 7919) % 1000) as f64 / 8.0
    }
}
impl Fill for i16 {
    fn fill(i: usize) -> Self {
        ((i * 7919) % 1000) as i16 - 500
    }
}
impl Fill for i32 {
    fn fill(i: usize) -> Self {
        ((i * 7919) % 1000) as i32 - 500
    }
}
impl Fill for i64 {
    fn fill(i: usize) -> Self {
        ((i * 7919) % 1000) as i64 - 500
    }
}
impl Fill for f16 {
    fn fill(i: usize) -> Self {
        f16::from_f32(f32::fill(i))
    }
}
impl Fill for bool {
    fn fill(i: usize) -> Self {
        (i * 7919).is_multiple_of(5)
    }
}

/// G tropical-ops/s of one square product at one level and tiling.
fn rate<S: Semiring>(n: usize, cfg: GemmConfig) -> f64
where
    S::Scalar: Fill,
{
    let a: Vec<S::Scalar> = (0..n * n).map(S::Scalar::fill).collect();
    let b: Vec<S::Scalar> = (0..n * n).map(|i| S::Scalar::fill(i + 3)).collect();
    let secs = seconds_per_call(timing::product::<S>(&a, &b, (n, n, n), cfg));
    (n * n * n) as f64 / secs / 1e9
}

/// G tropical-ops/s of one square argmax product.
fn arg_rate<S: SelectingSemiring>(n: usize, cfg: GemmConfig) -> f64
where
    S::Scalar: Fill,
{
    let a: Vec<S::Scalar> = (0..n * n).map(S::Scalar::fill).collect();
    let b: Vec<S::Scalar> = (0..n * n).map(|i| S::Scalar::fill(i + 3)).collect();
    let mut c = vec![S::ZERO; n * n];
    let mut argk = vec![0u32; n * n];
    let mut ws = GemmWorkspace::new();
    let secs = seconds_per_call(|| {
        gemm_argmax_with::<S>(
            &mut ws,
            &cfg,
            MatRef::row_major(&a, n, n).unwrap(),
            MatRef::row_major(&b, n, n).unwrap(),
            MatMut::row_major(&mut c, n, n).unwrap(),
            MatMut::row_major(&mut argk, n, n).unwrap(),
            Accum::Replace,
        )
        .unwrap()
    });
    (n * n * n) as f64 / secs / 1e9
}

/// gemm_argmax against gemm on the same inputs, measured alternately.
fn argmax_row<S: SelectingSemiring>(label: &str, levels: &[IsaLevel], n: usize)
where
    S::Scalar: Fill,
{
    for &level in levels {
        let (Ok(kernel), Ok(arg_kernel)) = (kernel_at::<S>(level), arg_kernel_at::<S>(level))
        else {
            continue;
        };
        if kernel.isa() != level && levels.contains(&kernel.isa()) {
            continue; // that level's row
        }
        let cfg = GemmConfig::default().with_isa(level).with_par(Par::Seq);
        let (value, arg) = (0..3).fold((0.0f64, 0.0f64), |(v, a), _| {
            (v.max(rate::<S>(n, cfg)), a.max(arg_rate::<S>(n, cfg)))
        });
        println!(
            "{label:<14} n={n:>5} {:<14} {value:>7.2}   {:<16} {arg:>7.2}   argmax/value {:.2}",
            kernel.name(),
            arg_kernel.name(),
            arg / value
        );
    }
}

fn argmax_section(levels: &[IsaLevel], n: usize) {
    println!(
        "\nargmax: gemm_argmax vs gemm, 1 thread, square n, G tropical-ops/s (best of 3 alternating rounds)"
    );
    argmax_row::<MaxPlus<f32>>("MaxPlus<f32>", levels, n);
    argmax_row::<MaxPlus<f16>>("MaxPlus<f16>", &levels[..1], n);
    argmax_row::<MinPlus<f32>>("MinPlus<f32>", levels, n);
    argmax_row::<MaxPlus<f64>>("MaxPlus<f64>", levels, n);
    argmax_row::<MaxMul<f64>>("MaxMul<f64>", levels, n);
    argmax_row::<MaxPlus<i32>>("MaxPlus<i32>", levels, n);
    argmax_row::<MaxPlus<i16>>("MaxPlus<i16>", levels, n);
}

/// G tropical-ops/s of the tropical-gemm crate (the peer) on the same
/// max-plus product.
macro_rules! peer_rate {
    ($name:ident, $t:ty) => {
        fn $name(n: usize) -> f64 {
            use tropical_gemm::{TropicalGemm, TropicalMaxPlus, TropicalSemiring};
            let a: Vec<$t> = (0..n * n).map(<$t>::fill).collect();
            let b: Vec<$t> = (0..n * n).map(|i| <$t>::fill(i + 3)).collect();
            let mut c = vec![TropicalMaxPlus::<$t>::tropical_zero(); n * n];
            let mut ws = tropical_gemm::GemmWorkspace::<$t>::new();
            let secs = seconds_per_call(|| {
                TropicalGemm::<TropicalMaxPlus<$t>>::new(n, n, n)
                    .execute_with_workspace(&a, n, &b, n, &mut c, n, &mut ws)
            });
            (n * n * n) as f64 / secs / 1e9
        }
    };
}
peer_rate!(peer_rate_f32, f32);
peer_rate!(peer_rate_f64, f64);

/// Rows for `--csv`, in the order measured.
static CSV_ROWS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

#[allow(clippy::too_many_arguments)]
fn csv_row(
    semiring: &str,
    implementation: &str,
    kernel: &str,
    n: usize,
    gops: f64,
    peak: Option<f64>,
    vs_real: Option<f64>,
    vs_peer: Option<f64>,
) {
    let opt = |x: Option<f64>| x.map(|v| format!("{v:.4}")).unwrap_or_default();
    CSV_ROWS.lock().unwrap().push(format!(
        "square,{semiring},{implementation},{kernel},{n},1,{gops:.4},{},{},{}",
        opt(peak),
        opt(vs_real),
        opt(vs_peer)
    ));
}

/// Today's date (UTC) from the system clock, as YYYY-MM-DD.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A matrixmultiply product's signature (`sgemm`, `dgemm`).
type RealGemm<T> = unsafe fn(
    usize,
    usize,
    usize,
    T,
    *const T,
    isize,
    isize,
    *const T,
    isize,
    isize,
    T,
    *mut T,
    isize,
    isize,
);

/// Multiply-adds per second of one square real product.
fn real_gemm_rate<T: Fill + From<u8>>(n: usize, gemm: RealGemm<T>) -> f64 {
    let a: Vec<T> = (0..n * n).map(T::fill).collect();
    let b: Vec<T> = (0..n * n).map(T::fill).collect();
    let mut c = vec![T::from(0); n * n];
    let secs = seconds_per_call(|| unsafe {
        // SAFETY: all three buffers hold n·n row-major elements.
        gemm(
            n,
            n,
            n,
            T::from(1),
            a.as_ptr(),
            n as isize,
            1,
            b.as_ptr(),
            n as isize,
            1,
            T::from(0),
            c.as_mut_ptr(),
            n as isize,
            1,
        )
    });
    (n * n * n) as f64 / secs / 1e9
}

fn sgemm_rate(n: usize) -> f64 {
    real_gemm_rate::<f32>(n, matrixmultiply::sgemm)
}

fn dgemm_rate(n: usize) -> f64 {
    real_gemm_rate::<f64>(n, matrixmultiply::dgemm)
}

/// Passes over the whole single-thread table: 5, or 3 in quick mode. Each
/// pass measures every row once (probe, product, comparisons, and at
/// n ≤ 64 the packed and small paths), and a row reports the best of its
/// passes. On this shared host a busy stretch lasts minutes: with a row's
/// rounds back to back it could cover all of them (the same product read
/// 73 % in the table and 88 % in a steady loop minutes later, and the
/// single packed/small pair of a row once came out the wrong way round);
/// spread over passes a minute apart, it costs each row one round.
fn rounds() -> usize {
    if std::env::args().any(|a| a == "quick") {
        3
    } else {
        5
    }
}

/// The figures of one round of a table row, 0 where a row has none.
#[derive(Clone, Copy, Default)]
struct Figures {
    ours: f64,
    peak: f64,
    real: f64,
    peer: f64,
    packed: f64,
    small: f64,
}

impl Figures {
    fn max(self, other: Figures) -> Figures {
        Figures {
            ours: self.ours.max(other.ours),
            peak: self.peak.max(other.peak),
            real: self.real.max(other.real),
            peer: self.peer.max(other.peer),
            packed: self.packed.max(other.packed),
            small: self.small.max(other.small),
        }
    }
}

/// One line of the single-thread table: what it measures, and the best of
/// each figure over the passes so far.
struct TableRow {
    label: &'static str,
    kernel: &'static str,
    level: IsaLevel,
    /// The first level of the row's semiring (its comparisons go to the
    /// CSV once).
    first_level: bool,
    n: usize,
    /// matrixmultiply's routine, for the comparison column.
    real_name: Option<&'static str>,
    has_peer: bool,
    measure: Box<dyn Fn() -> Figures>,
    best: Figures,
}

/// Adds the rows of semiring `S` at every level and size (if `--only`
/// does not leave it out).
fn row<S: Semiring>(
    rows: &mut Vec<TableRow>,
    label: &'static str,
    levels: &[IsaLevel],
    sizes: &[usize],
    real_gemm: Option<fn(usize) -> f64>,
    peer: Option<fn(usize) -> f64>,
) where
    S::Scalar: Fill,
{
    let only = std::env::args().skip_while(|a| a != "--only").nth(1);
    if only.is_some_and(|only| !label.contains(only.as_str())) {
        return;
    }
    for &level in levels {
        let Ok(kernel) = kernel_at::<S>(level) else {
            continue;
        };
        // A level that binds a lower level's kernel (`Avx512Fp16` for all
        // but f16) repeats that level's row.
        if kernel.isa() != level && levels.contains(&kernel.isa()) {
            continue;
        }
        for &n in sizes {
            let cfg = GemmConfig::default().with_isa(level).with_par(Par::Seq);
            let blocks = TilingParams::for_problem(n, n, n, kernel.mr(), kernel.nr());
            let measure = move || Figures {
                peak: kernel.peak_ops_per_second(Duration::from_millis(100)) / 1e9,
                ours: rate::<S>(n, cfg),
                real: real_gemm.map_or(0.0, |real| real(n)),
                peer: peer.map_or(0.0, |peer| peer(n)),
                packed: if n <= 64 {
                    rate::<S>(n, cfg.with_tiling(blocks.with_small_ops(0)))
                } else {
                    0.0
                },
                small: if n <= 64 {
                    rate::<S>(n, cfg.with_tiling(blocks.with_small_ops(usize::MAX)))
                } else {
                    0.0
                },
            };
            rows.push(TableRow {
                label,
                kernel: kernel.name(),
                level,
                first_level: level == levels[0],
                n,
                real_name: real_gemm.map(|_| {
                    if std::mem::size_of::<S::Scalar>() == 8 {
                        "matrixmultiply-dgemm"
                    } else {
                        "matrixmultiply-sgemm"
                    }
                }),
                has_peer: peer.is_some(),
                measure: Box::new(measure),
                best: Figures::default(),
            });
        }
    }
}

/// Measures every row in `rounds()` passes, then prints the table (and
/// collects its CSV rows).
fn run_table(rows: &mut [TableRow]) {
    for pass in 0..rounds() {
        eprint!("\rpass {} of {}", pass + 1, rounds());
        for row in rows.iter_mut() {
            row.best = row.best.max((row.measure)());
        }
    }
    eprintln!();
    for row in rows.iter() {
        let f = row.best;
        let mut line = format!(
            "{:<14} {:<14} {:>5}  {:>8.2}  {:>6.2}  {:>5.1}%",
            row.label,
            row.kernel,
            row.n,
            f.ours,
            f.peak,
            100.0 * f.ours / f.peak
        );
        if row.n <= 64 {
            line += &format!("  packed {:>6.2} small {:>6.2}", f.packed, f.small);
        }
        let (mut vs_real, mut vs_peer) = (None, None);
        if let Some(name) = row.real_name {
            line += &format!("  vs {:>6.2} real-gemm: {:.2}x", f.real, f.ours / f.real);
            vs_real = Some(f.ours / f.real);
            if row.first_level {
                csv_row(row.label, name, "", row.n, f.real, None, None, None);
            }
        }
        if row.has_peer {
            line += &format!(
                "  vs {:>6.2} tropical-gemm: {:.2}x",
                f.peer,
                f.ours / f.peer
            );
            vs_peer = Some(f.ours / f.peer);
            if row.first_level {
                csv_row(
                    row.label,
                    "tropical-gemm",
                    "",
                    row.n,
                    f.peer,
                    None,
                    None,
                    None,
                );
            }
        }
        csv_row(
            row.label,
            &format!("tropical-blas-{}", row.level),
            row.kernel,
            row.n,
            f.ours,
            Some(f.peak),
            vs_real,
            vs_peer,
        );
        println!("{line}");
    }
}

/// MaxPlus<i16> against MaxPlus<f32> at each level, n × n, one thread, in
/// one table (each row also against its own peak probe), then the ratio.
fn i16_section(levels: &[IsaLevel], n: usize) {
    let cpu = tropical_blas::dispatch_report().cpu;
    println!("i16: MaxPlus<i16> vs MaxPlus<f32>, n = {n}, 1 thread, CPU: {cpu}");
    let mut rows = Vec::new();
    row::<MaxPlus<f32>>(&mut rows, "MaxPlus<f32>", levels, &[n], None, None);
    row::<MaxPlus<i16>>(&mut rows, "MaxPlus<i16>", levels, &[n], None, None);
    run_table(&mut rows);
    for &level in levels {
        let at = |label: &str| {
            rows.iter()
                .find(|r| r.label == label && r.level == level)
                .map(|r| r.best.ours)
        };
        if let (Some(wide), Some(narrow)) = (at("MaxPlus<f32>"), at("MaxPlus<i16>")) {
            println!(
                "{level}: MaxPlus<i16> / MaxPlus<f32> = {:.2}x",
                narrow / wide
            );
        }
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let args: Vec<String> = std::env::args().collect();
    let csv_path = args
        .iter()
        .position(|a| a == "--csv")
        .and_then(|i| args.get(i + 1).cloned());
    if std::env::args().any(|a| a == "shapes") {
        shapes_section();
        return;
    }
    if std::env::args().any(|a| a == "parallel") {
        threads_section(&[512, 2048]);
        batched_section(10_000);
        shapes_section();
        return;
    }
    let detected = tropical_blas::detected_isa();
    let levels: Vec<IsaLevel> = IsaLevel::ALL
        .into_iter()
        .rev()
        .filter(|&l| l <= detected && l > IsaLevel::Scalar)
        .collect();
    if std::env::args().any(|a| a == "argmax") {
        argmax_section(&levels, if quick { 512 } else { 1024 });
        combine_argmax_section(&levels);
        return;
    }
    if std::env::args().any(|a| a == "i16") {
        i16_section(&levels, if quick { 512 } else { 1024 });
        return;
    }
    let sizes: &[usize] = if quick {
        &[16, 64, 256, 512]
    } else {
        &[16, 32, 64, 128, 256, 512, 1024]
    };
    let report = tropical_blas::dispatch_report();
    println!(
        "tropical-blas bench_report, {}: 1 thread, square n, row-major A, B, C",
        today()
    );
    println!(
        "CPU: {} (detected ISA {detected}); G tropical-ops/s (m·n·k per second); each row: best of {} passes over the table (a pass measures each row's probe, product and comparisons once)",
        report.cpu,
        rounds()
    );
    println!(
        "{:<14} {:<14} {:>5}  {:>8}  {:>6}  {:>6}",
        "semiring", "kernel", "n", "Gops/s", "peak", "of peak"
    );
    let mut rows = Vec::new();
    row::<MaxPlus<f32>>(
        &mut rows,
        "MaxPlus<f32>",
        &levels,
        sizes,
        Some(sgemm_rate),
        Some(peer_rate_f32),
    );
    row::<MinPlus<f32>>(
        &mut rows,
        "MinPlus<f32>",
        &levels,
        sizes,
        Some(sgemm_rate),
        None,
    );
    let big: &[usize] = if quick { &[512] } else { &[64, 1024] };
    row::<MaxPlus<f64>>(
        &mut rows,
        "MaxPlus<f64>",
        &levels,
        big,
        Some(dgemm_rate),
        Some(peer_rate_f64),
    );
    row::<MaxMul<f32>>(&mut rows, "MaxMul<f32>", &levels, big, None, None);
    row::<MaxMin<f32>>(&mut rows, "MaxMin<f32>", &levels, big, None, None);
    row::<MinMax<f64>>(&mut rows, "MinMax<f64>", &levels, big, None, None);
    row::<MaxMul<f64>>(&mut rows, "MaxMul<f64>", &levels, big, None, None);
    row::<MaxPlus<i32>>(&mut rows, "MaxPlus<i32>", &levels, big, None, None);
    row::<MinPlus<i64>>(&mut rows, "MinPlus<i64>", &levels, big, None, None);
    row::<MaxMin<i32>>(&mut rows, "MaxMin<i32>", &levels, big, None, None);
    row::<MaxPlus<i16>>(&mut rows, "MaxPlus<i16>", &levels, big, None, None);
    row::<OrAnd>(&mut rows, "OrAnd", &levels, big, None, None);
    // f16: the AVX-512 FP16 kernel, and the portable kernel that every
    // CPU without FP16 runs (at a size it finishes in seconds).
    let fp16: Vec<IsaLevel> = levels
        .iter()
        .copied()
        .filter(|&l| l == IsaLevel::Avx512Fp16)
        .collect();
    row::<MaxPlus<f16>>(&mut rows, "MaxPlus<f16>", &fp16, big, None, None);
    row::<MaxPlus<f16>>(
        &mut rows,
        "MaxPlus<f16>",
        &[IsaLevel::Scalar],
        &[256],
        None,
        None,
    );
    run_table(&mut rows);
    if let Some(path) = csv_path {
        let mut text = String::from(
            "section,semiring,implementation,kernel,n,threads,gops,peak_gops,vs_real,vs_peer\n",
        );
        for line in CSV_ROWS.lock().unwrap().iter() {
            text += line;
            text.push('\n');
        }
        match std::fs::write(&path, text) {
            Ok(()) => println!("CSV: {path}"),
            Err(e) => {
                eprintln!("bench_report: cannot write {path}: {e}");
                std::process::exit(1);
            }
        }
    }
}
