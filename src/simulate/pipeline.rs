//! The read → map → fold pipeline under `simulate`. Traces are read in
//! blocks of whole lines; each block's records are mapped (parsed and
//! evaluated) on a worker; results are folded on the calling thread in
//! trace order, so the output is the same for any number of threads.
//! Counts whose order does not matter are tallied by the mapping thread
//! per block ([`Tally`]), so folding reads less of what another core
//! wrote.
//!
//! With one thread nothing is spawned: reading, mapping and folding run
//! in turn on the calling thread. With N threads, the calling thread and
//! a pool of N-1 helpers each take the next block from the shared reader
//! and map it, so no thread waits to be handed work; the calling thread
//! also folds, after each block it maps, whatever is next in trace order.
//! At most a few blocks per thread are in flight, so memory stays flat in
//! the size of the trace.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard};

use rayon::ThreadPool;

use super::Fatal;
use crate::engine::trace::{self, Block, Record};

/// Bytes per block: enough lines to amortise a hand-off to a worker, few
/// enough that blocks in flight stay in cache-sized memory.
const BLOCK_BYTES: usize = 256 * 1024;

/// Counts kept per block by the thread that maps it and added up in trace
/// order; adding must not depend on how the records were split into
/// blocks.
pub trait Tally: Default + Send {
    fn add(&mut self, other: Self);
}

impl Tally for () {
    fn add(&mut self, _: ()) {}
}

/// Reads every trace, maps each record with `map` (on the pool, if any;
/// it may count into its block's tally) and shows the results to `fold`
/// in trace order. Returns the tallies added up. `fold` gets the trace's
/// display name too; an error from it stops the run. Once folded, results
/// mapped by a helper go back to that helper to be dropped, so memory is
/// freed on the thread that allocated it: freeing across threads costs the
/// allocator more.
pub fn run<T, A, M, F>(
    traces: &[impl AsRef<Path>],
    pool: Option<&ThreadPool>,
    map: M,
    mut fold: F,
) -> Result<A, Fatal>
where
    T: Send,
    A: Tally,
    M: Fn(Record, &mut A) -> T + Sync,
    F: FnMut(&str, &T) -> Result<(), Fatal>,
{
    let mut total = A::default();
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
                        fold(&name, &map(r, &mut total))?;
                    }
                }
            }
            Some(pool) => total.add(parallel(pool, &mut reader, &map, &mut |t| fold(&name, t))?),
        }
    }
    Ok(total)
}

/// A mapped block: its results, its tally, and the helper that mapped it
/// (`None`: the calling thread).
type Mapped<T, A> = (Vec<T>, A, Option<usize>);

/// What the threads of a parallel run share.
struct Shared<T, A> {
    /// Blocks handed out (read or being read) and not folded yet; a
    /// thread takes a slot before reading, so memory stays bounded.
    in_flight: usize,
    /// Mapped blocks by their number in the trace.
    done: BTreeMap<usize, Mapped<T, A>>,
    /// Folded results to be dropped by the helper that allocated them.
    garbage: Vec<Vec<Vec<T>>>,
    /// Blocks in the trace, once its end is read.
    total: Option<usize>,
    /// A fold failed or a helper found the pool gone: everyone stops.
    stop: bool,
}

/// The reader and the number of the next block it gives.
struct Source<'a> {
    reader: &'a mut trace::TraceReader,
    next: usize,
}

impl Source<'_> {
    /// Refills `block` with the next block and returns its number; `None`
    /// at the end.
    fn next(&mut self, block: &mut Block) -> Option<usize> {
        self.reader.fill(block, BLOCK_BYTES);
        if block.is_empty() {
            return None;
        }
        self.next += 1;
        Some(self.next - 1)
    }
}

fn lock<X>(m: &Mutex<X>) -> MutexGuard<'_, X> {
    // A thread that panicked holding the lock left consistent data: every
    // update under it is a single insert or counter change.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn wait<'a, X>(c: &Condvar, g: MutexGuard<'a, X>) -> MutexGuard<'a, X> {
    c.wait(g).unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Every thread, helpers and the calling one, takes the next block from
