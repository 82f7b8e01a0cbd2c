//! Name-based UUIDs, so that exporting the same catalog twice gives
//! byte-identical OSCAL documents: reviewers can diff exports and a re-import
//! recognises the objects it already holds.
//!
//! The bits are those of RFC 9562 version 5 (SHA-1 of namespace and name), but
//! the exported UUIDs carry the version 4 nibble: compliance-trestle, like
//! other OSCAL tools, only recognises version 4 UUIDs when it follows `#uuid`
//! links to back-matter resources, and a SHA-1 digest is as unpredictable as
//! the random bits version 4 asks for. A few lines over `sha1_smol` instead of
//! a UUID crate: this is all we need.

/// Thiqa's namespace for the UUIDs of exported objects (itself random, fixed forever).
pub(crate) const THIQA_NAMESPACE: [u8; 16] = [
    0x5d, 0x0a, 0x3e, 0x8c, 0x41, 0x7b, 0x4f, 0x52, 0x9a, 0x3e, 0x0b, 0x6c, 0x29, 0x81, 0xd4, 0x17,
];

/// The name-based UUID of `name` in `namespace` with the given version
/// nibble, in the canonical lower-case form.
fn name_based(namespace: &[u8; 16], name: &str, version: u8) -> String {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(namespace);
    sha.update(name.as_bytes());
    let digest = sha.digest().bytes();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | (version << 4);
    b[8] = (b[8] & 0x3f) | 0x80; // RFC variant
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A Thiqa UUID for an object named by a path such as
/// `dgssi-cloud-2025/2025-08-01/control/3.5.5.c` (version 4 shape, see above).
pub(crate) fn thiqa(name: &str) -> String {
    name_based(&THIQA_NAMESPACE, name, 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DNS namespace of RFC 9562 appendix, and Python's documented
    /// `uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')`.
    #[test]
    fn hashing_matches_published_v5_vector() {
        let dns = [
            0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4,
            0x30, 0xc8,
        ];
        assert_eq!(
            name_based(&dns, "python.org", 5),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d"
        );
    }

    #[test]
    fn deterministic_and_distinct() {
        assert_eq!(thiqa("a"), thiqa("a"));
        assert_ne!(thiqa("a"), thiqa("b"));
        let u = thiqa("x");
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
    }
}
