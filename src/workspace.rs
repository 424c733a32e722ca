//! Reusable packing buffers.

use std::sync::{Mutex, PoisonError, TryLockError};

use aligned_vec::{AVec, ConstAlign};

use crate::error::Error;

/// The most a product may hold in packing buffers: 16 TiB, far past any
/// real product (they pack in cache-sized blocks, or within a fixed
/// multiple of their operands), and below what a 64-bit address space
/// can map, so a broadcast view of a huge depth gets
/// [`Error::WorkspaceTooLarge`] whatever the operating system would
/// promise.
pub const MAX_WORKSPACE_BYTES: usize = 1 << 44;

/// A vector of `len` copies of `value`, or [`Error::WorkspaceTooLarge`]
/// when the memory cannot be had (never an abort): for buffers whose size
/// comes from the caller's shapes, which a broadcast view can make huge.
pub(crate) fn try_filled_vec<T: Clone>(len: usize, value: T) -> Result<Vec<T>, Error> {
    let mut buf = try_empty_vec(len)?;
    buf.resize(len, value);
    Ok(buf)
}

/// An empty vector with room for `len` elements (for a caller that fills
/// it its own way), or [`Error::WorkspaceTooLarge`] as above.
pub(crate) fn try_empty_vec<T>(len: usize) -> Result<Vec<T>, Error> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(len)
        .map_err(|_| Error::WorkspaceTooLarge {
            bytes: len.saturating_mul(std::mem::size_of::<T>()),
        })?;
    Ok(buf)
}

/// `len` zero words starting on a cache line, or
/// [`Error::WorkspaceTooLarge`] as [`try_filled_vec`].
pub(crate) fn try_zeroed_line_aligned(len: usize) -> Result<AVec<u64, ConstAlign<64>>, Error> {
    let mut buf = AVec::new(64);
    buf.try_reserve_exact(len)
        .map_err(|_| Error::WorkspaceTooLarge {
            bytes: len.saturating_mul(8),
        })?;
    buf.resize(len, 0);
    Ok(buf)
}

/// One 64-byte aligned byte buffer that only ever grows.
#[derive(Debug)]
pub(crate) struct AlignedBuf(AVec<u8, ConstAlign<64>>);

impl AlignedBuf {
    fn new() -> Self {
        Self(AVec::new(64))
    }

    /// A pointer to at least `elems` elements of `T`, 64-byte aligned.
    /// Allocates only when the buffer is smaller than ever before, and
    /// returns [`Error::WorkspaceTooLarge`] (allocating nothing) when the
    /// size overflows, exceeds [`MAX_WORKSPACE_BYTES`] or cannot be had.
    pub(crate) fn reserve<T>(&mut self, elems: usize) -> Result<*mut T, Error> {
        const {
            assert!(
                std::mem::align_of::<T>() <= 64,
                "elements align to at most 64 bytes"
            )
        };
        let bytes = elems
            .checked_mul(std::mem::size_of::<T>())
            .ok_or(Error::WorkspaceTooLarge { bytes: usize::MAX })?;
        if bytes > MAX_WORKSPACE_BYTES {
            return Err(Error::WorkspaceTooLarge { bytes });
        }
        if self.0.len() < bytes {
            self.0
                .try_reserve_exact(bytes - self.0.len())
                .map_err(|_| Error::WorkspaceTooLarge { bytes })?;
            self.0.resize(bytes, 0);
        }
        Ok(self.0.as_mut_ptr().cast::<T>())
    }
}

/// Packing buffers for [`gemm_with`](crate::gemm_with), kept between calls.
///
/// The buffers grow to the largest product seen and are then reused: after
/// one call of a given size, further calls of that size allocate nothing.
/// [`gemm`](crate::gemm) keeps one per thread for you.
#[derive(Debug)]
pub struct GemmWorkspace {
    /// One packed-A buffer per parallel task.
    pub(crate) packed_a: Vec<AlignedBuf>,
    pub(crate) packed_b: AlignedBuf,
    /// Base pointers of `packed_a`, handed to the tasks; kept so that warm
    /// calls do not allocate.
    pub(crate) a_bases: Vec<SharedPtr<u8>>,
    /// Set while a product only reserves its buffers ([`ReservingOnly`]):
    /// the drivers size them for any data of the product's shape and
    /// return before they read A or B or write C.
    pub(crate) reserve_only: bool,
    /// The workspaces of a batch's items that run side by side, one per
    /// item running at a time ([`GemmWorkspace::reserve_workers`]); kept
    /// here, so repeated batches reuse them.
    workers: Vec<Mutex<GemmWorkspace>>,
}

/// A workspace lent to a product that only reserves its buffers: a batch
/// reserves every item's this way before it writes the first. The flag
/// is cleared on drop, so a driver that fails or panics cannot leave a
/// workspace that skips later products.
pub(crate) struct ReservingOnly<'w>(&'w mut GemmWorkspace);

impl<'w> ReservingOnly<'w> {
    pub(crate) fn new(ws: &'w mut GemmWorkspace) -> Self {
        ws.reserve_only = true;
        Self(ws)
    }