/// the shared reader and maps it, so no thread waits for another to hand
/// it work. Only the calling thread folds: after each block it maps, it
/// folds every result that is next in trace order.
fn parallel<T, A, M>(
    pool: &ThreadPool,
    reader: &mut trace::TraceReader,
    map: &M,
    fold: &mut dyn FnMut(&T) -> Result<(), Fatal>,
) -> Result<A, Fatal>
where
    T: Send,
    A: Tally,
    M: Fn(Record, &mut A) -> T + Sync,
{
    let helpers = pool.current_num_threads();
    // Blocks read but not folded: a few per thread keeps everyone busy
    // while the calling thread folds.
    let limit = 3 * (helpers + 1);
    let shared = Mutex::new(Shared {
        in_flight: 0,
        done: BTreeMap::new(),
        garbage: (0..helpers).map(|_| Vec::new()).collect(),
        total: None,
        stop: false,
    });
    // Signalled when a block is mapped or folded, or the run stops.
    let changed = Condvar::new();
    let source = Mutex::new(Source { reader, next: 0 });
    let (shared, changed, source) = (&shared, &changed, &source);
    // Takes a slot and reads into `block`: the block's number, or `None`
    // at the end or when the run stops. A helper waits for a free slot;
    // the calling thread, which frees them, never waits here.
    let take = |block: &mut Block, waits: bool| -> Option<usize> {
        let mut s = lock(shared);
        loop {
            if s.stop || s.total.is_some() {
                return None;
            }
            if s.in_flight < limit {
                break;
            }
            if !waits {
                return None;
            }
            s = wait(changed, s);
        }
        s.in_flight += 1;
        drop(s);
        let mut src = lock(source);
        let got = src.next(block);
        let total = src.next;
        drop(src);
        if got.is_none() {
            let mut s = lock(shared);
            s.in_flight -= 1;
            s.total = Some(total);
            changed.notify_all();
        }
        got
    };
    // Maps a block, and hands its results and tally in.
    let put = |i: usize, block: &Block, helper: Option<usize>| {
        let mut tally = A::default();
        let out = block.records().map(|r| map(r, &mut tally)).collect();
        lock(shared).done.insert(i, (out, tally, helper));
        changed.notify_all();
    };
    pool.in_place_scope(|scope| {
        for h in 0..helpers {
            scope.spawn(move |_| {
                let mut block = Block::default();
                while let Some(i) = take(&mut block, true) {
                    put(i, &block, Some(h));
                    // Results this helper allocated, folded since.
                    let old = lock(shared).garbage.get_mut(h).map(std::mem::take);
                    drop(old);
                }
            });
        }
        // However the calling thread leaves (done, a failed fold, a
        // panic), helpers waiting for a slot are told to stop.
        let _stop = Stop(shared, changed);
        let mut block = Block::default();
        let mut folded = 0usize;
        let mut total = A::default();
        loop {
            let mut s = lock(shared);
            // Fold what is next in trace order.
            if let Some((out, tally, helper)) = s.done.remove(&folded) {
                drop(s);
                for t in &out {
                    fold(t)?;
                }
                total.add(tally);
                folded += 1;
                let mut s = lock(shared);
                s.in_flight -= 1;
                let own = match helper.and_then(|h| s.garbage.get_mut(h)) {
                    Some(g) => {
                        g.push(out);
                        None
                    }
                    None => Some(out),
                };
                drop(s);
                changed.notify_all();
                drop(own);
                continue;
            }
            if s.total == Some(folded) {
                return Ok(total);
            }
            if s.in_flight >= limit || s.total.is_some() {
                // The next block to fold is with a helper, and there is
                // nothing else to do.
                drop(wait(changed, s));
                continue;
            }
            drop(s);
            if let Some(i) = take(&mut block, false) {
                put(i, &block, None);
            }
        }
    })
}

/// Stops a parallel run when dropped.
struct Stop<'a, T, A>(&'a Mutex<Shared<T, A>>, &'a Condvar);

impl<T, A> Drop for Stop<'_, T, A> {
    fn drop(&mut self) {
        lock(self.0).stop = true;
        self.1.notify_all();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A trace of `n` lines of about 1 KB (every 97th malformed): a
    /// dozen blocks.
    fn trace(n: usize) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let pad = "x".repeat(1000);
        for i in 1..=n {
            if i % 97 == 0 {
                writeln!(f, "not json").unwrap();
            } else {
                writeln!(f, r#"{{"id":"e{i}","input":"{pad}"}}"#).unwrap();
            }
        }
        f.flush().unwrap();
        f
    }

    fn pool(threads: usize) -> Option<ThreadPool> {
        (threads > 1).then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads - 1)
                .build()
                .unwrap()
        })
    }

    /// Records mapped, tallied per block.
    #[derive(Debug, Default)]
    struct Count(usize);

    impl Tally for Count {
        fn add(&mut self, other: Count) {
            self.0 += other.0;
        }
    }

    fn line(r: Record, n: &mut Count) -> usize {
        n.0 += 1;
        match r {
            Record::Event(e) => e.line,
            Record::Malformed { line, .. } | Record::OtherSpan { line } => line,
        }
    }

    /// Many blocks, any number of threads: every record folded once, in
    /// trace order (malformed lines included), and tallied once.
    #[test]
    fn folds_in_trace_order() {
        let n = 3000;
        let f = trace(n);
        let want: Vec<usize> = (1..=n).collect();
        for threads in [1, 2, 3, 5] {
            let mut got = Vec::new();
            let count = run(&[f.path()], pool(threads).as_ref(), line, |_, &l| {
                got.push(l);
                Ok(())
            })
            .unwrap();
            assert_eq!(got, want, "{threads} threads");
            assert_eq!(count.0, n, "{threads} threads");
        }
    }

    /// A failing fold stops the run with its error, after folding
    /// nothing past it, however many threads are still mapping.
    #[test]
    fn stops_at_a_failing_fold() {
        let f = trace(3000);
        for threads in [1, 2, 3] {
            let mut last = 0;
            let r = run(&[f.path()], pool(threads).as_ref(), line, |_, &l| {
                last = l;
                match l {
                    1234 => Err(Fatal(format!("stop at {l}"))),
                    _ => Ok(()),
                }
            });
            assert_eq!(r.unwrap_err().0, "stop at 1234", "{threads} threads");
            assert_eq!(last, 1234, "{threads} threads");
        }
    }
}
