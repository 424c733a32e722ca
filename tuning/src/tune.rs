//! Block-size tuner: sweeps mc, kc, nc and the small-matrix threshold for
//! the dispatched kernel of one element type on this CPU (MaxPlus over
//! f32, f64, i32 or i64, or OrAnd over bool) through `TilingParams`
//! overrides (no recompiles), and writes the raw results, a chart and the
//! chosen sizes in the file format the library reads.
//!
//! ```text
//! tuning/tune.sh                 # quick mode (well under 3 minutes), MaxPlus<f32>
//! tuning/tune.sh --full          # a finer grid, more repetitions, n = 2048 check
//! tuning/tune.sh --budget 60     # stop sweeping after about 60 s
//! tuning/tune.sh --element f64   # MaxPlus<f64> (also i32, i64, bool: OrAnd)
//! ```
//!
//! Method: one thread; each point gets a warm-up call and then timed calls
//! summarised by the median (the host is shared and noisy; the min and max
//! go to the CSV too). The kc × mc grid is visited in several full passes,
//! two calls per point per pass, so a drift in the machine's speed spreads
//! over all points. The final comparison of the chosen
//! sizes against the cache-derived defaults alternates the candidates
//! round by round and compares them by the median of their per-round
//! ratios, so drift in the machine's speed cancels out.

mod chart;

use std::io::Write;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tropical_blas::tuning::{self, TunedBlocks};
use tropical_blas::{
    Accum, GemmConfig, GemmWorkspace, MatMut, MatRef, MaxPlus, OrAnd, Par, Semiring,
    TilingParams, gemm_with, kernel_for,
};

struct Options {
    full: bool,
    budget: Duration,
    out_dir: String,
    element: String,
}

/// Operand values for the tuned element type (products of them stay in
/// the accepted range of the integer semirings).
trait Fill: Copy {
    fn fill(i: usize) -> Self;
}
impl Fill for f32 {
    fn fill(i: usize) -> Self {
        (i % 1000) as f32 / 8.0
    }
}
impl Fill for f64 {
    fn fill(i: usize) -> Self {
        (i % 1000) as f64 / 8.0
    }
}
impl Fill for i32 {
    fn fill(i: usize) -> Self {
        (i % 1000) as i32 - 500
    }
}
impl Fill for i64 {
    fn fill(i: usize) -> Self {
        (i % 1000) as i64 - 500
    }
}
impl Fill for bool {
    fn fill(i: usize) -> Self {
        i.is_multiple_of(5)
    }
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        full: false,
        budget: Duration::from_secs(150),
        out_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/results").to_string(),
        element: "f32".to_string(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.full = false,
            "--full" => {
                options.full = true;
                options.budget = Duration::from_secs(900);
            }
            "--budget" => {
                let secs: u64 = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--budget needs a number of seconds")?;
                options.budget = Duration::from_secs(secs);
            }
            "--out" => options.out_dir = args.next().ok_or("--out needs a directory")?,
            "--element" => {
                options.element = args
                    .next()
                    .filter(|e| ["f32", "f64", "i32", "i64", "bool"].contains(&e.as_str()))
                    .ok_or("--element needs one of f32, f64, i32, i64, bool")?
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (use --quick, --full, --budget S, --out DIR, --element T)"
                ));
            }
        }
    }
    Ok(options)
}

/// Square operands of one size for the semiring `S`, and a workspace.
struct Problem<S: Semiring> {
    n: usize,
    a: Vec<S::Scalar>,
    b: Vec<S::Scalar>,
    c: Vec<S::Scalar>,
    ws: GemmWorkspace,
}

impl<S: Semiring> Problem<S>
where
    S::Scalar: Fill,
{
    fn new(n: usize) -> Self {
        Problem {
            n,
            a: (0..n * n).map(|i| S::Scalar::fill(i * 7919)).collect(),
            b: (0..n * n).map(|i| S::Scalar::fill(i * 7907)).collect(),
            c: vec![S::ZERO; n * n],
            ws: GemmWorkspace::new(),
        }
    }

    /// Seconds of one call with `tiling`.
    fn time(&mut self, tiling: TilingParams) -> f64 {
        let n = self.n;
        let cfg = GemmConfig::default().with_par(Par::Seq).with_tiling(tiling);
        let start = Instant::now();
        gemm_with::<S>(
            &mut self.ws,
            &cfg,
            MatRef::row_major(&self.a, n, n).unwrap(),
            MatRef::row_major(&self.b, n, n).unwrap(),
            MatMut::row_major(&mut self.c, n, n).unwrap(),
            Accum::Replace,
        )
        .expect("valid tiling");
        start.elapsed().as_secs_f64()
    }

    /// (median, min, max) G ops/s over `reps` calls after a warm-up.
    fn rate(&mut self, tiling: TilingParams, reps: usize) -> (f64, f64, f64) {
        self.time(tiling);
        let ops = (self.n * self.n * self.n) as f64 / 1e9;
        let mut rates: Vec<f64> = (0..reps).map(|_| ops / self.time(tiling)).collect();
        rates.sort_by(f64::total_cmp);
        (rates[reps / 2], rates[0], rates[reps - 1])
    }
}

