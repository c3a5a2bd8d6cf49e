//! The repository's published demo keys (keys/): recognised by their public
//! key, not their file name, so that loading one says it is a public demo
//! key instead of warning about the file mode git does not keep. A real key
//! (any other) keeps the warning and the `--strict` refusal.

use medcode::keys::SigningKey;

/// The public keys of keys/demo-issuer.pk8, keys/demo-issuer-p256.pk8 and
/// keys/demo-root.pk8 (their private halves are published in the repository).
const DEMO_PUBLIC_KEYS: [(&str, &[u8]); 3] = [
    (
        "demo-issuer (ed25519, key 32eac5b0)",
        &[
            153, 160, 132, 216, 239, 49, 91, 211, 93, 143, 153, 114, 63, 252, 108, 202, 65, 166,
            51, 113, 54, 185, 176, 194, 215, 183, 20, 126, 134, 22, 96, 165,
        ],
    ),
    (
        "demo-issuer-p256 (p256, key a9832e04)",
        &[
            4, 233, 145, 110, 139, 8, 148, 191, 169, 82, 1, 212, 172, 228, 115, 78, 213, 164, 218,
            244, 15, 25, 60, 247, 234, 67, 65, 158, 231, 79, 188, 60, 20, 234, 16, 104, 19, 191,
            69, 145, 190, 226, 28, 158, 57, 102, 117, 99, 144, 154, 12, 75, 209, 195, 143, 191,
            203, 179, 152, 59, 114, 134, 55, 229, 14,
        ],
    ),
    (
        "demo-root (ed25519, key 630e36ad)",
        &[
            165, 177, 153, 88, 132, 20, 228, 87, 2, 235, 112, 25, 105, 227, 130, 97, 188, 114, 143,
            7, 41, 98, 245, 24, 163, 149, 159, 132, 19, 215, 177, 188,
        ],
    ),
];

/// The demo key's name when `key` is one of the published demo keys.
pub(crate) fn published_demo_key(key: &SigningKey) -> Option<&'static str> {
    let public = key.public_key().as_bytes();
    DEMO_PUBLIC_KEYS
        .iter()
        .find(|(_, bytes)| *bytes == public)
        .map(|(name, _)| *name)
}

/// The one line printed when a demo key is loaded from `path`.
pub(crate) fn demo_key_note(path: &std::path::Path, name: &str) -> String {
    format!(
        "medcode: note: {} is the repository's published demo key {name}: its private half is public, for trying medcode only (never trust it in production)",
        path.display()
    )
}
