//! All-pairs shortest paths on a dense weight matrix, at GEMM speed: a
//! blocked Floyd–Warshall (Venkataraman, Sahni and Mukhopadhyaya, 2003)
//! whose work is min-plus products.
//!
//! For each block of [`BLOCK`] vertices in turn, the diagonal block is
//! closed (the same way, with blocks of [`SCALAR_BLOCK`] closed by a
//! scalar Floyd–Warshall), then its row and column strips and finally
//! every other entry are updated by min-plus products over [`MinPlus`]
//! with `Accum::Combine`: n³ operations in all, almost all of them in the
//! last update, where repeated squaring spends ⌈log₂(n − 1)⌉·n³. On a
//! dense graph the winning k of every update (the strips' from
//! `gemm_argmax`, the rest's found by a search among the entries that
//! improved) gives the next hop; on a sparse one ([`SPARSE`]) the hops
//! are read off the finished distances, one pass over a row of them per
//! edge.
//!
//! ```
//! use tropical_blas::graph::shortest_paths;
//! use tropical_blas::{MatRef, Par};
//!
//! let no = f32::INFINITY; // no edge
//! let w = [
//!     0.0, 4.0, 1.0,
//!     no,  0.0, no,
//!     no,  2.0, 0.0,
//! ];
//! let paths = shortest_paths(MatRef::row_major(&w, 3, 3)?, Par::Seq)?;
//! assert_eq!(paths.distance(0, 1), Some(3.0));
//! assert_eq!(paths.route(0, 1), Some(vec![0, 2, 1]));
//! assert_eq!(paths.distance(1, 0), None); // unreachable
//! # Ok::<(), tropical_blas::Error>(())
//! ```

mod blocked;
mod edges;
mod hops;
mod untangle;

use crate::builtin::MinPlus;
use crate::config::Par;
use crate::element::Element;
use crate::error::{Error, Operand};
use crate::semiring::{NO_ARG, SelectingSemiring, Semiring};
use crate::view::MatRef;
use crate::workspace::{try_empty_vec, try_filled_vec};
use blocked::FloydWarshall;
use rayon::prelude::*;
use untangle::untangle_routes;

/// Vertices per block. Fixed, not tuned: the order in which float path
/// sums are formed follows the blocks, so a fixed size makes the result a
/// function of the weights alone. A block is closed the same way with
/// blocks an eighth its size, down to [`SCALAR_BLOCK`].
pub const BLOCK: usize = 256;

/// The block the scalar Floyd–Warshall closes.
pub const SCALAR_BLOCK: usize = 32;

/// A graph with at most n²/`SPARSE` edges (u → v, u ≠ v) gets its next
/// hops from the finished distances (E·n steps; see [`shortest_paths`]).
/// Keeping routes during the close costs about half the distances' time
/// again whatever the graph, which a one-in-64 graph's pass matches.
pub const SPARSE: usize = 64;

mod sealed {
    pub trait Sealed {}
}

/// An edge weight [`shortest_paths`] takes: `f32`, `f64`, `i32`, `i64`.
///
/// The "no edge" weight is [`MinPlus`]'s ZERO: +∞ for floats, `MAX` for
/// integers. A float weight must be finite with |w|·(n − 1) ≤ `MAX`/2,
/// so that no sum of a route's edges overflows to ±∞ (an overflow to +∞
/// would read as "no route"; the half leaves room for the rounding of the
/// bound itself); NaN and −∞ are never weights. Integers
/// follow the crate's integer rule for paths: every sum of up to n − 1
/// edges must lie in `[-2^28, 2^28]` (i32) or `[-2^60, 2^60]` (i64), so
/// |w|·(n − 1) may not exceed that bound; then every distance is exact.
pub trait PathWeight: Element + sealed::Sealed {
    /// Whether `w` may be an edge weight of a graph with `n` vertices.
    fn usable(w: Self, n: usize) -> bool;
}

macro_rules! float_weight {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl PathWeight for $t {
            fn usable(w: Self, n: usize) -> bool {
                let edges = n.saturating_sub(1) as $t;
                w == <$t>::INFINITY || w.abs() * edges <= <$t>::MAX / 2.0
            }
        }
    )*};
}
float_weight!(f32, f64);

macro_rules! integer_weight {
    ($($t:ty: $bound:expr),*) => {$(
        impl sealed::Sealed for $t {}
        impl PathWeight for $t {
            fn usable(w: Self, n: usize) -> bool {
                let edges = n.saturating_sub(1) as u128;
                w == <$t>::MAX || w.unsigned_abs() as u128 * edges <= $bound
            }
        }
    )*};
}
integer_weight!(i32: 1 << 28, i64: 1 << 60);

