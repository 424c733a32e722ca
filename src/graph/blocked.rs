//! The blocked Floyd–Warshall: every update of the distances is a
//! min-plus product; with routes, each product's result is merged into the
//! distances and the winner of every entry it improves is searched.

use super::{
    BLOCK, PathWeight, SCALAR_BLOCK, ShortestPaths, allocate, check_diagonal, for_each_row,
};
use crate::api::argmax::gemm_argmax_with;
use crate::api::gemm::gemm_with;
use crate::builtin::MinPlus;
use crate::config::{Accum, GemmConfig, Par};
use crate::error::Error;
use crate::semiring::{NO_ARG, SelectingSemiring, Semiring};
use crate::view::{MatMut, MatRef};
use crate::workspace::{GemmWorkspace, try_filled_vec};
use rayon::prelude::*;

/// What the blocked algorithm keeps across its products: their
/// configuration and workspace, and with routes the buffer a product
/// writes before it is merged.
pub(super) struct FloydWarshall<T> {
    cfg: GemmConfig,
    ws: GemmWorkspace,
    /// With routes, the result of the product being merged (up to n × n).
    update: Vec<T>,
    /// With routes, a strip's winning indices (NO_ARG between products;
    /// up to n × BLOCK).
    arg: Vec<u32>,
}

/// Copies of one block K's strips of the distances (and next hops): a
/// product's factors may not alias its output. With routes also the
/// transposes a winner's search reads (a column of a factor, as a row).
struct Strips<T> {
    /// The closed diagonal block D*[K, K] (b × b) and its next hops.
    diag: Vec<T>,
    diag_next: Vec<u32>,
    /// The row strip D[K, W] (b × size) and, with routes, its transpose.
    row: Vec<T>,
    row_t: Vec<T>,
    /// The column strip D[W, K] (size × b) and its next hops.
    col: Vec<T>,
    col_next: Vec<u32>,
}

/// The rectangle of D a product updates, in vertex numbers.
#[derive(Clone, Copy)]
struct Target {
    row0: usize,
    rows: usize,
    col0: usize,
    cols: usize,
}

/// How a product's winner p for a target entry (i, j) turns into a next
/// hop: `to_k` (rows × b) and `from_k_t` (cols × b) hold the factors of
/// the product, row i of A and column j of B, so that p is the first with
/// `to_k[i][p] ⊗ from_k_t[j][p]` equal to the new distance; `hops`
/// (rows × b) holds the next hop from i toward the block's vertex p,
/// which is where the new route starts.
struct Factors<'a, T> {
    to_k: &'a [T],
    from_k_t: &'a [T],
    hops: &'a [u32],
    b: usize,
}

