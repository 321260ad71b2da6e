//! Aligning ordered lists (approval steps) element by element, the same
//! whichever side is old.

use serde_json::Value;
use similar::{Algorithm, DiffOp, capture_diff_slices};

/// How `old` turns into `new`, element by element. A sequence diff may
/// align equal elements in more than one way (`[a, x]` to `[x, x]`: `a`
/// changed in place, or `a` removed and a second `x` added), and which
/// one Myers finds depends on the direction. So both directions are
/// tried and the alignment that reads best is kept by a measure that
/// does not depend on the direction: fewest changes, then elements kept
/// nearest their places. The diff read backwards then says the same.
pub(super) fn alignment(old: &[Value], new: &[Value]) -> Vec<DiffOp> {
    let forward = capture_diff_slices(Algorithm::Myers, old, new);
    let backward: Vec<DiffOp> = capture_diff_slices(Algorithm::Myers, new, old)
        .into_iter()
        .map(reversed)
        .collect();
    if measure(&backward) < measure(&forward) {
        backward
    } else {
        forward
    }
}

/// The same step of a diff, read from new to old.
fn reversed(op: DiffOp) -> DiffOp {
    match op {
        DiffOp::Equal {
            old_index,
            new_index,
            len,
        } => DiffOp::Equal {
            old_index: new_index,
            new_index: old_index,
            len,
        },
        DiffOp::Delete {
            old_index,
            old_len,
            new_index,
        } => DiffOp::Insert {
            old_index: new_index,
            new_index: old_index,
            new_len: old_len,
        },
        DiffOp::Insert {
            old_index,
            new_index,
            new_len,
        } => DiffOp::Delete {
            old_index: new_index,
            old_len: new_len,
            new_index: old_index,
        },
        DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } => DiffOp::Replace {
            old_index: new_index,
            old_len: new_len,
            new_index: old_index,
            new_len: old_len,
        },
    }
}

/// An alignment's cost, the same whichever side is old: the elements
/// reported (removed, added, or changed in place), then how far the
/// paired elements moved, then the pairs themselves as `(i + j, |i - j|)`.
fn measure(ops: &[DiffOp]) -> (usize, usize, Vec<(usize, usize)>) {
    let (mut reported, mut moved, mut pairs) = (0, 0, Vec::new());
    let mut pair = |i: usize, j: usize, moved: &mut usize| {
        *moved += i.abs_diff(j);
        pairs.push((i + j, i.abs_diff(j)));
    };
    for op in ops {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => (0..len).for_each(|k| pair(old_index + k, new_index + k, &mut moved)),
            DiffOp::Delete { old_len: n, .. } | DiffOp::Insert { new_len: n, .. } => reported += n,
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                reported += old_len.max(new_len);
                (0..old_len.min(new_len))
                    .for_each(|k| pair(old_index + k, new_index + k, &mut moved));
            }
        }
    }
    pairs.sort_unstable();
    (reported, moved, pairs)
}
