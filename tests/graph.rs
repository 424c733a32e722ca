//! `graph::shortest_paths` against Bellman–Ford from every source, on
//! random graphs of every kind the function takes: sparse and dense,
//! integer and float weights, disconnected parts, zero-weight edges,
//! negative edges with and without negative cycles; sizes around the
//! block boundary; every route walked edge by edge; thread counts.

mod common;

use common::{Rng, quick};
use tropical_blas::graph::{
    BLOCK, PathWeight, SPARSE, ShortestPaths, shortest_distances, shortest_paths,
};
use tropical_blas::{Error, MatRef, MinPlus, Operand, Par, SelectingSemiring, Semiring};

/// How a test graph is drawn.
#[derive(Clone, Copy, Debug)]
struct Kind {
    /// Chance (in 1/1000) that an ordered pair has an edge.
    density: u64,
    /// Edge weights are drawn from `low..=high`.
    low: i64,
    high: i64,
    /// Vertices split into this many parts with no edges between them.
    parts: usize,
}

const KINDS: [Kind; 7] = [
    Kind {
        density: 30,
        low: 1,
        high: 20,
        parts: 1,
    }, // sparse, positive
    Kind {
        density: 700,
        low: 0,
        high: 9,
        parts: 1,
    }, // dense, zero weights
    Kind {
        density: 60,
        low: 0,
        high: 50,
        parts: 3,
    }, // disconnected parts
    Kind {
        density: 50,
        low: -3,
        high: 30,
        parts: 1,
    }, // some negative edges
    Kind {
        density: 400,
        low: -2,
        high: 40,
        parts: 2,
    }, // dense, negative, parts
    Kind {
        density: 12,
        low: 0,
        high: 3,
        parts: 1,
    }, // sparse enough for hops read off the distances, zero cycles
    Kind {
        density: 10,
        low: -3,
        high: 20,
        parts: 2,
    }, // the same, negative edges, parts
];

/// Integer edge weights (row-major, `None` = no edge); negative edges only
/// from a lower to a higher vertex plus positive ones back, heavy enough
/// that no cycle is negative (a cycle must use a back edge ≥ the
/// graph's most negative path... so back edges get `high`+n·|low|).
fn random_graph(rng: &mut Rng, n: usize, kind: Kind) -> Vec<Option<i64>> {
    let part = |v: usize| v * kind.parts / n.max(1);
    let shift = (n as i64) * (-kind.low).max(0);
    (0..n * n)
        .map(|ij| {
            let (i, j) = (ij / n, ij % n);
            if i == j || part(i) != part(j) || rng.below(1000) >= kind.density {
                return None;
            }
            let w = kind.low + rng.below((kind.high - kind.low + 1) as u64) as i64;
            // Negative weights only on forward edges (i < j); backward
            // edges are lifted so that no cycle can be negative.
            Some(if i < j { w } else { w.max(0) + shift })
        })
        .collect()
}

