//! Eight bytes at a time: the word tricks the import's hot loops use to look at a row's
//! bytes without a branch per byte.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;
const LOW: u64 = !HIGH;

/// The eight bytes at `at` as a little-endian word (byte `at` lowest), zeros past the end.
#[inline]
pub fn load(bytes: &[u8], at: usize) -> u64 {
    match bytes.get(at..at + 8) {
        Some(word) => u64::from_le_bytes(word.try_into().unwrap_or_default()),
        None => load_short(bytes.get(at..).unwrap_or_default()),
    }
}

/// Fewer than eight bytes as a word, in at most three reads: a copy of unknown length would
/// call `memcpy`, which costs more than the rest of a short cell's scan.
#[inline]
fn load_short(rest: &[u8]) -> u64 {
    let (mut word, mut at) = (0, 0);
    if let Some(four) = rest.get(..4) {
        word = u64::from(u32::from_le_bytes(four.try_into().unwrap_or_default()));
        at = 4;
    }
    if let Some(two) = rest.get(at..at + 2) {
        word |= u64::from(u16::from_le_bytes(two.try_into().unwrap_or_default())) << (8 * at);
        at += 2;
    }
    if let Some(one) = rest.get(at) {
        word |= u64::from(*one) << (8 * at);
    }
    word
}

/// The high bit of each byte of `word` that equals `byte`, and no other bit.
#[inline]
pub fn equal(word: u64, byte: u8) -> u64 {
    let zero_where_equal = word ^ (ONES * u64::from(byte));
    // A byte is zero when adding 0x7F to its low bits does not reach its high bit and that
    // bit is clear already; without the high bits, the sums cannot carry into a neighbour.
    !(((zero_where_equal & LOW) + LOW) | zero_where_equal | LOW)
}

/// Where the lowest byte flagged by a mask of high bits stands in its word.
#[inline]
pub fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value at every place of a word, beside bytes that differ from it by one
    /// bit or one step, where carries and borrows would show.
    fn words() -> impl Iterator<Item = ([u8; 8], usize, u8)> {
        (0..=255u8).flat_map(|byte| {
            (0..8).map(move |at| {
                let mut bytes = [
                    byte ^ 1,
                    byte.wrapping_add(1),
                    0x80,
                    0,
                    byte ^ 0x80,
                    0x7F,
                    byte.wrapping_sub(1),
                    0xFF,
                ];
                bytes[at] = byte;
                (bytes, at, byte)
            })
        })
    }

    #[test]
    fn equal_flags_exactly_the_bytes_that_equal_the_one_sought() {
        for (bytes, _, byte) in words() {
            for sought in [byte, b',', b'"', b'\n', 0, 0x80, 0xFF] {
                let expected = bytes
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == sought)
                    .fold(0u64, |mask, (at, _)| mask | 0x80 << (8 * at));
                let word = u64::from_le_bytes(bytes);
                assert_eq!(equal(word, sought), expected, "{bytes:?} for {sought:#x}");
            }
        }
    }

    #[test]
    fn first_names_the_lowest_flagged_byte() {
        let word = u64::from_le_bytes(*b"ab,cd,ef");
        assert_eq!(first(equal(word, b',')), 2);
        assert_eq!(first(equal(word, b'f')), 7);
        assert_eq!(first(equal(word, b'x')), 8);
    }

    #[test]
    fn load_reads_eight_bytes_and_zeros_past_the_end() {
        assert_eq!(load(b"abcdefghij", 1).to_le_bytes(), *b"bcdefghi");
        assert_eq!(load(b"abcdefghij", 7).to_le_bytes(), *b"hij\0\0\0\0\0");
        assert_eq!(load(b"abc", 3), 0);
        let bytes = b"0123456789abcdef";
        for len in 0..=bytes.len() {
            for at in 0..=len {
                let mut expected = [0u8; 8];
                let end = len.min(at + 8);
                expected[..end - at].copy_from_slice(&bytes[at..end]);
                assert_eq!(
                    load(&bytes[..len], at).to_le_bytes(),
                    expected,
                    "{len} at {at}"
                );
            }
        }
    }
}
