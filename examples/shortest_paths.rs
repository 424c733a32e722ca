//! All-pairs shortest paths by repeated min-plus squaring, checked against
//! Floyd–Warshall.
//!
//! ```text
//! cargo run --release --example shortest_paths            # 1024 nodes
//! cargo run --release --example shortest_paths -- 300     # any size
//! ```
//!
//! The graph is road-like: nodes on a jittered grid, each joined to its grid
//! neighbours and to a few random nearby nodes, with integer travel times,
//! so every path length is exact in f32 and the two methods must agree
//! bit for bit.

use std::time::Instant;

use tropical_blas::{Accum, GemmConfig, GemmWorkspace, MatMut, MatRef, MinPlus, gemm_with};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|_| format!("expected a node count, got {arg:?}"))?,
        None => 1024,
    };
    let weights = road_like_graph(n, 2026);
    println!(
        "graph: {n} nodes, {} directed edges",
        weights.iter().filter(|w| w.is_finite()).count() - n
    );

    // D(1) = W; D(2s) = D(s) ⊗ D(s) in (min, +). After ceil(log2(n-1))
    // squarings D holds every shortest path (paths have at most n-1 edges).
    let start = Instant::now();
    let mut dist = weights.clone();
    let mut next = vec![0.0f32; n * n];
    let mut ws = GemmWorkspace::new();
    let cfg = GemmConfig::default();
    let mut squarings = 0;
    loop {
        gemm_with::<MinPlus<f32>>(
            &mut ws,
            &cfg,
            MatRef::row_major(&dist, n, n)?,
            MatRef::row_major(&dist, n, n)?,
            MatMut::row_major(&mut next, n, n)?,
            Accum::Replace,
        )?;
        squarings += 1;
        std::mem::swap(&mut dist, &mut next);
        if dist == next {
            break; // a fixed point: no path got shorter
        }
    }
    let tropical = start.elapsed();
    let ops = squarings as f64 * (n * n * n) as f64;
    println!(
        "min-plus squaring: {squarings} products in {:.3} s ({:.2} G tropical-ops/s)",
        tropical.as_secs_f64(),
        ops / tropical.as_secs_f64() / 1e9
    );

    let start = Instant::now();
    let reference = floyd_warshall(&weights, n);
    println!("Floyd–Warshall:    {:.3} s", start.elapsed().as_secs_f64());

    let mismatches = dist
        .iter()
        .zip(&reference)
        .filter(|(a, b)| a.to_bits() != b.to_bits())
        .count();
    let reachable = dist.iter().filter(|d| d.is_finite()).count();
    let longest = dist
        .iter()
        .copied()
        .filter(|d| d.is_finite())
        .fold(0.0f32, f32::max);
    println!(
        "reachable pairs: {reachable} of {}; longest shortest path: {longest}",
        n * n
    );
    if mismatches != 0 {
        return Err(format!("{mismatches} distances differ from Floyd–Warshall").into());
    }
    println!("all {} distances match Floyd–Warshall exactly", n * n);
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

fn floyd_warshall(weights: &[f32], n: usize) -> Vec<f32> {
    let mut d = weights.to_vec();
    for k in 0..n {
        for i in 0..n {
            let dik = d[i * n + k];
            if dik == f32::INFINITY {
                continue;
            }
            for j in 0..n {
                let through = dik + d[k * n + j];
                if through < d[i * n + j] {
                    d[i * n + j] = through;
                }
            }
        }
    }
    d
}
