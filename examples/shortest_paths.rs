//! All-pairs shortest paths with routes by the library's blocked
//! Floyd–Warshall (`graph::shortest_paths`), checked against Dijkstra,
//! and timed against repeated min-plus squaring and a single product.
//!
//! ```text
//! cargo run --release --example shortest_paths                 # 1024 nodes
//! cargo run --release --example shortest_paths -- 300          # any size
//! cargo run --release --example shortest_paths -- 4096 --threads 1
//! cargo run --release --example shortest_paths -- 2048 --dense   # every edge present
//! ```
//!
//! `--all-sources` checks against Dijkstra from every source above 2048
//! nodes too (slow: Dijkstra on a dense matrix is n² per source).
//!
//! The graph is road-like: nodes on a jittered grid, each joined to its grid
//! neighbours and to a few random nearby nodes, with integer travel times,
//! so every path length is exact in f32 and the methods must agree bit for
//! bit. Distances are checked against Dijkstra from every source (from 64
//! sampled ones above 2048 nodes), and every route from those sources is
//! walked edge by edge: it must use real edges and add up to the distance.
//! Repeated squaring (D ← D ⊗ D with `gemm_with` until nothing changes,
//! timed there and again at ⌈log₂(n−1)⌉ products, the count that needs no
//! test) must give the same distances.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use tropical_blas::graph::{shortest_distances, shortest_paths};
use tropical_blas::{Accum, GemmConfig, GemmWorkspace, MatMut, MatRef, MinPlus, Par, gemm_with};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let threads = match args.iter().position(|a| a == "--threads") {
        Some(i) => {
            let t = args.get(i + 1).ok_or("--threads needs a count")?;
            Par::Rayon(t.parse().map_err(|_| format!("bad thread count {t:?}"))?)
        }
        None => Par::default(),
    };
    let n: usize = match args.first().filter(|a| !a.starts_with("--")) {
        Some(arg) => arg
            .parse()
            .map_err(|_| format!("expected a node count, got {arg:?}"))?,
        None => 1024,
    };
    if n == 0 || n >= u32::MAX as usize {
        return Err(format!("the node count must be in 1..2^32-1, got {n}").into());
    }
    let dense = args.iter().any(|a| a == "--dense");
    let weights = if dense {
        complete_graph(n, 2026)
    } else {
        road_like_graph(n, 2026)
    };
    println!(
        "graph: {n} nodes, {} directed edges; threads: {threads:?}",
        weights.iter().filter(|w| w.is_finite()).count() - n
    );
    let cube = (n * n * n) as f64;

    let start = Instant::now();
    let paths = shortest_paths(MatRef::row_major(&weights, n, n)?, threads)?;
    let fw = start.elapsed().as_secs_f64();
    println!(
        "blocked Floyd-Warshall with routes: {fw:.3} s ({:.2} G tropical-ops/s counting n^3)",
        cube / fw / 1e9
    );

    let start = Instant::now();
    let alone = shortest_distances(MatRef::row_major(&weights, n, n)?, threads)?;
    let fw_distances = start.elapsed().as_secs_f64();
    println!(
        "blocked Floyd-Warshall, distances only: {fw_distances:.3} s ({:.2} G tropical-ops/s counting n^3)",
        cube / fw_distances / 1e9
    );

    // Repeated squaring, distances only: to the fixed point (a test after
    // each product), then on to ceil(log2(n-1)) products, the count that
    // covers every route without the test.
    let cfg = GemmConfig::default().with_par(threads);
    let mut ws = GemmWorkspace::new();
    // out = x ⊗ x, n × n.
    let mut square = |x: &[f32], out: &mut [f32]| {
        gemm_with::<MinPlus<f32>>(
            &mut ws,
            &cfg,
            MatRef::row_major(x, n, n)?,
            MatRef::row_major(x, n, n)?,
            MatMut::row_major(out, n, n)?,
            Accum::Replace,
        )
    };
    let start = Instant::now();
    let mut dist = weights.clone();
    let mut next = vec![0.0f32; n * n];
    let mut squarings = 0;
    loop {
        square(&dist, &mut next)?;
        squarings += 1;
        std::mem::swap(&mut dist, &mut next);
        if dist == next {
            break;
        }
    }
    let squaring = start.elapsed().as_secs_f64();
    println!(
        "repeated squaring (gemm, distances only): {squarings} products to the fixed point in {squaring:.3} s: \
         {:.1}x the time of Floyd-Warshall distances only, {:.1}x with routes",
        squaring / fw_distances,
        squaring / fw
    );
    let all_routes = (usize::BITS - n.saturating_sub(2).leading_zeros()) as usize;
    if squarings < all_routes {
        while squarings < all_routes {
            square(&dist, &mut next)?;
            squarings += 1;
            std::mem::swap(&mut dist, &mut next);
        }
        let squaring = start.elapsed().as_secs_f64();
        println!(
            "repeated squaring, ceil(log2(n-1)) = {squarings} products: {squaring:.3} s: \
             {:.1}x the time of Floyd-Warshall distances only, {:.1}x with routes",
            squaring / fw_distances,
            squaring / fw
        );
    }
    // One product of the same size, for the rate.
    let start = Instant::now();
    square(&weights, &mut next)?;
    let single = start.elapsed().as_secs_f64();
    println!(
        "one {n}^3 min-plus product: {single:.3} s ({:.2} G tropical-ops/s); \
         Floyd-Warshall runs at {:.0} % of that rate (distances only), {:.0} % (with routes)",
        cube / single / 1e9,
        100.0 * single / fw_distances,
        100.0 * single / fw
    );
    let from_squaring = (0..n * n).all(|ij| {
        let d = paths.distance(ij / n, ij % n).unwrap_or(f32::INFINITY);
        d.to_bits() == dist[ij].to_bits() && d.to_bits() == alone[ij].to_bits()
    });
    if !from_squaring {
        return Err("Floyd-Warshall and repeated squaring disagree".into());
    }

    let sources: Vec<usize> = if n <= 2048 || args.iter().any(|a| a == "--all-sources") {
        (0..n).collect()
    } else {
        (0..64).map(|s| s * n / 64).collect()
    };
    let start = Instant::now();
    for &s in &sources {
        let reference = dijkstra(&weights, n, s);
        for (t, want) in reference.iter().enumerate() {
            let got = paths.distance(s, t).unwrap_or(f32::INFINITY);
            if got.to_bits() != want.to_bits() {
                return Err(format!("distance {s} -> {t}: {got}, Dijkstra says {want}").into());
            }
        }
    }
    let dijkstra_time = start.elapsed().as_secs_f64();
    println!(
        "Dijkstra from {} sources: {dijkstra_time:.3} s; every distance matches exactly",
        sources.len(),
    );
    if sources.len() == n {
        println!(
            "Floyd-Warshall with routes vs Dijkstra from every source: {:.1}x faster",
            dijkstra_time / fw
        );
    }

    // Walk every route from the sources: real edges, adding up to the
    // distance.
    let (mut routes, mut hops, mut longest_route) = (0usize, 0usize, 0usize);
    for &i in &sources {
        for j in 0..n {
            let Some(d) = paths.distance(i, j) else {
                continue;
            };
            let route = paths.route(i, j).ok_or(format!("no route {i} -> {j}"))?;
            let mut length = 0.0f32;
            for hop in route.windows(2) {
                let edge = weights[hop[0] * n + hop[1]];
                if !edge.is_finite() || hop[0] == hop[1] {
                    return Err(format!("route {i} -> {j} uses a missing edge {hop:?}").into());
                }
                length += edge;
            }
            if length.to_bits() != d.to_bits() {
                return Err(
                    format!("route {i} -> {j} has length {length}, the distance is {d}").into(),
                );
            }
            routes += 1;
            hops += route.len() - 1;
            longest_route = longest_route.max(route.len() - 1);
        }
    }
    println!(
        "all {routes} routes walked: real edges, lengths equal the distances \
         (mean {:.1} hops, longest {longest_route} hops)",
        hops as f64 / routes.max(1) as f64
    );
    Ok(())
}

