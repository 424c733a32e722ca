//! All-pairs shortest paths on a dense weight matrix, at GEMM speed: a
//! blocked Floyd–Warshall (Venkataraman, Sahni and Mukhopadhyaya, 2003)
//! whose work is min-plus products.
//!
//! For each block of [`BLOCK`] vertices in turn, the diagonal block is
//! closed (the same way, with blocks of [`SCALAR_BLOCK`] closed by a
//! scalar Floyd–Warshall), then its row and column strips and finally
//! every other entry are updated by min-plus products over [`MinPlus`]
//! with `Accum::Combine`: n³ operations in all, almost all of them in the
//! last update, where repeated squaring spends ⌈log₂ n⌉·n³. The winning
//! k of every update (the strips' from `gemm_argmax`, the rest's found by
//! a search among the entries that improved) gives the next hop.
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

use crate::api::argmax::gemm_argmax_with;
use crate::api::gemm::gemm_with;
use crate::builtin::MinPlus;
use crate::config::{Accum, GemmConfig, Par};
use crate::element::Element;
use crate::error::{Error, Operand};
use crate::semiring::{NO_ARG, SelectingSemiring, Semiring};
use crate::view::{MatMut, MatRef};
use crate::workspace::{GemmWorkspace, try_filled_vec};
use rayon::prelude::*;

/// Vertices per block. Fixed, not tuned: the order in which float path
/// sums are formed follows the blocks, so a fixed size makes the result a
/// function of the weights alone. A block is closed the same way with
/// blocks an eighth its size, down to [`SCALAR_BLOCK`].
pub const BLOCK: usize = 256;

/// The block the scalar Floyd–Warshall closes.
pub const SCALAR_BLOCK: usize = 32;

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
                let edges = n.saturating_sub(1).max(1) as $t;
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
                let edges = n.saturating_sub(1).max(1) as u128;
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
/// each improved entry's winner and the argmin products of the strips
/// (a third of the time with routes at n = 4096 on a road-like graph,
/// more where entries improve often).
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
    let mut paths = ShortestPaths {
        n,
        dist: allocate(n, MinPlus::<T>::ZERO)?,
        next: if routes {
            allocate(n, NO_ARG)?
        } else {
            Vec::new()
        },
    };
    for i in 0..n {
        for j in 0..n {
            let w = weights.get(i, j).expect("i, j < n");
            if !T::usable(w, n) {
                let (row, col) = (i, j);
                let operand = Operand::A;
                return Err(Error::ValueOutOfRange { operand, row, col });
            }
            let at = i * n + j;
            if i == j {
                paths.dist[at] = MinPlus::<T>::add(MinPlus::<T>::ONE, w);
            } else if w != MinPlus::<T>::ZERO {
                paths.dist[at] = w;
                if routes {
                    paths.next[at] = j as u32;
                }
            }
        }
    }
    check_diagonal(&paths, 0, n)?;
    FloydWarshall::new(n, par, routes)?.close(&mut paths, 0, n, BLOCK)?;
    if routes && has_zero_cycle(&paths) {
        untangle_routes(&mut paths, weights);
    }
    Ok(paths)
}

/// Makes every next-hop chain end at its target. A block's product
/// weighs all its vertices at once and takes the smallest on a tie, so
/// where a cycle of length zero joins two routes of equal length, the
/// hops toward a target can go round it (the scalar algorithm, one
/// vertex at a time, never takes a tie). A target whose hops loop gets
/// them anew: a breadth-first tree from it over the edges on which the
/// distance is exact (`w(u, v) ⊗ D[v, j] == D[u, j]`), so every hop
/// still lies on a shortest route. Called only where there is a cycle of
/// length zero; then one pass over the hops, O(n²), finds the targets.
fn untangle_routes<T: PathWeight>(paths: &mut ShortestPaths<T>, weights: MatRef<'_, T>)
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let n = paths.n;
    // Per vertex: 0 unseen, 1 on the walk being followed, 2 known to reach
    // the target.
    let mut state = vec![0u8; n];
    let mut walk = Vec::new();
    for j in 0..n {
        state.fill(0);
        state[j] = 2;
        let mut tangled = false;
        for start in 0..n {
            let mut at = start;
            while state[at] == 0 {
                state[at] = 1;
                walk.push(at);
                match paths.next[at * n + j] {
                    NO_ARG => break, // no route, or at the target
                    hop => at = hop as usize,
                }
            }
            tangled |= state[at] == 1 && paths.next[at * n + j] != NO_ARG;
            for &v in &walk {
                state[v] = 2;
            }
            walk.clear();
        }
        if tangled {
            rebuild_hops(paths, weights, j);
        }
    }
}

