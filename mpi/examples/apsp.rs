//! All-pairs shortest paths with routes, distributed: repeated min-plus
//! squaring by SUMMA with argmin, on a generated road-like graph.
//!
//! ```sh
//! cargo build --release --example apsp
//! mpirun -n 4 target/release/examples/apsp -- 400 2500   # small size, larger size
//! ```
//!
//! Arguments: the size checked against the single-node
//! `graph::shortest_paths` (every distance bitwise, every route walked),
//! then the larger size checked against Dijkstra from `--sources S`
//! sampled sources (default 16). Weights are small integers, so every
//! float sum is exact and the two methods must agree bit for bit.
//!
//! Why squaring and not a distributed blocked Floyd–Warshall: squaring is
//! SUMMA as it is, ⌈log₂ h⌉ + 1 products for a graph whose shortest routes
//! have at most h hops (a road grid of n nodes has h ≈ 2√n), each a full,
//! well-balanced product; Floyd–Warshall does n³ work once but in n/b
//! dependent steps, each a latency-bound broadcast of a closed diagonal
//! block before its panels can update, which needs its own pipeline to
//! scale. On the graphs here squaring costs about 7–9 products.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use mpi::Threading;
use mpi::collective::SystemOperation;
use mpi::datatype::PartitionMut;
use mpi::traits::CommunicatorCollectives;
use tropical_blas::graph::shortest_paths;
use tropical_blas::{Accum, MatRef, MinPlus, NO_ARG, Par};
use tropical_blas_mpi::{DistMatrix, ProcessGrid, SummaWorkspace, summa_argmax_with};

type S = MinPlus<f32>;

/// A road-like directed graph: a √n × √n street grid with weights 1..9
/// (one way 1 more than the other, like slopes), plus a shortcut from a
/// quarter of the nodes to one a few blocks away.
struct Graph {
    n: usize,
    /// Out-edges of each node, sorted by target, one per target.
    out: Vec<Vec<(usize, f32)>>,
}

impl Graph {
    fn road_like(n: usize, seed: u64) -> Self {
        let mut rng = seed | 1;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let side = (n as f64).sqrt().ceil() as usize;
        let mut out = vec![Vec::new(); n];
        let mut connect = |a: usize, b: usize, t: f32| {
            out[a].push((b, t));
            out[b].push((a, t + 1.0));
        };
        for v in 0..n {
            let (r, c) = (v / side, v % side);
            if c + 1 < side && v + 1 < n {
                connect(v, v + 1, 1.0 + (next() % 9) as f32);
            }
            if r + 1 < side && v + side < n {
                connect(v, v + side, 1.0 + (next() % 9) as f32);
            }
            if next() % 4 == 0 {
                let u = (v + 1 + (next() as usize % (3 * side))) % n;
                if u != v {
                    connect(v, u, 5.0 + (next() % 20) as f32);
                }
            }
        }
        for edges in &mut out {
            // The lightest of parallel edges.
            edges.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
            edges.dedup_by_key(|e| e.0);
        }
        Self { n, out }
    }

    /// The weight matrix entry: 0 on the diagonal, +∞ without an edge.
    fn weight(&self, i: usize, j: usize) -> f32 {
        if i == j {
            return 0.0;
        }
        match self.out[i].binary_search_by_key(&j, |e| e.0) {
            Ok(at) => self.out[i][at].1,
            Err(_) => f32::INFINITY,
        }
    }

    fn dijkstra(&self, source: usize) -> Vec<f32> {
        let mut dist = vec![f32::INFINITY; self.n];
        let mut heap = BinaryHeap::new();
        dist[source] = 0.0;
        heap.push(Reverse((0u64, source)));
        while let Some(Reverse((d, u))) = heap.pop() {
            if d as f32 > dist[u] {
                continue;
            }
            for &(v, w) in &self.out[u] {
                let through = dist[u] + w;
                if through < dist[v] {
                    dist[v] = through;
                    heap.push(Reverse((through as u64, v)));
                }
            }
        }
        dist
    }
}

/// Distances and next hops of every pair, distributed.
struct Solution<'g> {
    dist: DistMatrix<'g, f32>,
    next: DistMatrix<'g, u32>,
    products: usize,
    seconds: f64,
}

/// Whether an n × n matrix fits one MPI message (`i32` counts): every
/// count and displacement of [`full_rows`] is then in range. The same
/// answer on every rank, so `main` can refuse a size on all of them.
fn fits_counts(n: usize) -> bool {
    n.checked_mul(n)
        .is_some_and(|x| mpi::Count::try_from(x).is_ok())
}

