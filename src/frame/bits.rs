//! The bit-packed or-and product's loops: blocks of 512 columns, k-blocks
//! of [`K_BLOCK`] rows of B, and the split among threads. ISA-blind: the
//! two kernel steps come as `#[target_feature]` entries from the binding.
//!
//! For each column block (the outer loop), the driver copies the task's
//! rows of C at that block into one contiguous buffer; then for each
//! k-block it packs the k-block's rows of B (zeros past k, the edge word
//! masked to C's columns), has the kernel build its tables (40 KiB, in
//! L1), and runs every row of the buffer past them; then it copies the
//! buffer back. Every step is an OR, so any split among tasks and any
//! order gives the same bits: the result is exact at every thread count.

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
            a_fields,
            packed,
            tables,
            c_block,
        } = &mut *buffers;
        pack_a_fields(&a, first_row, last_row, a_fields);
        for block in first_block..last_block {
            let first_word = block * BLOCK_WORDS;
            let words = BLOCK_WORDS.min(n_words - first_word);
            let c_rows = c_base.get().wrapping_add(first_row * c_stride + first_word);
            // SAFETY: rows first_row..last_row of C hold words first_word..
            // first_word + words (< n_words), which no other task reads or
            // writes (tasks split rows × blocks); `c_block` holds `rows`
            // blocks.
            unsafe { copy_c_block(c_rows, c_stride, words, c_block, rows, CopyTo::Block) };
            for kb in 0..k.div_ceil(K_BLOCK) {
                pack_b_block(&b, kb * K_BLOCK, first_word, words, packed);
                // SAFETY: `packed` holds K_BLOCK·BLOCK_WORDS words and
                // `tables` TABLES·TABLE_WORDS; the entry may run here
                // (caller).
                unsafe { (entries.tables)(packed.as_ptr(), tables.as_mut_ptr()) };
                let job = LookupJob {
                    tables: tables.as_ptr(),
                    a: a_fields[kb * rows..].as_ptr(),
                    c: c_block.as_mut_ptr(),
                    rows,
                };
                // SAFETY: `a_fields` holds `rows` values from each
                // k-block's start, `c_block` rows·BLOCK_WORDS words; the
                // tables were just built.
                unsafe { (entries.lookups)(&job) };
            }
            // SAFETY: as the copy in.
            unsafe { copy_c_block(c_rows, c_stride, words, c_block, rows, CopyTo::C) };
        }
    };
    crate::frame::run_tasks(col_tasks * row_tasks, run_task);
    Ok(())
}

/// One task's buffers: its rows of A as k-block fields, one packed
/// k-block of B, its tables, and the task's rows of C at one column block.
struct TaskBuffers {
    a_fields: Vec<u64>,
    packed: Vec<u64>,
    tables: AVec<u64, ConstAlign<64>>,
    c_block: AVec<u64, ConstAlign<64>>,
}

impl TaskBuffers {
    /// For a task of `rows` rows of A, k deep.
    fn new(k: usize, rows: usize) -> Result<Self, Error> {
        Ok(Self {
            a_fields: try_filled_vec(k.div_ceil(K_BLOCK).saturating_mul(rows), 0)?,
            packed: try_filled_vec(K_BLOCK * BLOCK_WORDS, 0)?,
            // On cache lines: a `Vec<u64>` aligns to 8 bytes, and a 64-byte
            // entry across two lines costs two loads.
            tables: try_zeroed_line_aligned(TABLES * TABLE_WORDS)?,
            c_block: try_zeroed_line_aligned(rows.saturating_mul(BLOCK_WORDS))?,
        })
    }
}

/// A's rows first_row..last_row as one `u64` per (k-block, row), k-block
/// major, into `fields` (⌈k / K_BLOCK⌉ · rows words): bits K_BLOCK·kb ..
/// K_BLOCK·(kb + 1) of the row (bits past k are whatever A's last word
/// holds there: they select table entries of zero rows, see
/// `pack_b_block`).
fn pack_a_fields(a: &BitMatRef<'_>, first_row: usize, last_row: usize, fields: &mut [u64]) {
    const MASK: u64 = if K_BLOCK == 64 {
        !0
    } else {
        (1 << K_BLOCK) - 1
    };
    let k_blocks = a.cols().div_ceil(K_BLOCK);
    let rows = last_row - first_row;
    for (r, i) in (first_row..last_row).enumerate() {
        let row = a.row(i).expect("a row of A");
        let word = |w: usize| row.get(w).copied().unwrap_or(0);
        for kb in 0..k_blocks {
            let (w, shift) = (kb * K_BLOCK / 64, kb * K_BLOCK % 64);
            let high = if shift == 0 {
                0
            } else {
                word(w + 1) << (64 - shift)
            };
            fields[kb * rows + r] = (word(w) >> shift | high) & MASK;
        }
    }
}

/// Which way [`copy_c_block`] copies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CopyTo {
    Block,
    C,
}

/// Copies `words` words of each of `rows` rows of C (from `c`, `c_stride`
/// words apart) to `block` (BLOCK_WORDS words a row, zeros after
/// `words`), or back. The kernel then reads C's rows in sequence: in
/// place, 64 bytes of each 512-byte row at n = 4096 spread a task's rows
/// over 2 MiB and a few L1 sets, and the product ran 1.7× slower.
///
/// # Safety
/// Those rows hold `words` words at `c`, which nobody else touches during
/// the call; `block` holds `rows · BLOCK_WORDS` words.
unsafe fn copy_c_block(
    c: *mut u64,
    c_stride: usize,
    words: usize,
    block: &mut [u64],
    rows: usize,
    to: CopyTo,
) {
    for (r, row) in block[..rows * BLOCK_WORDS]
        .chunks_exact_mut(BLOCK_WORDS)
        .enumerate()
    {
        // SAFETY: row r of the rows the caller names.
        let c_row = unsafe { std::slice::from_raw_parts_mut(c.add(r * c_stride), words) };
        match to {
            CopyTo::Block => {
                row[..words].copy_from_slice(c_row);
                row[words..].fill(0);
            }
            CopyTo::C => c_row.copy_from_slice(&row[..words]),
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