/// Whether two vertices lie on a closed walk of length zero (ONE): the
/// only way next hops can loop. Walks D in 64 × 64 tiles, so that D[j, i]
/// is read from cache.
fn has_zero_cycle<T: PathWeight>(paths: &ShortestPaths<T>) -> bool
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    const TILE: usize = 64;
    let n = paths.n;
    let one = MinPlus::<T>::ONE;
    (0..n).step_by(TILE).any(|i0| {
        (i0..n).step_by(TILE).any(|j0| {
            (i0..(i0 + TILE).min(n)).any(|i| {
                (j0.max(i + 1)..(j0 + TILE).min(n)).any(|j| {
                    let (there, back) = (paths.dist[i * n + j], paths.dist[j * n + i]);
                    MinPlus::<T>::mul(there, back) == one
                })
            })
        })
    })
}

/// The hops toward `j` as a breadth-first tree over exact edges (see
/// [`untangle_routes`]).
fn rebuild_hops<T: PathWeight>(paths: &mut ShortestPaths<T>, weights: MatRef<'_, T>, j: usize)
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let n = paths.n;
    let mut placed = vec![false; n];
    placed[j] = true;
    let mut queue = std::collections::VecDeque::from([j]);
    while let Some(v) = queue.pop_front() {
        let to_j = paths.dist[v * n + j];
        for (u, done) in placed.iter_mut().enumerate() {
            let w = weights.get(u, v).expect("u, v < n");
            let from_u = paths.dist[u * n + j];
            if *done || w == MinPlus::<T>::ZERO || from_u == MinPlus::<T>::ZERO {
                continue;
            }
            if MinPlus::<T>::mul(w, to_j) == from_u {
                paths.next[u * n + j] = v as u32;
                *done = true;
                queue.push_back(u);
            }
        }
    }
}

/// An n × n buffer filled with `value`, or the error for one that cannot
/// be had.
fn allocate<X: Copy>(n: usize, value: X) -> Result<Vec<X>, Error> {
    try_filled_vec(n.checked_mul(n).ok_or(Error::LayoutOverflow)?, value)
}

