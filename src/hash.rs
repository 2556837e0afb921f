//! SHA-256 as hex: statement IDs, fingerprints, the lock's token, a stack file's version.

use sha2::{Digest, Sha256};

/// The first `bytes` bytes of the SHA-256 of `data`, as lowercase hex (all 32 for `usize::MAX`).
pub fn sha256_hex(data: impl AsRef<[u8]>, bytes: usize) -> String {
    hex(&Sha256::digest(data.as_ref())[..bytes.min(32)])
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn prefixes_of_the_digest() {
        let full = super::sha256_hex("abc", usize::MAX);
        assert_eq!(
            full,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(super::sha256_hex("abc", 2), "ba78");
    }
}
