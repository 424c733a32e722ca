//! Next hops read off the finished distances, for sparse graphs.
//!
//! Keeping routes during the close costs about half as much again as the
//! distances, whatever the graph (a search for each improved entry's
//! winner, argmin products on the strips), while reading each hop off the
//! distances afterwards costs one pass over a row of D per edge: E·n
//! steps, far less than the close's n³ when the graph has few edges.

use super::edges::Edges;
use super::{PathWeight, ShortestPaths, allocate, for_each_row};
use crate::builtin::MinPlus;
use crate::config::Par;
use crate::error::Error;
use crate::semiring::{NO_ARG, SelectingSemiring, Semiring};

/// Fills `paths.next` from its finished distances: the hop from u toward
/// j is the first out-neighbour v ≠ u (in vertex order) on whose edge the
/// distance is exact, `w(u, v) ⊗ D[v, j] == D[u, j]`; where a float
/// distance was summed in another order and no edge is exact, the first
/// v with the smallest `w(u, v) ⊗ D[v, j]`. Hops that go round a cycle
/// of length zero are left for the untangling that follows.
pub(super) fn hops_from_distances<T: PathWeight>(
    paths: &mut ShortestPaths<T>,
    edges: &Edges<T>,
    par: Par,
) -> Result<(), Error>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let n = paths.n;
    paths.next = allocate(n, NO_ARG, par)?;
    let (dist, zero) = (&paths.dist, MinPlus::<T>::ZERO);
    for_each_row(&mut paths.next, n, par, |u, hops| {
        let from_u = &dist[u * n..(u + 1) * n];
        for (v, w) in edges.at(u) {
            let from_v = &dist[v * n..(v + 1) * n];
            // `&` and a select, not branches: the loop vectorizes.
            for ((hop, &dv), &du) in hops.iter_mut().zip(from_v).zip(from_u) {
                let exact = (*hop == NO_ARG) & (du != zero) & (MinPlus::<T>::mul(w, dv) == du);
                *hop = if exact { v as u32 } else { *hop };
            }
        }
        hops[u] = NO_ARG;
        for (j, hop) in hops.iter_mut().enumerate() {
            if j != u && *hop == NO_ARG && from_u[j] != zero {
                *hop = closest_hop(edges, dist, n, u, j);
            }
        }
    });
    Ok(())
}

/// The first out-neighbour v of u with the smallest `w(u, v) ⊗ D[v, j]`
/// (`NO_ARG` if every such sum is ZERO, which a reachable j rules out).
fn closest_hop<T: PathWeight>(edges: &Edges<T>, dist: &[T], n: usize, u: usize, j: usize) -> u32
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let mut best = (MinPlus::<T>::ZERO, NO_ARG);
    for (v, w) in edges.at(u) {
        let via = MinPlus::<T>::mul(w, dist[v * n + j]);
        if MinPlus::<T>::improves(via, best.0) {
            best = (via, v as u32);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::MatRef;

    /// Toward 3, vertex 0 has two edges and neither is exact (its distance
    /// is given as 1.5): the hop is the one with the smaller sum, 0 → 2,
    /// not the first edge. Vertex 1's edge is exact.
    #[test]
    fn with_no_exact_edge_the_smallest_sum_wins() {
        let inf = f32::INFINITY;
        #[rustfmt::skip]
        let w = [
            0.0, 1.0, 1.0, inf,
            inf, 0.0, inf, 2.0,
            inf, inf, 0.0, 1.0,
            inf, inf, inf, 0.0,
        ];
        let weights = MatRef::row_major(&w, 4, 4).unwrap();
        let mut dist = vec![inf; 16];
        for (u, d) in [(0, 1.5), (1, 2.0), (2, 1.0), (3, 0.0)] {
            dist[u * 4 + 3] = d;
        }
        let next = Vec::new();
        let mut paths = ShortestPaths { n: 4, dist, next };
        let edges = Edges::by_tail(weights, Par::Seq).unwrap();
        hops_from_distances(&mut paths, &edges, Par::Seq).unwrap();
        assert_eq!(paths.next_hop(0, 3), Some(2));
        assert_eq!(paths.next_hop(1, 3), Some(3));
        assert_eq!(paths.next_hop(3, 3), None);
    }
}