/// Bellman–Ford from every source (the edge list, relaxed until nothing
/// changes): distances, or the vertices on or reachable from a negative
/// cycle (distance −∞) as `i64::MIN`.
fn bellman_ford(n: usize, edges: &[Option<i64>]) -> Vec<Option<i64>> {
    let list: Vec<(usize, usize, i64)> = (0..n * n)
        .filter_map(|ij| edges[ij].map(|w| (ij / n, ij % n, w)))
        .collect();
    let mut all = Vec::with_capacity(n * n);
    for s in 0..n {
        let mut dist: Vec<Option<i64>> = vec![None; n];
        dist[s] = Some(0);
        for round in 0..=n {
            let mut changed = false;
            for &(u, v, w) in &list {
                if let Some(du) = dist[u]
                    && dist[v].is_none_or(|dv| du + w < dv)
                {
                    dist[v] = Some(if round == n { i64::MIN } else { du + w });
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        all.extend(dist);
    }
    all
}

/// The weights as `T` (no edge = ZERO; 0 on the diagonal unless a self
/// loop is given).
fn weights_as<T: PathWeight>(n: usize, edges: &[Option<i64>], cast: fn(i64) -> T) -> Vec<T>
where
    MinPlus<T>: Semiring<Scalar = T>,
{
    edges
        .iter()
        .map(|e| e.map_or(MinPlus::<T>::ZERO, cast))
        .take(n * n)
        .collect()
}

/// Every distance against Bellman–Ford, every route walked edge by edge
/// (real edges, adding up to the distance).
fn check<T: PathWeight + std::fmt::Debug>(
    paths: &ShortestPaths<T>,
    edges: &[Option<i64>],
    reference: &[Option<i64>],
    to_i64: fn(T) -> i64,
    what: &str,
) where
    MinPlus<T>: Semiring<Scalar = T>,
{
    let n = paths.vertices();
    for i in 0..n {
        for j in 0..n {
            let got = paths.distance(i, j).map(to_i64);
            assert_eq!(got, reference[i * n + j], "{what}: distance {i} -> {j}");
            let Some(route) = paths.route(i, j) else {
                assert!(got.is_none(), "{what}: no route {i} -> {j}");
                continue;
            };
            assert_eq!((route[0], *route.last().unwrap()), (i, j), "{what}");
            let length: i64 = route
                .windows(2)
                .map(|hop| edges[hop[0] * n + hop[1]].expect("a real edge"))
                .sum();
            assert_eq!(Some(length), got, "{what}: route {i} -> {j}: {route:?}");
        }
    }
}

fn sizes() -> Vec<usize> {
    if quick() {
        vec![0, 1, 2, 7, 40]
    } else {
        vec![0, 1, 2, 7, 40, BLOCK - 1, BLOCK, BLOCK + 1, 300]
    }
}

/// Whether [`shortest_paths`] reads this graph's hops off its distances.
fn sparse(n: usize, edges: &[Option<i64>]) -> bool {
    edges.iter().filter(|e| e.is_some()).count() * SPARSE <= n * n
}

/// The same for float weights (+∞ = no edge; the diagonal is no edge).
fn sparse_floats<T: Into<f64> + Copy>(n: usize, w: &[T]) -> bool {
    let edges = w
        .iter()
        .enumerate()
        .filter(|&(ij, &x)| ij / n != ij % n && x.into().is_finite());
    edges.count() * SPARSE <= n * n
}

/// The same weights column-major: the same distances and hops, bit for
/// bit (edges are then read through `get`, not row slices).
fn column_major_agrees<T: PathWeight + std::fmt::Debug>(w: &[T], n: usize, what: &str)
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let by_rows = shortest_paths(MatRef::row_major(w, n, n).unwrap(), Par::Seq).unwrap();
    let transposed: Vec<T> = (0..n * n).map(|ji| w[(ji % n) * n + ji / n]).collect();
    let by_cols =
        shortest_paths(MatRef::col_major(&transposed, n, n).unwrap(), Par::Rayon(2)).unwrap();
    for i in 0..n {
        for j in 0..n {
            assert_eq!(by_rows.distance(i, j), by_cols.distance(i, j), "{what}");
            assert_eq!(by_rows.next_hop(i, j), by_cols.next_hop(i, j), "{what}");
        }
    }
}

#[test]
fn distances_and_routes_match_bellman_ford() {
    let mut rng = Rng::new(20);
    let mut sparse_graphs = [0, 0];
    for n in sizes() {
        for (k, kind) in KINDS.iter().enumerate() {
            let edges = random_graph(&mut rng, n, *kind);
            let has_edges = edges.iter().filter(|e| e.is_some()).count() >= n / 4;
            sparse_graphs[usize::from(sparse(n, &edges) && n > 2 && has_edges)] += 1;
            let reference = bellman_ford(n, &edges);
            assert!(
                reference.iter().all(|d| *d != Some(i64::MIN)),
                "the generator makes no negative cycle"
            );
            let what = format!("n = {n}, kind {k}");
            let w = weights_as::<i32>(n, &edges, |w| w as i32);
            let p = shortest_paths(MatRef::row_major(&w, n, n).unwrap(), Par::Seq).unwrap();
            check(&p, &edges, &reference, i64::from, &format!("{what} i32"));
            column_major_agrees(&w, n, &format!("{what} i32, column-major"));
            let w = weights_as::<f32>(n, &edges, |w| w as f32);
            let p = shortest_paths(MatRef::row_major(&w, n, n).unwrap(), Par::Seq).unwrap();
            check(&p, &edges, &reference, |d| d as i64, &format!("{what} f32"));
            // The distances alone are the same values, bit for bit.
            let d = shortest_distances(MatRef::row_major(&w, n, n).unwrap(), Par::Seq).unwrap();
            for (at, x) in d.iter().enumerate() {
                let want = p.distance(at / n, at % n).unwrap_or(f32::INFINITY);
                assert_eq!(
                    x.to_bits(),
                    want.to_bits(),
                    "{what}: distances alone at {at}"
                );
            }
            if n <= 40 {
                let w = weights_as::<i64>(n, &edges, |w| w);
                let p = shortest_paths(MatRef::row_major(&w, n, n).unwrap(), Par::Seq).unwrap();
                check(&p, &edges, &reference, |d| d, &format!("{what} i64"));
                let w = weights_as::<f64>(n, &edges, |w| w as f64);
                let p = shortest_paths(MatRef::row_major(&w, n, n).unwrap(), Par::Seq).unwrap();
                check(&p, &edges, &reference, |d| d as i64, &format!("{what} f64"));
            }
        }
    }
    assert!(
        sparse_graphs.iter().all(|&c| c > 0),
        "both ways: {sparse_graphs:?}"
    );
}

/// Hops read off the distances that go round a zero cycle are untangled:
/// toward 2, both 0 → 1 and 1 → 0 are exact edges, and 1's first one is
/// to 0. And a float distance summed in another order than along its one
/// edge takes the closest edge: D[0, 3] = (1 + 2^-24) + 2^-24 = 1 (ties
/// to even), while w(0, 1) + D[1, 3] = 1 + 2^-23. Both graphs have 3
/// edges on 16 vertices (sparse).
#[test]
fn sparse_hops_are_untangled_and_take_the_closest_edge() {
    let n = 16;
    assert!(3 * SPARSE <= n * n);
    fn zero_cycle<T: Copy>(n: usize, zero: T, five: T, none: T) -> Vec<T> {
        let mut w = vec![none; n * n];
        (w[1], w[n], w[n + 2]) = (zero, zero, five);
        w
    }
    let w = zero_cycle(n, 0, 5, i32::MAX);
    let p = shortest_paths(MatRef::row_major(&w, n, n).unwrap(), Par::Seq).unwrap();
    assert_eq!(p.route(0, 2), Some(vec![0, 1, 2]));
    assert_eq!(p.route(1, 2), Some(vec![1, 2]));
    let w = zero_cycle(n, 0.0, 5.0, f64::INFINITY);
    let p = shortest_paths(MatRef::row_major(&w, n, n).unwrap(), Par::Rayon(2)).unwrap();
    assert_eq!(p.route(0, 2), Some(vec![0, 1, 2]));

    let tiny = 2f32.powi(-24);
    let mut w = vec![f32::INFINITY; n * n];
    (w[1], w[n + 2], w[2 * n + 3]) = (1.0, tiny, tiny);
    let p = shortest_paths(MatRef::row_major(&w, n, n).unwrap(), Par::Seq).unwrap();
    assert_eq!(p.distance(0, 3), Some(1.0));
    assert_eq!(p.route(0, 3), Some(vec![0, 1, 2, 3]));
}

/// On a sparse graph the hop from u toward j is the first out-neighbour
/// v on whose edge the distance is exact (integer weights, so one is).
#[test]
fn sparse_graphs_take_the_first_exact_edge() {
    let mut rng = Rng::new(23);
    let sizes: &[usize] = if quick() { &[130] } else { &[130, 300] };
    for &n in sizes {
        // Weights 1 and 2, so that many pairs have several exact edges.
        let kind = Kind {
            density: 12,
            low: 1,
            high: 2,
            parts: 1,
        };
        let edges = random_graph(&mut rng, n, kind);
        assert!(sparse(n, &edges), "n = {n}");
        let w = weights_as::<i32>(n, &edges, |w| w as i32);
        let p = shortest_paths(MatRef::row_major(&w, n, n).unwrap(), Par::Rayon(2)).unwrap();
        for u in 0..n {
            for j in (0..n).filter(|&j| j != u) {
                let first_exact = p.distance(u, j).and_then(|d| {
                    (0..n).find(|&v| match (edges[u * n + v], p.distance(v, j)) {
                        (Some(e), Some(dv)) => v != u && e as i32 + dv == d,
                        _ => false,
                    })
                });
                assert_eq!(p.next_hop(u, j), first_exact, "n = {n}, {u} -> {j}");
            }
        }
    }
}

/// The result (distances and next hops) is the same at every thread
/// count, bit for bit, with non-integer float weights too.
#[test]
fn threads_do_not_change_the_result() {
    let mut rng = Rng::new(21);
    let n = if quick() { 70 } else { BLOCK + 45 };
    // One graph with 30 % of the edges, one with 1 % (hops read off the
    // distances).
    for edges_in_1000 in [300, 10] {
        threads_do_not_change(n, edges_in_1000, &mut rng);
    }
}

fn threads_do_not_change(n: usize, edges_in_1000: u64, rng: &mut Rng) {
    let sparse_hops = edges_in_1000 < 15;
    let w: Vec<f32> = (0..n * n)
        .map(
            |ij| match (ij / n == ij % n, rng.below(1000) < edges_in_1000) {
                (true, _) => 0.0,
                (false, true) => {
                    (rng.below(1000) as f32) / 7.0 - 10.0 * (((ij / n) < (ij % n)) as u8 as f32)
                }
                _ => f32::INFINITY,
            },
        )
        .map(|x| if x < 0.0 { x.abs() } else { x })
        .collect();
    assert_eq!(sparse_floats(n, &w), sparse_hops);
    let view = MatRef::row_major(&w, n, n).unwrap();
    let one = shortest_paths(view, Par::Seq).unwrap();
    for threads in [1, 2, 3] {
        let many = shortest_paths(view, Par::Rayon(threads)).unwrap();
        let alone = shortest_distances(view, Par::Rayon(threads)).unwrap();
        for (at, x) in alone.iter().enumerate() {
            let want = one.distance(at / n, at % n).unwrap_or(f32::INFINITY);
            assert_eq!(
                x.to_bits(),
                want.to_bits(),
                "{threads} threads, distances alone"
            );
        }
        for i in 0..n {
            for j in 0..n {
                assert_eq!(
                    one.distance(i, j).map(f32::to_bits),
                    many.distance(i, j).map(f32::to_bits),
                    "{threads} threads, {i} -> {j}"
                );
                assert_eq!(one.next_hop(i, j), many.next_hop(i, j));
            }
        }
    }
}

/// Float routes end at their targets where rounding ties routes of
/// different exact lengths: cycles of edges so small that a long
/// distance absorbs them (`fl(ε + d) == d`) let a block's products set
/// hops that go round them, which must be rebuilt.
#[test]
fn float_routes_end_where_rounding_absorbs_small_cycles() {
    fn walk_all<T: PathWeight + Into<f64>>(w: &[T], n: usize, what: &str)
    where
        MinPlus<T>: SelectingSemiring<Scalar = T>,
    {
        let p = shortest_paths(MatRef::row_major(w, n, n).unwrap(), Par::Seq).unwrap();
        for i in 0..n {
            for j in 0..n {
                let Some(d) = p.distance(i, j) else { continue };
                let route = p
                    .route(i, j)
                    .unwrap_or_else(|| panic!("{what}: no route {i} -> {j}"));
                assert_eq!((route[0], *route.last().unwrap()), (i, j), "{what}");
                let length: f64 = route.windows(2).map(|h| w[h[0] * n + h[1]].into()).sum();
                let d: f64 = d.into();
                assert!(
                    (length - d).abs() <= 1e-5 * d.abs().max(1.0),
                    "{what}: route {i} -> {j} sums to {length}, the distance is {d}"
                );
            }
        }
    }
    let mut rng = Rng::new(22);
    let sizes: &[usize] = if quick() {
        &[40, 70]
    } else {
        &[40, 70, 130, 300]
    };
    for &n in sizes {
        // 3 in 1000 with n/8 small cycles is sparse: hops read off the
        // distances.
        for density in [3, 30, 300] {
            let mut w = vec![f64::INFINITY; n * n];
            for (ij, x) in w.iter_mut().enumerate() {
                if ij / n == ij % n {
                    *x = 0.0;
                } else if rng.below(1000) < density {
                    *x = 100.0 + rng.below(100_000) as f64 / 7.0;
                }
            }
            let cycles = if density < 10 { n / 8 } else { n };
            let mut tiny_cycles = |w: &mut [f64], tiny: f64| {
                for _ in 0..cycles {
                    let (u, v) = (rng.below(n as u64) as usize, rng.below(n as u64) as usize);
                    if u != v {
                        let t = (1 + rng.below(9)) as f64 * tiny / 3.0;
                        (w[u * n + v], w[v * n + u]) = (t, t * 1.3);
                    }
                }
            };
            let mut w32 = w.clone();
            tiny_cycles(&mut w32, 1e-7);
            assert_eq!(sparse_floats(n, &w32), density < 10, "n = {n}");
            let w32: Vec<f32> = w32.iter().map(|&x| x as f32).collect();
            walk_all(&w32, n, &format!("f32, n = {n}, density {density}"));
            tiny_cycles(&mut w, 1e-16);
            walk_all(&w, n, &format!("f64, n = {n}, density {density}"));
        }
    }
}

/// Whether each vertex lies on a closed walk of negative length: the
/// textbook Floyd–Warshall's diagonal (saturating, so a negative cycle
/// cannot overflow it).
fn on_negative_walk(n: usize, edges: &[Option<i64>]) -> Vec<bool> {
    let mut d: Vec<Option<i64>> = edges.to_vec();
    for v in 0..n {
        d[v * n + v] = Some(d[v * n + v].map_or(0, |w| w.min(0)));
    }
    for k in 0..n {
        for i in 0..n {
            for j in 0..n {
                if let (Some(a), Some(b)) = (d[i * n + k], d[k * n + j]) {
                    let through = a.saturating_add(b).max(i64::MIN / 4);
                    if d[i * n + j].is_none_or(|old| through < old) {
                        d[i * n + j] = Some(through);
                    }
                }
            }
        }
    }
    (0..n)
        .map(|v| d[v * n + v].is_some_and(|x| x < 0))
        .collect()
}

/// A negative cycle is an error that names a vertex on a closed walk of
/// negative length.
#[test]
fn negative_cycles_are_reported() {
    let mut rng = Rng::new(22);
    for n in [2usize, 3, 9, 40, BLOCK + 3] {
        for _ in 0..4 {
            let mut edges = random_graph(&mut rng, n, KINDS[0]);
            // A planted cycle through a few random vertices, of length −1.
            let len = 2 + rng.below(n.min(5) as u64 - 1) as usize;
            let mut cycle: Vec<usize> = Vec::new();
            while cycle.len() < len {
                let v = rng.below(n as u64) as usize;
                if !cycle.contains(&v) {
                    cycle.push(v);
                }
            }
            for (t, &u) in cycle.iter().enumerate() {
                let v = cycle[(t + 1) % len];
                edges[u * n + v] = Some(if t == 0 { -(len as i64) } else { 0 });
            }
            let negative = on_negative_walk(n, &edges);
            let w = weights_as::<i32>(n, &edges, |w| w as i32);
            match shortest_paths(MatRef::row_major(&w, n, n).unwrap(), Par::Seq) {
                Err(Error::NegativeCycle { vertex }) => assert!(
                    negative[vertex],
                    "n = {n}: vertex {vertex} is on no negative closed walk ({cycle:?})"
                ),
                other => panic!("n = {n}, cycle {cycle:?}: {other:?}"),
            }
            let w = weights_as::<f64>(n, &edges, |w| w as f64);
            assert!(matches!(
                shortest_paths(MatRef::row_major(&w, n, n).unwrap(), Par::Seq),
                Err(Error::NegativeCycle { .. })
            ));
        }
    }
    // A negative self-loop is a cycle of one.
    let w = [0.0f32, 1.0, f32::INFINITY, -0.5];
    assert_eq!(
        shortest_paths(MatRef::row_major(&w, 2, 2).unwrap(), Par::Seq).err(),
        Some(Error::NegativeCycle { vertex: 1 })
    );
}

#[test]
fn bad_weights_and_shapes_are_errors() {
    let w = [0.0f32, f32::NAN, 1.0, 0.0];
    assert_eq!(
        shortest_paths(MatRef::row_major(&w, 2, 2).unwrap(), Par::Seq).err(),
        Some(Error::ValueOutOfRange {
            operand: Operand::A,
            row: 0,
            col: 1
        })
    );
    let w = [0.0f64, 1.0, f64::NEG_INFINITY, 0.0];
    assert!(matches!(
        shortest_paths(MatRef::row_major(&w, 2, 2).unwrap(), Par::Seq),
        Err(Error::ValueOutOfRange { row: 1, col: 0, .. })
    ));
    // Three vertices: a route has up to 2 edges, so |w| ≤ 2^27.
    let ok = [0i32, 1 << 27, i32::MAX, 0, 0, 0, 0, 0, 0];
    assert!(shortest_paths(MatRef::row_major(&ok, 3, 3).unwrap(), Par::Seq).is_ok());
    let too_big = [0i32, (1 << 27) + 1, 0, 0, 0, 0, 0, 0, 0];
    assert!(matches!(
        shortest_paths(MatRef::row_major(&too_big, 3, 3).unwrap(), Par::Seq),
        Err(Error::ValueOutOfRange { row: 0, col: 1, .. })
    ));
    // Floats: a route's sum may not overflow (|w|·(n − 1) ≤ MAX/2).
    let huge = [
        0.0f32,
        3e38,
        f32::INFINITY,
        f32::INFINITY,
        0.0,
        3e38,
        0.0,
        0.0,
        0.0,
    ];
    assert!(matches!(
        shortest_paths(MatRef::row_major(&huge, 3, 3).unwrap(), Par::Seq),
        Err(Error::ValueOutOfRange { row: 0, col: 1, .. })
    ));
    let fits = [
        0.0f32,
        8e37,
        f32::INFINITY,
        f32::INFINITY,
        0.0,
        8e37,
        0.0,
        0.0,
        0.0,
    ];
    let paths = shortest_paths(MatRef::row_major(&fits, 3, 3).unwrap(), Par::Seq).unwrap();
    assert_eq!(paths.distance(0, 2), Some(1.6e38));
    let w = [0.0f32; 6];
    assert!(matches!(
        shortest_paths(MatRef::row_major(&w, 2, 3).unwrap(), Par::Seq),
        Err(Error::ShapeMismatch { .. })
    ));
    // One vertex: a route has no edge, so any weight but NaN and −∞ is
    // usable (its loop never enters a sum; a negative one is a cycle).
    let one = [1i32 << 29];
    let paths = shortest_paths(MatRef::row_major(&one, 1, 1).unwrap(), Par::Seq).unwrap();
    assert_eq!(paths.distance(0, 0), Some(0));
    let one = [f32::MAX];
    let paths = shortest_paths(MatRef::row_major(&one, 1, 1).unwrap(), Par::Seq).unwrap();
    assert_eq!(paths.distance(0, 0), Some(0.0));
    for bad in [f32::NAN, f32::NEG_INFINITY] {
        assert!(matches!(
            shortest_paths(MatRef::row_major(&[bad], 1, 1).unwrap(), Par::Seq),
            Err(Error::ValueOutOfRange { row: 0, col: 0, .. })
        ));
    }
    assert_eq!(
        shortest_paths(MatRef::row_major(&[-1i64], 1, 1).unwrap(), Par::Seq).err(),
        Some(Error::NegativeCycle { vertex: 0 })
    );
}
