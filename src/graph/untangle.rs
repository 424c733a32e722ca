//! Next hops that loop, made to reach their target.

use super::edges::Edges;
use super::{PathWeight, ShortestPaths, for_each_row};
use crate::builtin::MinPlus;
use crate::config::Par;
use crate::error::Error;
use crate::semiring::{NO_ARG, SelectingSemiring, Semiring};
use crate::view::MatRef;
use crate::workspace::try_filled_vec;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Makes every next-hop chain end at its target. A block's product
/// weighs all its vertices at once and takes the smallest on a tie, and
/// hops read off the distances take the first exact edge, so where two
/// routes of different vertices come out equally long, the hops toward
/// a target can go round between them: round a cycle of length zero,
/// and with floats round a cycle of small positive edges that rounding
/// absorbs (`fl(ε + d) == d`), which makes two routes of different exact
/// lengths tie. A target whose hops loop gets them anew
/// ([`rebuild_hops`]); the others keep theirs.
///
/// `by_tail` is the graph's edge list if the caller has it (else it is
/// listed here, when some target loops).
pub(super) fn untangle_routes<T: PathWeight>(
    paths: &mut ShortestPaths<T>,
    weights: MatRef<'_, T>,
    by_tail: Option<Edges<T>>,
    par: Par,
) -> Result<(), Error>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let tangled = tangled_targets(paths, par)?;
    if tangled.is_empty() {
        return Ok(());
    }
    let n = paths.n;
    let edges = match by_tail {
        Some(edges) => edges,
        None => Edges::by_tail(weights, par)?,
    }
    .reversed()?;
    let mut placed = try_filled_vec(n, false)?;
    let mut to_j = try_filled_vec(n, MinPlus::<T>::ZERO)?;
    for j in tangled {
        // The distances to j, a column of D, read once.
        for (u, d) in to_j.iter_mut().enumerate() {
            *d = paths.dist[u * n + j];
        }
        rebuild_hops(&mut paths.next, n, &to_j, &edges, &mut placed, j);
    }
    Ok(())
}

/// Targets checked together: one 64-byte line of `next` per row, so
/// that a group's walks, which jump between rows, read lines that stay in
/// cache (one target at a time read a line per hop: 0.3 s at n = 4096).
const GROUP: usize = 16;

/// The targets toward which some hop does not lower the distance
/// (`D[hop, j] ≥ D[u, j]`): along hops that all lower it no chain can
/// return to a vertex, so only these targets can have loops. The hops'
/// distances are independent loads, not a chain of them as in a walk.
/// Ranges of [`SUSPECT_COLUMNS`] targets are scanned in parallel with threads.
fn suspect_targets<T: PathWeight>(paths: &ShortestPaths<T>, par: Par) -> Result<Vec<bool>, Error>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let n = paths.n;
    let mut suspect = try_filled_vec(n, false)?;
    for_each_row(&mut suspect, SUSPECT_COLUMNS, par, |c, flags| {
        let j0 = c * SUSPECT_COLUMNS;
        for u in 0..n {
            let row = u * n + j0..u * n + j0 + flags.len();
            let (hops, from_u) = (&paths.next[row.clone()], &paths.dist[row]);
            for (j, (flag, (&hop, &d))) in flags.iter_mut().zip(hops.iter().zip(from_u)).enumerate()
            {
                if hop != NO_ARG
                    && !MinPlus::<T>::improves(paths.dist[hop as usize * n + j0 + j], d)
                {
                    *flag = true;
                }
            }
        }
    });
    Ok(suspect)
}

/// Targets one task of [`suspect_targets`] scans.
const SUSPECT_COLUMNS: usize = 256;

