//! Next hops that loop round a cycle of length zero, made to reach their
//! target.

use super::{PathWeight, ShortestPaths};
use crate::builtin::MinPlus;
use crate::semiring::{NO_ARG, SelectingSemiring, Semiring};
use crate::view::MatRef;

/// Makes every next-hop chain end at its target. A block's product
/// weighs all its vertices at once and takes the smallest on a tie, so
/// where a cycle of length zero joins two routes of equal length, the
/// hops toward a target can go round it (the scalar algorithm, one
/// vertex at a time, never takes a tie). A target whose hops loop gets
/// them anew: a breadth-first tree from it over the edges on which the
/// distance is exact (`w(u, v) ⊗ D[v, j] == D[u, j]`), so every hop
/// still lies on a shortest route. Called only where there is a cycle of
/// length zero; then one pass over the hops, O(n²), finds the targets.
pub(super) fn untangle_routes<T: PathWeight>(paths: &mut ShortestPaths<T>, weights: MatRef<'_, T>)
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
pub(super) fn has_zero_cycle<T: PathWeight>(paths: &ShortestPaths<T>) -> bool
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
