//! The bounded channel between a reader thread (JSON parsing, a SQL cursor) and the rules: rows
//! travel in batches, so the two threads wake each other once per thousand rows instead of once
//! per row. Memory stays bounded: at most `batches` full batches wait in the channel.

use std::sync::{Arc, Condvar, Mutex, mpsc};

const BATCH: usize = 1024;

pub fn channel<T: Send>(batches: usize) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = mpsc::sync_channel(batches);
    (
        Sender {
            tx,
            buf: Vec::with_capacity(BATCH),
        },
        Receiver {
            rx,
            cur: Vec::new().into_iter(),
        },
    )
}

pub struct Sender<T> {
    tx: mpsc::SyncSender<Vec<T>>,
    buf: Vec<T>,
}

impl<T> Sender<T> {
    /// Queues one item; false when the reading side has stopped and the producer should too.
    pub fn send(&mut self, item: T) -> bool {
        self.buf.push(item);
        self.buf.len() < BATCH || self.flush()
    }

    /// Hands over what is queued; dropping the sender does this too.
    pub fn flush(&mut self) -> bool {
        if self.buf.is_empty() {
            return true;
        }
        let batch = std::mem::replace(&mut self.buf, Vec::with_capacity(BATCH));
        self.tx.send(batch).is_ok()
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.flush();
    }
}

pub struct Receiver<T> {
    rx: mpsc::Receiver<Vec<T>>,
    cur: std::vec::IntoIter<T>,
}

impl<T> Iterator for Receiver<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        loop {
            if let Some(item) = self.cur.next() {
                return Some(item);
            }
            self.cur = self.rx.recv().ok()?.into_iter();
        }
    }
}

/// Runs `items.map(f)` on a thread of its own, so reading and parsing use one core while the
/// caller judges on the other; order is kept. A panic on that thread is raised again in the
/// caller when it reaches the end, never taken for the end of the input.
pub fn map_on_thread<I, T, F>(items: I, f: F) -> OnThread<T>
where
    I: Iterator + Send + 'static,
    T: Send + 'static,
    F: FnMut(I::Item) -> T + Send + 'static,
{
    let (mut tx, rx) = channel(8);
    let handle = std::thread::spawn(move || {
        for item in items.map(f) {
            if !tx.send(item) {
                return;
            }
        }
    });
    OnThread {
        rx,
        handle: Some(handle),
    }
}

pub struct OnThread<T> {
    rx: Receiver<T>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl<T> Iterator for OnThread<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let item = self.rx.next();
        if item.is_none()
            && let Some(h) = self.handle.take()
            && let Err(panic) = h.join()
        {
            std::panic::resume_unwind(panic);
        }
        item
    }
}

/// Blocks taken ahead of the one being read, at most: bounds memory whatever the input's size.
/// With 12 instead of 4 the other thread runs in longer stretches instead of waiting and being
/// woken for each block (1M rows, 30 alternating runs: CSV dry run 0.278 → 0.262 s median, CPU
/// 0.472 → 0.445 s; JSON Lines 0.400 → 0.370 s), at the same peak RSS; 24 gained no more.
const WINDOW: usize = 12;
/// Threads besides the caller's. On two cores one is best: with two, three busy threads shared
/// two cores and the 1M-row CSV dry run took 0.46-0.51 s instead of 0.44-0.46 s.
const THREADS: usize = 1;

/// Whether the input goes on after a block: `Stop` when the block met an error that ends the
/// read (a JSON array's syntax error); blocks taken after it are dropped unread.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Then {
    More,
    Stop,
}