/// A vertex whose distance to itself is below ONE lies on a negative
/// cycle.
fn check_diagonal<T: PathWeight>(
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

/// What the blocked algorithm keeps across its products: the products'
/// configuration and workspace; with routes, the winning k of the last
/// strip product and the last window update's values.
struct FloydWarshall<T> {
    cfg: GemmConfig,
    ws: GemmWorkspace,
    /// NO_ARG everywhere between products.
    arg: Vec<u32>,
    /// D[W, K] ⊗ D[K, W] of the window being updated (size × size).
    update: Vec<T>,
}

/// Copies of one block's strips of the distances (and next hops): a
/// product's factors may not alias its output.
struct Strips<T> {
    /// The column strip D[W, K] (size × b) and its next hops.
    col: Vec<T>,
    col_next: Vec<u32>,
    /// The row strip D[K, W] (b × size), and its transpose when there
    /// are routes (a winner's search reads a column of it).
    row: Vec<T>,
    row_t: Vec<T>,
    /// The closed diagonal block D*[K, K] (b × b).
    diag: Vec<T>,
}

impl<T: PathWeight> FloydWarshall<T>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    fn new(n: usize, par: Par, routes: bool) -> Result<Self, Error> {
        let strip = n * BLOCK.min(n);
        let (arg, update) = match routes {
            true => (vec![NO_ARG; strip], allocate(n, MinPlus::<T>::ZERO)?),
            false => (Vec::new(), Vec::new()),
        };
        Ok(Self {
            cfg: GemmConfig::default().with_par(par),
            ws: GemmWorkspace::new(),
            arg,
            update,
        })
    }

    /// Closes the window W = lo..lo+size of D (its shortest routes through
    /// any vertex of W and of the windows closed before), block by block
    /// of `block` vertices; a block is closed the same way with blocks an
    /// eighth its size, down to [`SCALAR_BLOCK`], which the scalar
    /// Floyd–Warshall closes. Next hops too unless `paths.next` is empty.
    fn close(
        &mut self,
        paths: &mut ShortestPaths<T>,
        lo: usize,
        size: usize,
        block: usize,
    ) -> Result<(), Error> {
        if size <= SCALAR_BLOCK {
            close_block(paths, lo, size);
            return check_diagonal(paths, lo, size);
        }
        let n = paths.n;
        let routes = !paths.next.is_empty();
        let b_max = block.min(size);
        let zero = MinPlus::<T>::ZERO;
        let mut strips = Strips {
            col: vec![zero; size * b_max],
            col_next: vec![NO_ARG; if routes { size * b_max } else { 0 }],
            row: vec![zero; b_max * size],
            row_t: vec![zero; if routes { size * b_max } else { 0 }],
            diag: vec![zero; b_max * b_max],
        };
        let window = |i: usize, j: usize| (lo + i) * n + lo + j;
        for k0 in (0..size).step_by(block) {
            let b = block.min(size - k0);
            self.close(paths, lo + k0, b, (block / 8).max(SCALAR_BLOCK))?;
            // Routes from the block: D[K, W] ⊕= D*[K, K] ⊗ D[K, W]; a
            // winner k0 + p continues as the route from i to k0 + p.
            strips.copy_diag(paths, lo + k0, b);
            strips.copy_rows(paths, lo, size, k0, b);
            let c = MatMut::new(&mut paths.dist[window(k0, 0)..], b, size, n as isize, 1)?;
            let diag = MatRef::row_major(&strips.diag[..b * b], b, b)?;
            let row = MatRef::row_major(&strips.row[..b * size], b, size)?;
            let arg = &mut self.arg[..if routes { b * size } else { 0 }];
            combine_product(&mut self.ws, &self.cfg, diag, row, c, arg)?;
            for_each_winner(arg, size, |i, j, p| {
                paths.next[window(k0 + i, j)] = paths.next[window(k0 + i, k0 + p)];
            });
            // Routes into the block: D[W, K] ⊕= D[W, K] ⊗ D*[K, K]; a
            // winner k0 + p: first to k0 + p as before, then on.
            strips.copy_cols(paths, lo, size, k0, b);
            let c = MatMut::new(&mut paths.dist[window(0, k0)..], size, b, n as isize, 1)?;
            let diag = MatRef::row_major(&strips.diag[..b * b], b, b)?;
            let col = MatRef::row_major(&strips.col[..size * b], size, b)?;
            let arg = &mut self.arg[..if routes { size * b } else { 0 }];
            combine_product(&mut self.ws, &self.cfg, col, diag, c, arg)?;
            for_each_winner(arg, b, |i, j, p| {
                paths.next[window(i, k0 + j)] = strips.col_next[i * b + p];
            });
            // The rest of the window: D[W, W] ⊕= D[W, K] ⊗ D[K, W], with
            // both strips as the two products above left them.
            strips.copy_rows(paths, lo, size, k0, b);
            strips.copy_cols(paths, lo, size, k0, b);
            // Only the window outside K's rows and columns: the strips hold
            // their final values already, and skipping them saves 2·size·b²
            // of the size²·b operations (an eighth at n = 4096). With
            // routes, each quadrant's update is computed by the value
            // kernels and merged (see `merge_update`): the argmin kernels
            // would cost about twice as much.
            if routes {
                strips.transpose_rows(b, size);
            }
            let outside = [(0, k0), (k0 + b, size)];
            for (r0, r1) in outside.into_iter().filter(|(r0, r1)| r0 < r1) {
                for (c0, c1) in outside.into_iter().filter(|(c0, c1)| c0 < c1) {
                    let (rows, cols) = (r1 - r0, c1 - c0);
                    let col = MatRef::new(&strips.col[r0 * b..], rows, b, b as isize, 1)?;
                    let row = MatRef::new(&strips.row[c0..], b, cols, size as isize, 1)?;
                    if routes {
                        let update = &mut self.update[..rows * cols];
                        let u = MatMut::row_major(update, rows, cols)?;
                        gemm_with::<MinPlus<T>>(
                            &mut self.ws,
                            &self.cfg,
                            col,
                            row,
                            u,
                            Accum::Replace,
                        )?;
                        let quadrant = Quadrant {
                            lo,
                            r0,
                            rows,
                            c0,
                            cols,
                            b,
                        };
                        merge_update(paths, &self.update, &strips, quadrant, self.cfg.par());
                    } else {
                        let at = window(r0, c0);
                        let c = MatMut::new(&mut paths.dist[at..], rows, cols, n as isize, 1)?;
                        combine_product(&mut self.ws, &self.cfg, col, row, c, &mut [])?;
                    }
                }
            }
            check_diagonal(paths, lo, size)?;
        }
        Ok(())
    }
}

