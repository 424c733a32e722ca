//! Transitive closure (reachability) of a generated directed graph with
//! bit-packed boolean matrices (`bits::gemm`), checked against a
//! breadth-first search from every node.
//!
//! ```text
//! cargo run --release --example reachability               # 2048 nodes
//! cargo run --release --example reachability -- 4096 --threads 1
//! ```
//!
//! Method: repeated squaring of R = I | A. After s squarings R holds every
//! pair joined by a walk of at most 2^s edges, so ⌈log₂ n⌉ products
//! suffice, and the loop stops as soon as a product changes nothing (the
//! longest shortest route has been covered). Each product is n³ entry
//! operations, but at 64 entries a word and one table lookup per 6 values
//! of k (for 512 columns at once) it runs at trillions of them a second; the matrix output (n² bits)
//! is what a caller of a closure wants, where a search from every node
//! also costs n·(n + edges) and allocates per source.
//!
//! The graph: nodes on a ring, each with edges to 2 nodes a little ahead
//! and, rarely, one random long edge, so routes are long (many squarings)
//! and the closure is neither empty nor complete.

use std::collections::VecDeque;
use std::time::Instant;

use tropical_blas::bits::{self, BitMatrix};
use tropical_blas::{Accum, GemmConfig, Par};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let par = match args.iter().position(|a| a == "--threads") {
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
        None => 2048,
    };
    if n == 0 {
        return Err("the node count must be at least 1".into());
    }
    let edges = generate(n, 19);
    println!(
        "graph: {n} nodes, {} directed edges; threads: {par:?}; kernel: {}",
        edges.iter().map(Vec::len).sum::<usize>(),
        bits::kernel_for()?.name()
    );

    let start = Instant::now();
    let (closure, products) = closure_by_squaring(n, &edges, &GemmConfig::default().with_par(par))?;
    let squaring = start.elapsed().as_secs_f64();
    let ops = products as f64 * (n as f64).powi(3);
    println!(
        "repeated squaring: {products} products in {:.3} s ({:.0} G entry ops/s), {} reachable pairs",
        squaring,
        ops / squaring / 1e9,
        closure.count_ones()
    );

    let start = Instant::now();
    let mismatches = check_by_bfs(&closure, &edges);
    println!(
        "BFS from every node: {:.3} s; mismatches: {mismatches}",
        start.elapsed().as_secs_f64()
    );
    if mismatches > 0 {
        return Err(format!("{mismatches} rows differ from BFS").into());
    }
    println!("closure matches BFS from every node");
    Ok(())
}

/// Out-edges of each node: two short hops ahead on the ring, and one long
/// random edge from about one node in 64.
fn generate(n: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|u| {
            let mut out = vec![(u + 1 + next() as usize % 7) % n];
            if next() % 3 == 0 {
                out.push((u + 1 + next() as usize % 13) % n);
            }
            if next() % 64 == 0 {
                out.push(next() as usize % n);
            }
            out
        })
        .collect()
}

/// R = I | A squared until a product changes nothing; returns R and the
/// number of products.
fn closure_by_squaring(
    n: usize,
    edges: &[Vec<usize>],
    cfg: &GemmConfig,
) -> Result<(BitMatrix, usize), tropical_blas::Error> {
    let mut r = BitMatrix::identity(n);
    for (u, out) in edges.iter().enumerate() {
        for &v in out {
            r.set(u, v, true);
        }
    }
    let mut next = BitMatrix::zeros(n, n);
    let mut products = 0;
    loop {
        bits::gemm_with(cfg, r.as_ref(), r.as_ref(), next.as_mut(), Accum::Replace)?;
        products += 1;
        std::mem::swap(&mut r, &mut next);
        // R ⊇ I, so R·R ⊇ R: equal words mean the fixed point.
        if r == next || (1usize << products) >= n {
            return Ok((r, products));
        }
    }
}

/// Rows of `closure` that differ from a BFS from their node.
fn check_by_bfs(closure: &BitMatrix, edges: &[Vec<usize>]) -> usize {
    let n = edges.len();
    let mut seen = vec![false; n];
    let mut queue = VecDeque::new();
    let mut mismatches = 0;
    for s in 0..n {
        seen.fill(false);
        seen[s] = true;
        queue.push_back(s);
        while let Some(u) = queue.pop_front() {
            for &v in &edges[u] {
                if !seen[v] {
                    seen[v] = true;
                    queue.push_back(v);
                }
            }
        }
        if (0..n).any(|t| closure.get(s, t) != Some(seen[t])) {
            mismatches += 1;
        }
    }
    mismatches
}
