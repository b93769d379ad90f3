//! The members of a static list: a set of lead ids, one bit a lead.
//!
//! Lead ids are handed out in order from 1 and never reused, so a list's members are a bit
//! array over them: adding or finding a member touches one word, where the plain set (a
//! `BTreeSet`, `tests::Plain` beside it, held to the same answers by a property test) walks a
//! tree, and reading the members in order scans the words. An import with a `listId` adds
//! each of its leads: for a 10 MB file of 119,000 leads the tree's walks were about a tenth
//! of the import (see `docs/performance.md`). A list holding lead `n` takes `n / 8` bytes,
//! 125 KB for a million leads.

use super::LeadId;

#[derive(Debug, Clone, Default)]
pub struct LeadSet {
    /// Bit `id % 64` of word `id / 64` is set when lead `id` is a member.
    words: Vec<u64>,
}

impl LeadSet {
    /// Adds a lead; whether it was not a member yet.
    pub fn insert(&mut self, id: LeadId) -> bool {
        let (word, bit) = place(id);
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        let added = self.words[word] & bit == 0;
        self.words[word] |= bit;
        added
    }

    pub fn contains(&self, id: LeadId) -> bool {
        let (word, bit) = place(id);
        self.words.get(word).is_some_and(|w| w & bit != 0)
    }

    /// The members, lowest id first.
    pub fn iter(&self) -> impl Iterator<Item = LeadId> + '_ {
        self.words.iter().enumerate().flat_map(|(at, word)| {
            let mut rest = *word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros();
                    rest &= rest - 1;
                    at as LeadId * 64 + bit
                })
            })
        })
    }
}

/// The word holding a lead's bit, and the bit.
fn place(id: LeadId) -> (usize, u64) {
    (id as usize / 64, 1 << (id % 64))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    /// The plain set.
    type Plain = BTreeSet<LeadId>;

    #[test]
    fn a_lead_is_a_member_once_and_members_read_in_order() {
        let mut set = LeadSet::default();
        assert!(set.insert(130));
        assert!(set.insert(1));
        assert!(set.insert(64));
        assert!(!set.insert(64), "already a member");
        assert!(set.contains(1) && set.contains(64) && set.contains(130));
        assert!(!set.contains(2) && !set.contains(100_000));
        assert_eq!(set.iter().collect::<Vec<_>>(), [1, 64, 130]);
        assert_eq!(LeadSet::default().iter().count(), 0);
    }

    proptest! {
        #[test]
        fn a_lead_set_answers_as_the_plain_set_of_the_same_leads(
            ids in prop::collection::vec(0..300 as LeadId, 0..200),
        ) {
            let (mut set, mut plain) = (LeadSet::default(), Plain::new());
            for id in ids {
                prop_assert_eq!(set.insert(id), plain.insert(id));
            }
            prop_assert_eq!(set.iter().collect::<Vec<_>>(), plain.iter().copied().collect::<Vec<_>>());
            for id in 0..320 {
                prop_assert_eq!(set.contains(id), plain.contains(&id));
            }
        }
    }
}
