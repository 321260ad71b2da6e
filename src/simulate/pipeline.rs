//! The read → map → fold pipeline under `simulate`. Traces are read in
//! blocks of whole lines; each block's records are mapped (parsed and
//! evaluated) on a worker; results are folded on the calling thread in
//! trace order, so the output is the same for any number of threads.
//! Counts whose order does not matter are tallied by each mapping thread
//! for the whole run ([`Tally`]) and added up at the end, so folding
//! reads nothing of them.
//!
//! With one thread nothing is spawned: reading, mapping and folding run
//! in turn on the calling thread. With N threads, the calling thread and
//! a pool of N-1 helpers each take the next block from the shared reader
//! and map it, so no thread waits to be handed work; the calling thread
//! also folds, after each block it maps, whatever is next in trace order.
//! At most a few blocks per thread are in flight, so memory stays flat in
//! the size of the trace. Each thread maps with a mapping function of its
//! own and fills result vectors it allocated itself: what one core writes
//! on every event, no other core touches.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard};

use rayon::ThreadPool;

use super::Fatal;
use crate::engine::trace::{self, Block, Record};

/// Bytes per block: enough lines to amortise a hand-off to a worker, few
/// enough that blocks in flight stay in cache-sized memory.
const BLOCK_BYTES: usize = 256 * 1024;

/// Emptied result vectors a thread keeps to fill again: enough for the
/// blocks it has in flight at once.
const SPARE: usize = 4;

/// Which thread a mapping function is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thread {
    /// The thread that called [`run`] (and folds): it may use what it
    /// already holds.
    Calling,
    /// A helper of the pool: what it writes on every record should be its
    /// own.
    Helper,
}

/// Counts kept by each thread that maps and added up at the end; adding
/// must not depend on how the records were split among blocks or
/// threads.
pub trait Tally: Default + Send {
    fn add(&mut self, other: Self);
}

impl Tally for () {
    fn add(&mut self, _: ()) {}
}

/// Reads every trace, maps each record (on the pool, if any) and shows
/// the results to `fold` in trace order, with the trace's display name.
/// Every thread that maps gets its own mapping function from `mapper`,
/// once per run (told which thread it is for), so what a mapping
/// function owns (compiled rules, search caches) is written by one core
/// only; it may count into its thread's tally. Returns the tallies added up. An error from `fold`, or a trace
/// that cannot be opened (once everything before it is folded), stops the
/// run. Once folded, results mapped by a helper go back to that helper to
/// be dropped, so memory is freed on the thread that allocated it:
/// freeing across threads costs the allocator more.
pub fn run<P, T, A, N, M, F>(
    traces: &[P],
    pool: Option<&ThreadPool>,
    mapper: N,
    mut fold: F,
) -> Result<A, Fatal>
where
    P: AsRef<Path> + Sync,
    T: Send,
    A: Tally,
    N: Fn(Thread) -> M + Sync,
    M: FnMut(Record, &mut A) -> T,
    F: FnMut(&str, &T) -> Result<(), Fatal>,
{
    let names: Vec<String> = traces
        .iter()
        .map(|p| p.as_ref().display().to_string())
        .collect();
    let name = |t: usize| names.get(t).map_or("", String::as_str);
    let mut source = Source {
        traces,
        trace: 0,
        reader: None,
        blocks: 0,
    };
    match pool {
        None => {
            let mut map = mapper(Thread::Calling);
            let mut total = A::default();
            let mut block = Block::default();
            while let Some((_, t)) = source.next(&mut block)? {
                for r in block.records() {
                    fold(name(t), &map(r, &mut total))?;
                }
            }
            Ok(total)
        }
        Some(pool) => parallel(pool, &mut source, &mapper, &mut |t, x| fold(name(t), x)),
    }
}

/// The traces, read one after the other as one run of numbered blocks.
struct Source<'a, P> {
    traces: &'a [P],
    /// The trace being read (its index in `traces`).
    trace: usize,
    /// Its reader, once opened.
    reader: Option<trace::TraceReader>,
    /// Blocks given so far.
    blocks: usize,
}

impl<P: AsRef<Path>> Source<'_, P> {
    /// Refills `block` with the next block: its number and its trace's
    /// index; `None` after the last trace. A trace is opened when its
    /// first block is wanted.
    fn next(&mut self, block: &mut Block) -> Result<Option<(usize, usize)>, Fatal> {
        loop {
            let Some(path) = self.traces.get(self.trace) else {
                return Ok(None);
            };
            let reader = match &mut self.reader {
                Some(r) => r,
                None => self.reader.insert(trace::open(path.as_ref()).map_err(|e| {
                    Fatal(format!(
                        "cannot read trace `{}`: {e}",
                        path.as_ref().display()
                    ))
                })?),
            };
            reader.fill(block, BLOCK_BYTES);
            if block.is_empty() {
                self.reader = None;
                self.trace += 1;
                continue;
            }
            self.blocks += 1;
            return Ok(Some((self.blocks - 1, self.trace)));
        }
    }
}