impl<T: PathWeight> FloydWarshall<T>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    pub(super) fn new(n: usize, par: Par, routes: bool) -> Result<Self, Error> {
        Ok(Self {
            cfg: GemmConfig::default().with_par(par),
            ws: GemmWorkspace::new(),
            update: match routes {
                true => allocate(n, MinPlus::<T>::ZERO, par)?,
                false => Vec::new(),
            },
            arg: match routes {
                true => try_filled_vec(n * BLOCK.min(n), NO_ARG)?,
                false => Vec::new(),
            },
        })
    }

    /// Closes the window W = lo..lo+size of D (its shortest routes through
    /// any vertex of W and of the windows closed before), block by block
    /// of `block` vertices; a block is closed the same way with blocks an
    /// eighth its size, down to [`SCALAR_BLOCK`], which the scalar
    /// Floyd–Warshall closes. Next hops too unless `paths.next` is empty.
    pub(super) fn close(
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
        if size <= block {
            // One block: closing it closes the window, and its strips
            // would be the whole window again (two more size³ products).
            return self.close(paths, lo, size, (block / 8).max(SCALAR_BLOCK));
        }
        let routes = !paths.next.is_empty();
        let mut strips = Strips::new(size, block, routes)?;
        let window = Window {
            lo,
            size,
            par: self.cfg.par(),
        };
        for k0 in (0..size).step_by(block) {
            let b = block.min(size - k0);
            let k = lo + k0;
            self.close(paths, k, b, (block / 8).max(SCALAR_BLOCK))?;
            strips.copy_diag(paths, k, b);
            // Routes from the block: D[K, W] ⊕= D*[K, K] ⊗ D[K, W]; a
            // winner p continues as the route from i to k + p.
            strips.copy_rows(paths, window, k, b, false);
            let diag = MatRef::row_major(&strips.diag[..b * b], b, b)?;
            let row = MatRef::row_major(&strips.row[..b * size], b, size)?;
            let hops = HopsBy::winners(&strips.diag_next, b);
            self.update(paths, Target::new(k..k + b, lo..lo + size), diag, row, hops)?;
            // Routes into the block: D[W, K] ⊕= D[W, K] ⊗ D*[K, K]; a
            // winner p: first to k + p as before, then on.
            strips.copy_cols(paths, window, k, b);
            let col = MatRef::row_major(&strips.col[..size * b], size, b)?;
            let diag = MatRef::row_major(&strips.diag[..b * b], b, b)?;
            let hops = HopsBy::winners(&strips.col_next, b);
            self.update(paths, Target::new(lo..lo + size, k..k + b), col, diag, hops)?;
            // The rest of the window: D[W, W] ⊕= D[W, K] ⊗ D[K, W], with
            // both strips as the two products above left them, outside
            // K's rows and columns (the strips hold their final values
            // already, and skipping them saves 2·size·b² of the size²·b
            // operations: an eighth at n = 4096).
            strips.copy_rows(paths, window, k, b, routes);
            strips.copy_cols(paths, window, k, b);
            let outside = [(0, k0), (k0 + b, size)];
            for (r0, r1) in outside.into_iter().filter(|(r0, r1)| r0 < r1) {
                for (c0, c1) in outside.into_iter().filter(|(c0, c1)| c0 < c1) {
                    let (rows, cols) = (r1 - r0, c1 - c0);
                    let target = Target::new(lo + r0..lo + r1, lo + c0..lo + c1);
                    let factors = Factors {
                        to_k: part(&strips.col, r0 * b, rows * b),
                        from_k_t: part(&strips.row_t, c0 * b, cols * b),
                        hops: part(&strips.col_next, r0 * b, rows * b),
                        b,
                    };
                    let col = MatRef::new(&strips.col[r0 * b..], rows, b, b as isize, 1)?;
                    let row = MatRef::new(&strips.row[c0..], b, cols, size as isize, 1)?;
                    self.update(paths, target, col, row, HopsBy::Search(factors))?;
                }
            }
            check_diagonal(paths, lo, size)?;
        }
        Ok(())
    }

    /// D[target] ⊕= a ⊗ b: without routes one product with
    /// `Accum::Combine`; with routes the next hops of the entries that
    /// improve change too, found as `hops` says.
    fn update(
        &mut self,
        paths: &mut ShortestPaths<T>,
        target: Target,
        a: MatRef<'_, T>,
        b: MatRef<'_, T>,
        hops: HopsBy<'_, T>,
    ) -> Result<(), Error> {
        let n = paths.n;
        let (rows, cols) = (target.rows, target.cols);
        let at = target.row0 * n + target.col0;
        let (ws, cfg) = (&mut self.ws, &self.cfg);
        match hops {
            _ if paths.next.is_empty() => {
                let c = MatMut::new(&mut paths.dist[at..], rows, cols, n as isize, 1)?;
                gemm_with::<MinPlus<T>>(ws, cfg, a, b, c, Accum::Combine)
            }
            HopsBy::Winners(winners) => {
                let c = MatMut::new(&mut paths.dist[at..], rows, cols, n as isize, 1)?;
                let arg = MatMut::row_major(&mut self.arg[..rows * cols], rows, cols)?;
                gemm_argmax_with::<MinPlus<T>>(ws, cfg, a, b, c, arg, Accum::Combine)?;
                let next = &mut paths.next[target.row0 * n..(target.row0 + rows) * n];
                let arg = &mut self.arg[..rows * cols];
                winners_to_hops(next, n, arg, target, winners, cfg.par());
                Ok(())
            }
            HopsBy::Search(factors) => {
                let update = MatMut::row_major(&mut self.update[..rows * cols], rows, cols)?;
                gemm_with::<MinPlus<T>>(ws, cfg, a, b, update, Accum::Replace)?;
                let update = &self.update[..rows * cols];
                merge(paths, update, target, factors, cfg.par());
                Ok(())
            }
        }
    }
}

