-- The journal and dossier signing keys, when the configuration names a
-- wrapping key (keys.wrapping_key_file): every instance sharing the database
-- signs with the same keys without sharing files (issue 13, item 7). Each
-- seed is sealed with AES-256-GCM under the wrapping key, bound to its name;
-- the database alone yields no key.
CREATE TABLE signing_keys (
    -- 'journal' or 'dossier'.
    name TEXT PRIMARY KEY,
    -- 1 || nonce || ciphertext || tag (thiqa_crypto::seal).
    sealed BYTEA NOT NULL,
    created_ms BIGINT NOT NULL,
    -- The instance that created (or imported) it, for operators.
    created_by TEXT NOT NULL
);