/// Every edge present, with integer weights 1..=100 (0 on the diagonal).
fn complete_graph(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = seed | 1;
    (0..n * n)
        .map(|ij| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            if ij / n == ij % n {
                0.0
            } else {
                1.0 + (rng % 100) as f32
            }
        })
        .collect()
}

/// Weighted adjacency matrix (row-major, +∞ = no edge, 0 on the diagonal).
fn road_like_graph(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = seed | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let side = (n as f64).sqrt().ceil() as usize;
    let mut w = vec![f32::INFINITY; n * n];
    let connect = |w: &mut Vec<f32>, a: usize, b: usize, t: f32| {
        let (ab, ba) = (a * n + b, b * n + a);
        w[ab] = w[ab].min(t);
        w[ba] = w[ba].min(t + 1.0); // slightly asymmetric, like one-way slopes
    };
    for v in 0..n {
        w[v * n + v] = 0.0;
        let (r, c) = (v / side, v % side);
        let t = 1.0 + (next() % 9) as f32;
        if c + 1 < side && v + 1 < n {
            connect(&mut w, v, v + 1, t);
        }
        if r + 1 < side && v + side < n {
            connect(&mut w, v, v + side, 1.0 + (next() % 9) as f32);
        }
        if next() % 4 == 0 {
            // a short cut to a node a few blocks away
            let u = (v + 1 + (next() as usize % (3 * side))) % n;
            connect(&mut w, v, u, 5.0 + (next() % 20) as f32);
        }
    }
    w
}

/// Single-source shortest distances (binary heap; weights are positive
/// integers, so the order of additions cannot change a sum).
fn dijkstra(weights: &[f32], n: usize, source: usize) -> Vec<f32> {
    let mut dist = vec![f32::INFINITY; n];
    let mut heap = BinaryHeap::new();
    dist[source] = 0.0;
    heap.push(Reverse((0u64, source)));
    while let Some(Reverse((d, u))) = heap.pop() {
        if d as f32 > dist[u] {
            continue;
        }
        for (v, &w) in weights[u * n..(u + 1) * n].iter().enumerate() {
            let through = dist[u] + w;
            if w.is_finite() && through < dist[v] {
                dist[v] = through;
                heap.push(Reverse((through as u64, v)));
            }
        }
    }
    dist
}
