//! Next hops that loop, made to reach their target.

use super::{PathWeight, ShortestPaths};
use crate::builtin::MinPlus;
use crate::semiring::{NO_ARG, SelectingSemiring, Semiring};
use crate::view::MatRef;

/// Makes every next-hop chain end at its target. A block's product
/// weighs all its vertices at once and takes the smallest on a tie, so
/// where two routes of different vertices come out equally long, the
/// hops toward a target can go round between them: round a cycle of
/// length zero, and with floats round a cycle of small positive edges
/// that rounding absorbs (`fl(ε + d) == d`), which makes two routes of
/// different exact lengths tie. A target whose hops loop gets them anew
/// ([`rebuild_hops`]); the others keep theirs.
pub(super) fn untangle_routes<T: PathWeight>(paths: &mut ShortestPaths<T>, weights: MatRef<'_, T>)
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    for j in tangled_targets(paths) {
        rebuild_hops(paths, weights, j);
    }
}

/// Targets checked together: one 64-byte line of `next` per row, so
/// that a group's walks, which jump between rows, read lines that stay in
/// cache (one target at a time read a line per hop: 0.3 s at n = 4096).
const GROUP: usize = 16;

/// The targets toward which some hop does not lower the distance
/// (`D[hop, j] ≥ D[u, j]`): along hops that all lower it no chain can
/// return to a vertex, so only these targets can have loops. The hops'
/// distances are independent loads, not a chain of them as in a walk.
fn suspect_targets<T: PathWeight>(paths: &ShortestPaths<T>) -> Vec<bool>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let n = paths.n;
    let mut suspect = vec![false; n];
    for u in 0..n {
        let (hops, from_u) = (
            &paths.next[u * n..(u + 1) * n],
            &paths.dist[u * n..(u + 1) * n],
        );
        for (j, (&hop, &d)) in hops.iter().zip(from_u).enumerate() {
            if hop != NO_ARG && !MinPlus::<T>::improves(paths.dist[hop as usize * n + j], d) {
                suspect[j] = true;
            }
        }
    }
    suspect
}

/// The targets whose next-hop chains loop, in increasing order: toward a
/// suspect target each vertex's chain is followed until it meets a
/// vertex known to end (at the target, or where there is no route) or
/// one of its own walk.
fn tangled_targets<T: PathWeight>(paths: &ShortestPaths<T>) -> Vec<usize>
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let n = paths.n;
    let suspect = suspect_targets(paths);
    // Per group target and vertex: 0 unseen, 1 on the walk being
    // followed, 2 known to end.
    let mut state = vec![0u8; GROUP * n];
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
    tangled
}

/// The hops toward `j` as a tree: first breadth-first from `j` over the
/// edges on which the distance is exact (`w(u, v) ⊗ D[v, j] == D[u, j]`),
/// so that every such hop lies on a shortest route; then, for a vertex
/// that reaches `j` but has no such edge to a placed vertex (a float
/// distance summed in another order than along the edge), the placed
/// neighbour with the smallest `w(u, v) ⊗ D[v, j]`, best first (Dijkstra
/// over the reversed edges from the placed vertices; ties to the smaller
/// vertex). Every hop goes to a vertex placed before, so no chain loops.
fn rebuild_hops<T: PathWeight>(paths: &mut ShortestPaths<T>, weights: MatRef<'_, T>, j: usize)
where
    MinPlus<T>: SelectingSemiring<Scalar = T>,
{
    let n = paths.n;
    let zero = MinPlus::<T>::ZERO;
    let weight = |u: usize, v: usize| weights.get(u, v).expect("u, v < n");
    let mut placed = vec![false; n];
    placed[j] = true;
    let mut queue = std::collections::VecDeque::from([j]);
    while let Some(v) = queue.pop_front() {
        let to_j = paths.dist[v * n + j];
        for (u, done) in placed.iter_mut().enumerate() {
            let (w, from_u) = (weight(u, v), paths.dist[u * n + j]);
            if *done || w == zero || from_u == zero {
                continue;
            }
            if MinPlus::<T>::mul(w, to_j) == from_u {
                paths.next[u * n + j] = v as u32;
                *done = true;
                queue.push_back(u);
            }
        }
    }
    let reaches = |u: usize| paths.dist[u * n + j] != zero;
    let left: Vec<usize> = (0..n).filter(|&u| !placed[u] && reaches(u)).collect();
    if left.is_empty() {
        return;
    }
    // The best placed neighbour of each vertex left: (w ⊗ D[v, j], v).
    let mut best: Vec<Option<(T, usize)>> = vec![None; n];
    let offer = |best: &mut [Option<(T, usize)>], u: usize, v: usize| {
        let w = weight(u, v);
        if w == zero {
            return;
        }
        let via = MinPlus::<T>::mul(w, paths.dist[v * n + j]);
        if best[u].is_none_or(|(now, _)| MinPlus::<T>::improves(via, now)) {
            best[u] = Some((via, v));
        }
    };
    for &u in &left {
        for v in (0..n).filter(|&v| placed[v]) {
            offer(&mut best, u, v);
        }
    }
    let mut hops = Vec::with_capacity(left.len());
    for _ in 0..left.len() {
        let mut next: Option<(T, usize)> = None;
        for &u in left.iter().filter(|&&u| !placed[u]) {
            if let Some((via, _)) = best[u]
                && next.is_none_or(|(now, _)| MinPlus::<T>::improves(via, now))
            {
                next = Some((via, u));
            }
        }
        // Every vertex left reaches j through edges, so one of them has
        // an edge to a placed vertex while any is left.
        let Some((_, u)) = next else { break };
        placed[u] = true;
        hops.push((u, best[u].map_or(NO_ARG, |(_, v)| v as u32)));
        for &x in left.iter().filter(|&&x| !placed[x]) {
            offer(&mut best, x, u);
        }
    }
    for (u, hop) in hops {
        paths.next[u * n + j] = hop;
    }
}

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
        assert_eq!(tangled_targets(&paths), [3]);
        untangle_routes(&mut paths, MatRef::row_major(&w, n, n).unwrap());
        assert_eq!(paths.route(0, 3), Some(vec![0, 1, 2, 3]));
        assert!(tangled_targets(&paths).is_empty());
    }
}
