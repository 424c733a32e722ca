//! The AVX-512 kernels' entry points and handles.

crate::binding::entries::isa_kernel! {
    /// The AVX-512 kernel over the vector operations `O`.
    Avx512Kernel, level = Avx512, features = "avx2,avx512f,avx512bw", mr = 16, probe = crate::kernels::simd::probe::PROBE_AVX512,
    probe_on_fma = crate::kernels::simd::probe::PROBE_AVX512,
    names = ["avx512-8x16", "avx512-16x16", "avx512-16x32", "avx512-8x128"],
    narrow_names = ["avx512-16x8", "avx512-16x64"],
    fma_names = ["avx512-8x16-fma", "avx512-16x16-fma"],
    // Two vectors per row (8-byte and bool tiles) where one vector left the
    // most on the table: each A broadcast then feeds two operations.
    tile_vectors = [2, 1, 2],
    /// The AVX-512 argmax kernel: 8 rows × (value, value before the chunk,
    /// chunk number) = 24 zmm registers; a depth costs what it costs the
    /// value kernel, plus a compare and a masked blend per chunk.
    Avx512ArgKernel, arg_mr = 8, arg_names = ["avx512-arg-8x8", "avx512-arg-8x16", "avx512-arg-8x32"],
    arg_fma_names = ["avx512-arg-8x8-fma", "avx512-arg-8x16-fma"]
}

crate::binding::entries::counting_tile_entry!("avx2,avx512f,avx512bw");