/// Runs `work` on blocks taken in turn from `next`, by a thread of its own and by the caller
/// whenever the block it wants is not ready yet (so neither core idles while the other parses),
/// and yields each block's output in the order the blocks were taken: every decision and line
/// of output stays in input order. At most `WINDOW` blocks are taken ahead of the one the
/// caller is reading. A block whose `work` says `Then::Stop` is the last one yielded, whatever
/// was taken after it. A panic in `work` or `next` is raised again in the caller, never taken
/// for the end of the input.
pub fn in_order<B, T, W>(next: Box<dyn FnMut() -> Option<B> + Send>, work: W) -> InOrder<T>
where
    B: Send + 'static,
    T: Send + 'static,
    W: FnMut(B, &mut Vec<T>) -> Then + Clone + Send + 'static,
{
    let shared = Arc::new(Shared {
        taker: Mutex::new(Taker {
            next,
            taken: 0,
            read: 0,
            stop: false,
        }),
        room: Condvar::new(),
    });
    let (tx, rx) = mpsc::channel();
    let (taker, mut own) = (shared.clone(), work.clone());
    let steal = Box::new(move || {
        let (k, block) = taker.take(false)?;
        let mut out = Vec::new();
        let then = own(block, &mut out);
        Some((k, (out, then)))
    });
    let workers = (0..THREADS)
        .map(|_| {
            let (shared, tx, mut work) = (shared.clone(), tx.clone(), work.clone());
            std::thread::spawn(move || {
                let _stop_all = StopOnPanic(&shared);
                while let Some((k, block)) = shared.take(true) {
                    let mut out = Vec::new();
                    let then = work(block, &mut out);
                    if tx.send((k, (out, then))).is_err() {
                        return;
                    }
                }
            })
        })
        .collect();
    InOrder {
        shared,
        steal,
        rx,
        early: std::collections::BTreeMap::new(),
        want: 0,
        cur: Vec::new().into_iter(),
        last: false,
        workers,
    }
}

struct Shared<B> {
    taker: Mutex<Taker<B>>,
    room: Condvar,
}

struct Taker<B> {
    next: Box<dyn FnMut() -> Option<B> + Send>,
    /// Blocks taken so far (the next block's index).
    taken: usize,
    /// The index of the block the caller is reading.
    read: usize,
    /// The input is finished, the caller has gone, or a thread panicked.
    stop: bool,
}

impl<B> Shared<B> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Taker<B>> {
        self.taker.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next block and its index, if it is within the window (`wait`: once it is); None at
    /// the end, or when not waiting and the window is full.
    fn take(&self, wait: bool) -> Option<(usize, B)> {
        let mut t = self.lock();
        while wait && !t.stop && t.taken >= t.read + WINDOW {
            t = self.room.wait(t).unwrap_or_else(|e| e.into_inner());
        }
        if t.stop || t.taken >= t.read + WINDOW {
            return None;
        }
        match (t.next)() {
            Some(block) => {
                t.taken += 1;
                Some((t.taken - 1, block))
            }
            None => {
                t.stop = true;
                self.room.notify_all();
                None
            }
        }
    }

    fn stop(&self) {
        self.lock().stop = true;
        self.room.notify_all();
    }
}

/// Stops the other thread too when this one panics, so the caller learns of it.
struct StopOnPanic<'a, B>(&'a Shared<B>);

impl<B> Drop for StopOnPanic<'_, B> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

/// A block's output, and whether the input goes on after it.
type Worked<T> = (Vec<T>, Then);

pub struct InOrder<T> {
    shared: Arc<dyn Window>,
    /// Takes and works a block on the caller's thread, when one is within the window.
    steal: Box<dyn FnMut() -> Option<(usize, Worked<T>)> + Send>,
    rx: mpsc::Receiver<(usize, Worked<T>)>,
    /// Blocks that arrived before the one wanted.
    early: std::collections::BTreeMap<usize, Worked<T>>,
    want: usize,
    cur: std::vec::IntoIter<T>,
    /// `cur` is the last block's output.
    last: bool,
    workers: Vec<std::thread::JoinHandle<()>>,
}

/// What the reading side tells the threads: how far it has read, or that it has gone.
trait Window: Send + Sync {
    fn read_up_to(&self, block: usize);
    fn stop(&self);
}

impl<B> Window for Shared<B> {
    fn read_up_to(&self, block: usize) {
        self.lock().read = block;
        self.room.notify_all();
    }

    fn stop(&self) {
        Shared::stop(self);
    }
}

impl<T> Iterator for InOrder<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        loop {
            if let Some(item) = self.cur.next() {
                return Some(item);
            }
            if self.last {
                return None;
            }
            if let Some((block, then)) = self.early.remove(&self.want) {
                self.want += 1;
                if then == Then::Stop {
                    self.last = true;
                    self.shared.stop();
                } else {
                    self.shared.read_up_to(self.want);
                }
                self.cur = block.into_iter();
                continue;
            }
            if let Ok((k, block)) = self.rx.try_recv() {
                self.early.insert(k, block);
                continue;
            }
            if let Some((k, block)) = (self.steal)() {
                self.early.insert(k, block);
                continue;
            }
            match self.rx.recv() {
                Ok((k, block)) => {
                    self.early.insert(k, block);
                }
                Err(_) => {
                    for h in self.workers.drain(..) {
                        if let Err(panic) = h.join() {
                            std::panic::resume_unwind(panic);
                        }
                    }
                    return None;
                }
            }
        }
    }
}

