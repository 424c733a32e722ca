//! The `#[target_feature]` entry points of one ISA, generated for every
//! vector semiring of that ISA, and the kernel handles that bind them.

/// Declares one ISA's kernel: the `MicroKernel` over any `VecOps` of that
/// ISA, its `#[target_feature]` entry points (the tile and packing), and
/// the binding function that checks the CPU before handing it out.
macro_rules! isa_kernel {
    // The packing both kernels of an ISA share (value and argmax tiles
    // read the same panels): `O`'s packed values, packed by `pack_entry`.
    (@packing $O:ident) => {
        #[inline(always)]
        fn packed_value(x: <$O::S as $crate::semiring::Semiring>::Scalar) -> <$O::S as $crate::semiring::Semiring>::Scalar {
            $O::packed_value(x)
        }

        #[inline(always)]
        unsafe fn pack(
            unit: usize,
            block: $crate::kernels::pack::Block<<$O::S as $crate::semiring::Semiring>::Scalar>,
            dst: *mut <$O::S as $crate::semiring::Semiring>::Scalar,
        ) {
            // SAFETY: forwarded contract; the kernels are only handed out
            // on CPUs with the ISA (checked in `kernel` and `arg_kernel`).
            unsafe { pack_entry::<$O>(unit, block, dst) }
        }
    };
    ($(#[$doc:meta])* $kernel:ident, level = $level:ident, features = $features:literal, mr = $mr:literal, probe = $probe:path, probe_on_fma = $probe_fma:path,
     names = [$name8:literal, $name_mid:literal, $name2:literal, $name_bytes:literal],
     narrow_names = [$narrow_name8:literal, $narrow_name_bytes:literal],
     fma_names = [$fma_name8:literal, $fma_name4:literal],
     tile_vectors = [$vectors8:literal, $vectors_mid:literal, $vectors_bytes:literal],
     $(#[$arg_doc:meta])* $arg_kernel:ident, arg_mr = $arg_mr:literal, arg_names = [$arg_name8:literal, $arg_name4:literal, $arg_name2:literal],
     arg_fma_names = [$arg_fma_name8:literal, $arg_fma_name4:literal]) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Default, Debug)]
        ///
        /// `NARROW`: one vector per packed row for every element type,
        /// but where the ⊗ reads A's element from memory (`O::ON_FMA`;
        /// see `tile_vectors`).
        pub(crate) struct $kernel<O, const NARROW: bool>(std::marker::PhantomData<O>);

        /// Rows of the direct path's tiles, and of packed tiles one vector
        /// wide.
        pub(crate) const MR: usize = $mr;

        /// Vectors per row of `O`'s packed tile (1 or 2, by scalar size: 8
        /// bytes, 4 or 2 bytes, bool); its rows are MR / that, so the
        /// accumulator count stays MR. Two vectors per row load each A
        /// broadcast once for two operations; `NARROW` tiles are one
        /// vector wide, so the broadcast folds into the one operation
        /// that reads it (a CPU where a separate broadcast takes a vector
        /// port: `binding::select`), except where the ⊗ already reads A's
        /// element as a memory operand (`O::ON_FMA`).
        const fn tile_vectors<O: $crate::kernels::simd::VecOps, const NARROW: bool>() -> usize {
            if NARROW && !O::ON_FMA {
                return 1;
            }
            let vectors = match std::mem::size_of::<<O::S as $crate::semiring::Semiring>::Scalar>() {
                8 => $vectors8,
                1 => $vectors_bytes,
                _ => $vectors_mid,
            };
            assert!(vectors == 1 || vectors == 2);
            vectors
        }

        /// The tile name for `O` from `names` (by element size: 8 bytes,
        /// 4, 2, 1), or from `fma_names` (8 bytes, 4) for a ⊗ on the
        /// multiply-add units, or `None` unless every check that makes
        /// running its kernel sound passes: the operations belong to this
        /// ISA, the CPU has it, and it has FMA if the ⊗ needs it.
        fn bindable_name<O: $crate::kernels::simd::VecOps>(
            names: [&'static str; 4],
            fma_names: [&'static str; 2],
        ) -> Option<&'static str> {
            use $crate::isa::IsaLevel;
            if O::LEVEL != IsaLevel::$level || $crate::binding::dispatch::detected_isa() < IsaLevel::$level {
                return None;
            }
            let size = std::mem::size_of::<<O::S as $crate::semiring::Semiring>::Scalar>();
            if O::ON_FMA {
                if !std::is_x86_feature_detected!("fma") {
                    return None;
                }
                return Some(if size == 8 { fma_names[0] } else { fma_names[1] });
            }
            Some(match size {
                8 => names[0],
                2 => names[2],
                1 => names[3],
                _ => names[1],
            })
        }

        /// Whether `O`'s narrow tile differs from its default one (so a
        /// narrow kernel is worth binding).
        pub(crate) const fn narrows<O: $crate::kernels::simd::VecOps>() -> bool {
            tile_vectors::<O, true>() != tile_vectors::<O, false>()
        }

        /// The kernel binding for `O` with the default or the `NARROW`
        /// tile, or the portable one if this CPU lacks the ISA (the check
        /// that makes running it sound).
        pub(crate) fn kernel<O: $crate::kernels::simd::VecOps, const NARROW: bool>() -> $crate::semiring::Kernel<O::S> {
            let names = if NARROW && narrows::<O>() {
                [$narrow_name8, $name_mid, $name2, $narrow_name_bytes]
            } else {
                [$name8, $name_mid, $name2, $name_bytes]
            };
            let Some(name) = bindable_name::<O>(names, [$fma_name8, $fma_name4]) else {
                return $crate::semiring::Kernel::portable();
            };
            // SAFETY: `bindable_name` checked that O's ISA is this one and
            // that the CPU has it.
            unsafe { $crate::semiring::Kernel::from_microkernel::<$kernel<O, NARROW>>(name, $crate::isa::IsaLevel::$level) }
                .with_probe(probe_safe::<O>)
                .with_small(small_safe::<O>, (MR, O::LANES))
                .with_batch(batch_safe::<O>)
        }

        /// The batch entry; safe to call because `kernel` only binds it
        /// after detecting the ISA, and the batches were checked when built.
        fn batch_safe<O: $crate::kernels::simd::VecOps>(
            threads: usize,
            a: &$crate::batch_view::BatchRef<'_, <O::S as $crate::semiring::Semiring>::Scalar>,
            b: &$crate::batch_view::BatchRef<'_, <O::S as $crate::semiring::Semiring>::Scalar>,
            c: &mut $crate::batch_view::BatchMut<'_, <O::S as $crate::semiring::Semiring>::Scalar>,
            accum: $crate::config::Accum,
        ) -> bool {
            // SAFETY: the ISA was detected before this was bound.
            unsafe { $crate::frame::direct::direct_batch::<O>(threads, a, b, c, accum, batch_items_entry::<O>) }
        }

        /// # Safety
        /// The CPU supports the ISA; as `direct_batch_items`.
        #[target_feature(enable = $features)]
        unsafe fn batch_items_entry<O: $crate::kernels::simd::VecOps>(
            problem: &$crate::kernels::simd::direct::BatchProblem<<O::S as $crate::semiring::Semiring>::Scalar>,
            first: usize,
            last: usize,
        ) {
            // SAFETY: forwarded contract, features enabled here.
            unsafe { $crate::kernels::simd::direct::direct_batch_items::<O, MR>(problem, first, last) }
        }

        /// The direct path; safe to call because `kernel` only binds it
        /// after detecting the ISA, and the views were checked.
        fn small_safe<O: $crate::kernels::simd::VecOps>(
            ws: &mut $crate::workspace::GemmWorkspace,
            _tiling: &$crate::blocking::TilingParams,
            threads: usize,
            a: $crate::view::MatRef<'_, <O::S as $crate::semiring::Semiring>::Scalar>,
            b: $crate::view::MatRef<'_, <O::S as $crate::semiring::Semiring>::Scalar>,
            mut c: $crate::view::MatMut<'_, <O::S as $crate::semiring::Semiring>::Scalar>,
            accum: $crate::config::Accum,
        ) -> Result<(), $crate::error::Error> {
            // The drivers below read A and B by these shapes: a safe
            // function checks them (the plan already did; one compare).
            let (m, k, n) = (a.rows(), a.cols(), b.cols());
            assert!(m > 0 && n > 0 && k > 0 && b.rows() == k && c.rows() == m && c.cols() == n);
            // SAFETY: the ISA was detected before this was bound, so the
            // kernel and the rows and row-group entries may run; the
            // shapes agree (asserted above) and the views are checked,
            // with C aliasing neither input.
            unsafe {
                // Row groups need no buffers; a product that only reserves
                // sizes the direct path's, which covers any shape.
                if !ws.reserve_only && $crate::frame::row_group::row_group_driver::<O>(
                    threads, &a, &b, &mut c, accum, row_groups_entry::<O>,
                ) {
                    return Ok(());
                }
                $crate::frame::direct::direct_driver::<O, $kernel<O, false>, MR>(
                    ws, threads, a, b, c, accum,
                    $crate::frame::direct::DirectEntries {
                        rows: direct_rows_entry::<O>,
                        holds_zero: $crate::binding::scan::holds_zero::<O::S>,
                    },
                )
            }
        }

        /// The peak probe; safe to call because `kernel` only binds it
        /// after detecting the ISA.
        fn probe_safe<O: $crate::kernels::simd::VecOps>(iters: usize) -> u64 {
            // SAFETY: reachable only through a `Kernel` built by `kernel`
            // above, after the ISA was detected.
            unsafe { probe_entry::<O>(iters) }
        }

        /// # Safety
        /// The CPU supports the ISA.
        #[target_feature(enable = $features)]
        unsafe fn probe_entry<O: $crate::kernels::simd::VecOps>(iters: usize) -> u64 {
            use $crate::kernels::simd::probe::probe_body;
            // SAFETY: features enabled here.
            let (ops, folded) = unsafe {
                if O::ON_FMA {
                    probe_body::<O, { $probe_fma.0 }, { $probe_fma.1 }>(iters)
                } else {
                    probe_body::<O, { $probe.0 }, { $probe.1 }>(iters)
                }
            };
            std::hint::black_box(folded);
            ops
        }

        /// # Safety
        /// The CPU supports the ISA; the job comes from `direct_driver`.
        #[target_feature(enable = $features)]
        unsafe fn direct_rows_entry<O: $crate::kernels::simd::VecOps>(
            job: &$crate::kernels::simd::direct::DirectJob<<O::S as $crate::semiring::Semiring>::Scalar>,
        ) {
            // SAFETY: forwarded contract, features enabled here.
            unsafe { $crate::kernels::simd::direct::direct_rows::<O, MR, { MR / 4 }>(job) }
        }

        /// # Safety
        /// The CPU supports the ISA; the job comes from `row_group_driver`.
        #[target_feature(enable = $features)]
        unsafe fn row_groups_entry<O: $crate::kernels::simd::VecOps>(
            job: &$crate::kernels::simd::row_group::RowGroupJob<<O::S as $crate::semiring::Semiring>::Scalar>,
        ) {
            // SAFETY: forwarded contract, features enabled here.
            unsafe { $crate::kernels::simd::row_group::row_groups::<O>(job) }
        }

        impl<O: $crate::kernels::simd::VecOps, const NARROW: bool> $crate::kernels::micro::MicroKernel<O::S> for $kernel<O, NARROW> {
            const MR: usize = MR / tile_vectors::<O, NARROW>();
            const NR: usize = O::LANES * tile_vectors::<O, NARROW>();
            type Out = $crate::kernels::micro::TileC<<O::S as $crate::semiring::Semiring>::Scalar>;

            $crate::binding::entries::isa_kernel!(@packing O);

            const A_SPREAD: usize = {
                // Packed sizes are checked for at most MAX_A_SPREAD copies.
                assert!(O::A_SPREAD <= $crate::kernels::micro::MAX_A_SPREAD);
                O::A_SPREAD
            };

            #[inline(always)]
            unsafe fn pack_a(block: $crate::kernels::pack::Block<<O::S as $crate::semiring::Semiring>::Scalar>, dst: *mut <O::S as $crate::semiring::Semiring>::Scalar) {
                // SAFETY: forwarded contract; this kernel is only handed out
                // on CPUs with the ISA (checked in `kernel`).
                unsafe { pack_a_entry::<O, NARROW>(block, dst) }
            }

            #[inline(always)]
            unsafe fn tile(self, panels: $crate::kernels::micro::PackedPanels<<O::S as $crate::semiring::Semiring>::Scalar>, out: Self::Out) {
                // SAFETY: forwarded contract; the ISA was detected in `kernel`.
                unsafe { tile_entry::<O, NARROW>(panels.kc, panels.a, panels.b, out) }
            }
        }

        /// # Safety
        /// As `MicroKernel::tile`; the CPU supports the ISA.
        #[target_feature(enable = $features)]
        unsafe fn tile_entry<O: $crate::kernels::simd::VecOps, const NARROW: bool>(
            kc: usize,
            a: *const <O::S as $crate::semiring::Semiring>::Scalar,
            b: *const <O::S as $crate::semiring::Semiring>::Scalar,
            out: $crate::kernels::micro::TileC<<O::S as $crate::semiring::Semiring>::Scalar>,
        ) {
            // SAFETY: forwarded contract, features enabled here; the tile
            // is MicroKernel::MR × NR for either width.
            unsafe {
                if tile_vectors::<O, NARROW>() == 2 {
                    let a = $crate::kernels::simd::tile::PackedA::<O, { MR / 2 }>(a);
                    $crate::kernels::simd::tile::tile_body::<O, { MR / 2 }, 2>(kc, a, b, 2 * O::LANES as isize, out)
                } else {
                    let a = $crate::kernels::simd::tile::PackedA::<O, MR>(a);
                    $crate::kernels::simd::tile::tile_body::<O, MR, 1>(kc, a, b, O::LANES as isize, out)
                }
            }
        }

        $(#[$arg_doc])*
        #[derive(Clone, Copy, Default, Debug)]
        pub(crate) struct $arg_kernel<O>(std::marker::PhantomData<O>);

        /// Rows of every argmax tile of this ISA (a second register per row
        /// holds the indices, so fewer rows fit than in the value tile).
        pub(crate) const ARG_MR: usize = $arg_mr;

        /// The argmax kernel binding for `O`, or the portable one if this
        /// CPU lacks the ISA.
        pub(crate) fn arg_kernel<O: $crate::kernels::simd::ArgVecOps>() -> $crate::semiring::ArgKernel<O::S> {
            let Some(name) = bindable_name::<O>([$arg_name8, $arg_name4, $arg_name2, $arg_name4], [$arg_fma_name8, $arg_fma_name4]) else {
                return $crate::semiring::ArgKernel::portable();
            };
            // SAFETY: `bindable_name` checked that O's ISA is this one and
            // that the CPU has it.
            unsafe { $crate::semiring::ArgKernel::from_microkernel::<$arg_kernel<O>>(name, $crate::isa::IsaLevel::$level) }
        }

        impl<O: $crate::kernels::simd::ArgVecOps> $crate::kernels::micro::MicroKernel<O::S> for $arg_kernel<O> {
            const MR: usize = ARG_MR;
            const NR: usize = O::LANES;
            type Out = $crate::kernels::micro::ArgTile<<O::S as $crate::semiring::Semiring>::Scalar>;

            $crate::binding::entries::isa_kernel!(@packing O);

            #[inline(always)]
            unsafe fn tile(self, panels: $crate::kernels::micro::PackedPanels<<O::S as $crate::semiring::Semiring>::Scalar>, out: Self::Out) {
                // SAFETY: forwarded contract; the ISA was detected in
                // `arg_kernel`.
                unsafe { arg_tile_entry::<O>(panels.kc, panels.depth, panels.a, panels.b, out) }
            }
        }

        /// # Safety
        /// As `MicroKernel::tile`; the CPU supports the ISA.
        #[target_feature(enable = $features)]
        unsafe fn arg_tile_entry<O: $crate::kernels::simd::ArgVecOps>(
            kc: usize,
            depth: usize,
            a: *const <O::S as $crate::semiring::Semiring>::Scalar,
            b: *const <O::S as $crate::semiring::Semiring>::Scalar,
            out: $crate::kernels::micro::ArgTile<<O::S as $crate::semiring::Semiring>::Scalar>,
        ) {
            // SAFETY: forwarded contract, features enabled here.
            unsafe { $crate::kernels::simd::tile::arg_tile_body::<O, ARG_MR>(kc, depth, a, b, out) }
        }

        /// A's packing, `O::A_SPREAD` copies per element.
        ///
        /// # Safety
        /// As `MicroKernel::pack_a`; the CPU supports the ISA.
        #[target_feature(enable = $features)]
        unsafe fn pack_a_entry<O: $crate::kernels::simd::VecOps, const NARROW: bool>(
            block: $crate::kernels::pack::Block<<O::S as $crate::semiring::Semiring>::Scalar>,
            dst: *mut <O::S as $crate::semiring::Semiring>::Scalar,
        ) {
            let unit = MR / tile_vectors::<O, NARROW>();
            // SAFETY: forwarded contract (dst holds A_SPREAD·ceil(extent/unit)·unit·kc
            // for the kernel's MR = unit), features enabled here.
            unsafe { $crate::kernels::simd::pack::pack_a_panels::<O>(unit, block, dst) }
        }

        /// Packing compiled with the ISA, so the contiguous copies vectorize.
        ///
        /// # Safety
        /// As `pack::pack_panels`; the CPU supports the ISA.
        #[target_feature(enable = $features)]
        unsafe fn pack_entry<O: $crate::kernels::simd::VecOps>(
            unit: usize,
            block: $crate::kernels::pack::Block<<O::S as $crate::semiring::Semiring>::Scalar>,
            dst: *mut <O::S as $crate::semiring::Semiring>::Scalar,
        ) {
            // SAFETY: forwarded contract, features enabled here.
            unsafe { $crate::kernels::simd::pack::pack_vector_panels::<O>(unit, block, dst) }
        }
    };
}
pub(crate) use isa_kernel;

/// Declares `counting_tile_entry`: `kernels::counting::tile_body`
/// compiled with one ISA's features.
macro_rules! counting_tile_entry {
    ($features:literal) => {
        /// The counting tile compiled for this ISA.
        ///
        /// # Safety
        /// As `CountingTileFn` with MR and NR = `L::Values::LANES`; the CPU has the
        /// ISA (the binding hands this out only after detecting it).
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn counting_tile_entry<
            L: $crate::kernels::counting::CountLanes,
            const MAX: bool,
            const MR: usize,
        >(
            tile: $crate::semiring::counting::CountingTile<
                $crate::kernels::counting::CountValueOf<L>,
            >,
        ) {
            // SAFETY: forwarded contract, features enabled here.
            unsafe { $crate::kernels::counting::tile_body::<L, MAX, MR>(tile) }
        }
    };
}
pub(crate) use counting_tile_entry;