impl<T: Copy> Strips<T> {
    /// `row_t` = the transpose of the b × size row strip.
    fn transpose_rows(&mut self, b: usize, size: usize) {
        for p in 0..b {
            for j in 0..size {
                self.row_t[j * b + p] = self.row[p * size + j];
            }
        }
    }

    /// D*[K, K] for K = k..k+b.
    fn copy_diag(&mut self, paths: &ShortestPaths<T>, k: usize, b: usize) {
        let n = paths.n;
        for i in 0..b {
            let from = (k + i) * n + k;
            self.diag[i * b..(i + 1) * b].copy_from_slice(&paths.dist[from..from + b]);
        }
    }

    /// D[K, W] for K = lo+k0..lo+k0+b, W = lo..lo+size.
    fn copy_rows(&mut self, paths: &ShortestPaths<T>, lo: usize, size: usize, k0: usize, b: usize) {
        let n = paths.n;
        for i in 0..b {
            let from = (lo + k0 + i) * n + lo;
            self.row[i * size..(i + 1) * size].copy_from_slice(&paths.dist[from..from + size]);
        }
    }

    /// D[W, K], and its next hops when there are routes.
    fn copy_cols(&mut self, paths: &ShortestPaths<T>, lo: usize, size: usize, k0: usize, b: usize) {
        let n = paths.n;
        let routes = !paths.next.is_empty();
        for i in 0..size {
            let from = (lo + i) * n + lo + k0;
            self.col[i * b..(i + 1) * b].copy_from_slice(&paths.dist[from..from + b]);
            if routes {
                self.col_next[i * b..(i + 1) * b].copy_from_slice(&paths.next[from..from + b]);
            }
        }
    }
}

/// A rectangle of the window at `lo`: rows r0..r0+rows and columns
/// c0..c0+cols, in window coordinates, updated through a block of b.
struct Quadrant {
    lo: usize,
    r0: usize,
    rows: usize,
    c0: usize,
    cols: usize,
    b: usize,
}

/// D[Q] ⊕= `update` (= D[Q rows, K] ⊗ D[K, Q cols], rows × cols), as
/// `Accum::Combine` would: an entry takes the update's value only where
/// it improves on it. There the winner is the first k whose product
/// equals the new value (the value kernels formed exactly these
/// products, so one does; the first is the smallest k, as `gemm_argmax`
/// would give), and the route goes on as the one to it. Rows are
/// independent: with more than one thread they are merged in parallel.
fn merge_update<T: PathWeight>(
    paths: &mut ShortestPaths<T>,
    update: &[T],
    strips: &Strips<T>,
    q: Quadrant,
    par: Par,
) where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let (n, b) = (paths.n, q.b);
    let (first_col, rows) = (q.lo + q.c0, (q.lo + q.r0) * n..(q.lo + q.r0 + q.rows) * n);
    let merge_row = |i: usize, dist: &mut [T], next: &mut [u32], new: &[T]| {
        let cols = first_col..first_col + q.cols;
        let (dist, next) = (&mut dist[cols.clone()], &mut next[cols]);
        let to_k = &strips.col[(q.r0 + i) * b..(q.r0 + i + 1) * b];
        let hops_to_k = &strips.col_next[(q.r0 + i) * b..(q.r0 + i + 1) * b];
        // Few entries improve in one update: 16 at a time are tested with
        // a branch-free fold first (it vectorizes), and only a chunk that
        // holds an improvement is walked.
        const CHUNK: usize = 16;
        let chunks = dist
            .chunks_mut(CHUNK)
            .zip(next.chunks_mut(CHUNK))
            .zip(new.chunks(CHUNK));
        for (c, ((dist, next), new)) in chunks.enumerate() {
            let improves = |(&x, &d): (&T, &T)| MinPlus::<T>::improves(x, d);
            if !new
                .iter()
                .zip(dist.iter())
                .fold(false, |any, pair| any | improves(pair))
            {
                continue;
            }
            for (t, ((d, h), &x)) in dist.iter_mut().zip(next.iter_mut()).zip(new).enumerate() {
                if MinPlus::<T>::improves(x, *d) {
                    let j = q.c0 + c * CHUNK + t;
                    let from_k = &strips.row_t[j * b..(j + 1) * b];
                    *d = x;
                    if let Some(p) = first_product_equal(to_k, from_k, x) {
                        *h = hops_to_k[p];
                    }
                }
            }
        }
    };
    let new = &update[..q.rows * q.cols];
    if par.threads() > 1 {
        let dist = paths.dist[rows.clone()].par_chunks_mut(n);
        let next = paths.next[rows].par_chunks_mut(n);
        let new = new.par_chunks(q.cols);
        (dist.zip(next).zip(new).enumerate()).for_each(|(i, ((d, h), x))| merge_row(i, d, h, x));
    } else {
        let dist = paths.dist[rows.clone()].chunks_mut(n);
        let next = paths.next[rows].chunks_mut(n);
        let new = new.chunks(q.cols);
        (dist.zip(next).zip(new).enumerate()).for_each(|(i, ((d, h), x))| merge_row(i, d, h, x));
    }
}