struct Row {
    phase: &'static str,
    n: usize,
    tiling: TilingParams,
    rate: (f64, f64, f64),
}

fn main() {
    if let Err(e) = run() {
        eprintln!("tune: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let options = parse_args()?;
    match options.element.as_str() {
        "f64" => tune::<MaxPlus<f64>>(&options, "MaxPlus<f64>"),
        "i32" => tune::<MaxPlus<i32>>(&options, "MaxPlus<i32>"),
        "i64" => tune::<MaxPlus<i64>>(&options, "MaxPlus<i64>"),
        "bool" => tune::<OrAnd>(&options, "OrAnd"),
        _ => tune::<MaxPlus<f32>>(&options, "MaxPlus<f32>"),
    }
}

/// Tunes the dispatched kernel of `S` (one per element type: the block
/// sizes apply to every kernel of that element size and ISA level).
fn tune<S: Semiring>(options: &Options, label: &str) -> Result<(), String>
where
    S::Scalar: Fill,
{
    let element_bytes = std::mem::size_of::<S::Scalar>();
    let kernel = kernel_for::<S>().map_err(|e| e.to_string())?;
    let (mr, nr) = (kernel.mr(), kernel.nr());
    let identity = tropical_blas::tuning::cpu_identity();
    let cpu = identity.to_string();
    let signature = format!(
        "{}-{}-{}-{}",
        identity.vendor, identity.family, identity.model, identity.stepping
    );
    let slug: String = signature
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    // One result set per CPU, ISA level and element type.
    let slug = format!("{slug}-{}-{}", kernel.isa(), options.element);
    let c = identity.caches;
    println!(
        "tuning {label} on {} ({}x{}) on {cpu}: L1d {} KiB, L2 {} KiB, L3 {} KiB; {} mode, budget {} s",
        kernel.name(),
        mr,
        nr,
        c.l1d >> 10,
        c.l2 >> 10,
        c.l3 >> 10,
        if options.full { "full" } else { "quick" },
        options.budget.as_secs()
    );
    // The library's own defaults when no tuned table applies.
    let derived = kernel.cache_derived_tiling();

    let (n, reps): (usize, usize) = if options.full { (1024, 9) } else { (1024, 5) };
    let kcs: Vec<usize> = if options.full {
        vec![128, 192, 256, 384, 512, 640, 768, 1024, 1536]
    } else {
        vec![256, 384, 512, 768, 1024]
    };
    let mcs: Vec<usize> = if options.full {
        vec![2, 3, 4, 6, 8, 12, 16]
            .into_iter()
            .map(|x| x * mr)
            .collect()
    } else {
        vec![2, 4, 8].into_iter().map(|x| x * mr).collect()
    };
    let ncs = [1024usize, 2048, 4096, 8192];
    let smalls = [8usize, 16, 24, 32, 48, 64, 96, 128];
    let points = kcs.len() * mcs.len() + ncs.len() + 2 * smalls.len() + 3 * 5;
    let bar = ProgressBar::new(points as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} {msg}")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    let start = Instant::now();
    let over_budget = || start.elapsed() > options.budget;
    let mut rows = Vec::new();
    let mut problem = Problem::<S>::new(n);

    // 1. The kc × mc grid (nc at its derived value), visited in `passes`
    // full passes of 2 calls per point, so drift in the shared machine's
    // speed spreads over every point instead of biasing the late ones.
    let grid: Vec<TilingParams> = kcs
        .iter()
        .flat_map(|&kc| {
            mcs.iter()
                .map(move |&mc| TilingParams::new(mc, kc, derived.nc))
        })
        .collect();
    let passes = reps.div_ceil(2);
    let mut samples = vec![Vec::new(); grid.len()];
    for pass in 0..passes {
        for (point, &tiling) in grid.iter().enumerate() {
            if pass == 0 {
                bar.inc(1);
            }
            if over_budget() {
                continue;
            }
            bar.set_message(format!(
                "pass {}/{passes}: kc {} mc {}",
                pass + 1,
                tiling.kc,
                tiling.mc
            ));
            let (_, low, high) = problem.rate(tiling, 2);
            samples[point].extend([low, high]);
        }
    }
    for (tiling, mut rates) in grid.into_iter().zip(samples) {
        if rates.is_empty() {
            continue;
        }
        rates.sort_by(f64::total_cmp);
        let rate = (rates[rates.len() / 2], rates[0], rates[rates.len() - 1]);
        rows.push(Row {
            phase: "grid",
            n,
            tiling,
            rate,
        });
    }
    let best_grid = rows
        .iter()
        .max_by(|x, y| x.rate.0.total_cmp(&y.rate.0))
        .map(|r| r.tiling)
        .unwrap_or(derived);

    // 2. nc at the best (mc, kc).
    for &nc in &ncs {
        bar.inc(1);
        if over_budget() {
            continue;
        }
        bar.set_message(format!("nc {nc}"));
        let tiling = TilingParams::new(best_grid.mc, best_grid.kc, nc);
        rows.push(Row {
            phase: "nc",
            n,
            tiling,
            rate: problem.rate(tiling, reps),
        });
    }
    let best = rows
        .iter()
        .filter(|r| r.phase == "nc")
        .max_by(|x, y| x.rate.0.total_cmp(&y.rate.0))
        .map(|r| r.tiling)
        .unwrap_or(best_grid);

    // 3. The small-matrix threshold: the largest n up to which the
    // unpacked path beats the packed one at every size.
    let mut small_wins_up_to = 0;
    let mut still_winning = true;
    let mut small_measured = false;
    for &s in &smalls {
        bar.inc(2);
        if over_budget() {
            continue;
        }
        small_measured = true;
        bar.set_message(format!("small path n {s}"));
        let mut p = Problem::<S>::new(s);
        let blocks = TilingParams::new(best.mc, best.kc, best.nc);
        let reps_small = reps * 20;
        let small = p.rate(blocks.with_small_ops(usize::MAX), reps_small);
        let packed = p.rate(blocks.with_small_ops(0), reps_small);
        rows.push(Row {
            phase: "small-path",
            n: s,
            tiling: blocks.with_small_ops(usize::MAX),
            rate: small,
        });
        rows.push(Row {
            phase: "packed-path",
            n: s,
            tiling: blocks.with_small_ops(0),
            rate: packed,
        });
        if still_winning && small.0 > packed.0 {
            small_wins_up_to = s;
        } else {
            still_winning = false;
        }
    }
    // Out of budget before any size was measured: the derived threshold.
    let tuned = best.with_small_ops(if small_measured {
        small_wins_up_to.pow(3)
    } else {
        derived.small_ops
    });

    // 4. Tuned against the cache-derived defaults and the previous
    // hand-picked sizes, alternating, at n = 1024 (and 2048 in full mode).
    let hand = TilingParams::new(64, 512, 4096).with_small_ops(64 * 64 * 64);
    let candidates = [
        ("derived", derived),
        ("hand-picked", hand),
        ("tuned", tuned),
    ];
    let mut compare: Vec<(&str, usize, Vec<f64>)> = Vec::new();
    let sizes: &[usize] = if options.full { &[1024, 2048] } else { &[1024] };
    for &size in sizes {
        let mut p = if size == n {
            problem
        } else {
            Problem::<S>::new(size)
        };
        let mut rates = vec![Vec::new(); candidates.len()];
        for _round in 0..5 {
            for (i, (name, tiling)) in candidates.iter().enumerate() {
                bar.set_message(format!("compare {name} n {size}"));
                rates[i].push(p.rate(*tiling, 1).0);
            }
            bar.inc(if size == n { 3 } else { 0 });
        }
        for (i, (name, _)) in candidates.iter().enumerate() {
            compare.push((name, size, rates[i].clone()));
        }
        problem = p;
    }
    bar.finish_with_message(format!("done in {:.0} s", start.elapsed().as_secs_f64()));
    for (name, size, rates) in &compare {
        let mut sorted = rates.clone();
        sorted.sort_by(f64::total_cmp);
        let tiling = candidates
            .iter()
            .find(|c| c.0 == *name)
            .map(|c| c.1)
            .unwrap_or(derived);
        rows.push(Row {
            phase: match *name {
                "derived" => "compare-derived",
                "hand-picked" => "compare-hand-picked",
                _ => "compare-tuned",
            },
            n: *size,
            tiling,
            rate: (
                sorted[sorted.len() / 2],
                sorted[0],
                sorted[sorted.len() - 1],
            ),
        });
    }

    // Adopt the sweep's winner only where it beat the cache-derived sizes
    // by 2 % in the alternating check at every size measured: the grid's
    // own medians are noisier than the differences they choose between.
    // The check compares the median of the per-round ratios: a busy
    // minute slows both candidates of a round, so it cancels in their
    // ratio, where it would shift one candidate's own median.
    let ratio_of = |name: &str, other: &str, size: usize| {
        let rates = |n: &str| {
            compare
                .iter()
                .find(|c| c.0 == n && c.1 == size)
                .map(|c| c.2.clone())
                .unwrap_or_default()
        };
        let mut ratios: Vec<f64> = rates(name)
            .iter()
            .zip(rates(other))
            .map(|(x, y)| x / y)
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let adopted = sizes
        .iter()
        .all(|&size| ratio_of("tuned", "derived", size) >= 1.02);
    let chosen = if adopted {
        tuned
    } else {
        TilingParams::new(derived.mc, derived.kc, derived.nc).with_small_ops(tuned.small_ops)
    };
    // Outputs.
    std::fs::create_dir_all(&options.out_dir).map_err(|e| e.to_string())?;
    let base = format!("{}/{slug}", options.out_dir);
    let mut csv = std::fs::File::create(format!("{base}.csv")).map_err(|e| e.to_string())?;
    writeln!(
        csv,
        "phase,n,mc,kc,nc,small_ops,median_gops,min_gops,max_gops"
    )
    .map_err(|e| e.to_string())?;
    for r in &rows {
        writeln!(
            csv,
            "{},{},{},{},{},{},{:.3},{:.3},{:.3}",
            r.phase,
            r.n,
            r.tiling.mc,
            r.tiling.kc,
            r.tiling.nc,
            r.tiling.small_ops,
            r.rate.0,
            r.rate.1,
            r.rate.2
        )
        .map_err(|e| e.to_string())?;
    }
    let blocks = TunedBlocks {
        cpu: cpu.to_string(),
        isa: kernel.isa(),
        element_bytes,
        mc: chosen.mc,
        kc: chosen.kc,
        nc: chosen.nc,
        small_ops: chosen.small_ops,
    };
    std::fs::write(format!("{base}.tuning"), blocks.to_file()).map_err(|e| e.to_string())?;
    let series: Vec<chart::Series> = mcs
        .iter()
        .map(|&mc| chart::Series {
            label: format!("mc = {mc}"),
            points: rows
                .iter()
                .filter(|r| r.phase == "grid" && r.tiling.mc == mc)
                .map(|r| (r.tiling.kc as f64, r.rate.0))
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    let derived_rate = rows
        .iter()
        .find(|r| r.phase == "compare-derived" && r.n == n)
        .map(|r| r.rate.0);
    let chart_result = chart::line_chart(
        &format!("{base}.png"),
        &format!(
            "{} on {cpu}: {label}, n = {n}, 1 thread, median of {} calls",
            kernel.name(),
            2 * passes
        ),
        "kc",
        "G tropical-ops/s",
        false,
        &series,
        &derived_rate
            .map(|r| {
                vec![(
                    format!(
                        "cache-derived defaults ({}/{}/{})",
                        derived.mc, derived.kc, derived.nc
                    ),
                    r,
                )]
            })
            .unwrap_or_default(),
    );

    println!("\nresults: {base}.csv");
    match chart_result {
        Ok(()) => println!("chart:   {base}.png"),
        Err(e) => println!("chart:   not drawn: {e}"),
    }
    println!(
        "tuned:   {base}.tuning (use: {}={base}.tuning)",
        tuning::TUNING_ENV_VAR
    );
    print!("{}", blocks.to_file());
    println!("\nmedian G ops/s, alternating rounds:");
    for (name, size, rates) in &compare {
        let mut sorted = rates.clone();
        sorted.sort_by(f64::total_cmp);
        let tiling = candidates
            .iter()
            .find(|c| c.0 == *name)
            .map(|c| c.1)
            .unwrap_or(derived);
        println!(
            "  n = {size:>4}  {name:<12} mc {:>4} kc {:>4} nc {:>5}: {:>6.2}",
            tiling.mc,
            tiling.kc,
            tiling.nc,
            sorted[sorted.len() / 2]
        );
    }
    for &size in sizes {
        println!(
            "  n = {size}: tuned / derived = {:.3}, tuned / hand-picked = {:.3} (medians of per-round ratios)",
            ratio_of("tuned", "derived", size),
            ratio_of("tuned", "hand-picked", size)
        );
    }
    println!(
        "{}",
        if adopted {
            "adopted: the sweep's winner beat the cache-derived sizes by at least 2 % at every size"
        } else {
            "kept the cache-derived mc/kc/nc: the sweep's winner did not beat them by 2 % at every size (the small-path threshold is still the measured one)"
        }
    );
    println!(
        "\nto compile it in, add to TUNED_TABLE in src/binding/tuning.rs:\n    TunedEntry {{ vendor: {:?}, family: {}, model: {}, stepping: {}, l1d: {}, l2: {}, l3: {}, isa: IsaLevel::{:?}, element_bytes: {element_bytes}, mc: {}, kc: {}, nc: {}, small_ops: {} }},",
        identity.vendor,
        identity.family,
        identity.model,
        identity.stepping,
        identity.caches.l1d,
        identity.caches.l2,
        identity.caches.l3,
        kernel.isa(),
        chosen.mc,
        chosen.kc,
        chosen.nc,
        chosen.small_ops
    );
    Ok(())
}
