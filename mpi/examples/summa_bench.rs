//! SUMMA throughput and where its time goes, MaxPlus<f32>, square n.
//!
//! ```sh
//! cargo build --release --example summa_bench
//! mpirun -n 1 target/release/examples/summa_bench -- 4096   # the 1-rank baseline
//! mpirun -n 2 target/release/examples/summa_bench -- 4096   # 2 ranks × 1 thread
//! ```
//!
//! Options after n: `--panel W` (k panel width, default 1024), `--polls Q`
//! (row chunks per panel with overlap, default 4), `--threads T`
//! (node threads per rank, default 1), `--reps R` (timed runs per mode,
//! best kept; default 3), `--grid RxC`. Each rank runs with overlap on
//! and off; the time of a run is the slowest rank's. On one rank it also
//! times the node's own `gemm_with` on the whole product.

use std::time::Instant;

use mpi::Threading;
use mpi::collective::SystemOperation;
use mpi::traits::{Communicator, CommunicatorCollectives};
use tropical_blas::{Accum, GemmConfig, GemmWorkspace, MatMut, MatRef, MaxPlus, Par, gemm_with};
use tropical_blas_mpi::{
    DistMatrix, ProcessGrid, SummaConfig, SummaStats, SummaWorkspace, summa_with,
};

type S = MaxPlus<f32>;

struct Options {
    n: usize,
    panel: usize,
    threads: usize,
    reps: usize,
    polls: usize,
    grid: Option<(usize, usize)>,
}

fn options() -> Options {
    let mut o = Options {
        n: 4096,
        panel: SummaConfig::default().panel_width(),
        threads: 1,
        reps: 3,
        polls: SummaConfig::default().progress_polls(),
        grid: None,
    };
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--").collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().expect("a value after the option").clone();
        match a.as_str() {
            "--panel" => o.panel = value().parse().expect("--panel W"),
            "--threads" => o.threads = value().parse().expect("--threads T"),
            "--reps" => o.reps = value().parse().expect("--reps R"),
            "--polls" => o.polls = value().parse().expect("--polls Q"),
            "--grid" => {
                let v = value();
                let (r, c) = v.split_once('x').expect("--grid RxC");
                o.grid = Some((r.parse().expect("rows"), c.parse().expect("cols")));
            }
            n => o.n = n.parse().expect("n, a number"),
        }
    }
    o
}

fn value(i: usize, j: usize) -> f32 {
    let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (j as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    ((h >> 40) % 1000) as f32 * 0.25
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The slowest rank's value of `x`.
fn max_over<C: CommunicatorCollectives>(comm: &C, x: f64) -> f64 {
    let mut out = 0.0f64;
    comm.all_reduce_into(&x, &mut out, SystemOperation::max());
    out
}

fn main() {
    // Funneled: with --threads > 1 rayon threads run beside MPI, which
    // only this thread calls.
    let (universe, level) =
        mpi::initialize_with_threading(Threading::Funneled).expect("MPI initializes once");
    assert!(
        level >= Threading::Funneled,
        "MPI granted {level:?}, below Funneled"
    );
    let world = universe.world();
    let o = options();
    let grid = match o.grid {
        Some((r, c)) => ProcessGrid::new(&world, r, c),
        None => ProcessGrid::square(&world),
    }
    .expect("a grid over the ranks");
    let par = if o.threads <= 1 {
        Par::Seq
    } else {
        Par::Rayon(o.threads)
    };
    let gemm_cfg = GemmConfig::default().with_par(par);
    let n = o.n;
    let ops = (n as f64).powi(3);
    let root = world.rank() == 0;
    if root {
        println!(
            "summa_bench: MaxPlus<f32>, n = {n}, {} ranks on a {}x{} grid, {} thread(s) per rank, panel {}, best of {}",
            grid.size(),
            grid.rows(),
            grid.cols(),
            o.threads,
            o.panel,
            o.reps
        );
        println!(
            "CPU: {} ({} logical CPUs visible)",
            cpu_model(),
            std::thread::available_parallelism().map_or(0, |p| p.get())
        );
    }
    let a = DistMatrix::from_fn(&grid, n, n, value);
    let b = DistMatrix::from_fn(&grid, n, n, |i, j| value(j + 7, i + 3));
    let mut c = DistMatrix::filled(&grid, n, n, 0.0f32);
    let mut ws = SummaWorkspace::new();

    if grid.size() == 1 {
        // The node alone on the whole product, for the baseline.
        let mut gws = GemmWorkspace::new();
        let mut out = vec![0.0f32; n * n];
        let mut best = f64::INFINITY;
        for _ in 0..=o.reps {
            let t = Instant::now();
            gemm_with::<S>(
                &mut gws,
                &gemm_cfg,
                MatRef::row_major(a.local(), n, n).unwrap(),
                MatRef::row_major(b.local(), n, n).unwrap(),
                MatMut::row_major(&mut out, n, n).unwrap(),
                Accum::Replace,
            )
            .expect("valid inputs");
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!(
            "node gemm_with: {best:.3} s, {:.1} G tropical ops/s",
            ops / best / 1e9
        );
    }

    for overlap in [true, false] {
        let cfg = SummaConfig::default()
            .with_gemm(gemm_cfg)
            .with_panel_width(o.panel)
            .with_overlap(overlap)
            .with_progress_polls(o.polls);
        let mut best: Option<(f64, SummaStats)> = None;
        // One warm-up run, then the timed ones.
        for rep in 0..=o.reps {
            world.barrier();
            let t = Instant::now();
            summa_with::<S>(&mut ws, &cfg, &a, &b, &mut c, Accum::Replace).expect("valid inputs");
            let seconds = max_over(&world, t.elapsed().as_secs_f64());
            let s = ws.last_stats();
            let stats = SummaStats {
                broadcast_seconds: max_over(&world, s.broadcast_seconds),
                compute_seconds: max_over(&world, s.compute_seconds),
                pack_seconds: max_over(&world, s.pack_seconds),
                ..s
            };
            if rep > 0 && best.is_none_or(|(b, _)| seconds < b) {
                best = Some((seconds, stats));
            }
        }
        let (seconds, s) = best.expect("at least one timed run");
        if root {
            let steps = s.steps.max(1) as f64;
            println!(
                "summa overlap {:>3}: {seconds:.3} s, {:.1} G tropical ops/s; {} steps, per step: broadcast {:.2} ms, compute {:.2} ms, pack {:.2} ms (slowest rank each)",
                if overlap { "on" } else { "off" },
                ops / seconds / 1e9,
                s.steps,
                s.broadcast_seconds / steps * 1e3,
                s.compute_seconds / steps * 1e3,
                s.pack_seconds / steps * 1e3,
            );
        }
    }
}
