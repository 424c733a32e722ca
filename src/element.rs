//! The scalar types a semiring may be built on.

use std::fmt::Debug;

/// A plain scalar that can live in a matrix: the floats (including the
/// `half` crate's 2-byte `f16` and `bf16`), the fixed-width integers,
/// `bool`, and plain-old-data types of yours.
///
/// # Safety
/// Packing buffers are raw, 64-byte aligned bytes that the crate reads
/// and writes as `Self`. Implement this only for a type that is plain old
/// data: every byte pattern of its size is a valid value (no `bool`,
/// `char`, enum, reference or pointer field: integers and floats, or
/// `#[repr(transparent)]`/`#[repr(C)]` structs of them without padding),
/// with an alignment of at most 64 bytes (checked when the crate is
/// compiled for the type). The crate's own impls for `bool` hold because
/// it only ever stores `bool` values into those buffers.
///
/// ```
/// /// A fixed-point number with 8 fractional bits.
/// #[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
/// #[repr(transparent)]
/// struct Fixed(i32);
/// // SAFETY: an i32 in a transparent struct: every bit pattern is valid.
/// unsafe impl tropical_blas::Element for Fixed {}
/// ```
pub unsafe trait Element: Copy + Send + Sync + PartialEq + Debug + 'static {}

macro_rules! elements {
    ($($t:ty),*) => {$(
        // SAFETY: a primitive number (or `bool`, see the trait's contract).
        unsafe impl Element for $t {}
    )*};
}

elements!(f32, f64, i8, i16, i32, i64, u8, u16, u32, u64, bool);
// SAFETY: plain old data too: one `u16` of bits each
// (`#[repr(transparent)]`), every pattern a value (NaNs included).
unsafe impl Element for half::f16 {}
// SAFETY: as for `f16`.
unsafe impl Element for half::bf16 {}