    pub(crate) fn workspace(&mut self) -> &mut GemmWorkspace {
        self.0
    }
}

impl Drop for ReservingOnly<'_> {
    fn drop(&mut self) {
        self.0.reserve_only = false;
    }
}

/// A raw pointer that may cross threads: each task writes only its own
/// part of what it points to (see the driver).
#[derive(Debug)]
pub(crate) struct SharedPtr<T>(pub *mut T);

impl<T> Clone for SharedPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SharedPtr<T> {}

impl<T> SharedPtr<T> {
    /// The pointer. A method, not `.0`, so closures capture the whole
    /// (Send) wrapper rather than the raw field.
    #[inline(always)]
    pub(crate) fn get(self) -> *mut T {
        self.0
    }
}
// SAFETY: the pointer is only dereferenced by the driver's tasks, which
// write disjoint regions (their own A buffer, their own tiles of C and B
// panel chunks) and read shared data only after the writing join ends;
// the elements themselves may cross threads (T: Send + Sync).
unsafe impl<T: Send + Sync> Send for SharedPtr<T> {}
// SAFETY: as for Send.
unsafe impl<T: Send + Sync> Sync for SharedPtr<T> {}

impl GemmWorkspace {
    /// An empty workspace; it allocates on first use.
    pub fn new() -> Self {
        Self {
            packed_a: Vec::new(),
            packed_b: AlignedBuf::new(),
            a_bases: Vec::new(),
            reserve_only: false,
            workers: Vec::new(),
        }
    }

    /// Bytes currently held.
    pub fn allocated_bytes(&self) -> usize {
        let workers: usize = self
            .workers
            .iter()
            .map(|w| {
                let w = w.lock().unwrap_or_else(PoisonError::into_inner);
                w.allocated_bytes()
            })
            .sum();
        self.packed_a.iter().map(|buf| buf.0.len()).sum::<usize>() + self.packed_b.0.len() + workers
    }

    /// Readies a workspace for each of the `items` of a batch that may run
    /// at once (at most one per thread of the current rayon pool), each
    /// after `reserve` ran on it, before any item runs: an allocation
    /// error then comes before the first item is written. Returns how
    /// many; [`GemmWorkspace::workers`] lends them.
    pub(crate) fn reserve_workers(
        &mut self,
        items: usize,
        mut reserve: impl FnMut(&mut GemmWorkspace) -> Result<(), Error>,
    ) -> Result<usize, Error> {
        let count = rayon::current_num_threads().clamp(1, items.max(1));
        while self.workers.len() < count {
            self.workers.push(Mutex::new(GemmWorkspace::new()));
        }
        for worker in &mut self.workers[..count] {
            reserve(worker.get_mut().unwrap_or_else(PoisonError::into_inner))?;
        }
        Ok(count)
    }

    /// The first `count` worker workspaces, as [`reserve_workers`](Self::reserve_workers) readied them.
    pub(crate) fn workers(&self, count: usize) -> Workers<'_> {
        Workers(&self.workers[..count])
    }

    /// Reserves `tasks` packed-A buffers of `elems` elements each and
    /// returns their base pointers (task i uses entry i), or the error of
    /// [`AlignedBuf::reserve`].
    pub(crate) fn reserve_a_buffers<T>(
        &mut self,
        tasks: usize,
        elems: usize,
    ) -> Result<&[SharedPtr<u8>], Error> {
        let total = elems
            .checked_mul(tasks)
            .and_then(|x| x.checked_mul(std::mem::size_of::<T>()))
            .ok_or(Error::WorkspaceTooLarge { bytes: usize::MAX })?;
        if total > MAX_WORKSPACE_BYTES {
            return Err(Error::WorkspaceTooLarge { bytes: total });
        }
        while self.packed_a.len() < tasks {
            self.packed_a.push(AlignedBuf::new());
        }
        self.a_bases.clear();
        for buf in &mut self.packed_a[..tasks] {
            self.a_bases
                .push(SharedPtr(buf.reserve::<T>(elems)?.cast::<u8>()));
        }
        Ok(&self.a_bases)
    }
}

impl Default for GemmWorkspace {
    fn default() -> Self {
        Self::new()
    }
}

/// The workspaces of a batch's items that run side by side.
pub(crate) struct Workers<'w>(&'w [Mutex<GemmWorkspace>]);

impl Workers<'_> {
    /// Runs `f` on a free worker workspace. At most as many items run at
    /// once as there are workspaces (the built-in semirings' items never
    /// enter rayon), so one is free; the search starts at the calling
    /// thread's own. A semiring that re-enters the library from inside an
    /// item can run more at once: that item gets a fresh workspace (which
    /// allocates, after other items were written) rather than wait.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut GemmWorkspace) -> R) -> R {
        let first = rayon::current_thread_index().unwrap_or(0);
        for i in 0..self.0.len() {
            match self.0[(first + i) % self.0.len()].try_lock() {
                Ok(mut ws) => return f(&mut ws),
                Err(TryLockError::Poisoned(held)) => return f(&mut held.into_inner()),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        f(&mut GemmWorkspace::new())
    }
}
