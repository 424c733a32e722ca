//! All-pairs shortest paths with path reconstruction, by repeated min-plus
//! squaring with `gemm_argmin` (`gemm_argmax` over `MinPlus`), checked
//! against Dijkstra from every source.
//!
//! ```text
//! cargo run --release --example shortest_paths            # 1024 nodes
//! cargo run --release --example shortest_paths -- 300     # any size
//! ```
//!
//! The graph is road-like: nodes on a jittered grid, each joined to its grid
//! neighbours and to a few random nearby nodes, with integer travel times,
//! so every path length is exact in f32 and the two methods must agree
//! bit for bit. Every reconstructed route is walked edge by edge: it must
//! use real edges and add up to the distance.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use tropical_blas::{
    Accum, GemmConfig, GemmWorkspace, MatMut, MatRef, MinPlus, NO_ARG, gemm_argmax_with,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|_| format!("expected a node count, got {arg:?}"))?,
        None => 1024,
    };
    if n == 0 || n > u32::MAX as usize {
        return Err(format!("the node count must be in 1..2^32, got {n}").into());
    }
    let weights = road_like_graph(n, 2026);
    println!(
        "graph: {n} nodes, {} directed edges",
        weights.iter().filter(|w| w.is_finite()).count() - n
    );

    // D(1) = W; D(2s) = D(s) ⊗ D(s) in (min, +), and the winning k of each
    // entry is a node the route passes through. first_hop[i][j] is the
    // first node after i on a route of length D[i][j]: through k it is the
    // first hop towards k (or, for k = i, the old first hop towards j).
    // After ceil(log2(n-1)) squarings D holds every shortest path.
    let start = Instant::now();
    let mut dist = weights.clone();
    let mut first_hop: Vec<u32> = (0..n * n)
        .map(|ij| {
            let (i, j) = (ij / n, ij % n);
            if i == j || weights[ij].is_finite() {
                j as u32
            } else {
                NO_ARG
            }
        })
        .collect();
    let mut next = vec![0.0f32; n * n];
    let mut via = vec![0u32; n * n];
    let mut ws = GemmWorkspace::new();
    let cfg = GemmConfig::default();
    let mut squarings = 0;
    loop {
        gemm_argmax_with::<MinPlus<f32>>(
            &mut ws,
            &cfg,
            MatRef::row_major(&dist, n, n)?,
            MatRef::row_major(&dist, n, n)?,
            MatMut::row_major(&mut next, n, n)?,
            MatMut::row_major(&mut via, n, n)?,
            Accum::Replace,
        )?;
        squarings += 1;
        first_hop = (0..n * n)
            .map(|ij| {
                let i = ij / n;
                match via[ij] {
                    NO_ARG => NO_ARG,
                    k if k as usize == i => first_hop[ij],
                    k => first_hop[i * n + k as usize],
                }
            })
            .collect();
        std::mem::swap(&mut dist, &mut next);
        if dist == next {
            break; // a fixed point: no path got shorter
        }
    }
    let tropical = start.elapsed();
    let ops = squarings as f64 * (n * n * n) as f64;
    println!(
        "min-plus squaring with argmin: {squarings} products in {:.3} s ({:.2} G tropical-ops/s)",
        tropical.as_secs_f64(),
        ops / tropical.as_secs_f64() / 1e9
    );

    let start = Instant::now();
    let reference: Vec<f32> = (0..n).flat_map(|s| dijkstra(&weights, n, s)).collect();
    println!(
        "Dijkstra from every source:    {:.3} s",
        start.elapsed().as_secs_f64()
    );

    let mismatches = dist
        .iter()
        .zip(&reference)
        .filter(|(a, b)| a.to_bits() != b.to_bits())
        .count();
    if mismatches != 0 {
        return Err(format!("{mismatches} distances differ from Dijkstra").into());
    }
    println!("all {} distances match Dijkstra exactly", n * n);

    // Walk every route: real edges only, adding up to the distance.
    let (mut routes, mut hops, mut longest_route) = (0usize, 0usize, 0usize);
    for i in 0..n {
        for j in 0..n {
            if i == j || !dist[i * n + j].is_finite() {
                continue;
            }
            let (mut at, mut length, mut steps) = (i, 0.0f32, 0usize);
            while at != j {
                let hop = first_hop[at * n + j];
                if hop == NO_ARG || steps == n {
                    return Err(format!("route {i} -> {j} breaks off at node {at}").into());
                }
                let edge = weights[at * n + hop as usize];
                if !edge.is_finite() || hop as usize == at {
                    return Err(
                        format!("route {i} -> {j} uses a missing edge {at} -> {hop}").into(),
                    );
                }
                length += edge;
                at = hop as usize;
                steps += 1;
            }
            if length.to_bits() != dist[i * n + j].to_bits() {
                return Err(format!(
                    "route {i} -> {j} has length {length}, the distance is {}",
                    dist[i * n + j]
                )
                .into());
            }
            routes += 1;
            hops += steps;
            longest_route = longest_route.max(steps);
        }
    }
    let longest = dist
        .iter()
        .copied()
        .filter(|d| d.is_finite())
        .fold(0.0f32, f32::max);
    println!(
        "all {routes} routes walked: real edges, lengths equal the distances \
         (mean {:.1} hops, longest {longest_route} hops; longest distance {longest})",
        hops as f64 / routes.max(1) as f64
    );
    Ok(())
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
