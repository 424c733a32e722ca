//! Reusable packing buffers.

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
        }
    }

    /// Bytes currently held.
    pub fn allocated_bytes(&self) -> usize {
        self.packed_a.iter().map(|buf| buf.0.len()).sum::<usize>() + self.packed_b.0.len()
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
