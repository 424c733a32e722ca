//! The bit-packed or-and kernels: the Method of Four Russians on blocks of
//! [`BLOCK_WORDS`] words (512 columns).
//!
//! # Why tables
//! The direct product ORs row k of B into row i of C for every set bit
//! A[i, k]: one vector OR per (i, k) and 512 columns, so at best 1 k per
//! instruction. Here the driver gives the kernel [`TABLES`] groups of 8
//! rows of B at a time, and [`build_tables`] ORs every subset of each
//! group once (256 entries, each one OR of an earlier entry and one row).
//! Then a row of C takes the whole k-block of 32 in one step:
//! `c |= T0[byte 0 of A] | T1[byte 1] | T2[byte 2] | T3[byte 3]`, four
//! loads and two `vpternlogq` (imm 0xFE, a three-way OR) on AVX-512:
//! 16·512 entry operations per instruction where the direct product does
//! 512. The tables (4 × 256 × 64 B = 64 KiB) sit in L1 and L2; building
//! them costs 1024 ORs per block, repaid once the product has a few dozen
//! rows.
//!
//! The kernels know nothing of loops over blocks or threads: they fill
//! the tables of one block, and update rows of one block of C.

/// Words of C (and of B) one block covers: one zmm, two ymm, eight u64.
pub(crate) const BLOCK_WORDS: usize = 8;
/// Rows of B in one table: one byte of A indexes it.
pub(crate) const GROUP_ROWS: usize = 8;
/// Tables per k-block: four, so a row of C is loaded and stored once per
/// 32 values of k (two three-way ORs of two lookups each); with two, C's
/// traffic from L2 held the product at 6× the byte kernel.
pub(crate) const TABLES: usize = 4;
/// Rows of B (values of k) one block of tables covers.
pub(crate) const K_BLOCK: usize = GROUP_ROWS * TABLES;
/// Words of one table: 256 entries of one block.
pub(crate) const TABLE_WORDS: usize = 256 * BLOCK_WORDS;

/// One block of [`BLOCK_WORDS`] words in registers, and the ORs on it.
///
/// # Safety
/// The methods may run the ISA's instructions: call them inside a function
/// compiled with (and run on a CPU with) its features.
pub(crate) trait WordBlock: Copy {
    /// Loads `BLOCK_WORDS` words from `p` (any alignment).
    unsafe fn load(p: *const u64) -> Self;
    /// Stores `BLOCK_WORDS` words to `p` (any alignment).
    unsafe fn store(self, p: *mut u64);
    /// `self | x`.
    unsafe fn or(self, x: Self) -> Self;
    /// `self | x | y`.
    unsafe fn or3(self, x: Self, y: Self) -> Self;
}

/// The portable block: eight words (the compiler vectorizes it with the
/// baseline SSE2).
#[derive(Clone, Copy)]
pub(crate) struct PortableBlock([u64; BLOCK_WORDS]);

impl WordBlock for PortableBlock {
    #[inline(always)]
    unsafe fn load(p: *const u64) -> Self {
        // SAFETY: the caller passes BLOCK_WORDS readable words at p.
        Self(unsafe { p.cast::<[u64; BLOCK_WORDS]>().read_unaligned() })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u64) {
        // SAFETY: the caller passes BLOCK_WORDS writable words at p.
        unsafe { p.cast::<[u64; BLOCK_WORDS]>().write_unaligned(self.0) }
    }
    #[inline(always)]
    unsafe fn or(self, x: Self) -> Self {
        Self(std::array::from_fn(|w| self.0[w] | x.0[w]))
    }
    #[inline(always)]
    unsafe fn or3(self, x: Self, y: Self) -> Self {
        Self(std::array::from_fn(|w| self.0[w] | x.0[w] | y.0[w]))
    }
}

/// The AVX2 block: two ymm registers.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct Avx2Block([std::arch::x86_64::__m256i; 2]);

