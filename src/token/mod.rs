//! The binary token layout (format version 1) and the untrusted token type.
//!
//! See `docs/FORMAT.md` for the byte-by-byte walk-through. In short, all
//! integers big-endian:
//!
//! | bytes | field |
//! | --- | --- |
//! | 1 | version (high nibble, 1) and flags (low nibble: lapsed, resident, cross-province off, delegate) |
//! | 4 | key id |
//! | 4 | issued-at, Unix seconds |
//! | 2 | validity, seconds |
//! | 8 | token id |
//! | 3 | region (20 bits) and masked-name length in bytes (4 bits) |
//! | 1 + n | insured identifier: descriptor (alphanumeric flag, length) and packed value |
//! | m | masked name, UTF-8 |
//! | 1 + k + 1 | delegate only: presenter identifier, relation and mutual-aid flag |
//! | 64 | signature over `"medcode/1" || all bytes above` |

pub(crate) mod budget;
pub(crate) mod claims;
pub(crate) mod format;
pub(crate) mod text;

pub use budget::id_and_name_len;

use claims::{
    Claims, InsuredId, MAX_ID_CHARS, MAX_NAME_BYTES, MaskedName, Presenter, Region, Relation,
    Scheme, Status,
};
use format::{FORMAT_VERSION, TOKEN_ID_LEN};

use std::fmt;

use crate::error::{Error, Result};
use crate::keys::KeyId;
use crate::keys::sizes::KEY_ID_LEN;
use crate::keys::sizes::SIGNATURE_LEN;

/// Domain-separation tag prefixed to every signed message.
pub(crate) const SIGNING_CONTEXT: &[u8] = b"medcode/1";
/// Bytes of every token before the insured identifier's packed value.
pub(crate) const FIXED_LEN: usize = 23;

const FLAG_LAPSED: u8 = 0b0001;
const FLAG_RESIDENT: u8 = 0b0010;
const FLAG_NO_CROSS_PROVINCE: u8 = 0b0100;
const FLAG_DELEGATE: u8 = 0b1000;
const ID_ALNUM: u8 = 0b1000_0000;
const ID_LEN_MASK: u8 = 0b0001_1111;
const REL_MUTUAL_AID: u8 = 0b1000_0000;
const REL_CODE_MASK: u8 = 0b0000_1111;

/// The random 64-bit token id, the unit of replay protection.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId([u8; TOKEN_ID_LEN]);

impl TokenId {
    /// Wraps raw bytes.
    pub const fn from_bytes(bytes: [u8; TOKEN_ID_LEN]) -> Self {
        TokenId(bytes)
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; TOKEN_ID_LEN] {
        &self.0
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::str::FromStr for TokenId {
    type Err = Error;

    /// Parses the 16 hex digits [`TokenId`]'s `Display` writes.
    fn from_str(text: &str) -> Result<Self> {
        let mut bytes = [0u8; TOKEN_ID_LEN];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| {
            Error::argument(
                "token id",
                format!("{text:?} is not {} hex digits", TOKEN_ID_LEN * 2),
            )
        })?;
        Ok(TokenId(bytes))
    }
}

impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenId({self})")
    }
}

/// Every field of a token except the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Body {
    pub kid: KeyId,
    pub issued_at: u32,
    pub validity: u16,
    pub token_id: TokenId,
    pub claims: Claims,
}

/// Bytes a packed identifier of `len` characters takes.
pub(crate) fn packed_id_len(numeric: bool, len: usize) -> usize {
    let radix: u128 = if numeric { 10 } else { 36 };
    let exp = u32::try_from(len).unwrap_or(u32::MAX);
    let max = radix.pow(exp); // 36^20 < 2^104: no overflow for len <= 20
    (1..16usize)
        .find(|&b| max <= 1u128 << (8 * b))
        .unwrap_or(16)
}

fn digit_value(b: u8) -> u128 {
    match b {
        b'0'..=b'9' => u128::from(b - b'0'),
        _ => u128::from(b - b'A' + 10),
    }
}

fn push_id(out: &mut Vec<u8>, id: &InsuredId) {
    let numeric = id.is_numeric();
    let radix: u128 = if numeric { 10 } else { 36 };
    let len = id.as_str().len();
    let value = id
        .as_str()
        .bytes()
        .fold(0u128, |acc, b| acc * radix + digit_value(b));
    let n = packed_id_len(numeric, len);
    let mut descriptor = u8::try_from(len).unwrap_or(0) & ID_LEN_MASK;
    if !numeric {
        descriptor |= ID_ALNUM;
    }
    out.push(descriptor);
    out.extend_from_slice(&value.to_be_bytes()[16 - n..]);
}

