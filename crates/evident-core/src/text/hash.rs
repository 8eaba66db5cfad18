//! The workspace's one content hash: 64-bit FNV-1a.
//!
//! Its values are persisted — the library's source content hashes, the embedding cache keys
//! and answer ids are made with it — so they must never change; the tests pin known values.
//! It is a fingerprint for change detection and caching, not a defence against collisions
//! made on purpose.

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0100_0000_01b3;

/// A streaming 64-bit FNV-1a hasher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv1a64(u64);

impl Default for Fnv1a64 {
    fn default() -> Self {
        Fnv1a64(OFFSET)
    }
}

impl Fnv1a64 {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds `bytes`.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(PRIME);
        }
    }

    /// Feeds `bytes` and then a `0xff` terminator, so that the parts `["ab", "c"]` and
    /// `["a", "bc"]` hash differently (0xff never occurs in UTF-8).
    pub fn write_part(&mut self, bytes: &[u8]) {
        self.write(bytes);
        self.write(&[0xff]);
    }

    pub fn finish(self) -> u64 {
        self.0
    }
}

/// FNV-1a of `bytes`: the embedding cache key of a passage text, and answer ids.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a64::new();
    h.write(bytes);
    h.finish()
}

/// FNV-1a of `parts`, each followed by a `0xff` terminator: the content hash of a source.
pub fn fnv1a64_parts(parts: &[&[u8]]) -> u64 {
    let mut h = Fnv1a64::new();
    for part in parts {
        h.write_part(part);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_never_change() {
        // The published FNV-1a test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        // Values of the two functions this one replaced (evident-index `library::fnv64` and
        // `vectors::text_hash`), computed with the old code.
        assert_eq!(fnv1a64_parts(&[]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64_parts(&[b"", b""]), 0x0a99_c907_b6f6_4763);
        assert_eq!(
            fnv1a64_parts(&[b"{\"id\":\"x\"}", b"text"]),
            0x7e40_ad83_61d6_1a11
        );
        assert_eq!(fnv1a64("myopathy".as_bytes()), 0xca5a_e96b_6438_d80e);
    }

    #[test]
    fn parts_are_separated() {
        assert_ne!(fnv1a64_parts(&[b"ab", b"c"]), fnv1a64_parts(&[b"a", b"bc"]));
        assert_ne!(fnv1a64_parts(&[b"abc"]), fnv1a64(b"abc"));
        let mut h = Fnv1a64::new();
        h.write(b"ab");
        h.write(b"c");
        assert_eq!(h.finish(), fnv1a64(b"abc"));
    }
}
