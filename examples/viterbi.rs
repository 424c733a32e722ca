//! Viterbi decoding of a hidden Markov model with the max-plus product,
//! for a batch of sequences at once, checked against a direct dynamic
//! program.
//!
//! ```text
//! cargo run --release --example viterbi              # 256 states, 32 sequences of 200 steps
//! cargo run --release --example viterbi -- 64 8 50   # states, sequences, steps
//! ```
//!
//! With δ_t the (sequences × states) matrix of best log-probabilities of
//! paths ending in each state at step t,
//! `δ_t = (δ_{t-1} ⊗ log A) + log B[·, o_t]` in (max, +), and the argmax of
//! each entry is the best previous state: the backpointer. One
//! `gemm_argmax` per step decodes every sequence of the batch.

use std::time::Instant;

use tropical_blas::{Accum, MatMut, MatRef, MaxPlus, gemm_argmax};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// An index drawn from the (normalised) probabilities `p`.
    fn pick(&mut self, p: &[f64]) -> usize {
        let mut u = self.unit();
        for (i, &pi) in p.iter().enumerate() {
            if u < pi {
                return i;
            }
            u -= pi;
        }
        p.len() - 1
    }
}

/// A model whose states mostly move to a few favourite successors and
/// emit a few favourite symbols, so the hidden path is recoverable.
struct Hmm {
    states: usize,
    symbols: usize,
    /// states × states, row-major: P(next = j | now = i).
    transition: Vec<f64>,
    /// states × symbols, row-major: P(symbol | state).
    emission: Vec<f64>,
}

impl Hmm {
    fn generate(states: usize, symbols: usize, rng: &mut Rng) -> Self {
        let peaked = |len: usize, favourites: usize, rng: &mut Rng| {
            // A little mass everywhere (every path stays possible), most
            // of it on the favourites.
            let mut row: Vec<f64> = (0..len).map(|_| 0.2 * rng.unit() / len as f64).collect();
            for _ in 0..favourites {
                row[rng.next() as usize % len] += 1.0 + rng.unit();
            }
            let total: f64 = row.iter().sum();
            row.iter().map(|x| x / total).collect::<Vec<_>>()
        };
        let transition = (0..states).flat_map(|_| peaked(states, 3, rng)).collect();
        let emission = (0..states).flat_map(|_| peaked(symbols, 2, rng)).collect();
        Hmm {
            states,
            symbols,
            transition,
            emission,
        }
    }

    /// A hidden state path and its observations, starting anywhere.
    fn sample(&self, steps: usize, rng: &mut Rng) -> (Vec<usize>, Vec<usize>) {
        let mut state = rng.next() as usize % self.states;
        let (mut path, mut observed) = (Vec::new(), Vec::new());
        for _ in 0..steps {
            path.push(state);
            observed.push(rng.pick(&self.emission[state * self.symbols..][..self.symbols]));
            state = rng.pick(&self.transition[state * self.states..][..self.states]);
        }
        (path, observed)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse()
                .map_err(|_| format!("expected a number, got {a:?}"))
        })
        .collect::<Result<_, _>>()?;
    let (states, batch, steps) = match args[..] {
        [] => (256, 32, 200),
        [s, b, t] if s > 0 && b > 0 && t > 0 => (s, b, t),
        _ => return Err("usage: viterbi [states sequences steps], all at least 1".into()),
    };
    let symbols = states.min(64);
    let mut rng = Rng(0x5EED_CAFE);
    let hmm = Hmm::generate(states, symbols, &mut rng);
    let samples: Vec<_> = (0..batch).map(|_| hmm.sample(steps, &mut rng)).collect();
    let log_a: Vec<f32> = hmm.transition.iter().map(|p| p.ln() as f32).collect();
    let log_b: Vec<f32> = hmm.emission.iter().map(|p| p.ln() as f32).collect();
    let log_start = -(states as f32).ln(); // uniform start
    println!("HMM: {states} states, {symbols} symbols; {batch} sequences of {steps} steps");

    // Max-plus: one (batch × states) ⊗ (states × states) product per step.
    let start = Instant::now();
    let mut delta: Vec<f32> = (0..batch * states)
        .map(|bs| log_start + log_b[(bs % states) * symbols + samples[bs / states].1[0]])
        .collect();
    let mut next = vec![0.0f32; batch * states];
    let mut backpointers = vec![0u32; (steps - 1) * batch * states];
    for t in 1..steps {
        let back = &mut backpointers[(t - 1) * batch * states..][..batch * states];
        gemm_argmax::<MaxPlus<f32>>(
            MatRef::row_major(&delta, batch, states)?,
            MatRef::row_major(&log_a, states, states)?,
            MatMut::row_major(&mut next, batch, states)?,
            MatMut::row_major(back, batch, states)?,
            Accum::Replace,
        )?;
        for (bs, value) in next.iter_mut().enumerate() {
            *value += log_b[(bs % states) * symbols + samples[bs / states].1[t]];
        }
        std::mem::swap(&mut delta, &mut next);
    }
    let decoded: Vec<(f32, Vec<usize>)> = (0..batch)
        .map(|b| {
            backtrack(
                &delta[b * states..][..states],
                &backpointers,
                b,
                batch,
                states,
            )
        })
        .collect();
    let elapsed = start.elapsed().as_secs_f64();
    let ops = ((steps - 1) * batch * states * states) as f64;
    println!(
        "max-plus Viterbi: {} products in {elapsed:.3} s ({:.2} G tropical-ops/s, backtracking included)",
        steps - 1,
        ops / elapsed / 1e9
    );

    let start = Instant::now();
    for (b, (score, path)) in decoded.iter().enumerate() {
        let (want_score, want_path) =
            direct_viterbi(&log_a, &log_b, log_start, symbols, &samples[b].1);
        if score.to_bits() != want_score.to_bits() || *path != want_path {
            return Err(format!(
                "sequence {b}: max-plus gives score {score} and a different path than the direct program ({want_score})"
            )
            .into());
        }
    }
    println!(
        "direct dynamic program: {:.3} s; all {batch} paths and scores identical (bit for bit)",
        start.elapsed().as_secs_f64()
    );
    let recovered: usize = decoded
        .iter()
        .zip(&samples)
        .map(|((_, path), (truth, _))| path.iter().zip(truth).filter(|(a, b)| a == b).count())
        .sum();
    println!(
        "decoded states equal to the hidden ones: {:.1}%",
        100.0 * recovered as f64 / (batch * steps) as f64
    );
    Ok(())
}