/// The claim flags of the low nibble of the first byte (lapsed, resident,
/// cross-province off, delegate); a device credential uses the same.
pub(crate) fn claim_flags(c: &Claims) -> u8 {
    let mut flags = 0;
    if c.status == Status::Lapsed {
        flags |= FLAG_LAPSED;
    }
    if c.scheme == Scheme::Resident {
        flags |= FLAG_RESIDENT;
    }
    if !c.cross_province {
        flags |= FLAG_NO_CROSS_PROVINCE;
    }
    if c.presenter.is_some() {
        flags |= FLAG_DELEGATE;
    }
    flags
}

/// Writes the claims as a token carries them after its fixed fields:
/// region and name length, identifier, name, and the presenter block of a
/// delegate. A device credential carries them the same way.
pub(crate) fn encode_claims(out: &mut Vec<u8>, c: &Claims) {
    let name = c.name.as_ref().map_or(&b""[..], |n| n.as_str().as_bytes());
    let name_len = u32::try_from(name.len()).unwrap_or(0);
    let packed = (c.region.code() << 4) | (name_len & 0xF);
    out.extend_from_slice(&packed.to_be_bytes()[1..]);
    push_id(out, &c.insured);
    out.extend_from_slice(name);
    if let Some(p) = &c.presenter {
        push_id(out, &p.insured);
        let mut rel = p.relation.code();
        if p.mutual_aid {
            rel |= REL_MUTUAL_AID;
        }
        out.push(rel);
    }
}

/// Encodes the signed part of a token.
pub(crate) fn encode_body(body: &Body) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.push((FORMAT_VERSION << 4) | claim_flags(&body.claims));
    out.extend_from_slice(body.kid.as_bytes());
    out.extend_from_slice(&body.issued_at.to_be_bytes());
    out.extend_from_slice(&body.validity.to_be_bytes());
    out.extend_from_slice(body.token_id.as_bytes());
    encode_claims(&mut out, &body.claims);
    out
}

/// The exact message a signature covers.
pub(crate) fn signed_message(body_bytes: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(SIGNING_CONTEXT.len() + body_bytes.len());
    msg.extend_from_slice(SIGNING_CONTEXT);
    msg.extend_from_slice(body_bytes);
    msg
}

/// Reads a binary layout front to back; every read names the field, so a
/// short input is `malformed` with the field it ran out in.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    /// Bytes read so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(Error::Malformed(what))?;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or(Error::Malformed(what))?;
        self.pos = end;
        Ok(slice)
    }

    pub(crate) fn byte(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// Reads the claims as [`encode_claims`] writes them; `head` is the
    /// first byte, whose low nibble holds the claim flags.
    pub(crate) fn claims(&mut self, head: u8) -> Result<Claims> {
        let r = self;
        let packed = r.array::<3>("region")?;
        let packed = u32::from_be_bytes([0, packed[0], packed[1], packed[2]]);
        let region = Region::from_code(packed >> 4)
            .map_err(|_| Error::Malformed("region is not a division code"))?;
        let name_len = usize::try_from(packed & 0xF).unwrap_or(usize::MAX);
        if name_len > MAX_NAME_BYTES {
            return Err(Error::Malformed("masked name length out of bounds"));
        }
        let insured = r.id("insured identifier")?;
        let name = if name_len == 0 {
            None
        } else {
            let raw = r.take(name_len, "masked name")?;
            let text = std::str::from_utf8(raw)
                .map_err(|_| Error::Malformed("masked name is not UTF-8"))?;
            Some(
                MaskedName::new(text)
                    .map_err(|_| Error::Malformed("masked name breaks the rules"))?,
            )
        };
        let presenter = if head & FLAG_DELEGATE != 0 {
            let id = r.id("presenter identifier")?;
            let rel = r.byte("relation")?;
            if rel & !(REL_MUTUAL_AID | REL_CODE_MASK) != 0 {
                return Err(Error::Malformed(
                    "reserved bits of the relation byte are set",
                ));
            }
            let relation = Relation::from_code(rel & REL_CODE_MASK)
                .ok_or(Error::Malformed("unknown relation code"))?;
            Some(Presenter {
                insured: id,
                relation,
                mutual_aid: rel & REL_MUTUAL_AID != 0,
            })
        } else {
            None
        };
        Ok(Claims {
            insured,
            name,
            region,
            status: if head & FLAG_LAPSED != 0 {
                Status::Lapsed
            } else {
                Status::Normal
            },
            scheme: if head & FLAG_RESIDENT != 0 {
                Scheme::Resident
            } else {
                Scheme::Employee
            },
            cross_province: head & FLAG_NO_CROSS_PROVINCE == 0,
            presenter,
        })
    }

    fn id(&mut self, what: &'static str) -> Result<InsuredId> {
        let descriptor = self.byte(what)?;
        if descriptor & !(ID_ALNUM | ID_LEN_MASK) != 0 {
            return Err(Error::Malformed(
                "reserved bits of an identifier descriptor are set",
            ));
        }
        let numeric = descriptor & ID_ALNUM == 0;
        let len = usize::from(descriptor & ID_LEN_MASK);
        if len == 0 || len > MAX_ID_CHARS {
            return Err(Error::Malformed("identifier length out of bounds"));
        }
        let n = packed_id_len(numeric, len);
        let raw = self.take(n, what)?;
        let value = raw.iter().fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
        let radix: u128 = if numeric { 10 } else { 36 };
        let exp = u32::try_from(len).unwrap_or(u32::MAX);
        if value >= radix.pow(exp) {
            return Err(Error::Malformed("identifier value out of bounds"));
        }
        let mut chars = vec![b'0'; len];
        let mut v = value;
        for c in chars.iter_mut().rev() {
            // u64 division once the value fits (most of the digits).
            let d = match u64::try_from(v) {
                Ok(small) => {
                    let r = u64::try_from(radix).unwrap_or(10);
                    v = u128::from(small / r);
                    small % r
                }
                Err(_) => {
                    let d = v % radix;
                    v /= radix;
                    u64::try_from(d).unwrap_or(0)
                }
            };
            let d = u8::try_from(d).unwrap_or(0);
            *c = if d < 10 { b'0' + d } else { b'A' + d - 10 };
        }
        let text = std::str::from_utf8(&chars).map_err(|_| Error::Malformed(what))?;
        InsuredId::new(text).map_err(|_| Error::Malformed(what))
    }
}

