//! The index over one lookup field of the leads: which leads may have a key, by its hash.
//!
//! [`Index`] keeps eight bytes a lead; `tests::Plain` beside it is the plain map from whole
//! hashes to lists of leads that it replaced, and the reference a property test holds it to.

use hashbrown::HashTable;

use super::LeadId;

/// One lead under one key: the lead and the high half of its key's hash. Eight bytes a lead
/// and field, where a map from full hashes to lists of leads took three times that: an index
/// is as large as the lead table, and every page of it a large import touches is a page
/// fault. Half a hash is enough, as candidates are checked against the lead itself.
#[derive(Debug, Clone, Copy)]
struct Entry {
    short: u32,
    id: LeadId,
}

/// The half of a key hash an index keeps: the high half, as the low bits of the hash's last
/// multiplication depend on fewer of its input's bits.
fn short_hash(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// The table's hash of a kept half: spread back over 64 bits, so that the bucket (low bits)
/// and the tag (high bits) the table takes from it both vary.
fn table_hash(short: u32) -> u64 {
    u64::from(short).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// An index over one field: a lead may share its key with others, each is an entry of its
/// own.
#[derive(Debug, Clone, Default)]
pub struct Index {
    entries: HashTable<Entry>,
}

impl Index {
    /// The leads whose key may have this hash.
    pub fn candidates(&self, hash: u64) -> impl Iterator<Item = LeadId> + '_ {
        let short = short_hash(hash);
        self.entries
            .iter_hash(table_hash(short))
            .filter(move |entry| entry.short == short)
            .map(|entry| entry.id)
    }

    /// Adds a lead under a key it is not yet under.
    pub fn add(&mut self, hash: u64, id: LeadId) {
        let short = short_hash(hash);
        self.entries
            .insert_unique(table_hash(short), Entry { short, id }, |entry| {
                table_hash(entry.short)
            });
    }

    pub fn remove(&mut self, hash: u64, id: LeadId) {
        let short = short_hash(hash);
        if let Ok(entry) = self.entries.find_entry(table_hash(short), |entry| {
            entry.short == short && entry.id == id
        }) {
            entry.remove();
        }
    }

    pub fn reserve(&mut self, additional: usize) {
        self.entries
            .reserve(additional, |entry| table_hash(entry.short));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    /// The plain index: whole hashes to the leads under each. Three times the memory of
    /// [`Index`] (see `docs/performance.md`), and the same answers but for the leads whose
    /// hashes share a high half, which [`Index`] also names (the caller checks each lead).
    #[derive(Default)]
    pub struct Plain(HashMap<u64, Vec<LeadId>>);

    impl Plain {
        fn candidates(&self, hash: u64) -> impl Iterator<Item = LeadId> + '_ {
            self.0.get(&hash).into_iter().flatten().copied()
        }

        fn add(&mut self, hash: u64, id: LeadId) {
            self.0.entry(hash).or_default().push(id);
        }

        fn remove(&mut self, hash: u64, id: LeadId) {
            if let Some(ids) = self.0.get_mut(&hash) {
                ids.retain(|held| *held != id);
            }
        }
    }

    fn sorted(mut ids: Vec<LeadId>) -> Vec<LeadId> {
        ids.sort_unstable();
        ids
    }

    #[test]
    fn an_index_keeps_every_lead_under_a_key_and_removes_only_the_one_named() {
        let mut index = Index::default();
        // Two hashes with the same high half, and a third with another.
        let (a, b, c) = (
            0xABCD_0001_0000_0001,
            0xABCD_0001_FFFF_0000,
            0x1234_5678_0000_0001,
        );
        index.add(a, 1);
        index.add(b, 2);
        index.add(c, 3);
        index.add(c, 4);
        assert_eq!(sorted(index.candidates(a).collect()), [1, 2]);
        assert_eq!(sorted(index.candidates(c).collect()), [3, 4]);
        index.remove(c, 3);
        index.remove(a, 4);
        assert_eq!(sorted(index.candidates(c).collect()), [4]);
        assert_eq!(sorted(index.candidates(b).collect()), [1, 2]);
        assert_eq!(index.candidates(0x9999_0000_0000_0000).count(), 0);
    }

    /// Keys from a small pool, some pairs sharing their high half, so that adds, removes and
    /// collisions all happen often.
    const POOL: [u64; 6] = [
        0xABCD_0001_0000_0001,
        0xABCD_0001_FFFF_0000,
        0x1234_5678_0000_0001,
        0x1234_5678_0000_0002,
        0x0000_0000_0000_0000,
        0xFFFF_FFFF_FFFF_FFFF,
    ];

    proptest! {
        #[test]
        fn the_index_names_the_leads_the_plain_map_names_under_every_key_of_the_same_high_half(
            steps in prop::collection::vec((0..POOL.len(), 1..20u32, any::<bool>()), 1..200),
        ) {
            let (mut index, mut plain) = (Index::default(), Plain::default());
            for (key, id, add) in steps {
                let hash = POOL[key];
                let held = plain.candidates(hash).any(|held| held == id);
                // Each lead is under a key once, as the lead table keeps it.
                if add && !held {
                    index.add(hash, id);
                    plain.add(hash, id);
                } else if !add && held {
                    index.remove(hash, id);
                    plain.remove(hash, id);
                }
            }
            for hash in POOL {
                let expected: Vec<LeadId> = POOL
                    .iter()
                    .filter(|other| short_hash(**other) == short_hash(hash))
                    .flat_map(|other| plain.candidates(*other))
                    .collect();
                prop_assert_eq!(sorted(index.candidates(hash).collect()), sorted(expected));
            }
        }
    }
}
