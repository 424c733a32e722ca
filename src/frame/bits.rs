//! The bit-packed or-and product's loops: blocks of 512 columns, k-blocks
//! of 32 rows of B, and the split among threads. ISA-blind: the two
//! kernel steps come as `#[target_feature]` entries from the binding.
//!
//! For each column block (the outer loop) and each group of
//! [`GROUP_BLOCKS`] k-blocks, the driver packs each k-block's 32 rows of B
//! (zeros past k, the edge word masked to C's columns) and has the kernel
//! build its tables; then each chunk of [`ROW_CHUNK`] rows of the task's C
//! block takes the whole group while it sits in L1. Every step is an OR,
//! so any split among tasks and any order gives the same bits: the result
//! is exact at every thread count.

use crate::bit_view::{BitMatMut, BitMatRef, last_word_mask, words_per_row};
use crate::config::Accum;
use crate::error::Error;
use crate::kernels::bits::{BLOCK_WORDS, K_BLOCK, LookupJob, TABLE_WORDS, TABLES};
use crate::workspace::{SharedPtr, try_filled_vec, try_zeroed_line_aligned};
use aligned_vec::{AVec, ConstAlign};
use std::sync::Mutex;

/// A kernel's two steps, compiled for one ISA by the binding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BitEntries {
    /// `build_tables` (packed rows, tables).
    pub tables: unsafe fn(*const u64, *mut u64),
    /// `lookup_rows`.
    pub lookups: unsafe fn(&LookupJob),
}

