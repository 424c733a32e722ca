//! The AVX2 kernels' entry points and handles.

crate::binding::entries::isa_kernel! {
    /// The AVX2 kernel over the vector operations `O`.
    Avx2Kernel, level = Avx2, features = "avx,avx2", mr = 8, probe = crate::kernels::simd::probe::PROBE_AVX2,
    probe_on_fma = crate::kernels::simd::probe::PROBE_AVX2_ON_FMA,
    names = ["avx2-8x4", "avx2-8x8", "avx2-8x16", "avx2-8x32"],
    narrow_names = ["avx2-8x4", "avx2-8x32"],
    fma_names = ["avx2-8x4-fma", "avx2-8x8-fma"],
    tile_vectors = [1, 1, 1],
    /// The AVX2 argmax kernel: 6 rows × (value, value before the chunk,
    /// chunk number) is 18 ymm values for 16 registers, so the compiler
    /// keeps the rarely touched chunk numbers partly on the stack; 4 rows
    /// fit in registers but leave the 4-cycle ⊕ chains too few to overlap.
    Avx2ArgKernel, arg_mr = 6, arg_names = ["avx2-arg-6x4", "avx2-arg-6x8", "avx2-arg-6x16"],
    arg_fma_names = ["avx2-arg-6x4-fma", "avx2-arg-6x8-fma"]
}

crate::binding::entries::counting_tile_entry!("avx,avx2");