impl<T> Drop for InOrder<T> {
    fn drop(&mut self) {
        self.shared.stop();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_item_arrives_in_order_and_a_stopped_reader_stops_the_producer() {
        let (mut tx, rx) = super::channel::<u32>(2);
        let n = 10 * super::BATCH as u32 + 7;
        let producer = std::thread::spawn(move || (0..n).all(|i| tx.send(i)));
        assert_eq!(rx.collect::<Vec<_>>(), (0..n).collect::<Vec<_>>());
        assert!(producer.join().unwrap());

        let (mut tx, rx) = super::channel::<u32>(1);
        drop(rx);
        assert!(
            !(0..10 * super::BATCH as u32).all(|i| tx.send(i)),
            "send must report the closed channel"
        );
    }

    #[test]
    fn blocks_come_out_in_order_and_a_panic_in_either_thread_reaches_the_caller() {
        for n in [0usize, 1, 2, 3, 100] {
            let mut i = 0;
            let next = Box::new(move || {
                i += 1;
                (i <= n).then_some(i)
            });
            // Uneven work, so blocks finish out of order.
            let out: Vec<usize> = super::in_order(next, |b: usize, out: &mut Vec<usize>| {
                if b.is_multiple_of(3) {
                    std::thread::yield_now();
                }
                out.extend((0..b % 4).map(|j| b * 10 + j));
                super::Then::More
            })
            .collect();
            let want: Vec<usize> = (1..=n)
                .flat_map(|b| (0..b % 4).map(move |j| b * 10 + j))
                .collect();
            assert_eq!(out, want, "{n} blocks");
        }
        // A block that stops the read is the last one out, however far the threads read on.
        for stop in [1usize, 2, 7, 99, 100] {
            let mut i = 0;
            let next = Box::new(move || {
                i += 1;
                (i <= 100).then_some(i)
            });
            let out: Vec<usize> = super::in_order(next, move |b: usize, out: &mut Vec<usize>| {
                if b.is_multiple_of(2) {
                    std::thread::yield_now();
                }
                out.push(b);
                if b == stop {
                    super::Then::Stop
                } else {
                    super::Then::More
                }
            })
            .collect();
            assert_eq!(out, (1..=stop).collect::<Vec<_>>(), "stopped at {stop}");
        }
        let caught = std::panic::catch_unwind(|| {
            let mut i = 0;
            let next = Box::new(move || {
                i += 1;
                (i <= 1000).then_some(i)
            });
            super::in_order(next, |b: usize, out: &mut Vec<usize>| {
                assert!(b != 500, "block {b}");
                out.push(b);
                super::Then::More
            })
            .count()
        });
        assert!(caught.is_err(), "a panic must not look like the end");
        let caught = std::panic::catch_unwind(|| {
            let mut i = 0;
            let next = Box::new(move || {
                i += 1;
                assert!(i < 300, "reading block {i}");
                Some(i)
            });
            super::in_order(next, |b: usize, out: &mut Vec<usize>| {
                out.push(b);
                super::Then::More
            })
            .count()
        });
        assert!(
            caught.is_err(),
            "a panic while reading must not look like the end"
        );
        // A caller that stops early lets the threads go.
        let mut i = 0;
        let next = Box::new(move || {
            i += 1;
            Some(i)
        });
        let first: Vec<usize> = super::in_order(next, |b: usize, out: &mut Vec<usize>| {
            out.push(b);
            super::Then::More
        })
        .take(5)
        .collect();
        assert_eq!(first, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_mapping_thread_keeps_order_and_its_panic_reaches_the_caller() {
        let doubled: Vec<u32> = super::map_on_thread(0..10_000u32, |i| i * 2).collect();
        assert_eq!(doubled, (0..10_000).map(|i| i * 2).collect::<Vec<_>>());
        let caught = std::panic::catch_unwind(|| {
            super::map_on_thread(0..1000u32, |i| {
                assert!(i < 500, "row {i}");
                i
            })
            .count()
        });
        assert!(
            caught.is_err(),
            "a panic must not look like the end of the input"
        );
    }
}
