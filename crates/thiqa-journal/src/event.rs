//! The canonical leaf encoding of one journal event (format: `FORMAT.md`).
//!
//! What is hashed into the Merkle tree is these bytes, so they must be
//! deterministic (one event, one encoding, on every machine and version) and
//! injective (two different events never share an encoding, or an altered
//! event could keep its place in the tree). We use a versioned,
//! length-prefixed binary form rather than canonical JSON: every field is
//! self-delimiting, so injectivity holds by construction with no escaping,
//! Unicode-normalisation or number-formatting rules to get right in every
//! verifier; and the decoder accepts only canonical input, so bytes and
//! events are in one-to-one correspondence. Exports for people render the
//! decoded event (e.g. as JSON); the leaf stays binary.

/// The `source` of Thiqa's own security events (every other source is an
/// infrastructure system that posts to the intake).
pub const THIQA_SOURCE: &str = "thiqa";

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::time::Timestamp;

/// First bytes of every event leaf: "TQJE" then the format version.
pub const MAGIC: &[u8; 4] = b"TQJE";
/// Format version written by this code.
pub const VERSION: u8 = 1;
/// Largest accepted encoding. Bounds what one event can cost to store,
/// hash and export; audit events are small.
pub const MAX_EVENT_BYTES: usize = 1 << 20;

/// How serious the event is: the RFC 5424 (syslog) severity scale, so that
/// SIEM exports map one to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Emergency = 0,
    Alert = 1,
    Critical = 2,
    Error = 3,
    Warning = 4,
    Notice = 5,
    Informational = 6,
    Debug = 7,
}

impl Severity {
    /// The RFC 5424 name: emergency, alert, … debug.
    #[must_use]
    pub fn name(self) -> &'static str {
        const NAMES: [&str; 8] = [
            "emergency",
            "alert",
            "critical",
            "error",
            "warning",
            "notice",
            "informational",
            "debug",
        ];
        NAMES[usize::from(self.code())]
    }

    /// The RFC 5424 code 0–7.
    #[must_use]
    pub fn code(self) -> u8 {
        self as u8
    }

    /// From an RFC 5424 code.
    #[must_use]
    pub fn from_code(code: u8) -> Option<Self> {
        use Severity::*;
        [
            Emergency,
            Alert,
            Critical,
            Error,
            Warning,
            Notice,
            Informational,
            Debug,
        ]
        .get(usize::from(code))
        .copied()
    }
}

/// Whether the action succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Success = 0,
    Failure = 1,
    /// The source could not tell (e.g. an asynchronous request).
    Unknown = 2,
}

impl Outcome {
    /// success, failure or unknown (the name exports and rules use).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Unknown => "unknown",
        }
    }

    /// The wire code.
    #[must_use]
    pub fn code(self) -> u8 {
        self as u8
    }

    /// From a wire code.
    #[must_use]
    pub fn from_code(code: u8) -> Option<Self> {
        [Self::Success, Self::Failure, Self::Unknown]
            .get(usize::from(code))
            .copied()
    }
}

/// One journal event: who did what to what, when, for which tenant, with
/// what result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// When the event happened, per its source.
    pub event_time: Timestamp,
    /// When the journal received it (clock skew between the two is evidence).
    pub received_time: Timestamp,
    /// The system that reported it, e.g. `thiqa-server` or `hv/kvm-07`.
    pub source: String,
    /// Kind of event, dotted, e.g. `auth.login` or `vm.snapshot.delete`.
    pub action: String,
    /// RFC 5424 severity.
    pub severity: Severity,
    /// Who acted: user, service account or system component id.
    pub actor: String,
    /// What was acted on.
    pub target: String,
    /// Organisation the event belongs to (provider or client org id), if any.
    pub tenant: Option<String>,
    /// Network address the action came from, if known.
    pub source_address: Option<IpAddr>,
    /// Result of the action.
    pub outcome: Outcome,
    /// Further details; sorted by key, which makes them canonical.
    pub attributes: BTreeMap<String, String>,
}

