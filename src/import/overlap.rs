//! Making chunks on a second thread while this one uses the previous ones.
//!
//! An import reads and checks rows in chunks, then writes each chunk under the store's lock.
//! [`in_turn`] does one and then the other, on the calling thread: the plain way, and the
//! reference. [`overlapped`] makes the next chunks on a second thread meanwhile, which took a
//! 10 MB import of new leads from 3.2x to 2.4x the `csv` floor (see `docs/performance.md`).
//! Both hand `consume` the same chunks in the same order; a test below holds them to it.
//!
//! Used chunks go back to be filled again, so the two threads share a few buffers and
//! allocate none per chunk.

use std::sync::mpsc::sync_channel;

/// Makes chunks with `make`, handed an empty chunk or a used one to fill again (`None` when
/// there are no more), and hands each to `consume`, in order, on the calling thread.
pub fn in_turn<C: Default>(mut make: impl FnMut(C) -> Option<C>, mut consume: impl FnMut(&mut C)) {
    let mut used = C::default();
    while let Some(mut chunk) = make(used) {
        consume(&mut chunk);
        used = chunk;
    }
}

/// [`in_turn`], with `make` running on a second thread up to `ahead` chunks ahead of
/// `consume`. Fails only if the thread cannot start.
pub fn overlapped<C: Default + Send>(
    ahead: usize,
    mut make: impl FnMut(C) -> Option<C> + Send,
    mut consume: impl FnMut(&mut C),
) -> std::io::Result<()> {
    std::thread::scope(|scope| {
        let (send, made) = sync_channel(ahead);
        let (give_back, used) = sync_channel(ahead + 2);
        std::thread::Builder::new()
            .name("import-check".to_owned())
            .spawn_scoped(scope, move || {
                // A chunk the consumer handed back, if one is there yet; else a new one.
                while let Some(chunk) = make(used.try_recv().unwrap_or_default()) {
                    // A closed channel is a consumer that stopped.
                    if send.send(chunk).is_err() {
                        break;
                    }
                }
            })?;
        while let Ok(mut chunk) = made.recv() {
            consume(&mut chunk);
            // When the maker is done or has spare chunks already, this one is dropped.
            let _ = give_back.try_send(chunk);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunks of numbers counting up to `end`, `size` to a chunk: each made into whatever
    /// buffer it is handed, which must come empty of the consumer's view (it is cleared).
    fn counting(end: u32, size: u32) -> impl FnMut(Vec<u32>) -> Option<Vec<u32>> + Send {
        let mut next = 0;
        move |mut chunk: Vec<u32>| {
            if next >= end {
                return None;
            }
            chunk.clear();
            chunk.extend(next..(next + size).min(end));
            next += size;
            Some(chunk)
        }
    }

    fn consumed(run: impl FnOnce(&mut dyn FnMut(&mut Vec<u32>))) -> Vec<Vec<u32>> {
        let mut seen = Vec::new();
        run(&mut |chunk: &mut Vec<u32>| seen.push(chunk.clone()));
        seen
    }

    #[test]
    fn overlapped_hands_over_the_same_chunks_in_the_same_order_as_in_turn() {
        for (end, size, ahead) in [
            (0, 4, 1),
            (1, 4, 1),
            (1_000, 7, 1),
            (1_000, 256, 4),
            (9, 3, 8),
        ] {
            let plain = consumed(|consume| in_turn(counting(end, size), consume));
            let threaded = consumed(|consume| {
                overlapped(ahead, counting(end, size), consume).unwrap();
            });
            assert_eq!(
                threaded, plain,
                "{end} numbers, {size} a chunk, {ahead} ahead"
            );
            assert_eq!(plain.concat(), (0..end).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_used_chunk_goes_back_to_be_filled_again() {
        let mut handed = Vec::new();
        let mut left = 3;
        in_turn(
            |chunk: Vec<u8>| {
                handed.push(chunk.capacity());
                (left > 0).then(|| {
                    left -= 1;
                    chunk
                })
            },
            |chunk| chunk.reserve(16),
        );
        assert_eq!(handed[0], 0, "the first chunk is a new one");
        assert!(
            handed[1..].iter().all(|capacity| *capacity >= 16),
            "{handed:?}"
        );
    }
}
