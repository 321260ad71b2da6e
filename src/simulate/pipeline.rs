//! The read → map → fold pipeline under `simulate`. Traces are read in
//! blocks of whole lines; each block's records are mapped (parsed and
//! evaluated) on a worker; results are folded on the calling thread in
//! trace order, so the output is the same for any number of threads.
//!
//! With one thread nothing is spawned: reading, mapping and folding run
//! in turn on the calling thread. With N threads, a pool of N-1 helpers
//! maps blocks while the calling thread reads, folds, and maps a block
//! itself whenever the next one to fold is still with a helper. At most a
//! few blocks are in flight, so memory stays flat in the size of the trace.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::ThreadPool;

use super::Fatal;
use crate::engine::trace::{self, Block, Record};

/// Bytes per block: enough lines to amortise a hand-off to a worker, few
/// enough that blocks in flight stay in cache-sized memory.
const BLOCK_BYTES: usize = 256 * 1024;

/// Reads every trace, maps each record with `map` (on the pool, if any)
/// and shows the results to `fold` in trace order. `fold` gets the trace's
/// display name too; an error from it stops the run. Once folded, a block
/// mapped by a helper is dropped on the pool and one mapped by the calling
/// thread on that thread, so memory is mostly freed where it was
/// allocated: freeing across threads costs the allocator more.
pub fn run<T, M, F>(
    traces: &[impl AsRef<Path>],
    pool: Option<&ThreadPool>,
    map: M,
    mut fold: F,
) -> Result<(), Fatal>
where
    T: Send,
    M: Fn(Record) -> T + Sync,
    F: FnMut(&str, &T) -> Result<(), Fatal>,
{
    for path in traces {
        let path = path.as_ref();
        let name = path.display().to_string();
        let mut reader =
            trace::open(path).map_err(|e| Fatal(format!("cannot read trace `{name}`: {e}")))?;
        match pool {
            None => {
                let mut block = Block::default();
                loop {
                    reader.fill(&mut block, BLOCK_BYTES);
                    if block.is_empty() {
                        break;
                    }
                    for r in block.records() {
                        fold(&name, &map(r))?;
                    }
                }
            }
            Some(pool) => parallel(pool, &mut reader, &map, &mut |t| fold(&name, t))?,
        }
    }
    Ok(())
}

/// The next block of the trace, in a recycled block if there is one;
/// `None` at the end.
fn next_block(reader: &mut trace::TraceReader, free: &mut Vec<Block>) -> Option<Block> {
    let mut block = free.pop().unwrap_or_default();
    reader.fill(&mut block, BLOCK_BYTES);
    (!block.is_empty()).then_some(block)
}

fn parallel<T, M>(
    pool: &ThreadPool,
    reader: &mut trace::TraceReader,
    map: &M,
    fold: &mut dyn FnMut(&T) -> Result<(), Fatal>,
) -> Result<(), Fatal>
where
    T: Send,
    M: Fn(Record) -> T + Sync,
{
    let helpers = pool.current_num_threads();
    // Blocks read but not folded yet: queued for the helpers, being
    // mapped, or mapped and waiting for their turn to be folded.
    let in_flight = 2 * (helpers + 1) + 2;
    pool.in_place_scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel::<(usize, Vec<T>, Block)>();
        let (mut sent, mut folded, mut queued) = (0usize, 0usize, 0usize);
        // Mapped blocks' results, and whether a helper mapped them.
        let mut done: BTreeMap<usize, (Vec<T>, bool)> = BTreeMap::new();
        // Blocks come back with their results and are refilled.
        let mut free: Vec<Block> = Vec::new();
        let (mut end, mut wait) = (false, false);
        loop {
            // Wait for a result only when there is nothing else to do.
            let first = match wait {
                true => Some(
                    rx.recv()
                        .map_err(|_| Fatal("a worker stopped without a result".into()))?,
                ),
                false => None,
            };
            for (i, out, block) in first
                .into_iter()
                .chain(std::iter::from_fn(|| rx.try_recv().ok()))
            {
                queued -= 1;
                free.push(block);
                done.insert(i, (out, true));
            }
            while let Some((out, on_helper)) = done.remove(&folded) {
                for t in &out {
                    fold(t)?;
                }
                folded += 1;
                if on_helper {
                    scope.spawn(move |_| drop(out));
                }
            }
            if end && folded == sent {
                return Ok(());
            }
            // Keep every helper fed with two blocks.
            while !end && sent - folded < in_flight && queued < 2 * helpers {
                let Some(block) = next_block(reader, &mut free) else {
                    end = true;
                    break;
                };
                let (tx, i) = (tx.clone(), sent);
                scope.spawn(move |_| {
                    let out: Vec<T> = block.records().map(map).collect();
                    // The receiver only hangs up after an error, when the
                    // remaining results are not wanted.
                    let _ = tx.send((i, out, block));
                });
                sent += 1;
                queued += 1;
            }
            wait = false;
            if done.contains_key(&folded) {
                continue;
            }
            // The next block to fold is still with a helper: map one here
            // instead of waiting, if there is room.
            if !end && sent - folded < in_flight {
                match next_block(reader, &mut free) {
                    None => end = true,
                    Some(block) => {
                        done.insert(sent, (block.records().map(map).collect(), false));
                        free.push(block);
                        sent += 1;
                    }
                }
                continue;
            }
            wait = folded < sent;
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Many blocks, any number of threads: every record folded once, in
    /// trace order (malformed lines included).
    #[test]
    fn folds_in_trace_order() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let pad = "x".repeat(1000);
        let n = 3000;
        for i in 1..=n {
            if i % 97 == 0 {
                writeln!(f, "not json").unwrap();
            } else {
                writeln!(f, r#"{{"id":"e{i}","input":"{pad}"}}"#).unwrap();
            }
        }
        f.flush().unwrap();
        let want: Vec<usize> = (1..=n).collect();
        for threads in [1, 2, 3] {
            let pool = (threads > 1).then(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads - 1)
                    .build()
                    .unwrap()
            });
            let mut got = Vec::new();
            let line = |r: Record| match r {
                Record::Event(e) => e.line,
                Record::Malformed { line, .. } => line,
            };
            run(&[f.path()], pool.as_ref(), line, |_, &l| {
                got.push(l);
                Ok(())
            })
            .unwrap();
            assert_eq!(got, want, "{threads} threads");
        }
    }
}