/// Shortest distances between all pairs of vertices, and a route for each.
#[derive(Clone, Debug)]
pub struct ShortestPaths<T> {
    n: usize,
    dist: Vec<T>,
    /// The vertex after i on a shortest route from i to j; `NO_ARG` where
    /// j is unreachable from i, or j = i.
    next: Vec<u32>,
}

impl<T: PathWeight> ShortestPaths<T>
where
    MinPlus<T>: Semiring<Scalar = T>,
{
    /// The number of vertices.
    pub fn vertices(&self) -> usize {
        self.n
    }

    /// The length of a shortest route from `from` to `to`, or `None` when
    /// there is none (or a vertex is out of range).
    pub fn distance(&self, from: usize, to: usize) -> Option<T> {
        let d = *self.dist.get(self.at(from, to)?)?;
        (d != MinPlus::<T>::ZERO).then_some(d)
    }

    /// All distances, row-major n × n, with "no route" as ZERO (+∞ or
    /// `MAX`).
    pub fn distances(&self) -> MatRef<'_, T> {
        MatRef::row_major(&self.dist, self.n, self.n).expect("n × n")
    }

    /// The vertex after `from` on a shortest route to `to`: `None` when
    /// there is no route, or `from == to`.
    pub fn next_hop(&self, from: usize, to: usize) -> Option<usize> {
        let hop = *self.next.get(self.at(from, to)?)?;
        (hop != NO_ARG).then_some(hop as usize)
    }

    /// A shortest route from `from` to `to`, both included (`[from]` when
    /// they are equal), or `None` when there is none.
    pub fn route(&self, from: usize, to: usize) -> Option<Vec<usize>> {
        self.distance(from, to)?;
        let mut route = vec![from];
        let mut at = from;
        while at != to {
            at = self.next_hop(at, to)?;
            route.push(at);
            if route.len() > self.n {
                return None; // cannot happen: routes are simple
            }
        }
        Some(route)
    }

    fn at(&self, from: usize, to: usize) -> Option<usize> {
        (from < self.n && to < self.n).then(|| from * self.n + to)
    }
}

/// All-pairs shortest paths of the graph whose edge i → j has weight
/// `weights[i, j]` (ZERO, +∞ or `MAX`, for no edge), by a blocked
/// Floyd–Warshall; `par` threads its products.
///
/// Negative edges are allowed; a negative cycle is
/// [`Error::NegativeCycle`], naming a vertex on a closed walk of negative
/// length (on the cycle, or reaching it and reached from it). A weight that is not
/// [`usable`](PathWeight::usable) is [`Error::ValueOutOfRange`], a
/// non-square matrix [`Error::ShapeMismatch`].
///
/// **Exactness.** Integer distances are the exact shortest-path lengths.
/// A float distance is the float sum of the edges of one shortest route,
/// formed as the blocks nest (not necessarily in route order), and the
/// smallest such sum the algorithm forms; with weights whose sums are
/// exact (integers below 2^24 for f32) it is the exact length. The block
/// size is fixed ([`BLOCK`]) and every product is bit-identical at every
/// thread count, so the result does not depend on the thread count.
///
/// **Routes.** Every route ends at its target and uses real edges. On a
/// sparse graph (at most n²/[`SPARSE`] edges) the hops are read off the
/// finished distances: the hop from u toward j is the first out-neighbour
/// v ≠ u (in vertex order) with `w(u, v) ⊗ D[v, j] == D[u, j]`, or, where
/// a float distance was summed in another order and no edge is exact, the
/// first with the smallest `w(u, v) ⊗ D[v, j]`. On a denser graph the
/// close keeps them as it goes: a next hop is the one toward the vertex
/// whose product won the entry. Either way, where equal distances let
/// the hops toward a target go round (a cycle of length zero, or with
/// floats a cycle of edges so small that rounding absorbs them into a
/// long distance), that target's hops are rebuilt as a tree: over edges
/// on which the distance is exact (`w(u, v) ⊗ D[v, j] == D[u, j]`), and
/// where a float distance summed in another order has no such edge,
/// through the neighbour with the smallest `w(u, v) ⊗ D[v, j]`.
pub fn shortest_paths<T: PathWeight>(
    weights: MatRef<'_, T>,
    par: Par,
) -> Result<ShortestPaths<T>, Error>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    solve(weights, par, true)
}

/// The distances of [`shortest_paths`] alone, row-major n × n (ZERO
/// where there is no route): the same values, without the search for
/// each improved entry's winner (and the buffer it needs).
///
/// ```
/// use tropical_blas::graph::shortest_distances;
/// use tropical_blas::{MatRef, Par};
///
/// let w = [0, 5, 1, i32::MAX, 0, i32::MAX, i32::MAX, 2, 0];
/// let d = shortest_distances(MatRef::row_major(&w, 3, 3)?, Par::Seq)?;
/// assert_eq!(d, [0, 3, 1, i32::MAX, 0, i32::MAX, i32::MAX, 2, 0]);
/// # Ok::<(), tropical_blas::Error>(())
/// ```
pub fn shortest_distances<T: PathWeight>(weights: MatRef<'_, T>, par: Par) -> Result<Vec<T>, Error>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    Ok(solve(weights, par, false)?.dist)
}