/// This rank's rows of `x` with all their columns (row-major), gathered
/// along the process row. `x` is n × n with `fits_counts(n)`.
fn full_rows(grid: &ProcessGrid, x: &DistMatrix<'_, u32>) -> Vec<u32> {
    let (m, n) = (x.row_range().len(), x.cols());
    let count = |len: usize| mpi::Count::try_from(len).expect("fits_counts(n), checked in main");
    let mut counts = Vec::new();
    let mut displs = Vec::new();
    let mut at = 0;
    for c in 0..grid.cols() {
        let len = m * tropical_blas_mpi::block_range(n, grid.cols(), c).len();
        counts.push(count(len));
        displs.push(count(at));
        at += len;
    }
    let mut packed = Vec::with_capacity(at.max(1));
    packed.resize(at, 0u32);
    let mut partition = PartitionMut::new(&mut packed[..], counts, &displs[..]);
    grid.row_comm()
        .all_gather_varcount_into(x.local(), &mut partition);
    let mut rows = vec![0u32; m * n];
    for c in 0..grid.cols() {
        let cols = tropical_blas_mpi::block_range(n, grid.cols(), c);
        let block = &packed[displs[c] as usize..][..m * cols.len()];
        for i in 0..m {
            rows[i * n + cols.start..i * n + cols.end]
                .copy_from_slice(&block[i * cols.len()..(i + 1) * cols.len()]);
        }
    }
    rows
}

