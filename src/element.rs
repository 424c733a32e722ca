//! The scalar types a semiring may be built on.

use std::fmt::Debug;

mod sealed {
    pub trait Sealed {}
}

/// A plain scalar that can live in a matrix: the floats (including the
/// `half` crate's 2-byte `f16` and `bf16`), the fixed-width integers and
/// `bool`.
///
/// Sealed: packing buffers reinterpret raw aligned bytes as `T`, which is
/// sound only for these plain-old-data types.
pub trait Element: Copy + Send + Sync + PartialEq + Debug + 'static + sealed::Sealed {}

macro_rules! elements {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {}
    )*};
}

elements!(f32, f64, i8, i16, i32, i64, u8, u16, u32, u64, bool);
// Plain-old-data too: one `u16` of bits each (`#[repr(transparent)]`).
elements!(half::f16, half::bf16);
