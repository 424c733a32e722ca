//! Reusable packing buffers.

use aligned_vec::{AVec, ConstAlign};

/// One 64-byte aligned byte buffer that only ever grows.
#[derive(Debug)]
pub(crate) struct AlignedBuf(AVec<u8, ConstAlign<64>>);

impl AlignedBuf {
    fn new() -> Self {
        Self(AVec::new(64))
    }

    /// A pointer to at least `elems` elements of `T`, 64-byte aligned.
    /// Allocates only when the buffer is smaller than ever before.
    pub(crate) fn reserve<T>(&mut self, elems: usize) -> *mut T {
        let bytes = elems * std::mem::size_of::<T>();
        if self.0.len() < bytes {
            self.0.resize(bytes, 0);
        }
        self.0.as_mut_ptr().cast::<T>()
    }
}

/// Packing buffers for [`gemm_with`](crate::gemm_with), kept between calls.
///
/// The buffers grow to the largest product seen and are then reused: after
/// one call of a given size, further calls of that size allocate nothing.
/// [`gemm`](crate::gemm) keeps one per thread for you.
#[derive(Debug)]
pub struct GemmWorkspace {
    pub(crate) packed_a: AlignedBuf,
    pub(crate) packed_b: AlignedBuf,
}

impl GemmWorkspace {
    /// An empty workspace; it allocates on first use.
    pub fn new() -> Self {
        Self {
            packed_a: AlignedBuf::new(),
            packed_b: AlignedBuf::new(),
        }
    }

    /// Bytes currently held.
    pub fn allocated_bytes(&self) -> usize {
        self.packed_a.0.len() + self.packed_b.0.len()
    }
}

impl Default for GemmWorkspace {
    fn default() -> Self {
        Self::new()
    }
}
