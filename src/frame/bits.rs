//! The bit-packed or-and product's loops: blocks of 512 columns, k-blocks
//! of [`K_BLOCK`] rows of B, and the split among threads. ISA-blind: the
//! two kernel steps come as `#[target_feature]` entries from the binding.
//!
//! For each column block (the outer loop), the driver copies the task's
//! rows of C at that block into one contiguous buffer (up to
//! [`PASS_ROWS`] rows at a time); then for each k-block it packs the
//! k-block's rows of B (zeros past k, the edge word masked to C's
//! columns), has the kernel build its tables (40 KiB, in a 48 KiB L1),
//! and runs every row of the buffer past them; then it copies the buffer
//! back. Every step is an OR, so any split among tasks and any
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
            let copy = BlockCopy {
                words,
                // The entries' bits of the block's last word.
                last_mask: match first_word + words == n_words {
                    true => last_word_mask(n),
                    false => !0,
                },
                replace: accum == Accum::Replace,
            };
            for pass0 in (0..rows).step_by(PASS_ROWS) {
                let pass_rows = PASS_ROWS.min(rows - pass0);
                let c_rows = c_base
                    .get()
                    .wrapping_add((first_row + pass0) * c_stride + first_word);
                let c_block = &mut c_block[..pass_rows * BLOCK_WORDS];
                // SAFETY: rows first_row + pass0.. of C, pass_rows of them
                // (c_block's), hold words first_word..first_word + words
                // (≤ n_words), which no other task reads or writes (tasks
                // split rows × blocks).
                unsafe { copy.fill_block(c_rows, c_stride, c_block) };
                for kb in 0..k.div_ceil(K_BLOCK) {
                    pack_b_block(&b, kb * K_BLOCK, first_word, words, packed);
                    // SAFETY: `packed` holds K_BLOCK·BLOCK_WORDS words and
                    // `tables` TABLES·TABLE_WORDS; the entry may run here
                    // (caller).
                    unsafe { (entries.tables)(packed.as_ptr(), tables.as_mut_ptr()) };
                    let job = LookupJob {
                        tables: tables.as_ptr(),
                        a: a_fields[kb * rows + pass0..].as_ptr(),
                        c: c_block.as_mut_ptr(),
                        rows: pass_rows,
                    };
                    // SAFETY: `a_fields` holds `rows` values from each
                    // k-block's start, so pass_rows from pass0; `c_block`
                    // pass_rows·BLOCK_WORDS words; the tables were just
                    // built.
                    unsafe { (entries.lookups)(&job) };
                }
                // SAFETY: as the copy in.
                unsafe { copy.back_to_c(c_rows, c_stride, c_block) };
            }
        }
    };
    crate::frame::run_tasks(col_tasks * row_tasks, run_task);
    Ok(())
}

/// Rows of C one pass over the k-blocks takes at one column block: their
/// copy is 256 KiB, in L2, and the tables are built again for each pass
/// (a few per cent of the lookups' work when a task has more rows).
const PASS_ROWS: usize = 4096;

/// One task's buffers: its rows of A as k-block fields, one packed
/// k-block of B, its tables, and up to PASS_ROWS of its rows of C at one
/// column block.
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
            c_block: try_zeroed_line_aligned(rows.min(PASS_ROWS) * BLOCK_WORDS)?,
        })
    }
}

/// A's rows first_row..last_row as one `u64` per (k-block, row), k-block
/// major, into `fields` (⌈k / K_BLOCK⌉ · rows words): bits K_BLOCK·kb ..
/// K_BLOCK·(kb + 1) of the row (bits past k are whatever A's last word
/// holds there: they select table entries of zero rows, see
/// `pack_b_block`).
fn pack_a_fields(a: &BitMatRef<'_>, first_row: usize, last_row: usize, fields: &mut [u64]) {
    const MASK: u64 = u64::MAX >> (64 - K_BLOCK);
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

/// How a task's rows of C at one column block go into its buffer
/// (BLOCK_WORDS words a row, zeros after `words`) and back. The kernel
/// then reads C's rows in sequence: in place, the 64 bytes of each
/// 512-byte row at n = 4096 spread a task's rows over 2 MiB and a few L1
/// sets, and the product ran 1.4× slower.
struct BlockCopy {
    /// Words of C the block covers.
    words: usize,
    /// The bits of the block's last word that are entries.
    last_mask: u64,
    /// Under `Accum::Replace` the entries start as zeros, not as read.
    replace: bool,
}

impl BlockCopy {
    /// Fills `block` from the rows of C at `c`, `c_stride` words apart (one
    /// per BLOCK_WORDS words of `block`). Under Replace only the bits of
    /// the last word that are not entries are read, and kept.
    ///
    /// # Safety
    /// Each of those rows holds `words` words at `c`, which nobody writes
    /// during the call.
    unsafe fn fill_block(&self, c: *const u64, c_stride: usize, block: &mut [u64]) {
        let last = self.words - 1;
        for (r, row) in block.chunks_exact_mut(BLOCK_WORDS).enumerate() {
            // SAFETY: row r of the rows the caller names (r < their count,
            // as `block` holds one per BLOCK_WORDS words).
            let c_row = unsafe { std::slice::from_raw_parts(c.add(r * c_stride), self.words) };
            row.fill(0);
            if self.replace {
                row[last] = c_row[last] & !self.last_mask;
            } else {
                row[..self.words].copy_from_slice(c_row);
            }
        }
    }

    /// Writes `block` back to the rows of C [`Self::fill_block`] read.
    ///
    /// # Safety
    /// Each of those rows holds `words` words at `c`, which nobody else
    /// reads or writes during the call.
    unsafe fn back_to_c(&self, c: *mut u64, c_stride: usize, block: &[u64]) {
        for (r, row) in block.chunks_exact(BLOCK_WORDS).enumerate() {
            // SAFETY: row r of the rows the caller names, as above.
            let c_row = unsafe { std::slice::from_raw_parts_mut(c.add(r * c_stride), self.words) };
            c_row.copy_from_slice(&row[..self.words]);
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