#[cfg(target_arch = "x86_64")]
impl WordBlock for Avx2Block {
    #[inline(always)]
    unsafe fn load(p: *const u64) -> Self {
        use std::arch::x86_64::*;
        // SAFETY: 8 readable words at p (caller); AVX enabled by the caller.
        unsafe {
            Self([
                _mm256_loadu_si256(p.cast()),
                _mm256_loadu_si256(p.add(4).cast()),
            ])
        }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u64) {
        use std::arch::x86_64::*;
        // SAFETY: 8 writable words at p (caller); AVX enabled by the caller.
        unsafe {
            _mm256_storeu_si256(p.cast(), self.0[0]);
            _mm256_storeu_si256(p.add(4).cast(), self.0[1]);
        }
    }
    #[inline(always)]
    unsafe fn or(self, x: Self) -> Self {
        use std::arch::x86_64::*;
        // SAFETY: AVX2 enabled by the caller.
        unsafe {
            Self([
                _mm256_or_si256(self.0[0], x.0[0]),
                _mm256_or_si256(self.0[1], x.0[1]),
            ])
        }
    }
    #[inline(always)]
    unsafe fn or3(self, x: Self, y: Self) -> Self {
        // SAFETY: forwarded contract.
        unsafe { self.or(x).or(y) }
    }
}

/// The AVX-512 block: one zmm register.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct Avx512Block(std::arch::x86_64::__m512i);