/// Squares D (with argmin) until it stops changing; each winner k gives
/// the new next hop: the first hop towards k (towards j if k = i).
fn solve<'g>(grid: &'g ProcessGrid, g: &Graph) -> Solution<'g> {
    let n = g.n;
    let start = Instant::now();
    let mut dist = DistMatrix::from_fn(grid, n, n, |i, j| g.weight(i, j));
    let mut next = DistMatrix::from_fn(grid, n, n, |i, j| {
        if i != j && g.weight(i, j).is_finite() {
            j as u32
        } else {
            NO_ARG
        }
    });
    let mut squared = dist.clone();
    let mut argk = DistMatrix::filled(grid, n, n, NO_ARG);
    let mut ws = SummaWorkspace::new();
    let cfg = tropical_blas_mpi::SummaConfig::default();
    let mut products = 0;
    loop {
        summa_argmax_with::<S>(
            &mut ws,
            &cfg,
            &dist,
            &dist,
            &mut squared,
            &mut argk,
            Accum::Replace,
        )
        .expect("valid operands");
        products += 1;
        let rows = full_rows(grid, &next);
        let (row0, cols) = (dist.row_range().start, dist.col_range());
        let nc = cols.len();
        for (at, hop) in next.local_mut().iter_mut().enumerate() {
            let (li, j) = (at / nc, cols.start + at % nc);
            let i = row0 + li;
            *hop = match argk.local()[at] {
                NO_ARG => NO_ARG,
                k if k as usize == i => rows[li * n + j],
                k => rows[li * n + k as usize],
            };
        }
        let changed = dist
            .local()
            .iter()
            .zip(squared.local())
            .any(|(x, y)| x.to_bits() != y.to_bits());
        let mut any = 0u32;
        grid.comm()
            .all_reduce_into(&u32::from(changed), &mut any, SystemOperation::max());
        std::mem::swap(&mut dist, &mut squared);
        if any == 0 {
            break;
        }
    }
    Solution {
        dist,
        next,
        products,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// Walks the route from `i` to `j` by next hops: real edges, a length equal
/// to the distance, no more than n hops. Returns the hop count.
fn walk(g: &Graph, dist: &[f32], next: &[u32], i: usize, j: usize) -> Result<usize, String> {
    let n = g.n;
    let (mut at, mut length, mut hops) = (i, 0.0f32, 0);
    while at != j {
        let hop = next[at * n + j];
        if hop == NO_ARG || hops > n {
            return Err(format!("route {i}→{j} breaks at {at}"));
        }
        let w = g.weight(at, hop as usize);
        if !w.is_finite() {
            return Err(format!("route {i}→{j} uses a missing edge {at}→{hop}"));
        }
        length += w;
        at = hop as usize;
        hops += 1;
    }
    if length.to_bits() != dist[i * n + j].to_bits() {
        return Err(format!(
            "route {i}→{j} is {length} long, distance {}",
            dist[i * n + j]
        ));
    }
    Ok(hops)
}

fn report(grid: &ProcessGrid, n: usize, s: &Solution<'_>) {
    if grid.rank() == 0 {
        let ops = s.products as f64 * (n as f64).powi(3);
        println!(
            "n = {n}: {} squarings with argmin in {:.3} s ({:.1} G tropical ops/s) on a {}x{} grid",
            s.products,
            s.seconds,
            ops / s.seconds / 1e9,
            grid.rows(),
            grid.cols()
        );
    }
}

/// Every pair against the single-node blocked Floyd–Warshall (run on the
/// root only): the number of failures, or why the reference could not run.
fn check_small(g: &Graph, dist: &[f32], next: &[u32]) -> Result<usize, Box<dyn std::error::Error>> {
    let small = g.n;
    let mut failures = 0;
    let w: Vec<f32> = (0..small * small)
        .map(|x| g.weight(x / small, x % small))
        .collect();
    let single = shortest_paths(MatRef::row_major(&w, small, small)?, Par::Rayon(0))?;
    let same = (0..small * small).all(|x| {
        let d = single
            .distances()
            .get(x / small, x % small)
            .expect("inside");
        d.to_bits() == dist[x].to_bits()
    });
    let mut longest = 0;
    for x in 0..small * small {
        let (i, j) = (x / small, x % small);
        if dist[x].is_finite() {
            match walk(g, dist, next, i, j) {
                Ok(h) => longest = longest.max(h),
                Err(e) => {
                    failures += 1;
                    eprintln!("{e}");
                }
            }
        }
    }
    failures += usize::from(!same);
    println!(
        "n = {small}: distances {} the single-node graph::shortest_paths bit for bit; all {} routes walked (longest {longest} hops)",
        if same { "equal" } else { "DIFFER FROM" },
        small * small
    );
    Ok(failures)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Funneled: rayon threads run the node kernel beside MPI, which only
    // this thread calls.
    let (universe, level) =
        mpi::initialize_with_threading(Threading::Funneled).ok_or("MPI initializes once")?;
    if level < Threading::Funneled {
        // The same level on every rank: all of them stop here.
        return Err(format!("MPI granted {level:?}, below Funneled").into());
    }
    let world = universe.world();
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--").collect();
    let mut sizes = Vec::new();
    let mut sources = 16;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--sources" => sources = it.next().ok_or("--sources S")?.parse()?,
            n => sizes.push(n.parse::<usize>()?),
        }
    }
    let small = sizes.first().copied().unwrap_or(400);
    let large = sizes.get(1).copied().unwrap_or(2500);
    if !fits_counts(small.max(large)) {
        // Decided from the arguments alone: every rank returns here.
        return Err(format!(
            "n = {} is past what one MPI message carries",
            small.max(large)
        )
        .into());
    }
    let grid = ProcessGrid::square(&world)?;
    let mut failures = 0usize;

    // Small: every pair against the single-node blocked Floyd–Warshall.
    let g = Graph::road_like(small, 42);
    let s = solve(&grid, &g);
    report(&grid, small, &s);
    let (dist, next) = (s.dist.gather(0)?, s.next.gather(0)?);
    if let (Some(dist), Some(next)) = (dist, next) {
        // Root only: no `?` here, which would leave the other ranks waiting
        // in the final all-reduce; an error counts as a failure instead.
        failures += check_small(&g, &dist, &next).unwrap_or_else(|e| {
            eprintln!("n = {small}: the single-node reference failed: {e}");
            1
        });
    }

    // Larger: sampled sources against Dijkstra.
    let g = Graph::road_like(large, 7);
    let s = solve(&grid, &g);
    report(&grid, large, &s);
    let (dist, next) = (s.dist.gather(0)?, s.next.gather(0)?);
    if let (Some(dist), Some(next)) = (dist, next) {
        let mut checked = 0;
        for t in 0..sources.min(large) {
            let source = (t * 7919) % large;
            let reference = g.dijkstra(source);
            let row = &dist[source * large..(source + 1) * large];
            if !row
                .iter()
                .zip(&reference)
                .all(|(x, y)| x.to_bits() == y.to_bits())
            {
                failures += 1;
                eprintln!("source {source}: distances differ from Dijkstra");
            }
            for (j, d) in row.iter().enumerate() {
                if d.is_finite() {
                    if let Err(e) = walk(&g, &dist, &next, source, j) {
                        failures += 1;
                        eprintln!("{e}");
                    }
                    checked += 1;
                }
            }
        }
        println!(
            "n = {large}: {} sources equal Dijkstra's distances{}; {checked} routes walked",
            sources.min(large),
            if failures == 0 { "" } else { " (NOT ALL)" }
        );
    }
    // The verdict is collective: every rank learns the root's failures and
    // exits with the same status.
    let mut total = 0u64;
    world.all_reduce_into(&(failures as u64), &mut total, SystemOperation::sum());
    // The grid's communicators are freed before MPI is finalized.
    drop(grid);
    drop(universe);
    if total > 0 {
        eprintln!("apsp: {total} failures");
        std::process::exit(1);
    }
    Ok(())
}
