//! Ground state of a ±J Ising spin glass by a max-plus transfer-matrix
//! contraction, checked by recomputing its energy (and by brute force on
//! small grids).
//!
//! ```text
//! cargo run --release --example spin_glass          # L = 4 (brute-forced), then L = 10
//! cargo run --release --example spin_glass -- 8     # any L from 1 to 12
//! ```
//!
//! Spins s = ±1 sit on an L×L grid with open boundaries; every horizontal
//! and vertical bond carries a coupling J = ±1, and E(s) = −Σ J_ij s_i s_j.
//! Minimising E is maximising −E, a (max, +) problem: with a row's spins
//! packed into an L-bit state, let V_r[s] be the best −E over rows 0..=r
//! with row r in state s. Then
//!
//! ```text
//! V_0[s]     = intra_0(s)
//! V_{r+1}[t] = max_s (V_r[s] + vert_r(s, t)) + intra_{r+1}(t)
//! ```
//!
//! and the max over s is the max-plus product of the 1×2^L row vector V_r
//! with the 2^L×2^L matrix T_r[s][t] = vert_r(s, t). `gemm_argmax` also
//! says which s won each t, and those backpointers rebuild the ground
//! state. Every energy is a small integer, so f32 is exact throughout.

use std::time::{Duration, Instant};

use tropical_blas::counting::{self, CountingMax, CountingMut, CountingRef};
use tropical_blas::{Accum, MatMut, MatRef, MaxPlus, NO_ARG, gemm_argmax};

/// Largest grid: 2^12 row states make each T_r a 4096×4096 matrix (64 MiB).
const MAX_L: usize = 12;
/// Largest grid the brute-force check enumerates (2^16 configurations).
const BRUTE_FORCE_MAX_L: usize = 4;
/// Every grid's couplings come from the same seed.
const SEED: u64 = 2026;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<usize> = match std::env::args().nth(1) {
        Some(arg) => {
            let l: usize = arg
                .parse()
                .map_err(|_| format!("expected a grid side L, got {arg:?}"))?;
            if l == 0 || l > MAX_L {
                return Err(format!("L must be between 1 and {MAX_L}, got {l}").into());
            }
            vec![l]
        }
        None => vec![4, 10],
    };
    for (i, &l) in sizes.iter().enumerate() {
        if i > 0 {
            println!();
        }
        solve(l)?;
    }
    Ok(())
}

/// The ±1 couplings of an L×L grid with open boundaries.
struct Couplings {
    l: usize,
    /// `horizontal[r * (l - 1) + c]` joins (r, c) and (r, c + 1).
    horizontal: Vec<i32>,
    /// `vertical[r * l + c]` joins (r, c) and (r + 1, c).
    vertical: Vec<i32>,
}

impl Couplings {
    /// Draws every coupling from a seeded xorshift generator, so runs are
    /// reproducible.
    fn random(l: usize, seed: u64) -> Self {
        let mut rng = seed | 1;
        let mut coin = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            if rng >> 63 == 0 { 1 } else { -1 }
        };
        let horizontal = (0..l * l.saturating_sub(1)).map(|_| coin()).collect();
        let vertical = (0..l.saturating_sub(1) * l).map(|_| coin()).collect();
        Self {
            l,
            horizontal,
            vertical,
        }
    }

    /// How many bonds the grid has: 2L(L − 1).
    fn bonds(&self) -> usize {
        self.horizontal.len() + self.vertical.len()
    }

    /// −E of the bonds inside row `r` when its spins are `state` (bit c
    /// set = spin +1 at column c): +J where neighbours agree, −J otherwise.
    fn intra(&self, r: usize, state: usize) -> i32 {
        let l = self.l;
        (0..l - 1)
            .map(|c| {
                let j = self.horizontal[r * (l - 1) + c];
                if ((state >> c) ^ (state >> (c + 1))) & 1 == 0 {
                    j
                } else {
                    -j
                }
            })
            .sum()
    }

    /// −E of the vertical bonds between row `r` in state `s` and row r + 1
    /// in state `t`; it depends only on which columns differ, `s ^ t`.
    fn vert(&self, r: usize, differ: usize) -> i32 {
        (0..self.l)
            .map(|c| {
                let j = self.vertical[r * self.l + c];
                if (differ >> c) & 1 == 0 { j } else { -j }
            })
            .sum()
    }

    /// E of a full configuration (`spins[r * l + c]` = ±1), summed bond by
    /// bond straight from the couplings, independently of the row encoding.
    fn energy(&self, spins: &[i32]) -> i32 {
        let l = self.l;
        let mut e = 0;
        for r in 0..l {
            for c in 0..l {
                let s = spins[r * l + c];
                if c + 1 < l {
                    e -= self.horizontal[r * (l - 1) + c] * s * spins[r * l + c + 1];
                }
                if r + 1 < l {
                    e -= self.vertical[r * l + c] * s * spins[(r + 1) * l + c];
                }
            }
        }
        e
    }
}