impl Target {
    /// The rectangle of these rows and columns.
    fn new(rows: std::ops::Range<usize>, cols: std::ops::Range<usize>) -> Self {
        Self {
            row0: rows.start,
            rows: rows.len(),
            col0: cols.start,
            cols: cols.len(),
        }
    }
}

impl<'a, T> HopsBy<'a, T> {
    /// Winners from the argmin kernels, with `hops` (rows × depth) the
    /// next hops toward the block's vertices.
    fn winners(hops: &'a [u32], depth: usize) -> Self {
        Self::Winners(Winners { hops, depth })
    }
}

/// How an update with routes finds the winner p of an entry it improves.
enum HopsBy<'a, T> {
    /// The argmin kernels give it: for the strips of the block, whose
    /// entries improve often (about half of them on a road-like graph),
    /// where a search per entry costs more than they do.
    Winners(Winners<'a>),
    /// The value kernels write the product to a buffer that is merged,
    /// and p is searched for each entry that improved (see [`merge`]):
    /// for the rest of the window, where few entries improve and the
    /// argmin kernels would cost about twice the value kernels.
    Search(Factors<'a, T>),
}

/// The next hop from target row i toward the block's vertex p, at
/// `hops[i * depth + p]`: where a route won by p starts.
struct Winners<'a> {
    hops: &'a [u32],
    depth: usize,
}

/// Each entry of `arg` (target rows × cols) that a product won, with p:
/// its next hop (in `next`, the target's rows of `n` hops) becomes the one
/// toward the block's vertex p, and its index goes back to NO_ARG for the
/// next product (under Combine an entry C kept keeps its index). Rows in
/// parallel with threads.
fn winners_to_hops(
    next: &mut [u32],
    n: usize,
    arg: &mut [u32],
    target: Target,
    winners: Winners<'_>,
    par: Par,
) {
    let cols = target.cols;
    let row = |i: usize, next: &mut [u32], arg: &mut [u32]| {
        let next = &mut next[target.col0..target.col0 + cols];
        for (hop, p) in next.iter_mut().zip(arg) {
            if *p != NO_ARG {
                *hop = winners.hops[i * winners.depth + *p as usize];
                *p = NO_ARG;
            }
        }
    };
    if par.threads() > 1 {
        let rows = next.par_chunks_mut(n).zip(arg.par_chunks_mut(cols));
        rows.enumerate().for_each(|(i, (h, p))| row(i, h, p));
    } else {
        let rows = next.chunks_mut(n).zip(arg.chunks_mut(cols));
        rows.enumerate().for_each(|(i, (h, p))| row(i, h, p));
    }
}

/// Entries start..start+len, or none where there are no routes (the
/// buffers for them are empty).
fn part<X>(v: &[X], start: usize, len: usize) -> &[X] {
    v.get(start..start + len).unwrap_or_default()
}