/// Both: the routes too when `routes`.
fn solve<T: PathWeight>(
    weights: MatRef<'_, T>,
    par: Par,
    routes: bool,
) -> Result<ShortestPaths<T>, Error>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let n = weights.rows();
    if weights.cols() != n {
        return Err(Error::ShapeMismatch {
            operand: Operand::A,
            expected: (n, n),
            found: (n, weights.cols()),
        });
    }
    if n >= NO_ARG as usize {
        return Err(Error::IndexOverflow { k: n });
    }
    // Every weight is checked before anything is written.
    let unusable_in = |i: usize| (0..n).position(|j| !T::usable(weight(weights, i, j), n));
    let first_unusable = match par.threads() {
        1 => (0..n).find_map(|i| Some(i).zip(unusable_in(i))),
        _ => (0..n)
            .into_par_iter()
            .find_map_first(|i| Some(i).zip(unusable_in(i))),
    };
    if let Some((row, col)) = first_unusable {
        let operand = Operand::A;
        return Err(Error::ValueOutOfRange { operand, row, col });
    }
    // A sparse graph's hops are read off the finished distances.
    let sparse = match routes {
        true => edges::Edges::by_tail_up_to(weights, par, n.saturating_mul(n) / SPARSE)?,
        false => None,
    };
    let mut paths = ShortestPaths {
        n,
        dist: allocate(n, MinPlus::<T>::ZERO, par)?,
        next: if routes && sparse.is_none() {
            allocate(n, NO_ARG, par)?
        } else {
            Vec::new()
        },
    };
    // D = W with ONE ⊕ w on the diagonal; a hop along every edge.
    for_each_row(&mut paths.dist, n, par, |i, row| {
        for (j, d) in row.iter_mut().enumerate() {
            let w = weight(weights, i, j);
            *d = if i == j {
                MinPlus::<T>::add(MinPlus::<T>::ONE, w)
            } else {
                w
            };
        }
    });
    let dist = &paths.dist;
    for_each_row(&mut paths.next, n, par, |i, row| {
        for (j, hop) in row.iter_mut().enumerate() {
            if i != j && dist[i * n + j] != MinPlus::<T>::ZERO {
                *hop = j as u32;
            }
        }
    });
    check_diagonal(&paths, 0, n)?;
    FloydWarshall::new(n, par, !paths.next.is_empty())?.close(&mut paths, 0, n, BLOCK)?;
    if let Some(edges) = &sparse {
        hops::hops_from_distances(&mut paths, edges, par)?;
    }
    if routes {
        untangle_routes(&mut paths, weights, sparse, par)?;
    }
    Ok(paths)
}

/// An n × n buffer filled with `value`, or the error for one that cannot
/// be had. With threads it is filled in parallel, so that the threads
/// share its first touch (the page faults of a fresh allocation).
pub(super) fn allocate<X: Copy + Send + Sync>(
    n: usize,
    value: X,
    par: Par,
) -> Result<Vec<X>, Error> {
    let len = n.checked_mul(n).ok_or(Error::LayoutOverflow)?;
    if par.threads() == 1 {
        return try_filled_vec(len, value);
    }
    let mut buf = try_empty_vec(len)?;
    buf.par_extend(rayon::iter::repeat_n(value, len));
    Ok(buf)
}

/// `f(i, row i)` for every row of `len` entries of a buffer (the last
/// may be shorter), in parallel with threads.
fn for_each_row<X: Send>(buf: &mut [X], len: usize, par: Par, f: impl Fn(usize, &mut [X]) + Sync) {
    if par.threads() > 1 {
        (buf.par_chunks_mut(len.max(1)).enumerate()).for_each(|(i, row)| f(i, row));
    } else {
        (buf.chunks_mut(len.max(1)).enumerate()).for_each(|(i, row)| f(i, row));
    }
}

/// Weight (i, j) of an n × n matrix, i, j < n.
fn weight<T: Element>(weights: MatRef<'_, T>, i: usize, j: usize) -> T {
    weights.get(i, j).expect("i, j < n")
}

/// A vertex whose distance to itself is below ONE lies on a negative
/// cycle.
pub(super) fn check_diagonal<T: PathWeight>(
    paths: &ShortestPaths<T>,
    lo: usize,
    size: usize,
) -> Result<(), Error>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let n = paths.n;
    let below_one = |i: &usize| MinPlus::<T>::improves(paths.dist[i * n + i], MinPlus::<T>::ONE);
    match (lo..lo + size).find(below_one) {
        Some(vertex) => Err(Error::NegativeCycle { vertex }),
        None => Ok(()),
    }
}
