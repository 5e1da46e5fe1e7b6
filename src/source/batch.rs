//! The bounded channel between a reader thread (JSON parsing, a SQL cursor) and the rules: rows
//! travel in batches, so the two threads wake each other once per thousand rows instead of once
//! per row. Memory stays bounded: at most `batches` full batches wait in the channel.

use std::sync::mpsc;

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
