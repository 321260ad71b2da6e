//! The read → map → fold pipeline under `simulate`. Traces are read in
//! blocks of whole lines; each block's records are mapped (parsed and
//! evaluated) on a worker; results are folded on the calling thread in
//! trace order, so the output is the same for any number of threads.
//!
//! With one thread nothing is spawned: reading, mapping and folding run
//! in turn on the calling thread. With more, the calling thread reads and
//! folds while the pool maps the blocks in flight; at most a few blocks
//! are in flight, so memory stays flat in the size of the trace.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::ThreadPool;

use super::Fatal;
use crate::engine::trace::{self, Block, Record};

/// Bytes per block: enough lines to amortise a hand-off to a worker, few
/// enough that blocks in flight stay in cache-sized memory.
const BLOCK_BYTES: usize = 256 * 1024;

/// Reads every trace, maps each record with `map` (on the pool, if any)
/// and hands the results to `fold` in trace order. `fold` gets the trace's
/// display name too; an error from it stops the run.
pub fn run<T, M, F>(
    traces: &[impl AsRef<Path>],
    pool: Option<&ThreadPool>,
    map: M,
    mut fold: F,
) -> Result<(), Fatal>
where
    T: Send,
    M: Fn(Record) -> T + Sync,
    F: FnMut(&str, T) -> Result<(), Fatal>,
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
                        fold(&name, map(r))?;
                    }
                }
            }
            Some(pool) => parallel(pool, &mut reader, &map, &mut |t| fold(&name, t))?,
        }
    }
    Ok(())
}

fn parallel<T, M>(
    pool: &ThreadPool,
    reader: &mut trace::TraceReader,
    map: &M,
    fold: &mut dyn FnMut(T) -> Result<(), Fatal>,
) -> Result<(), Fatal>
where
    T: Send,
    M: Fn(Record) -> T + Sync,
{
    let in_flight = 2 * pool.current_num_threads() + 2;
    pool.in_place_scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel::<(usize, Vec<T>, Block)>();
        let (mut sent, mut folded) = (0usize, 0usize);
        let mut done: BTreeMap<usize, Vec<T>> = BTreeMap::new();
        // Blocks come back with their results and are refilled.
        let mut free: Vec<Block> = Vec::new();
        let mut end = false;
        loop {
            while !end && sent - folded < in_flight {
                let mut block = free.pop().unwrap_or_default();
                reader.fill(&mut block, BLOCK_BYTES);
                if block.is_empty() {
                    end = true;
                    break;
                }
                let (tx, i) = (tx.clone(), sent);
                scope.spawn(move |_| {
                    let out: Vec<T> = block.records().map(map).collect();
                    // The receiver only hangs up after an error, when the
                    // remaining results are not wanted.
                    let _ = tx.send((i, out, block));
                });
                sent += 1;
            }
            if folded == sent {
                return Ok(());
            }
            let Ok((i, out, block)) = rx.recv() else {
                return Err(Fatal("a worker stopped without a result".into()));
            };
            free.push(block);
            done.insert(i, out);
            while let Some(out) = done.remove(&folded) {
                for t in out {
                    fold(t)?;
                }
                folded += 1;
            }
        }
    })
}