impl<T: Copy + Send + Sync> Strips<T>
where
    MinPlus<T>: Semiring<Scalar = T>,
{
    /// The strips of a window of `size` vertices closed in blocks of up to
    /// `b`, or [`Error::WorkspaceTooLarge`] when they do not fit in memory.
    fn new(size: usize, b: usize, routes: bool) -> Result<Self, Error> {
        let zero = MinPlus::<T>::ZERO;
        let with_routes = |len: usize| if routes { len } else { 0 };
        Ok(Self {
            diag: try_filled_vec(b * b, zero)?,
            diag_next: try_filled_vec(with_routes(b * b), NO_ARG)?,
            row: try_filled_vec(b * size, zero)?,
            row_t: try_filled_vec(with_routes(size * b), zero)?,
            col: try_filled_vec(size * b, zero)?,
            col_next: try_filled_vec(with_routes(size * b), NO_ARG)?,
        })
    }

    /// D*[K, K] for K = k..k+b, and with routes its hops.
    fn copy_diag(&mut self, paths: &ShortestPaths<T>, k: usize, b: usize) {
        let n = paths.n;
        let routes = !paths.next.is_empty();
        for i in 0..b {
            let (from, to) = ((k + i) * n + k, i * b);
            self.diag[to..to + b].copy_from_slice(&paths.dist[from..from + b]);
            if routes {
                self.diag_next[to..to + b].copy_from_slice(&paths.next[from..from + b]);
            }
        }
    }

    /// D[K, W] for K = k..k+b, W = lo..lo+size, and its transpose when
    /// `transposed`.
    fn copy_rows(
        &mut self,
        paths: &ShortestPaths<T>,
        window: Window,
        k: usize,
        b: usize,
        transposed: bool,
    ) {
        let (n, size) = (paths.n, window.size);
        for_each_row(&mut self.row[..b * size], size, window.par, |i, row| {
            let from = (k + i) * n + window.lo;
            row.copy_from_slice(&paths.dist[from..from + size]);
        });
        if transposed {
            transpose(&self.row[..b * size], b, size, &mut self.row_t, window.par);
        }
    }

    /// D[W, K], and its next hops when there are routes.
    fn copy_cols(&mut self, paths: &ShortestPaths<T>, window: Window, k: usize, b: usize) {
        let (n, size) = (paths.n, window.size);
        let from = |i: usize| (window.lo + i) * n + k..(window.lo + i) * n + k + b;
        for_each_row(&mut self.col[..size * b], b, window.par, |i, row| {
            row.copy_from_slice(&paths.dist[from(i)]);
        });
        let hops = part_mut(&mut self.col_next, 0, size * b);
        for_each_row(hops, b, window.par, |i, row| {
            row.copy_from_slice(&paths.next[from(i)]);
        });
    }
}

/// The window being closed: vertices lo..lo+size, and the threads.
#[derive(Clone, Copy)]
struct Window {
    lo: usize,
    size: usize,
    par: Par,
}

/// [`part`], to write.
fn part_mut<X>(v: &mut [X], start: usize, len: usize) -> &mut [X] {
    v.get_mut(start..start + len).unwrap_or_default()
}

/// `to[j * rows + i] = from[i * cols + j]`, in square tiles so that both
/// sides move whole cache lines (a plain loop writes one element per line
/// and took longer than the merges it serves); a band of tiles per task.
fn transpose<T: Copy + Send + Sync>(from: &[T], rows: usize, cols: usize, to: &mut [T], par: Par) {
    const TILE: usize = 16;
    for_each_row(&mut to[..rows * cols], TILE * rows, par, |band, to| {
        let j0 = band * TILE;
        for i0 in (0..rows).step_by(TILE) {
            for j in j0..(j0 + TILE).min(cols) {
                for i in i0..(i0 + TILE).min(rows) {
                    to[(j - j0) * rows + i] = from[i * cols + j];
                }
            }
        }
    });
}