/// The best final state (smallest on ties) and the path back through the
/// stored argmax indices.
fn backtrack(
    last: &[f32],
    backpointers: &[u32],
    b: usize,
    batch: usize,
    states: usize,
) -> (f32, Vec<usize>) {
    let (mut state, mut score) = (0, f32::NEG_INFINITY);
    for (s, &v) in last.iter().enumerate() {
        if v > score {
            (state, score) = (s, v);
        }
    }
    let steps = backpointers.len() / (batch * states) + 1;
    let mut path = vec![state; steps];
    for t in (1..steps).rev() {
        state = backpointers[(t - 1) * batch * states + b * states + state] as usize;
        path[t - 1] = state;
    }
    (score, path)
}

/// The textbook recursion, one sequence at a time, scanning previous
/// states in order with a strict `>` (so ties keep the smallest state):
/// the same additions in the same order as the max-plus product.
fn direct_viterbi(
    log_a: &[f32],
    log_b: &[f32],
    log_start: f32,
    symbols: usize,
    observed: &[usize],
) -> (f32, Vec<usize>) {
    let states = log_b.len() / symbols;
    // Aᵀ, so the scan over previous states reads memory in order; the
    // values and their order are unchanged.
    let log_a_t: Vec<f32> = (0..states * states)
        .map(|ji| log_a[(ji % states) * states + ji / states])
        .collect();
    let mut delta: Vec<f32> = (0..states)
        .map(|s| log_start + log_b[s * symbols + observed[0]])
        .collect();
    let mut back = vec![vec![0usize; states]; observed.len()];
    for (t, &symbol) in observed.iter().enumerate().skip(1) {
        let mut next = vec![0.0f32; states];
        for j in 0..states {
            let (mut best, mut arg) = (f32::NEG_INFINITY, 0);
            for (i, (&d, &a)) in delta
                .iter()
                .zip(&log_a_t[j * states..][..states])
                .enumerate()
            {
                let through = d + a;
                if through > best {
                    (best, arg) = (through, i);
                }
            }
            next[j] = best + log_b[j * symbols + symbol];
            back[t][j] = arg;
        }
        delta = next;
    }
    let (mut state, mut score) = (0, f32::NEG_INFINITY);
    for (s, &v) in delta.iter().enumerate() {
        if v > score {
            (state, score) = (s, v);
        }
    }
    let mut path = vec![state; observed.len()];
    for t in (1..observed.len()).rev() {
        state = back[t][state];
        path[t - 1] = state;
    }
    (score, path)
}
