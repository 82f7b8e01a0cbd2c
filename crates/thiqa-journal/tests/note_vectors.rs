//! Signed notes and checkpoints against published vectors and an independent
//! implementation.
//!
//! Vectors: golang.org/x/mod/sumdb/note `note_test.go` (TestSign, TestOpen):
//! the PeterNeumann and EnochRoot keys and their signatures of a two-line
//! text. Independent implementation: Cloudflare's `signed_note` crate.

use signed_note::{Note, Signer as _, StandardSigner, StandardVerifier, VerifierList};
use thiqa_journal::note::{open_note, sign_note};
use thiqa_journal::{Checkpoint, NoteError, NoteSigner, NoteVerifier, SignedNote};

const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter() -> NoteVerifier {
    NoteVerifier::parse(PETER_VKEY).unwrap()
}
fn enoch() -> NoteVerifier {
    NoteVerifier::parse(ENOCH_VKEY).unwrap()
}

#[test]
fn signing_reproduces_the_go_signature() {
    let signer = NoteSigner::parse(PETER_SKEY).unwrap();
    assert_eq!(
        sign_note(TEXT, &signer).unwrap(),
        format!("{TEXT}\n{PETER_SIG}")
    );
    // Re-signing replaces the key's earlier signature.
    let mut note = SignedNote::parse(format!("{TEXT}\n{PETER_SIG}").as_bytes()).unwrap();
    note.sign(&signer).unwrap();
    assert_eq!(note.signatures().len(), 1);
    assert!(sign_note("abc", &signer).is_err());
}

#[test]
fn open_follows_the_trust_rules() {
    let both = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    // One trusted key: its signature counts, the unknown one is ignored.
    assert_eq!(open_note(both.as_bytes(), &[peter()]).unwrap(), TEXT);
    let note = SignedNote::parse(both.as_bytes()).unwrap();
    assert_eq!(note.verify(&[peter(), enoch()]).unwrap().len(), 2);
    // No trusted key.
    assert_eq!(
        open_note(both.as_bytes(), &[]),
        Err(NoteError::NoTrustedSignature)
    );
    // The same key twice in the trust list.
    assert!(matches!(
        open_note(
            format!("{TEXT}\n{ENOCH_SIG}").as_bytes(),
            &[enoch(), peter(), enoch()]
        ),
        Err(NoteError::AmbiguousKey { .. })
    ));
    // A trusted key's signature altered.
    let bad = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert!(matches!(
        open_note(bad.as_bytes(), &[peter()]),
        Err(NoteError::InvalidSignature {
            key_id: 0xc74f20a3,
            ..
        })
    ));
    // Text altered.
    let altered = format!("{}\n{PETER_SIG}", TEXT.replace("answer", "Answer"));
    assert!(open_note(altered.as_bytes(), &[peter()]).is_err());
    // Same name, other key id: an unknown key, hence no trusted signature.
    let other_id = PETER_SIG.replace("x08g", "xxxx");
    assert_eq!(
        open_note(format!("{TEXT}\n{other_id}").as_bytes(), &[peter()]),
        Err(NoteError::NoTrustedSignature)
    );
    // Too many signatures.
    let many = format!("{TEXT}\n{}", PETER_SIG.repeat(101));
    assert!(matches!(
        open_note(many.as_bytes(), &[peter()]),
        Err(NoteError::Malformed(_))
    ));
}

#[test]
fn malformed_notes_are_refused() {
    let bad_msgs = [
        TEXT.to_string(),
        format!("{TEXT}\n"),
        format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
        format!("\x01{TEXT}\n{PETER_SIG}"),
        format!("{TEXT}\n\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
        format!("{TEXT}\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
        format!("{TEXT}\n\u{2014} PeterNeumann AAAA\n"),
        format!("{TEXT}\n\u{2014} PeterNeumann not*base64\n"),
    ];
    for msg in &bad_msgs {
        assert!(
            matches!(
                open_note(msg.as_bytes(), &[peter()]),
                Err(NoteError::Malformed(_))
            ),
            "{msg:?}"
        );
    }
    let mut invalid_utf8 = format!("{TEXT}\n{PETER_SIG}").into_bytes();
    invalid_utf8[0] = 0xff;
    assert!(open_note(&invalid_utf8, &[peter()]).is_err());
}

#[test]
fn our_notes_open_with_signed_note_and_theirs_with_us() {
    let signer = NoteSigner::from_seed("thiqa.example/journal", &[42; 32]).unwrap();
    let vkey = signer.verifier().to_string();
    let msg = sign_note("hello\nworld\n", &signer).unwrap();

    let theirs = StandardVerifier::new(&vkey).unwrap();
    let list = VerifierList::new(vec![Box::new(theirs)]);
    let note = Note::from_bytes(msg.as_bytes()).unwrap();
    let (verified, _) = note.verify(&list).unwrap();
    assert_eq!(verified.len(), 1);

    let their_signer = StandardSigner::new(&signer.expose_secret_key_string()).unwrap();
    assert_eq!(their_signer.key_id(), signer.key_id());
    let mut their_note = Note::new(b"from azul\n", &[]).unwrap();
    their_note.add_sigs(&[&their_signer]).unwrap();
    let bytes = their_note.to_bytes();
    assert_eq!(
        open_note(&bytes, &[signer.verifier()]).unwrap(),
        "from azul\n"
    );
    // Ed25519 is deterministic: both implementations write the same bytes.
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        sign_note("from azul\n", &signer).unwrap()
    );
}

#[test]
fn checkpoints_interoperate_with_tlog_tiles() {
    let signer = NoteSigner::from_seed("thiqa.example/journal", &[9; 32]).unwrap();
    let cp = Checkpoint::with_extensions("thiqa.example/journal", 1234, [3; 32], vec!["x".into()])
        .unwrap();
    let signed = cp.sign(&signer).unwrap();
    let opened = Checkpoint::open(
        signed.as_bytes(),
        "thiqa.example/journal",
        &[signer.verifier()],
    )
    .unwrap();
    assert_eq!(opened, cp);
    assert!(matches!(
        Checkpoint::open(signed.as_bytes(), "other.example/log", &[signer.verifier()]),
        Err(thiqa_journal::CheckpointError::WrongOrigin { .. })
    ));

    let text = cp.to_text();
    let theirs = tlog_tiles::Checkpoint::from_bytes(text.as_bytes()).unwrap();
    assert_eq!(theirs.origin(), "thiqa.example/journal");
    assert_eq!(theirs.size(), 1234);
    assert_eq!(theirs.hash().0, [3; 32]);
    assert_eq!(theirs.extension(), "x\n");
    assert_eq!(theirs.to_bytes(), text.as_bytes());
    let round = tlog_tiles::Checkpoint::new("o.example", 0, tlog_tiles::Hash([1; 32]), "").unwrap();
    let ours = Checkpoint::parse(std::str::from_utf8(&round.to_bytes()).unwrap()).unwrap();
    assert_eq!(
        (ours.origin(), ours.size(), *ours.root()),
        ("o.example", 0, [1; 32])
    );
}