/// The targets whose next-hop chains loop, in increasing order: toward a
/// suspect target each vertex's chain is followed until it meets a
/// vertex known to end (at the target, or where there is no route) or
/// one of its own walk.
fn tangled_targets<T: PathWeight>(paths: &ShortestPaths<T>, par: Par) -> Result<Vec<usize>, Error>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let n = paths.n;
    let suspect = suspect_targets(paths, par)?;
    // Per group target and vertex: 0 unseen, 1 on the walk being
    // followed, 2 known to end.
    let mut state = try_filled_vec(GROUP * n, 0u8)?;
    let mut walk = Vec::new();
    let mut tangled = Vec::new();
    for j0 in (0..n).step_by(GROUP) {
        let targets = j0..(j0 + GROUP).min(n);
        if !suspect[targets.clone()].contains(&true) {
            continue;
        }
        state.fill(0);
        let mut loops = [false; GROUP];
        for (t, j) in targets.clone().enumerate() {
            state[t * n + j] = 2;
        }
        for start in 0..n {
            for (t, j) in targets.clone().enumerate().filter(|&(_, j)| suspect[j]) {
                let state = &mut state[t * n..(t + 1) * n];
                let mut at = start;
                while state[at] == 0 {
                    state[at] = 1;
                    walk.push(at);
                    match paths.next[at * n + j] {
                        NO_ARG => break, // no route, or at the target
                        hop => at = hop as usize,
                    }
                }
                loops[t] |= state[at] == 1 && paths.next[at * n + j] != NO_ARG;
                for &v in &walk {
                    state[v] = 2;
                }
                walk.clear();
            }
        }
        tangled.extend(
            targets
                .zip(loops)
                .filter(|&(_, loops)| loops)
                .map(|(j, _)| j),
        );
    }
    Ok(tangled)
}

/// The hops toward `j` as a tree: first breadth-first from `j` over the
/// edges on which the distance is exact (`w(u, v) ⊗ D[v, j] == D[u, j]`),
/// so that every such hop lies on a shortest route; then, for a vertex
/// that reaches `j` but has no such edge to a placed vertex (a float
/// distance summed in another order than along the edge), the placed
/// neighbour with the smallest `w(u, v) ⊗ D[v, j]`, best first (Dijkstra
/// over the reversed edges from the placed vertices; ties to the smaller
/// vertex, then the smaller neighbour). Every hop goes to a vertex placed
/// before, so no chain loops. `placed` is scratch of n flags.
fn rebuild_hops<T: PathWeight>(
    next: &mut [u32],
    n: usize,
    to_j: &[T],
    edges: &Edges<T>,
    placed: &mut [bool],
    j: usize,
) where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let zero = MinPlus::<T>::ZERO;
    placed.fill(false);
    placed[j] = true;
    let mut queue = std::collections::VecDeque::from([j]);
    while let Some(v) = queue.pop_front() {
        for (u, w) in edges.at(v) {
            if !placed[u] && to_j[u] != zero && MinPlus::<T>::mul(w, to_j[v]) == to_j[u] {
                next[u * n + j] = v as u32;
                placed[u] = true;
                queue.push_back(u);
            }
        }
    }
    let left = |u: usize, placed: &[bool]| !placed[u] && to_j[u] != zero;
    let mut heap = std::collections::BinaryHeap::new();
    let offers_from = |v: usize, placed: &[bool], heap: &mut BinaryHeap<Offer<T>>| {
        for (u, w) in edges.at(v).filter(|&(u, _)| left(u, placed)) {
            heap.push(Offer {
                via: MinPlus::<T>::mul(w, to_j[v]),
                from: u,
                hop: v,
            });
        }
    };
    if !(0..n).any(|u| left(u, placed)) {
        return;
    }
    for v in (0..n).filter(|&v| placed[v]) {
        offers_from(v, placed, &mut heap);
    }
    while let Some(Offer { from, hop, .. }) = heap.pop() {
        if placed[from] {
            continue;
        }
        placed[from] = true;
        next[from * n + j] = hop as u32;
        offers_from(from, placed, &mut heap);
    }
}

/// A candidate hop `from` → `hop` of a rebuild, at `via` = w ⊗ D[hop, j];
/// ordered so that the max-heap pops the smallest `via`, then the
/// smallest `from`, then the smallest `hop` (distances are never NaN).
struct Offer<T> {
    via: T,
    from: usize,
    hop: usize,
}