/// D[target] ⊕= `update` (the product, rows × cols), as `Accum::Combine`
/// would: an entry takes the update's value only where it improves on it.
/// There the winner is the first p whose product equals the new value
/// (the value kernels formed exactly these products, so one does; the
/// first is the smallest p, as `gemm_argmax` would give), and the route
/// goes on as the one to the block's vertex p. Rows are independent: with
/// more than one thread they are merged in parallel.
fn merge<T: PathWeight>(
    paths: &mut ShortestPaths<T>,
    update: &[T],
    target: Target,
    factors: Factors<'_, T>,
    par: Par,
) where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let (n, b, cols) = (paths.n, factors.b, target.cols);
    // Row i of the target.
    let merge_row = |i: usize, dist: &mut [T], next: &mut [u32], new: &[T]| {
        let to_k = &factors.to_k[i * b..(i + 1) * b];
        let hops = &factors.hops[i * b..(i + 1) * b];
        // Few entries improve in most updates: a chunk is tested with a
        // branch-free fold first (it vectorizes), and only a chunk that
        // holds an improvement is walked.
        for start in (0..new.len()).step_by(CHUNK) {
            let end = (start + CHUNK).min(new.len());
            if !any_improves(&new[start..end], &dist[start..end]) {
                continue;
            }
            for j in start..end {
                if MinPlus::<T>::improves(new[j], dist[j]) {
                    dist[j] = new[j];
                    let from_k = &factors.from_k_t[j * b..(j + 1) * b];
                    if let Some(p) = first_product_equal(to_k, from_k, new[j]) {
                        next[j] = hops[p];
                    }
                }
            }
        }
    };
    let rows = target.row0 * n..(target.row0 + target.rows) * n;
    let new = &update[..target.rows * cols];
    let segment = target.col0..target.col0 + cols;
    if par.threads() > 1 {
        let dist = paths.dist[rows.clone()].par_chunks_mut(n);
        let next = paths.next[rows].par_chunks_mut(n);
        let new = new.par_chunks(cols);
        (dist.zip(next).zip(new).enumerate()).for_each(|(i, ((d, h), x))| {
            merge_row(i, &mut d[segment.clone()], &mut h[segment.clone()], x)
        });
    } else {
        let dist = paths.dist[rows.clone()].chunks_mut(n);
        let next = paths.next[rows].chunks_mut(n);
        let new = new.chunks(cols);
        (dist.zip(next).zip(new).enumerate()).for_each(|(i, ((d, h), x))| {
            merge_row(i, &mut d[segment.clone()], &mut h[segment.clone()], x)
        });
    }
}

/// The entries a merge or a search tests at once.
const CHUNK: usize = 16;

/// Whether some `new[t]` improves on `old[t]`: a fold without a branch,
/// over a fixed-size array when the chunk is whole, so that it compiles
/// to a few vector compares.
fn any_improves<T: PathWeight>(new: &[T], old: &[T]) -> bool
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let improves = |any: bool, (&x, &d): (&T, &T)| any | MinPlus::<T>::improves(x, d);
    match (<&[T; CHUNK]>::try_from(new), <&[T; CHUNK]>::try_from(old)) {
        (Ok(new), Ok(old)) => new.iter().zip(old).fold(false, improves),
        _ => new.iter().zip(old).fold(false, improves),
    }
}

/// The first p with `to_k[p] ⊗ from_k[p] == x`, tested a chunk at a time
/// with a branch-free fold (which vectorizes; a search with an early exit
/// does not), the matching chunk searched.
fn first_product_equal<T: PathWeight>(to_k: &[T], from_k: &[T], x: T) -> Option<usize>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let equal = |a: T, b: T| MinPlus::<T>::mul(a, b) == x;
    let whole = to_k.len() / CHUNK * CHUNK;
    let chunks = to_k[..whole]
        .chunks_exact(CHUNK)
        .zip(from_k[..whole].chunks_exact(CHUNK));
    for (q, (a, b)) in chunks.enumerate() {
        let (a, b): (&[T; CHUNK], &[T; CHUNK]) = (a.try_into().ok()?, b.try_into().ok()?);
        let hits = (0..CHUNK).fold(0u32, |hits, t| hits | (u32::from(equal(a[t], b[t])) << t));
        if hits != 0 {
            return Some(q * CHUNK + hits.trailing_zeros() as usize);
        }
    }
    let mut rest = to_k[whole..].iter().zip(&from_k[whole..]);
    rest.position(|(&a, &b)| equal(a, b)).map(|p| whole + p)
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
