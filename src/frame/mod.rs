//! The frame room: the ISA-blind loops. The packed five-loop driver, the
//! direct (small-matrix) driver, the row-group driver, and the portable
//! small path, with the one work-splitting rule they share.
//! Generic over the kernel traits; never names an ISA.

pub(crate) mod bits;
pub(crate) mod counting;
pub(crate) mod direct;
pub(crate) mod packed;
pub(crate) mod row_group;
pub(crate) mod small;

/// Defines a kernel handle's product routine: a function with the
/// handles' signature (`semiring::kernel::GemmFn`, or `ArgGemmFn`, whose
/// output is C and the index matrix) of the output type `$out`, running
/// `$body` on its parameters (named by the invocation). One function
/// generic over the output cannot serve: the handles' function pointers
/// take the output for any lifetime (higher-ranked), and a generic output
/// type is fixed before that lifetime is chosen, so it does not coerce to
/// them.
macro_rules! route {
    ($(#[$doc:meta])* $name:ident[$($generics:tt)*], $out:ty,
     |$ws:ident, $tiling:ident, $threads:ident, $a:ident, $b:ident, $c:ident, $accum:ident| $body:expr) => {
        $(#[$doc])*
        pub(crate) fn $name<$($generics)*>(
            $ws: &mut $crate::workspace::GemmWorkspace,
            $tiling: &$crate::blocking::TilingParams,
            $threads: usize,
            $a: $crate::view::MatRef<'_, S::Scalar>,
            $b: $crate::view::MatRef<'_, S::Scalar>,
            $c: $out,
            $accum: $crate::config::Accum,
        ) -> Result<(), $crate::error::Error> {
            $body
        }
    };
}
pub(crate) use route;

/// Part `index` of `count` near-equal parts of `0..total`, as (start, end):
/// how every driver splits its panels, groups or items among tasks.
pub(crate) fn split(total: usize, count: usize, index: usize) -> (usize, usize) {
    let base = total / count;
    let extra = total % count;
    let start = index * base + index.min(extra);
    (start, start + base + usize::from(index < extra))
}

/// Runs `run_task(0..tasks)`, on the current rayon pool when there is more
/// than one task.
pub(crate) fn run_tasks(tasks: usize, run_task: impl Fn(usize) + Sync + Send) {
    if tasks == 1 {
        run_task(0);
    } else {
        use rayon::prelude::*;
        (0..tasks).into_par_iter().for_each(run_task);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_everything_once() {
        for total in 0..20 {
            for count in 1..6 {
                let mut next = 0;
                for index in 0..count {
                    let (start, end) = split(total, count, index);
                    assert_eq!(start, next);
                    assert!(end >= start && end - start <= total / count + 1);
                    next = end;
                }
                assert_eq!(next, total);
            }
        }
    }
}