impl<T: PathWeight> Ord for Offer<T>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    fn cmp(&self, other: &Self) -> Ordering {
        let shorter = |a: &Self, b: &Self| MinPlus::<T>::improves(a.via, b.via);
        let by_via = match (shorter(self, other), shorter(other, self)) {
            (true, _) => Ordering::Greater,
            (_, true) => Ordering::Less,
            _ => Ordering::Equal,
        };
        by_via.then((other.from, other.hop).cmp(&(self.from, self.hop)))
    }
}

impl<T: PathWeight> PartialOrd for Offer<T>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: PathWeight> PartialEq for Offer<T>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T: PathWeight> Eq for Offer<T> where MinPlus<T>: SelectingSemiring<Scalar = T> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loop toward vertex 3, and a vertex (0) whose float distance was
    /// summed in another order than along its one edge: the tree takes
    /// the exact edges first and then that edge, the best it has.
    #[test]
    fn a_loop_is_rebuilt_and_an_inexact_vertex_still_gets_its_hop() {
        let (inf, tiny) = (f32::INFINITY, 2f32.powi(-24));
        #[rustfmt::skip]
        let w = [
            0.0, 1.0, inf,  inf,
            inf, 0.0, tiny, inf,
            inf, inf, 0.0,  tiny,
            inf, inf, inf,  0.0,
        ];
        let n = 4;
        // D[0, 3] = (1 + 2^-24) + 2^-24 = 1 (ties to even), while
        // 1 + D[1, 3] = 1 + 2^-23: the edge 0 -> 1 is not exact.
        let mut dist = vec![inf; n * n];
        for (i, d) in [(0, 1.0), (1, 2.0 * tiny), (2, tiny), (3, 0.0)] {
            dist[i * n + 3] = d;
        }
        let mut next = vec![NO_ARG; n * n];
        (next[3], next[7], next[11]) = (1, 0, 3); // 0 -> 1 -> 0 loops
        let mut paths = ShortestPaths { n, dist, next };
        assert_eq!(tangled_targets(&paths, Par::Rayon(2)).unwrap(), [3]);
        untangle_routes(
            &mut paths,
            MatRef::row_major(&w, n, n).unwrap(),
            None,
            Par::Seq,
        )
        .unwrap();
        assert_eq!(paths.route(0, 3), Some(vec![0, 1, 2, 3]));
        assert!(tangled_targets(&paths, Par::Seq).unwrap().is_empty());
    }

    /// The scan by ranges of targets marks what a plain scan of every hop
    /// marks, across several ranges and a short last one.
    #[test]
    fn suspect_targets_by_ranges_match_a_plain_scan() {
        let n = 2 * SUSPECT_COLUMNS + 44;
        let mut state = 7u64;
        let mut below = |m: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % m
        };
        // D[u, j] = u + j: a hop to a lower vertex lowers it; a few hops
        // go up.
        let dist: Vec<i32> = (0..n * n).map(|uj| (uj / n + uj % n) as i32).collect();
        let next: Vec<u32> = (0..n * n)
            .map(|uj| match (uj / n, below(4000)) {
                (u, 0) => (u + below(n - u)) as u32,
                (0, _) => NO_ARG,
                (u, _) => below(u) as u32,
            })
            .collect();
        let paths = ShortestPaths { n, dist, next };
        let plain: Vec<bool> = (0..n)
            .map(|j| {
                (0..n).any(|u| match paths.next[u * n + j] {
                    NO_ARG => false,
                    hop => paths.dist[hop as usize * n + j] >= paths.dist[u * n + j],
                })
            })
            .collect();
        assert!(plain.contains(&false) && plain.contains(&true));
        for par in [Par::Seq, Par::Rayon(2)] {
            assert_eq!(suspect_targets(&paths, par).unwrap(), plain);
        }
    }
}
