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