/// Parses the signed part of a token and returns it with the signature.
pub(crate) fn decode(bytes: &[u8]) -> Result<(Body, usize)> {
    if bytes.len() < FIXED_LEN + 1 + SIGNATURE_LEN {
        return Err(Error::Malformed("token is shorter than any token"));
    }
    let mut r = Reader::new(bytes);
    let head = r.byte("version")?;
    if head >> 4 != FORMAT_VERSION {
        return Err(Error::Malformed(
            "the version byte disagrees with the prefix",
        ));
    }
    let kid = KeyId::from_bytes(r.array::<KEY_ID_LEN>("key id")?);
    let issued_at = u32::from_be_bytes(r.array("issued-at")?);
    let validity = u16::from_be_bytes(r.array("validity")?);
    if validity == 0 {
        return Err(Error::Malformed("validity of zero seconds"));
    }
    let token_id = TokenId(r.array("token id")?);
    let claims = r.claims(head)?;
    let signed_len = r.pos;
    let remaining = bytes.len() - signed_len;
    if remaining < SIGNATURE_LEN {
        return Err(Error::Malformed("token is truncated"));
    }
    if remaining > SIGNATURE_LEN {
        return Err(Error::Malformed("trailing bytes after the signature"));
    }
    Ok((
        Body {
            kid,
            issued_at,
            validity,
            token_id,
            claims,
        },
        signed_len,
    ))
}

/// A token read from a scanner, not yet checked. It exposes only what is
/// safe to know before verification: the format version and key id. The
/// claims come out of [`crate::Verifier::verify`] only.
#[derive(Clone, Debug)]
pub struct UntrustedToken {
    bytes: Vec<u8>,
    signed_len: usize,
    body: Body,
}

impl UntrustedToken {
    /// Parses token text (prefix and digits) without checking the signature.
    /// ASCII whitespace around the text (a scanner's leading space, trailing
    /// CR, LF or tab) is ignored; whitespace inside it is `malformed`.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedVersion`] (`unsupported_version`) for an `MC` prefix with
    /// another version digit; [`Error::Malformed`] (`malformed`) for text over
    /// [`MAX_TEXT_LEN`](crate::limits::MAX_TEXT_LEN) bytes or anything else that is not a well-formed token.
    pub fn parse(text: &str) -> Result<Self> {
        let bytes = text::decode(text)?;
        let (body, signed_len) = decode(&bytes)?;
        Ok(UntrustedToken {
            bytes,
            signed_len,
            body,
        })
    }