/// The first p with `to_k[p] ⊗ from_k[p] == x`, tested in blocks of 16
/// with a branch-free fold (which vectorizes; a search with an early exit
/// does not), the matching block searched.
fn first_product_equal<T: PathWeight>(to_k: &[T], from_k: &[T], x: T) -> Option<usize>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    const BLOCK_OF_K: usize = 16;
    let equal = |(&a, &b): (&T, &T)| MinPlus::<T>::mul(a, b) == x;
    to_k.chunks(BLOCK_OF_K)
        .zip(from_k.chunks(BLOCK_OF_K))
        .enumerate()
        .find_map(|(q, (a, b))| {
            let any = a
                .iter()
                .zip(b)
                .fold(false, |found, pair| found | equal(pair));
            any.then(|| a.iter().zip(b).position(equal).map(|p| q * BLOCK_OF_K + p))?
        })
}

/// C ⊕= A ⊗ B, with the winning k of every entry that changed in `arg`
/// (C's shape, compact) when it is not empty: there the argmax kernel,
/// which costs about twice the value kernel, runs.
fn combine_product<T: PathWeight>(
    ws: &mut GemmWorkspace,
    cfg: &GemmConfig,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    c: MatMut<'_, T>,
    arg: &mut [u32],
) -> Result<(), Error>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    if arg.is_empty() {
        return gemm_with::<MinPlus<T>>(ws, cfg, a, b, c, Accum::Combine);
    }
    let (rows, cols) = (c.rows(), c.cols());
    let arg = MatMut::row_major(arg, rows, cols)?;
    gemm_argmax_with::<MinPlus<T>>(ws, cfg, a, b, c, arg, Accum::Combine)
}

/// Calls `f(i, j, p)` for every entry of `arg` (rows of `cols`) that a
/// product won, with its winning k = p, and resets it to NO_ARG for the
/// next product (under `Combine` an entry C kept keeps its index).
fn for_each_winner(arg: &mut [u32], cols: usize, mut f: impl FnMut(usize, usize, usize)) {
    for (at, p) in arg.iter_mut().enumerate() {
        if *p != NO_ARG {
            f(at / cols, at % cols, *p as usize);
            *p = NO_ARG;
        }
    }
}

/// Floyd–Warshall inside the diagonal block K = k0..k0+b: afterwards
/// D[K, K] holds the shortest routes between its vertices through any
/// vertex of the blocks before it and of K.
fn close_block<T: PathWeight>(paths: &mut ShortestPaths<T>, k0: usize, b: usize)
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let n = paths.n;
    let routes = !paths.next.is_empty();
    let mut via_row = vec![MinPlus::<T>::ZERO; b];
    for k in k0..k0 + b {
        via_row.copy_from_slice(&paths.dist[k * n + k0..k * n + k0 + b]);
        for i in k0..k0 + b {
            let to_k = paths.dist[i * n + k];
            if to_k == MinPlus::<T>::ZERO {
                continue;
            }
            let hop = if routes {
                paths.next[i * n + k]
            } else {
                NO_ARG
            };
            for (at, &from_k) in (i * n + k0..).zip(&via_row) {
                let through = MinPlus::<T>::mul(to_k, from_k);
                if MinPlus::<T>::improves(through, paths.dist[at]) {
                    paths.dist[at] = through;
                    if routes {
                        paths.next[at] = hop;
                    }
                }
            }
        }
    }
}