/// Finds, prints and checks the ground state of one L×L grid.
fn solve(l: usize) -> Result<(), Box<dyn std::error::Error>> {
    let couplings = Couplings::random(l, SEED);
    let states = 1usize << l;
    println!(
        "L = {l}: {l}×{l} spins, {} bonds, {states} row states (seed {SEED})",
        couplings.bonds()
    );

    let start = Instant::now();
    let (best, rows, in_products) = contract(&couplings)?;
    let elapsed = start.elapsed();
    let ground = -best;
    let (ms, gemm_ms) = (elapsed.as_secs_f64() * 1e3, in_products.as_secs_f64() * 1e3);
    match l - 1 {
        0 => println!("contraction: a single row, no products, {ms:.3} ms"),
        p => println!(
            "contraction: {p} max-plus product{} (1×{states} by {states}×{states}) \
             in {ms:.3} ms, {gemm_ms:.3} ms of it in gemm_argmax",
            if p == 1 { "" } else { "s" }
        ),
    }
    println!(
        "ground-state energy: {ground} ({:.4} per spin)",
        f64::from(ground) / (l * l) as f64
    );

    let spins = spins_from_rows(&rows, l);
    if l <= 10 {
        println!("ground state:");
        for r in 0..l {
            let line: Vec<&str> = spins[r * l..(r + 1) * l]
                .iter()
                .map(|&s| if s > 0 { "+" } else { "-" })
                .collect();
            println!("  {}", line.join(" "));
        }
    }

    let start = Instant::now();
    let (counted_best, ground_states) = count_ground_states(&couplings)?;
    println!(
        "ground states: {ground_states} configurations reach it (counting tropical contraction, {:.3} ms)",
        start.elapsed().as_secs_f64() * 1e3
    );
    if counted_best != best {
        return Err(format!(
            "L = {l}: the counting contraction finds max -E = {counted_best}, the max-plus one {best}"
        )
        .into());
    }

    let recomputed = couplings.energy(&spins);
    if recomputed != ground {
        return Err(format!(
            "L = {l}: the recovered configuration has energy {recomputed}, \
             but the contraction reported {ground}"
        )
        .into());
    }
    println!(
        "check: the recovered configuration's energy, recomputed bond by bond, is {recomputed}"
    );

    if l <= BRUTE_FORCE_MAX_L {
        let (minimum, count) = brute_force(&couplings);
        if minimum != ground {
            return Err(format!(
                "L = {l}: brute force finds a minimum energy of {minimum}, \
                 but the contraction reported {ground}"
            )
            .into());
        }
        if count as f64 != ground_states {
            return Err(format!(
                "L = {l}: brute force finds {count} ground states, \
                 but the counting contraction reported {ground_states}"
            )
            .into());
        }
        println!(
            "check: brute force over all {} configurations agrees ({minimum}, reached by {count})",
            1u64 << (l * l)
        );
    }
    Ok(())
}