    /// Parses a binary form (as [`UntrustedToken::as_bytes`] gives it)
    /// without checking the signature: for tools that work on the bytes,
    /// such as the test-vector generator.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] (`malformed`) when `bytes` is not a well-formed
    /// token or longer than any token.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > text::MAX_BINARY_LEN {
            return Err(Error::Malformed("token is longer than any token"));
        }
        let (body, signed_len) = decode(bytes)?;
        Ok(UntrustedToken {
            bytes: bytes.to_vec(),
            signed_len,
            body,
        })
    }

    /// The text form (prefix `MC1` and digits): the one text of these bytes.
    pub fn to_text(&self) -> String {
        text::encode(&self.bytes)
    }

    /// The key id the token names.
    pub fn key_id(&self) -> KeyId {
        self.body.kid
    }

    /// The binary form's length in bytes.
    pub fn binary_len(&self) -> usize {
        self.bytes.len()
    }

    /// The binary form (signed part and signature), e.g. for a hex dump.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub(crate) fn body(&self) -> &Body {
        &self.body
    }

    pub(crate) fn signed_bytes(&self) -> &[u8] {
        &self.bytes[..self.signed_len]
    }

    pub(crate) fn signature(&self) -> &[u8] {
        &self.bytes[self.signed_len..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(claims: Claims) -> Body {
        Body {
            kid: KeyId::from_bytes([1, 2, 3, 4]),
            issued_at: 1_795_334_400,
            validity: 60,
            token_id: TokenId([9; 8]),
            claims,
        }
    }

    fn with_sig(mut bytes: Vec<u8>) -> Vec<u8> {
        bytes.extend_from_slice(&[0xAB; SIGNATURE_LEN]);
        bytes
    }

    #[test]
    fn packed_identifier_lengths() {
        assert_eq!(packed_id_len(true, 20), 9);
        assert_eq!(packed_id_len(true, 19), 8);
        assert_eq!(packed_id_len(true, 1), 1);
        assert_eq!(packed_id_len(false, 20), 13);
        assert_eq!(packed_id_len(false, 1), 1);
    }

    #[test]
    fn self_token_round_trip_and_size() {
        let mut claims = Claims::new(
            InsuredId::new("12345678901234567890").unwrap(),
            Region::new("110000").unwrap(),
        );
        claims.name = Some(MaskedName::new("张*").unwrap());
        let b = body(claims);
        let bytes = with_sig(encode_body(&b));
        // 23 fixed + 9 identifier + 4 name + 64 signature
        assert_eq!(bytes.len(), 100);
        let (back, signed) = decode(&bytes).unwrap();
        assert_eq!(back, b);
        assert_eq!(signed, 36);
    }

    #[test]
    fn delegate_round_trip() {
        let mut claims = Claims::new(
            InsuredId::new("ZX81").unwrap(),
            Region::new("440300").unwrap(),
        );
        claims.status = Status::Lapsed;
        claims.scheme = Scheme::Resident;
        claims.cross_province = false;
        claims.presenter = Some(Presenter {
            insured: InsuredId::new("00012").unwrap(),
            relation: Relation::Child,
            mutual_aid: true,
        });
        let b = body(claims);
        let bytes = with_sig(encode_body(&b));
        assert_eq!(decode(&bytes).unwrap().0, b);
    }

    #[test]
    fn structural_errors() {
        let claims = Claims::new(InsuredId::new("7").unwrap(), Region::new("110000").unwrap());
        let good = with_sig(encode_body(&body(claims)));
        let reason = |bytes: &[u8]| decode(bytes).unwrap_err().reason().as_str();
        // Truncated and extended.
        assert_eq!(reason(&good[..good.len() - 1]), "malformed");
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(reason(&longer), "malformed");
        // Wrong version nibble.
        let mut v = good.clone();
        v[0] = 0x20;
        assert_eq!(reason(&v), "malformed");
        // Zero validity.
        let mut z = good.clone();
        z[9] = 0;
        z[10] = 0;
        assert_eq!(reason(&z), "malformed");
        // Identifier descriptor: reserved bit, zero length, too long.
        for d in [0b0100_0001u8, 0, 21] {
            let mut t = good.clone();
            t[22] = d;
            assert_eq!(reason(&t), "malformed", "descriptor {d:#x}");
        }
        // Numeric identifier value >= 10^len.
        let mut big = good.clone();
        big[23] = 10;
        assert_eq!(reason(&big), "malformed");
        // Region below 100000.
        let mut r = good.clone();
        r[19] = 0;
        r[20] = 0;
        assert_eq!(reason(&r), "malformed");
        // Name length 13.
        let mut n = good.clone();
        n[21] |= 0x0D;
        assert_eq!(reason(&n), "malformed");
    }

    #[test]
    fn a_name_with_an_invisible_character_is_malformed() {
        let mut claims = Claims::new(InsuredId::new("7").unwrap(), Region::new("110000").unwrap());
        claims.name = Some(MaskedName::new("张*").unwrap());
        let good = with_sig(encode_body(&body(claims)));
        // The name starts after 23 fixed bytes and the 1-byte identifier;
        // 张 is 3 bytes of UTF-8, as are the three invisible characters.
        assert_eq!(&good[24..28], "张*".as_bytes());
        for invisible in ['\u{202e}', '\u{200b}', '\u{2066}'] {
            let mut t = good.clone();
            invisible.encode_utf8(&mut t[24..27]);
            let err = decode(&t).unwrap_err();
            assert_eq!(err.reason().as_str(), "malformed", "{invisible:?}");
            assert_eq!(
                err.to_string(),
                Error::Malformed("masked name breaks the rules").to_string()
            );
        }
    }
}