/// Maps a block's records into `out` (an emptied vector to fill again, if
/// the thread has one).
fn map_block<T, A, M>(map: &mut M, block: &Block, tally: &mut A, out: Option<Vec<T>>) -> Vec<T>
where
    M: FnMut(Record, &mut A) -> T,
{
    let mut out = out.unwrap_or_default();
    out.extend(block.records().map(|r| map(r, tally)));
    out
}

/// Keeps an emptied result vector to fill again, up to [`SPARE`].
fn keep<T>(spare: &mut Vec<Vec<T>>, mut v: Vec<T>) {
    v.clear();
    if spare.len() < SPARE {
        spare.push(v);
    }
}

/// A mapped block.
struct Mapped<T> {
    out: Vec<T>,
    /// Its trace's index.
    trace: usize,
    /// The helper that mapped it (`None`: the calling thread).
    helper: Option<usize>,
}

/// What the threads of a parallel run share.
struct Shared<T, A> {
    /// Blocks handed out (read or being read) and not folded yet; a
    /// thread takes a slot before reading, so memory stays bounded.
    in_flight: usize,
    /// Mapped blocks by their number in the run.
    done: BTreeMap<usize, Mapped<T>>,
    /// Folded results to be dropped by the helper that allocated them.
    garbage: Vec<Vec<Vec<T>>>,
    /// Blocks in the run, once the end is read (or a trace failed to
    /// open: then `failed` says why, after every block before it).
    total: Option<usize>,
    failed: Option<Fatal>,
    /// The helpers' tallies, handed in as they finish.
    tallies: Vec<A>,
    /// A fold failed or a helper found the pool gone: everyone stops.
    stop: bool,
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
fn parallel<P, T, A, N, M>(
    pool: &ThreadPool,
    source: &mut Source<'_, P>,
    mapper: &N,
    fold: &mut dyn FnMut(usize, &T) -> Result<(), Fatal>,
) -> Result<A, Fatal>
where
    P: AsRef<Path> + Sync,
    T: Send,
    A: Tally,
    N: Fn(Thread) -> M + Sync,
    M: FnMut(Record, &mut A) -> T,
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
        failed: None,
        tallies: Vec::new(),
        stop: false,
    });
    // Signalled when a block is mapped or folded, or the run stops.
    let changed = Condvar::new();
    let source = Mutex::new(source);
    let (shared, changed, source) = (&shared, &changed, &source);
    // Takes a slot and reads into `block`: the block's number and trace,
    // or `None` at the end or when the run stops. A helper waits for a
    // free slot; the calling thread, which frees them, never waits here.
    let take = |block: &mut Block, waits: bool| -> Option<(usize, usize)> {
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
        let blocks = src.blocks;
        drop(src);
        match got {
            Ok(Some(b)) => Some(b),
            end => {
                let mut s = lock(shared);
                s.in_flight -= 1;
                s.total = Some(blocks);
                s.failed = end.err();
                changed.notify_all();
                None
            }
        }
    };
    // Hands a mapped block in.
    let put = |i: usize, m: Mapped<T>| {
        lock(shared).done.insert(i, m);
        changed.notify_all();
    };
    let result = pool.in_place_scope(|scope| {
        for h in 0..helpers {
            scope.spawn(move |_| {
                let mut map = mapper(Thread::Helper);
                let mut tally = A::default();
                let mut block = Block::default();
                let mut spare = Vec::new();
                let mut folded = Vec::new();
                while let Some((i, trace)) = take(&mut block, true) {
                    let out = map_block(&mut map, &block, &mut tally, spare.pop());
                    let helper = Some(h);
                    put(i, Mapped { out, trace, helper });
                    // Results this helper allocated, folded since: dropped
                    // here, their vectors kept to fill again.
                    if let Some(g) = lock(shared).garbage.get_mut(h) {
                        std::mem::swap(g, &mut folded);
                    }
                    for v in folded.drain(..) {
                        keep(&mut spare, v);
                    }
                }
                lock(shared).tallies.push(tally);
            });
        }
        // However the calling thread leaves (done, a failed fold, a
        // panic), helpers waiting for a slot are told to stop.
        let _stop = Stop(shared, changed);
        let mut map = mapper(Thread::Calling);
        let mut tally = A::default();
        let mut block = Block::default();
        let mut spare = Vec::new();
        let mut folded = 0usize;
        loop {
            let mut s = lock(shared);
            // Fold what is next in trace order.
            if let Some(m) = s.done.remove(&folded) {
                drop(s);
                for x in &m.out {
                    fold(m.trace, x)?;
                }
                folded += 1;
                let mut s = lock(shared);
                s.in_flight -= 1;
                let own = match m.helper.and_then(|h| s.garbage.get_mut(h)) {
                    Some(g) => {
                        g.push(m.out);
                        None
                    }
                    None => Some(m.out),
                };
                drop(s);
                changed.notify_all();
                if let Some(v) = own {
                    keep(&mut spare, v);
                }
                continue;
            }
            if s.total == Some(folded) {
                return match s.failed.take() {
                    Some(e) => Err(e),
                    None => Ok(tally),
                };
            }
            if s.in_flight >= limit || s.total.is_some() {
                // The next block to fold is with a helper, and there is
                // nothing else to do.
                drop(wait(changed, s));
                continue;
            }
            drop(s);
            if let Some((i, trace)) = take(&mut block, false) {
                let out = map_block(&mut map, &block, &mut tally, spare.pop());
                put(
                    i,
                    Mapped {
                        out,
                        trace,
                        helper: None,
                    },
                );
            }
        }
    });
    // Every helper has finished and handed its tally in.
    let mut total = result?;
    for t in std::mem::take(&mut lock(shared).tallies) {
        total.add(t);
    }
    Ok(total)
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
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
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

    /// Records mapped, tallied per thread.
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
            Record::Malformed { line, .. } | Record::Skipped { line, .. } => line,
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
            let count = run(
                &[f.path()],
                pool(threads).as_ref(),
                |_| line,
                |_, &l| {
                    got.push(l);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(got, want, "{threads} threads");
            assert_eq!(count.0, n, "{threads} threads");
        }
    }

    /// Traces are folded one after the other under their own names; one
    /// that cannot be opened stops the run with its name once every
    /// trace before it is folded. Each thread makes its mapping function
    /// once for the whole run, not once per trace.
    #[test]
    fn traces_in_turn_and_a_missing_one() {
        let (a, b) = (trace(1500), trace(700));
        let missing = a.path().with_extension("missing");
        let (an, bn) = (
            a.path().display().to_string(),
            b.path().display().to_string(),
        );
        for threads in [1, 2, 3] {
            // Mapping functions made for the calling thread and helpers.
            let made = [0, 1].map(|_| std::sync::atomic::AtomicUsize::new(0));
            let mapper = |t: Thread| {
                let i = usize::from(t == Thread::Helper);
                made[i].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                line
            };
            let mut got = Vec::new();
            let count = run(
                &[a.path(), b.path(), a.path()],
                pool(threads).as_ref(),
                mapper,
                |n, &l| {
                    got.push((n.to_string(), l));
                    Ok(())
                },
            )
            .unwrap();
            let want: Vec<_> = (1..=1500)
                .map(|l| (an.clone(), l))
                .chain((1..=700).map(|l| (bn.clone(), l)))
                .chain((1..=1500).map(|l| (an.clone(), l)))
                .collect();
            assert_eq!(got, want, "{threads} threads");
            assert_eq!(count.0, 3700, "{threads} threads");
            let made = made.map(std::sync::atomic::AtomicUsize::into_inner);
            assert_eq!(made, [1, threads - 1], "{threads} threads");

            let mut got = Vec::new();
            let r = run(
                &[a.path(), missing.as_path(), b.path()],
                pool(threads).as_ref(),
                |_| line,
                |n, &l| {
                    got.push((n.to_string(), l));
                    Ok(())
                },
            );
            let e = r.unwrap_err().0;
            assert!(
                e.starts_with(&format!("cannot read trace `{}`", missing.display())),
                "{e}"
            );
            assert_eq!(got.len(), 1500, "{threads} threads");
            assert!(got.iter().all(|(n, _)| *n == an), "{threads} threads");
        }
    }

    /// A failing fold stops the run with its error, after folding
    /// nothing past it, however many threads are still mapping.
    #[test]
    fn stops_at_a_failing_fold() {
        let f = trace(3000);
        for threads in [1, 2, 3] {
            let mut last = 0;
            let r = run(
                &[f.path()],
                pool(threads).as_ref(),
                |_| line,
                |_, &l| {
                    last = l;
                    match l {
                        1234 => Err(Fatal(format!("stop at {l}"))),
                        _ => Ok(()),
                    }
                },
            );
            assert_eq!(r.unwrap_err().0, "stop at 1234", "{threads} threads");
            assert_eq!(last, 1234, "{threads} threads");
        }
    }
}