#[cfg(target_arch = "x86_64")]
impl WordBlock for Avx512Block {
    #[inline(always)]
    unsafe fn load(p: *const u64) -> Self {
        use std::arch::x86_64::*;
        // SAFETY: 8 readable words at p (caller); AVX-512F enabled by the caller.
        unsafe { Self(_mm512_loadu_si512(p.cast())) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u64) {
        use std::arch::x86_64::*;
        // SAFETY: 8 writable words at p (caller); AVX-512F enabled by the caller.
        unsafe { _mm512_storeu_si512(p.cast(), self.0) }
    }
    #[inline(always)]
    unsafe fn or(self, x: Self) -> Self {
        use std::arch::x86_64::*;
        // SAFETY: AVX-512F enabled by the caller.
        unsafe { Self(_mm512_or_si512(self.0, x.0)) }
    }
    #[inline(always)]
    unsafe fn or3(self, x: Self, y: Self) -> Self {
        use std::arch::x86_64::*;
        // 0xFE: the truth table of a | b | c (every input row but 000).
        // SAFETY: AVX-512F enabled by the caller.
        unsafe { Self(_mm512_ternarylogic_epi64::<0xFE>(self.0, x.0, y.0)) }
    }
}

/// Fills [`TABLES`] tables from `K_BLOCK` packed rows of B (`BLOCK_WORDS`
/// words each, row after row): entry s of table t is the OR of the rows
/// `8t + b` for the bits b set in s (entry 0 is zero).
///
/// # Safety
/// `rows` holds `K_BLOCK · BLOCK_WORDS` readable words, `tables`
/// `TABLES · TABLE_WORDS` writable ones; `B`'s ISA is enabled.
#[inline(always)]
pub(crate) unsafe fn build_tables<B: WordBlock>(rows: *const u64, tables: *mut u64) {
    // SAFETY: every offset stays inside the two buffers (t < TABLES,
    // entries < 256, rows < K_BLOCK).
    unsafe {
        for t in 0..TABLES {
            let table = tables.add(t * TABLE_WORDS);
            let group = rows.add(t * GROUP_ROWS * BLOCK_WORDS);
            table.write_bytes(0, BLOCK_WORDS);
            // Entries [2^b, 2^(b+1)) are entries [0, 2^b) with row b added.
            for b in 0..GROUP_ROWS {
                let row = B::load(group.add(b * BLOCK_WORDS));
                let half = 1usize << b;
                for s in 0..half {
                    let entry = B::load(table.add(s * BLOCK_WORDS)).or(row);
                    entry.store(table.add((half + s) * BLOCK_WORDS));
                }
            }
        }
    }
}

/// One k-block of rows of C over one block of columns: for each row r,
/// `C[r] |= T0[A byte g] | T1[A byte g + 1]` on the first `words` words.
pub(crate) struct LookupJob {
    /// The tables of this k-block ([`build_tables`]).
    pub tables: *const u64,
    /// The job's rows of A at this k-block, packed by the driver: one
    /// `u64` a row, its byte t indexing table t. Packed so the rows' bytes are read in sequence (read in
    /// place, each row is another cache line: 4096 rows of a 4096-column
    /// A miss L2 every k-block).
    pub a: *const u64,
    /// Word `block · BLOCK_WORDS` of C's first row of the job.
    pub c: *mut u64,
    /// Words from one row of C to the next.
    pub c_stride: usize,
    /// Rows of the job.
    pub rows: usize,
    /// Words of C the block covers (`BLOCK_WORDS`, fewer at the right edge).
    pub words: usize,
}

/// Runs a [`LookupJob`]. Bits of A past k select table entries built from
/// the zero rows the driver packs past k, so they add nothing; the packed
/// rows carry no bits past C's last column, so the OR leaves those alone.
///
/// # Safety
/// The job's pointers cover what its fields say (A: `rows` values; C: `rows` rows of `words` ≤ `BLOCK_WORDS` words,
/// written by no one else during the call; tables: `TABLES · TABLE_WORDS`
/// words); `B`'s ISA is enabled.
#[inline(always)]
pub(crate) unsafe fn lookup_rows<B: WordBlock>(job: &LookupJob) {
    // SAFETY: (whole body) offsets as the contract above; a table entry is
    // below 256, so entry · BLOCK_WORDS + BLOCK_WORDS ≤ TABLE_WORDS.
    unsafe {
        for r in 0..job.rows {
            let bytes = *job.a.add(r);
            let entry = |t: usize| {
                let e = (bytes >> (8 * t) & 0xFF) as usize;
                B::load(job.tables.add(t * TABLE_WORDS + e * BLOCK_WORDS))
            };
            let update = |acc: B| {
                let mut acc = acc;
                for t in (0..TABLES).step_by(2) {
                    acc = acc.or3(entry(t), entry(t + 1));
                }
                acc
            };
            let c = job.c.add(r * job.c_stride);
            if job.words == BLOCK_WORDS {
                update(B::load(c)).store(c);
            } else {
                // The right edge: through a full block on the stack, so no
                // word past the matrix is read or written.
                let mut edge = [0u64; BLOCK_WORDS];
                std::ptr::copy_nonoverlapping(c, edge.as_mut_ptr(), job.words);
                update(B::load(edge.as_ptr())).store(edge.as_mut_ptr());
                std::ptr::copy_nonoverlapping(edge.as_ptr(), c, job.words);
            }
        }
    }
}

/// Rows of C in the peak probe: 64 rows of one block are 4 KiB, which
/// stay in L1 beside the tables (64 KiB, so partly in L2), as in the
/// driver's chunks of rows.
const PROBE_ROWS: usize = 64;

/// The peak probe: the lookup step of [`lookup_rows`] on L1-resident
/// tables, A and C, `iters` times over [`PROBE_ROWS`] rows. Returns the
/// entry operations done (rows · 512 columns · 32 k per pass), counted as
/// a product counts them (m·n·k).
///
/// # Safety
/// `B`'s ISA is enabled.
#[inline(always)]
pub(crate) unsafe fn probe_body<B: WordBlock>(iters: usize) -> u64 {
    let rows: Vec<u64> = (0..K_BLOCK * BLOCK_WORDS)
        .map(|i| (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    // Tables on cache lines, as the driver's: 64-byte entries.
    let mut tables = aligned_vec::avec![[64] | 0u64; TABLES * TABLE_WORDS];
    let a: Vec<u64> = (0..PROBE_ROWS as u64)
        .map(|i| i.wrapping_mul(0x2545_F491_4F6C_DD1D))
        .collect();
    let mut c = vec![0u64; PROBE_ROWS * BLOCK_WORDS];
    // SAFETY: the buffers have the sizes the kernels' contracts ask for;
    // the ISA is enabled by the caller.
    unsafe {
        build_tables::<B>(rows.as_ptr(), tables.as_mut_ptr());
        let job = LookupJob {
            tables: tables.as_ptr(),
            a: a.as_ptr(),
            c: c.as_mut_ptr(),
            c_stride: BLOCK_WORDS,
            rows: PROBE_ROWS,
            words: BLOCK_WORDS,
        };
        for _ in 0..iters {
            lookup_rows::<B>(std::hint::black_box(&job));
        }
    }
    std::hint::black_box(&c);
    (iters * PROBE_ROWS * BLOCK_WORDS * 64 * K_BLOCK) as u64
}
