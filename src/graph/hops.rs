//! Next hops read off the finished distances, for sparse graphs.
//!
//! Keeping routes during the close costs about half as much again as the
//! distances, whatever the graph (a search for each improved entry's
//! winner, argmin products on the strips), while reading each hop off the
//! distances afterwards costs one pass over a row of D per edge: E·n
//! steps, far less than the close's n³ when the graph has few edges.

use super::{PathWeight, SPARSE, ShortestPaths, allocate, for_each_row, weight};
use crate::builtin::MinPlus;
use crate::config::Par;
use crate::error::Error;
use crate::semiring::{NO_ARG, SelectingSemiring, Semiring};
use crate::view::MatRef;
use crate::workspace::{try_empty_vec, try_filled_vec};
use rayon::prelude::*;

/// Fills `paths.next` from its finished distances: the hop from u toward
/// j is the first out-neighbour v ≠ u (in vertex order) on whose edge the
/// distance is exact, `w(u, v) ⊗ D[v, j] == D[u, j]`; where a float
/// distance was summed in another order and no edge is exact, the first
/// v with the smallest `w(u, v) ⊗ D[v, j]`. Hops that go round a cycle
/// of length zero are left for the untangling that follows.
pub(super) fn hops_from_distances<T: PathWeight>(
    paths: &mut ShortestPaths<T>,
    edges: &EdgesOutOf<T>,
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
        for (v, w) in edges.out_of(u) {
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
fn closest_hop<T: PathWeight>(
    edges: &EdgesOutOf<T>,
    dist: &[T],
    n: usize,
    u: usize,
    j: usize,
) -> u32
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let mut best = (MinPlus::<T>::ZERO, NO_ARG);
    for (v, w) in edges.out_of(u) {
        let via = MinPlus::<T>::mul(w, dist[v * n + j]);
        if MinPlus::<T>::improves(via, best.0) {
            best = (via, v as u32);
        }
    }
    best.1
}

/// The edges of a sparse graph by their tail: for each vertex u, the
/// heads v of the edges u → v (v ≠ u), in increasing order, with their
/// weights.
pub(super) struct EdgesOutOf<T> {
    /// Edges out of u are `start[u]..start[u + 1]`.
    start: Vec<usize>,
    head: Vec<u32>,
    weight: Vec<T>,
}

impl<T: PathWeight> EdgesOutOf<T>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    /// The edges, if the graph has at most n²/[`SPARSE`] of them.
    pub(super) fn if_sparse(weights: MatRef<'_, T>, par: Par) -> Result<Option<Self>, Error> {
        let n = weights.rows();
        Self::at_most(weights, par, n * n / SPARSE)
    }

    /// The edges, if there are at most `limit` of them.
    fn at_most(weights: MatRef<'_, T>, par: Par, limit: usize) -> Result<Option<Self>, Error> {
        let n = weights.rows();
        let mut start = try_filled_vec(n + 1, 0usize)?;
        let degree = |(u, d): (usize, &mut usize)| {
            for_each_edge_out_of(weights, u, |_, _| *d += 1);
        };
        match par.threads() {
            1 => start[1..].iter_mut().enumerate().for_each(degree),
            _ => start[1..].par_iter_mut().enumerate().for_each(degree),
        }
        for u in 0..n {
            start[u + 1] += start[u];
        }
        let count = start[n];
        if count > limit {
            return Ok(None);
        }
        let mut head = try_filled_vec(count, 0u32)?;
        let mut weight = try_filled_vec(count, MinPlus::<T>::ZERO)?;
        // Each row's part of the two lists, filled in parallel.
        let mut rows = try_empty_vec(n)?;
        let (mut heads, mut weights_of) = (&mut head[..], &mut weight[..]);
        for (u, ends) in start.windows(2).enumerate() {
            let (row_heads, rest) = std::mem::take(&mut heads).split_at_mut(ends[1] - ends[0]);
            heads = rest;
            let (row_weights, rest) =
                std::mem::take(&mut weights_of).split_at_mut(ends[1] - ends[0]);
            weights_of = rest;
            rows.push((u, row_heads, row_weights));
        }
        let fill = |(u, row_heads, row_weights): (usize, &mut [u32], &mut [T])| {
            let mut at = 0;
            for_each_edge_out_of(weights, u, |v, w| {
                (row_heads[at], row_weights[at]) = (v as u32, w);
                at += 1;
            });
        };
        match par.threads() {
            1 => rows.into_iter().for_each(fill),
            _ => rows.into_par_iter().for_each(fill),
        }
        Ok(Some(Self {
            start,
            head,
            weight,
        }))
    }

    /// The edges u → v as (v, w(u, v)), v increasing.
    fn out_of(&self, u: usize) -> impl Iterator<Item = (usize, T)> + '_ {
        let edges = self.start[u]..self.start[u + 1];
        (self.head[edges.clone()].iter())
            .zip(&self.weight[edges])
            .map(|(&v, &w)| (v as usize, w))
    }
}

/// `f(v, w(u, v))` for each edge u → v, v ≠ u, v increasing; a row-major
/// matrix is read as row slices.
fn for_each_edge_out_of<T: PathWeight>(
    weights: MatRef<'_, T>,
    u: usize,
    mut f: impl FnMut(usize, T),
) where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let zero = MinPlus::<T>::ZERO;
    let mut edge = |v: usize, w: T| {
        if v != u && w != zero {
            f(v, w)
        }
    };
    match weights.row_slice(u) {
        Some(row) => row.iter().enumerate().for_each(|(v, &w)| edge(v, w)),
        None => (0..weights.cols()).for_each(|v| edge(v, weight(weights, u, v))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vertex 0's float distance to 3 was summed in another order than
    /// along its one edge, so no edge is exact there and the closest is
    /// taken; elsewhere the exact edges give the hops.
    #[test]
    fn a_vertex_with_no_exact_edge_takes_the_closest() {
        let (inf, tiny) = (f32::INFINITY, 2f32.powi(-24));
        #[rustfmt::skip]
        let w = [
            0.0, 1.0, inf,  inf,
            inf, 0.0, tiny, inf,
            inf, inf, 0.0,  tiny,
            inf, inf, inf,  0.0,
        ];
        let (n, weights) = (4, MatRef::row_major(&w, 4, 4).unwrap());
        let dist = super::super::shortest_distances(weights, Par::Seq).unwrap();
        // (1 + 2^-24) + 2^-24 = 1 (ties to even), while 1 + D[1, 3] =
        // 1 + 2^-23.
        assert_eq!((dist[3], dist[7]), (1.0, 2.0 * tiny));
        let mut paths = ShortestPaths {
            n,
            dist,
            next: Vec::new(),
        };
        let edges = EdgesOutOf::at_most(weights, Par::Seq, usize::MAX)
            .unwrap()
            .unwrap();
        hops_from_distances(&mut paths, &edges, Par::Seq).unwrap();
        assert_eq!(paths.route(0, 3), Some(vec![0, 1, 2, 3]));
        assert_eq!(paths.route(0, 2), Some(vec![0, 1, 2]));
        assert_eq!(paths.next_hop(3, 0), None);
        assert_eq!(paths.next_hop(2, 2), None);
    }
}
