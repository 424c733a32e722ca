//! The graph's edges as lists, for the passes that walk them rather than
//! rows or columns of the weight matrix.

use super::{PathWeight, for_each_row, weight};
use crate::builtin::MinPlus;
use crate::config::Par;
use crate::error::Error;
use crate::semiring::{SelectingSemiring, Semiring};
use crate::view::MatRef;
use crate::workspace::{try_empty_vec, try_filled_vec};
use rayon::prelude::*;

/// The edges u → v (u ≠ v, weight not ZERO) grouped by one end: for each
/// vertex x, the other ends of its edges in increasing order, with the
/// weights. By tail ([`Edges::by_tail`]) x is u; [`Edges::reversed`]
/// groups them by head, x = v.
pub(super) struct Edges<T> {
    /// The edges at x are `start[x]..start[x + 1]`.
    start: Vec<usize>,
    other: Vec<u32>,
    weight: Vec<T>,
}

impl<T: PathWeight> Edges<T>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    /// The edges by tail, if there are at most `limit` of them.
    pub(super) fn by_tail_up_to(
        weights: MatRef<'_, T>,
        par: Par,
        limit: usize,
    ) -> Result<Option<Self>, Error> {
        let start = starts_by_tail(weights, par)?;
        match start[weights.rows()] <= limit {
            true => Self::listed_by_tail(weights, par, start).map(Some),
            false => Ok(None),
        }
    }

    /// The edges by tail.
    pub(super) fn by_tail(weights: MatRef<'_, T>, par: Par) -> Result<Self, Error> {
        Self::listed_by_tail(weights, par, starts_by_tail(weights, par)?)
    }

    /// Lists the edges by tail into the places `start` gives each row;
    /// rows are filled in parallel with threads.
    fn listed_by_tail(weights: MatRef<'_, T>, par: Par, start: Vec<usize>) -> Result<Self, Error> {
        let (n, count) = (weights.rows(), start[weights.rows()]);
        let mut heads = try_filled_vec(count, 0u32)?;
        let mut weights_of = try_filled_vec(count, MinPlus::<T>::ZERO)?;
        let mut rows = try_empty_vec(n)?;
        let (mut heads_left, mut weights_left) = (&mut heads[..], &mut weights_of[..]);
        for (u, ends) in start.windows(2).enumerate() {
            let len = ends[1] - ends[0];
            let (row_heads, rest) = std::mem::take(&mut heads_left).split_at_mut(len);
            heads_left = rest;
            let (row_weights, rest) = std::mem::take(&mut weights_left).split_at_mut(len);
            weights_left = rest;
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
        Ok(Self {
            start,
            other: heads,
            weight: weights_of,
        })
    }

    /// The same edges grouped by the other end (by head, from a list by
    /// tail), in O(edges); the list by tail is freed.
    pub(super) fn reversed(self) -> Result<Self, Error> {
        let n = self.start.len() - 1;
        let mut start = try_filled_vec(n + 1, 0usize)?;
        for &v in &self.other {
            start[v as usize + 1] += 1;
        }
        for v in 0..n {
            start[v + 1] += start[v];
        }
        let mut other = try_filled_vec(self.other.len(), 0u32)?;
        let mut weight = try_filled_vec(self.other.len(), MinPlus::<T>::ZERO)?;
        let mut next_slot = try_empty_vec(n)?;
        next_slot.extend_from_slice(&start[..n]);
        // Tails in increasing order, so each head's list comes out sorted.
        for u in 0..n {
            for (v, w) in self.at(u) {
                (other[next_slot[v]], weight[next_slot[v]]) = (u as u32, w);
                next_slot[v] += 1;
            }
        }
        Ok(Self {
            start,
            other,
            weight,
        })
    }

    /// The edges at x as (other end, weight), the other end increasing.
    pub(super) fn at(&self, x: usize) -> impl Iterator<Item = (usize, T)> + '_ {
        let edges = self.start[x]..self.start[x + 1];
        (self.other[edges.clone()].iter())
            .zip(&self.weight[edges])
            .map(|(&y, &w)| (y as usize, w))
    }
}

/// Where each row's edges start in a list by tail (`start[n]` = all of
/// them); rows are counted in parallel with threads.
fn starts_by_tail<T: PathWeight>(weights: MatRef<'_, T>, par: Par) -> Result<Vec<usize>, Error>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let n = weights.rows();
    let mut start = try_filled_vec(n + 1, 0usize)?;
    for_each_row(&mut start[1..], 1, par, |u, degree| {
        for_each_edge_out_of(weights, u, |_, _| degree[0] += 1);
    });
    for u in 0..n {
        start[u + 1] += start[u];
    }
    Ok(start)
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
