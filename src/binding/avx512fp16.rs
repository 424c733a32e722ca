//! The AVX-512 FP16 kernels' entry points and handles: `half::f16` in 32
//! lanes a zmm register (`vaddph`, `vmulph`, `vmaxph`, `vminph`), the
//! AVX-512 tile shapes, so 16×32 for the value tile. Only `f16` binds
//! them (`select::select_fp16`); the 4- and 8-byte, bool and FMA names
//! below are never reached.

crate::binding::entries::isa_kernel! {
    /// The AVX-512 FP16 kernel over the vector operations `O`.
    Avx512Fp16Kernel, level = Avx512Fp16, features = "avx2,avx512f,avx512bw,avx512fp16", mr = 16,
    probe = crate::kernels::simd::probe::PROBE_AVX512,
    probe_on_fma = crate::kernels::simd::probe::PROBE_AVX512,
    names = ["avx512fp16-8x16", "avx512fp16-16x16", "avx512fp16-16x32", "avx512fp16-8x128"],
    narrow_names = ["avx512fp16-16x8", "avx512fp16-16x64"],
    fma_names = ["avx512fp16-8x16-fma", "avx512fp16-16x16-fma"],
    tile_vectors = [2, 1, 2],
    /// The AVX-512 FP16 argmax kernel: 8 rows × (value, value before the
    /// chunk, chunk number), as the AVX-512 one, 32 lanes wide.
    Avx512Fp16ArgKernel, arg_mr = 8, arg_names = ["avx512fp16-arg-8x8", "avx512fp16-arg-8x16", "avx512fp16-arg-8x32"],
    arg_fma_names = ["avx512fp16-arg-8x8-fma", "avx512fp16-arg-8x16-fma"]
}