/// Why an event could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The encoding would exceed [`MAX_EVENT_BYTES`].
    #[error("event encoding exceeds {MAX_EVENT_BYTES} bytes")]
    TooLarge,
    /// The bytes are not a canonical event encoding.
    #[error("malformed event leaf at byte {at}: {what}")]
    Malformed { at: usize, what: &'static str },
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    // Fits: the total is checked against MAX_EVENT_BYTES (< 4 GiB) below.
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

impl Event {
    /// The canonical leaf bytes.
    pub fn to_leaf(&self) -> Result<Vec<u8>, EventError> {
        let strings = [&self.source, &self.action, &self.actor, &self.target];
        let attr_len: usize = self
            .attributes
            .iter()
            .map(|(k, v)| 8 + k.len() + v.len())
            .sum();
        let tenant_len = self.tenant.as_ref().map_or(1, |t| 5 + t.len());
        let address_len = match self.source_address {
            None => 1,
            Some(IpAddr::V4(_)) => 5,
            Some(IpAddr::V6(_)) => 17,
        };
        let strings_len: usize = strings.iter().map(|s| 4 + s.len()).sum();
        let len = 5 + 16 + 2 + strings_len + tenant_len + address_len + 4 + attr_len;
        if len > MAX_EVENT_BYTES {
            return Err(EventError::TooLarge);
        }
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&self.event_time.unix_millis().to_be_bytes());
        out.extend_from_slice(&self.received_time.unix_millis().to_be_bytes());
        out.push(self.severity.code());
        out.push(self.outcome.code());
        for s in strings {
            put_str(&mut out, s);
        }
        match &self.tenant {
            None => out.push(0),
            Some(t) => {
                out.push(1);
                put_str(&mut out, t);
            }
        }
        match self.source_address {
            None => out.push(0),
            Some(IpAddr::V4(a)) => {
                out.push(4);
                out.extend_from_slice(&a.octets());
            }
            Some(IpAddr::V6(a)) => {
                out.push(6);
                out.extend_from_slice(&a.octets());
            }
        }
        out.extend_from_slice(&(self.attributes.len() as u32).to_be_bytes());
        for (k, v) in &self.attributes {
            put_str(&mut out, k);
            put_str(&mut out, v);
        }
        debug_assert_eq!(out.len(), len);
        Ok(out)
    }

    /// Decodes canonical leaf bytes; anything else is refused.
    pub fn from_leaf(bytes: &[u8]) -> Result<Self, EventError> {
        if bytes.len() > MAX_EVENT_BYTES {
            return Err(EventError::TooLarge);
        }
        let mut r = Reader { bytes, at: 0 };
        if r.take(4, "magic")? != MAGIC {
            return Err(r.error("magic"));
        }
        if r.u8("version")? != VERSION {
            return Err(r.error("unsupported version"));
        }
        let event_time = r.timestamp()?;
        let received_time = r.timestamp()?;
        let severity = Severity::from_code(r.u8("severity")?).ok_or(r.error("severity"))?;
        let outcome = Outcome::from_code(r.u8("outcome")?).ok_or(r.error("outcome"))?;
        let (source, action) = (r.string()?, r.string()?);
        let (actor, target) = (r.string()?, r.string()?);
        let tenant = match r.u8("tenant tag")? {
            0 => None,
            1 => Some(r.string()?),
            _ => return Err(r.error("tenant tag")),
        };
        let source_address = match r.u8("address tag")? {
            0 => None,
            4 => Some(IpAddr::V4(Ipv4Addr::from(r.array::<4>()?))),
            6 => Some(IpAddr::V6(Ipv6Addr::from(r.array::<16>()?))),
            _ => return Err(r.error("address tag")),
        };
        let count = u32::from_be_bytes(r.array::<4>()?);
        let mut attributes = BTreeMap::new();
        let mut previous: Option<String> = None;
        for _ in 0..count {
            let key = r.string()?;
            if previous
                .as_ref()
                .is_some_and(|p| p.as_bytes() >= key.as_bytes())
            {
                return Err(r.error("attribute keys not strictly ascending"));
            }
            let value = r.string()?;
            previous = Some(key.clone());
            attributes.insert(key, value);
        }
        if r.at != bytes.len() {
            return Err(r.error("trailing bytes"));
        }
        Ok(Self {
            event_time,
            received_time,
            source,
            action,
            severity,
            actor,
            target,
            tenant,
            source_address,
            outcome,
            attributes,
        })
    }
}

