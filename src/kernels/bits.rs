//! The bit-packed or-and kernels: the Method of Four Russians on blocks of
//! [`BLOCK_WORDS`] words (512 columns).
//!
//! # Why tables
//! The direct product ORs row k of B into row i of C for every set bit
//! A[i, k]: one vector OR per (i, k) and 512 columns, so at best 1 k per
//! instruction. Here the driver gives the kernel [`TABLES`] groups of
//! [`GROUP_ROWS`] rows of B at a time, and [`build_tables`] ORs every
//! subset of each group once (64 entries, each one OR of an earlier entry
//! and one row). Then a row of C takes the whole k-block of 60 in one
//! step: `c |= T0[field 0 of A] | … | T9[field 9]`, ten loads and five
//! `vpternlogq` (imm 0xFE, a three-way OR) on AVX-512: 6·512 entry
//! operations per lookup where the direct product does 512 per OR.
//!
//! Six rows a table, not eight: the ten tables (10 × 64 × 64 B = 40 KiB)
//! stay in a 48 KiB L1 while every row of C streams past them, where
//! 256-entry tables (64 KiB a k-block) had to come from L2 for each
//! lookup. Building them costs 630 ORs per k-block, repaid once the
//! product has a few dozen rows.
//!
//! The kernels know nothing of loops over blocks or threads: they fill
//! the tables of one block, and update rows of one block of C.

/// Words of C (and of B) one block covers: one zmm, two ymm, eight u64.
pub(crate) const BLOCK_WORDS: usize = 8;
/// Rows of B in one table: six bits of A index it.
pub(crate) const GROUP_ROWS: usize = 6;
/// Tables per k-block: ten, so a row of C is loaded and stored once per
/// 60 values of k and the tables still fit a 48 KiB L1 (eight tables, 32 KiB, ran
/// about 5 % slower; 5-row tables, 12 of them, too).
pub(crate) const TABLES: usize = 10;
/// Rows of B (values of k) one block of tables covers.
pub(crate) const K_BLOCK: usize = GROUP_ROWS * TABLES;
/// Entries of one table: every subset of its group's rows.
pub(crate) const TABLE_ENTRIES: usize = 1 << GROUP_ROWS;
/// Words of one table.
pub(crate) const TABLE_WORDS: usize = TABLE_ENTRIES * BLOCK_WORDS;

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
/// `GROUP_ROWS · t + b` for the bits b set in s (entry 0 is zero).
///
/// # Safety
/// `rows` holds `K_BLOCK · BLOCK_WORDS` readable words, `tables`
/// `TABLES · TABLE_WORDS` writable ones; `B`'s ISA is enabled.
#[inline(always)]
pub(crate) unsafe fn build_tables<B: WordBlock>(rows: *const u64, tables: *mut u64) {
    // SAFETY: every offset stays inside the two buffers (t < TABLES,
    // entries < TABLE_ENTRIES, rows < K_BLOCK).
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
/// `C[r] |= T0[field 0 of A's bits] | … | T9[field 9]`.
pub(crate) struct LookupJob {
    /// The tables of this k-block ([`build_tables`]).
    pub tables: *const u64,
    /// The job's rows of A at this k-block, packed by the driver: one
    /// `u64` a row holding its K_BLOCK bits, bits `GROUP_ROWS · t ..` of
    /// it indexing table t. Packed so the rows' bits are read in sequence
    /// (read in place, each row is another cache line).
    pub a: *const u64,
    /// The job's rows of C: `BLOCK_WORDS` words each, one after the other
    /// (the driver's copy of C's block).
    pub c: *mut u64,
    /// Rows of the job.
    pub rows: usize,
}

/// Runs a [`LookupJob`]. Bits of A past k select table entries built from
/// the zero rows the driver packs past k, so they add nothing; the packed
/// rows carry no bits past C's last column, so the OR leaves those alone.
///
/// # Safety
/// The job's pointers cover what its fields say (A: `rows` values; C:
/// `rows · BLOCK_WORDS` words, written by no one else during the call;
/// tables: `TABLES · TABLE_WORDS` words); `B`'s ISA is enabled.
#[inline(always)]
pub(crate) unsafe fn lookup_rows<B: WordBlock>(job: &LookupJob) {
    // Tables in pairs (one three-way OR each); a row's bits in one word.
    const { assert!(TABLES.is_multiple_of(2) && K_BLOCK <= 64) };
    // SAFETY: (whole body) offsets as the contract above; a table entry is
    // below TABLE_ENTRIES, so entry · BLOCK_WORDS + BLOCK_WORDS ≤
    // TABLE_WORDS.
    unsafe {
        for r in 0..job.rows {
            let bits = *job.a.add(r);
            let mut acc = B::load(job.c.add(r * BLOCK_WORDS));
            for t in (0..TABLES).step_by(2) {
                let first = table_entry::<B>(job.tables, bits, t);
                acc = acc.or3(first, table_entry::<B>(job.tables, bits, t + 1));
            }
            acc.store(job.c.add(r * BLOCK_WORDS));
        }
    }
}

/// Table t's entry for a row whose k-block bits are `bits`.
///
/// # Safety
/// `tables` holds `TABLES · TABLE_WORDS` words, t < TABLES; `B`'s ISA is
/// enabled.
#[inline(always)]
unsafe fn table_entry<B: WordBlock>(tables: *const u64, bits: u64, t: usize) -> B {
    let entry = (bits >> (GROUP_ROWS * t)) as usize & (TABLE_ENTRIES - 1);
    // SAFETY: entry < TABLE_ENTRIES, so the entry's BLOCK_WORDS words lie
    // inside table t (caller's bounds).
    unsafe { B::load(tables.add(t * TABLE_WORDS + entry * BLOCK_WORDS)) }
}

/// Rows of C in the peak probe: 64 rows of one block are 4 KiB, which
/// stay in L1 beside the tables (40 KiB); the driver streams its rows of
/// C from L2 past them instead.
const PROBE_ROWS: usize = 64;

/// The peak probe: the lookup step of [`lookup_rows`] on L1-resident
/// tables, A and C, `iters` times over [`PROBE_ROWS`] rows. Returns the
/// entry operations done (rows · 512 columns · K_BLOCK k per pass), counted as
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
            rows: PROBE_ROWS,
        };
        for _ in 0..iters {
            lookup_rows::<B>(std::hint::black_box(&job));
        }
    }
    std::hint::black_box(&c);
    (iters * PROBE_ROWS * BLOCK_WORDS * 64 * K_BLOCK) as u64
}
