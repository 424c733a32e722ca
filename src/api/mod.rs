//! The API room: the public entry points, their input checks, and the
//! plan that picks a path and a thread count for one product.

pub(crate) mod argmax;
pub(crate) mod batch;
pub(crate) mod bits;
pub(crate) mod counting;
pub(crate) mod gemm;
pub(crate) mod prepare;
pub(crate) mod raw;
pub(crate) mod report;