/// Bounds-checked cursor over leaf bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, what: &'static str) -> EventError {
        EventError::Malformed { at: self.at, what }
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], EventError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(self.error(what))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], EventError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, "truncated")?);
        Ok(out)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, EventError> {
        Ok(self.take(1, what)?[0])
    }

    fn timestamp(&mut self) -> Result<Timestamp, EventError> {
        let ms = i64::from_be_bytes(self.array::<8>()?);
        Timestamp::from_unix_millis(ms).map_err(|_| self.error("timestamp out of range"))
    }

    fn string(&mut self) -> Result<String, EventError> {
        self.str_ref().map(str::to_owned)
    }

    fn str_ref(&mut self) -> Result<&'a str, EventError> {
        let len = u32::from_be_bytes(self.array::<4>()?) as usize;
        let raw = self.take(len, "truncated string")?;
        std::str::from_utf8(raw).map_err(|_| self.error("invalid UTF-8"))
    }
}

/// The fields of a leaf that storage copies into columns beside it (times,
/// source, tenant, and attributes such as `event_id`), read in place: a
/// full verification compares every row's columns with these, so reading
/// them allocates nothing and skips what no column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeafFields<'a> {
    pub event_time_ms: i64,
    pub received_time_ms: i64,
    pub source: &'a str,
    pub tenant: Option<&'a str>,
    /// The encoded attributes (count, then key/value pairs).
    attributes: &'a [u8],
}

impl<'a> LeafFields<'a> {
    /// Reads the fields of leaf bytes; refuses what [`Event::from_leaf`]
    /// would refuse up to the attributes.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, EventError> {
        if bytes.len() > MAX_EVENT_BYTES {
            return Err(EventError::TooLarge);
        }
        let mut r = Reader { bytes, at: 0 };
        if r.take(4, "magic")? != MAGIC {
            return Err(r.error("magic"));
        }
        if r.u8("version")? != VERSION {
            return Err(r.error("unsupported version"));
        }
        let event_time_ms = r.timestamp()?.unix_millis();
        let received_time_ms = r.timestamp()?.unix_millis();
        r.take(2, "severity and outcome")?;
        let source = r.str_ref()?;
        for _ in 0..3 {
            r.str_ref()?; // action, actor, target
        }
        let tenant = match r.u8("tenant tag")? {
            0 => None,
            1 => Some(r.str_ref()?),
            _ => return Err(r.error("tenant tag")),
        };
        match r.u8("address tag")? {
            0 => {}
            4 => {
                r.take(4, "truncated")?;
            }
            6 => {
                r.take(16, "truncated")?;
            }
            _ => return Err(r.error("address tag")),
        }
        Ok(LeafFields {
            event_time_ms,
            received_time_ms,
            source,
            tenant,
            attributes: &bytes[r.at..],
        })
    }

    /// The value of attribute `key`, if the leaf has it (None as well when
    /// the attributes are malformed).
    #[must_use]
    pub fn attribute(&self, key: &str) -> Option<&'a str> {
        let mut r = Reader {
            bytes: self.attributes,
            at: 0,
        };
        let count = u32::from_be_bytes(r.array::<4>().ok()?);
        for _ in 0..count {
            let (k, v) = (r.str_ref().ok()?, r.str_ref().ok()?);
            if k == key {
                return Some(v);
            }
        }
        None
    }
}