/// `C = A·B` (Replace) or `C |= A·B` (Combine) over the or-and semiring,
/// in `threads` tasks. Every task's buffers are allocated before C is
/// touched, so a failed allocation leaves C as it was.
///
/// # Safety
/// `entries` may run on this CPU (the binding checked its ISA); the shapes
/// agree (A m×k, B k×n, C m×n).
pub(crate) unsafe fn bit_product(
    entries: BitEntries,
    threads: usize,
    a: BitMatRef<'_>,
    b: BitMatRef<'_>,
    mut c: BitMatMut<'_>,
    accum: Accum,
) -> Result<(), Error> {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    assert!(b.rows() == k && c.rows() == m && c.cols() == n);
    if m == 0 || n == 0 || k == 0 {
        if accum == Accum::Replace {
            c.clear_entries();
        }
        return Ok(());
    }
    let n_words = words_per_row(n);
    let blocks = n_words.div_ceil(BLOCK_WORDS);
    // Columns first: tasks over column blocks share no table. Rows only
    // when there are fewer blocks than threads (each row task builds the
    // same tables again).
    let col_tasks = threads.clamp(1, blocks);
    let row_tasks = (threads / col_tasks).clamp(1, m);
    let rows_of = |task: usize| crate::frame::split(m, row_tasks, task / col_tasks);
    let buffers = (0..col_tasks * row_tasks)
        .map(|task| {
            let (first_row, last_row) = rows_of(task);
            TaskBuffers::new(k, last_row - first_row).map(Mutex::new)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    if accum == Accum::Replace {
        c.clear_entries();
    }
    let c_stride = c.row_stride();
    let c_base = SharedPtr(c.as_mut_ptr());
    let run_task = |task: usize| {
        let (first_row, last_row) = rows_of(task);
        let (first_block, last_block) = crate::frame::split(blocks, col_tasks, task % col_tasks);
        let rows = last_row - first_row;
        // Each task locks only its own buffers: never contended, and never
        // poisoned but by a panic, which run_tasks propagates anyway.
        let mut buffers = buffers[task]
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let TaskBuffers {
            a_pairs,
            packed,
            tables,
        } = &mut *buffers;
        pack_a_pairs(&a, first_row, last_row, a_pairs);
        let k_blocks = k.div_ceil(K_BLOCK);
        for block in first_block..last_block {
            let first_word = block * BLOCK_WORDS;
            let words = BLOCK_WORDS.min(n_words - first_word);
            for kb0 in (0..k_blocks).step_by(GROUP_BLOCKS) {
                let group = GROUP_BLOCKS.min(k_blocks - kb0);
                for g in 0..group {
                    pack_b_block(&b, (kb0 + g) * K_BLOCK, first_word, words, packed);
                    let tables = tables[g * TABLES * TABLE_WORDS..].as_mut_ptr();
                    // SAFETY: `packed` holds K_BLOCK·BLOCK_WORDS words and
                    // `tables` TABLES·TABLE_WORDS from there (GROUP_BLOCKS
                    // sets); the entry may run here (caller).
                    unsafe { (entries.tables)(packed.as_ptr(), tables) };
                }
                for r0 in (0..rows).step_by(ROW_CHUNK) {
                    for g in 0..group {
                        let job = LookupJob {
                            tables: tables[g * TABLES * TABLE_WORDS..].as_ptr(),
                            a: a_pairs[(kb0 + g) * rows + r0..].as_ptr(),
                            // In bounds: row first_row + r0 < m is in C.
                            c: c_base
                                .get()
                                .wrapping_add((first_row + r0) * c_stride + first_word),
                            c_stride,
                            rows: ROW_CHUNK.min(rows - r0),
                            words,
                        };
                        // SAFETY: `a_pairs` holds `rows` values from each
                        // k-block's start (one per row and k-block), so
                        // the chunk's from r0; C's rows of the job hold
                        // words first_word..first_word + words (<
                        // n_words), which no other task writes (tasks
                        // split rows × blocks); the tables were just
                        // built.
                        unsafe { (entries.lookups)(&job) };
                    }
                }
            }
        }
    };
    crate::frame::run_tasks(col_tasks * row_tasks, run_task);
    Ok(())
}

/// k-blocks whose tables are built together (16 × 64 KiB, in L2): a
/// chunk of [`ROW_CHUNK`] rows of C then takes all of them while it sits
/// in L1. One k-block at a time, every row of C's block (256 KiB at
/// n = 4096) came from L2 and went back for each 32 values of k.
const GROUP_BLOCKS: usize = 16;
/// Rows of C one pass over a group of k-blocks updates: 64 rows of one
/// column block are 4 KiB.
const ROW_CHUNK: usize = 64;

/// One task's buffers: its rows of A as pairs, one packed k-block of B
/// and the tables of a group of k-blocks.
struct TaskBuffers {
    a_pairs: Vec<u64>,
    packed: Vec<u64>,
    tables: AVec<u64, ConstAlign<64>>,
}

impl TaskBuffers {
    /// For a task of `rows` rows of A, k deep.
    fn new(k: usize, rows: usize) -> Result<Self, Error> {
        let group = GROUP_BLOCKS.min(k.div_ceil(K_BLOCK));
        Ok(Self {
            a_pairs: try_filled_vec(k.div_ceil(K_BLOCK).saturating_mul(rows), 0)?,
            packed: try_filled_vec(K_BLOCK * BLOCK_WORDS, 0)?,
            // A group's tables (no more k-blocks than k has), on cache
            // lines: a `Vec<u64>` aligns to 8 bytes, and a 64-byte entry
            // across two lines costs two loads.
            tables: try_zeroed_line_aligned(group * TABLES * TABLE_WORDS)?,
        })
    }
}

/// A's rows first_row..last_row as one `u64` per (k-block, row), k-block
/// major, into `pairs` (⌈k / K_BLOCK⌉ · rows words): bytes TABLES·kb + t
/// of each row in its byte t (0 past ⌈k / 8⌉; bits past k within a byte
/// select table entries of zero rows, see `pack_b_block`).
fn pack_a_pairs(a: &BitMatRef<'_>, first_row: usize, last_row: usize, pairs: &mut [u64]) {
    let k_blocks = a.cols().div_ceil(K_BLOCK);
    let bytes = a.cols().div_ceil(8);
    let rows = last_row - first_row;
    for (r, i) in (first_row..last_row).enumerate() {
        let row = a.row(i).expect("a row of A");
        let byte = |b: usize| {
            if b < bytes {
                row[b / 8] >> (8 * (b % 8)) & 0xFF
            } else {
                0
            }
        };
        for kb in 0..k_blocks {
            pairs[kb * rows + r] =
                (0..TABLES).fold(0, |acc, t| acc | byte(TABLES * kb + t) << (8 * t));
        }
    }
}

/// Packs rows k0..k0 + K_BLOCK of B, words first_word..first_word + words,
/// into `packed` (BLOCK_WORDS words a row): zeros past k and past `words`,
/// and B's last word masked to its columns, so the tables never hold a bit
/// C must not receive.
fn pack_b_block(b: &BitMatRef<'_>, k0: usize, first_word: usize, words: usize, packed: &mut [u64]) {
    let n_words = b.words_per_row();
    let mask = last_word_mask(b.cols());
    for (kk, dst) in packed.chunks_exact_mut(BLOCK_WORDS).enumerate() {
        dst.fill(0);
        if let Some(row) = b.row(k0 + kk) {
            dst[..words].copy_from_slice(&row[first_word..first_word + words]);
            if first_word + words == n_words {
                dst[words - 1] &= mask;
            }
        }
    }
}