/// Runs the row-by-row contraction. Returns max −E, the row states of a
/// configuration that reaches it, and the time spent in the products.
fn contract(
    couplings: &Couplings,
) -> Result<(i32, Vec<usize>, Duration), Box<dyn std::error::Error>> {
    let l = couplings.l;
    let n = 1usize << l;
    let mut v: Vec<f32> = (0..n).map(|s| couplings.intra(0, s) as f32).collect();
    let mut next = vec![0.0f32; n];
    let mut transfer = vec![0.0f32; n * n];
    // backpointers[r][t]: the state of row r that won for row r + 1 in state t.
    let mut backpointers = vec![vec![0u32; n]; l - 1];
    let mut in_products = Duration::ZERO;
    for (r, back) in backpointers.iter_mut().enumerate() {
        // T_r[s][t] depends only on s ^ t: tabulate it once per row pair.
        let by_difference: Vec<f32> = (0..n).map(|d| couplings.vert(r, d) as f32).collect();
        for (s, row) in transfer.chunks_exact_mut(n).enumerate() {
            for (t, x) in row.iter_mut().enumerate() {
                *x = by_difference[s ^ t];
            }
        }
        let start = Instant::now();
        gemm_argmax::<MaxPlus<f32>>(
            MatRef::row_major(&v, 1, n)?,
            MatRef::row_major(&transfer, n, n)?,
            MatMut::row_major(&mut next, 1, n)?,
            MatMut::row_major(back, 1, n)?,
            Accum::Replace,
        )?;
        in_products += start.elapsed();
        for (t, x) in next.iter_mut().enumerate() {
            *x += couplings.intra(r + 1, t) as f32;
        }
        std::mem::swap(&mut v, &mut next);
    }

    // The best final row (the first on ties), then follow the backpointers up.
    let (mut state, mut best) = (0, v[0]);
    for (t, &x) in v.iter().enumerate() {
        if x > best {
            (state, best) = (t, x);
        }
    }
    let mut rows = vec![0usize; l];
    rows[l - 1] = state;
    for r in (0..l - 1).rev() {
        let from = backpointers[r][state];
        if from == NO_ARG {
            return Err(format!("no backpointer for row {} in state {state}", r + 1).into());
        }
        state = from as usize;
        rows[r] = state;
    }
    // Every V is a sum of at most 2L(L − 1) terms ±1: an exact integer.
    Ok((best as i32, rows, in_products))
}

/// The contraction of [`contract`] over counting tropical numbers: V_r[s]
/// is (best −E of rows 0..=r with row r in state s, how many
/// configurations reach it). Returns max −E and the number of ground
/// states (exact: counts are below 2^53, or the product returns an error).
fn count_ground_states(couplings: &Couplings) -> Result<(i32, f64), Box<dyn std::error::Error>> {
    let l = couplings.l;
    let n = 1usize << l;
    let mut v: Vec<f32> = (0..n).map(|s| couplings.intra(0, s) as f32).collect();
    let mut ways = vec![1.0f64; n];
    let (mut next, mut next_ways) = (vec![0.0f32; n], vec![0.0f64; n]);
    let mut transfer = vec![0.0f32; n * n];
    // Every transfer entry is one way (one pair of row states).
    let ones = vec![1.0f64; n * n];
    for r in 0..l - 1 {
        let by_difference: Vec<f32> = (0..n).map(|d| couplings.vert(r, d) as f32).collect();
        for (s, row) in transfer.chunks_exact_mut(n).enumerate() {
            for (t, x) in row.iter_mut().enumerate() {
                *x = by_difference[s ^ t];
            }
        }
        counting::gemm::<CountingMax<f32>>(
            CountingRef::new(
                MatRef::row_major(&v, 1, n)?,
                MatRef::row_major(&ways, 1, n)?,
            )?,
            CountingRef::new(
                MatRef::row_major(&transfer, n, n)?,
                MatRef::row_major(&ones, n, n)?,
            )?,
            CountingMut::new(
                MatMut::row_major(&mut next, 1, n)?,
                MatMut::row_major(&mut next_ways, 1, n)?,
            )?,
            Accum::Replace,
        )?;
        for (t, x) in next.iter_mut().enumerate() {
            *x += couplings.intra(r + 1, t) as f32;
        }
        std::mem::swap(&mut v, &mut next);
        std::mem::swap(&mut ways, &mut next_ways);
    }
    // ⊕ over the last row's states: the best value, its ways summed.
    let best = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let count = v
        .iter()
        .zip(&ways)
        .filter(|(x, _)| **x == best)
        .map(|(_, c)| c)
        .sum();
    Ok((best as i32, count))
}

/// Spins (±1, row-major) from row states: bit c of row r set = spin +1.
fn spins_from_rows(rows: &[usize], l: usize) -> Vec<i32> {
    rows.iter()
        .flat_map(|&state| (0..l).map(move |c| if (state >> c) & 1 == 1 { 1 } else { -1 }))
        .collect()
}

/// The minimum energy over all 2^(L·L) configurations, and how many reach
/// it: an answer that shares nothing with the contraction.
fn brute_force(couplings: &Couplings) -> (i32, u64) {
    let sites = couplings.l * couplings.l;
    let mut spins = vec![0i32; sites];
    let (mut minimum, mut count) = (i32::MAX, 0);
    for config in 0u64..1 << sites {
        for (i, s) in spins.iter_mut().enumerate() {
            *s = if (config >> i) & 1 == 1 { 1 } else { -1 };
        }
        let e = couplings.energy(&spins);
        if e < minimum {
            (minimum, count) = (e, 1);
        } else if e == minimum {
            count += 1;
        }
    }
    (minimum, count)
}
