//! The registry's consent keys (its category and service ids) looked up by the bytes of a
//! consent-format key, the lookup every key of a consent value makes.

use super::ConsentKey;

/// A read-only map from key bytes to [`ConsentKey`]: open addressing with linear probing
/// in a table at most half full, hashed from the key's length and first and last eight
/// bytes. Those also identify a key of up to 16 bytes, so such a key is compared as two
/// words and a length, without `memcmp`; a longer one is compared in full after that.
/// Filled once when the registry is built: a lookup cannot add entries, so colliding keys
/// can only lengthen a probe among the registry's own keys.
#[derive(Debug, Clone)]
pub(crate) struct ConsentKeys {
    slots: Box<[Slot]>,
    /// `64 - log2(slots.len())`: a hash's top bits pick its first slot.
    shift: u32,
    /// The bytes of each key, for keys longer than 16 bytes.
    keys: Vec<Box<[u8]>>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    words: (u64, u64),
    /// The key's length, [`EMPTY`] for an empty slot.
    len: usize,
    key: ConsentKey,
    /// The index of the key's bytes in `keys`.
    index: usize,
}

const EMPTY: usize = usize::MAX;

/// Two words holding every byte of a key of up to 16 bytes (with its length, they identify
/// it): the first and the last eight bytes, four bytes below eight, the bytes themselves
/// below four.
#[inline]
fn words(key: &[u8]) -> (u64, u64) {
    let n = key.len();
    match (key.first_chunk::<8>(), key.last_chunk::<8>()) {
        (Some(head), Some(tail)) => (u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
        _ => match (key.first_chunk::<4>(), key.last_chunk::<4>()) {
            (Some(head), Some(tail)) => (
                u64::from(u32::from_le_bytes(*head)),
                u64::from(u32::from_le_bytes(*tail)),
            ),
            _ => match key {
                [] => (0, 0),
                _ => (
                    u64::from(key[0]) | u64::from(key[n / 2]) << 8 | u64::from(key[n - 1]) << 16,
                    0,
                ),
            },
        },
    }
}

#[inline]
fn hash((head, tail): (u64, u64), len: usize) -> u64 {
    (head ^ tail.rotate_left(32) ^ len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl ConsentKeys {
    /// A map of `entries` (ids are distinct: the registry builder checks; a repeated id
    /// keeps its first entry).
    pub(crate) fn new(entries: impl IntoIterator<Item = (Box<[u8]>, ConsentKey)>) -> Self {
        let entries: Vec<_> = entries.into_iter().collect();
        let size = (entries.len() * 2).next_power_of_two().max(8);
        let empty = Slot {
            words: (0, 0),
            len: EMPTY,
            key: ConsentKey::Category(crate::CategoryId(0)),
            index: 0,
        };
        let mut map = Self {
            slots: vec![empty; size].into_boxed_slice(),
            shift: 64 - size.trailing_zeros(),
            keys: Vec::with_capacity(entries.len()),
        };
        for (bytes, key) in entries {
            if map.get(&bytes).is_some() {
                continue;
            }
            let words = words(&bytes);
            let mut i = map.first_slot(hash(words, bytes.len()));
            while map.slots[i].len != EMPTY {
                i = (i + 1) & (size - 1);
            }
            map.slots[i] = Slot {
                words,
                len: bytes.len(),
                key,
                index: map.keys.len(),
            };
            map.keys.push(bytes);
        }
        map
    }

    #[inline]
    fn first_slot(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    /// What `key` stands for, compared exactly.
    #[inline(always)]
    pub(crate) fn get(&self, key: &[u8]) -> Option<ConsentKey> {
        let words = words(key);
        let mask = self.slots.len() - 1;
        let mut i = self.first_slot(hash(words, key.len()));
        loop {
            let slot = &self.slots[i];
            if slot.len == key.len()
                && slot.words == words
                && (key.len() <= 16 || *self.keys[slot.index] == *key)
            {
                return Some(slot.key);
            }
            if slot.len == EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CategoryId, ServiceId};
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn key(n: usize) -> ConsentKey {
        if n % 2 == 0 {
            ConsentKey::Category(CategoryId((n / 2) as u8))
        } else {
            ConsentKey::Service(ServiceId((n / 2) as u8))
        }
    }

    #[test]
    fn finds_every_key_of_every_length_and_nothing_else() {
        let ids: Vec<Vec<u8>> = (0..=40)
            .map(|n| (0..n).map(|i| b'a' + (i % 26) as u8).collect())
            .chain([b"ga".to_vec(), b"statistics".to_vec(), b"\xff\x00".to_vec()])
            .collect();
        let map = ConsentKeys::new(
            ids.iter()
                .enumerate()
                .map(|(n, id)| (id.clone().into_boxed_slice(), key(n))),
        );
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(map.get(id), Some(key(n)), "{id:?}");
            let mut other = id.clone();
            other.push(b'!');
            assert_eq!(map.get(&other), None);
            if let Some(last) = other.iter_mut().rev().nth(1) {
                *last ^= 1;
                other.pop();
                assert_eq!(map.get(&other), None, "{other:?}");
            }
        }
        let long = "k".repeat(17);
        let mut middle = long.clone().into_bytes();
        middle[8] = b'x';
        let map = ConsentKeys::new([(long.clone().into_bytes().into(), key(0))]);
        assert_eq!(map.get(long.as_bytes()), Some(key(0)));
        assert_eq!(
            map.get(&middle),
            None,
            "same length, first and last eight bytes"
        );
        assert_eq!(ConsentKeys::new([]).get(b""), None);
    }

    proptest! {
        #[test]
        fn agrees_with_a_hash_map(
            ids in prop::collection::vec(prop::collection::vec(prop::sample::select(b"ab\x00\xff".to_vec()), 0..20), 0..60),
            probes in prop::collection::vec(prop::collection::vec(prop::sample::select(b"ab\x00\xff".to_vec()), 0..20), 0..20),
        ) {
            let mut expected = HashMap::new();
            for (n, id) in ids.iter().enumerate() {
                expected.entry(id.clone()).or_insert(key(n));
            }
            let map = ConsentKeys::new(ids.iter().enumerate().map(|(n, id)| (id.clone().into_boxed_slice(), key(n))));
            for id in ids.iter().chain(&probes) {
                prop_assert_eq!(map.get(id), expected.get(id).copied());
            }
        }
    }
}
