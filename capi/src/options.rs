//! Verifier options: a versioned struct that grows at its end.
//!
//! The caller fills `struct_size` with `sizeof(MedcodeOptions)` of the header
//! it was compiled against (`medcode_options_init_size` does it, along with
//! the defaults; the header's `medcode_options_init(&opts)` macro calls it
//! with `sizeof opts`). A library newer than the caller's header reads only
//! the fields the caller knows and uses defaults for the rest; a library
//! older than the caller's header accepts the larger struct only when every
//! field it does not know is zero (unset), so an option is never silently
//! ignored.
//!
//! | version | fields | size |
//! |---------|--------|------|
//! | 1 | `struct_size`, `leeway_secs`, `max_validity_secs`, `till_region` | 16 |
//! | 2 | + `replay_guard`, `replay_unavailable`, `replay_target`, `replay_key_prefix`, `root_key_file`, `revocations_file` | 56 (64-bit), 40 (32-bit) |
//! | 3 | + `state_path` | 64 (64-bit), 44 (32-bit) |
//! | 4 | + `replay_fallback_file` | 72 (64-bit), 48 (32-bit) |
//!
//! The options become a `medcode::TillConfig`, the library's till
//! setup, which reads the lists and opens the replay guard.

use std::ffi::c_char;
use std::mem::{offset_of, size_of};
use std::path::PathBuf;

use medcode::TillConfig;
use medcode::limits::DEFAULT_LEEWAY_SECS;
use medcode::replay::UnavailablePolicy;
use medcode::verify::{ListSource, RedisSpec, ReplaySpec};
use medcode::{Policy, Region};

use crate::cstr::read_str;
use crate::guard::{Failure, call};
use crate::reason::MedcodeReason;

/// Size in bytes of the first version of `MedcodeOptions` (four `uint32_t`).
pub const MEDCODE_OPTIONS_V1_SIZE: u32 = 16;

/// End of the second version's last field.
const V2_END: usize = offset_of!(MedcodeOptions, revocations_file) + size_of::<*const c_char>();
const _: () = assert!(V2_END <= 4096, "the options struct is small");

/// Size in bytes of the second version of `MedcodeOptions` (replay guard
/// and signed lists): 56 with 64-bit pointers, 40 with 32-bit ones. The
/// header defines it with `offsetof`, after the struct.
// The assertion above keeps the value far inside u32.
#[allow(clippy::cast_possible_truncation)]
pub const MEDCODE_OPTIONS_V2_SIZE: u32 = V2_END as u32;

/// End of the third version's last field.
const V3_END: usize = offset_of!(MedcodeOptions, state_path) + size_of::<*const c_char>();
const _: () = assert!(V3_END <= 4096, "the options struct is small");

/// Size in bytes of the third version of `MedcodeOptions` (the rollback
/// state file): 64 with 64-bit pointers, 44 with 32-bit ones. The header
/// defines it with `offsetof`, after the struct.
// The assertion above keeps the value far inside u32.
#[allow(clippy::cast_possible_truncation)]
pub const MEDCODE_OPTIONS_V3_SIZE: u32 = V3_END as u32;

/// End of the fourth version's last field.
const V4_END: usize = offset_of!(MedcodeOptions, replay_fallback_file) + size_of::<*const c_char>();
const _: () = assert!(V4_END <= 4096, "the options struct is small");

/// Size in bytes of the fourth version of `MedcodeOptions` (the Redis
/// guard's fallback file): 72 with 64-bit pointers, 48 with 32-bit ones.
/// The header defines it with `offsetof`, after the struct.
// The assertion above keeps the value far inside u32.
#[allow(clippy::cast_possible_truncation)]
pub const MEDCODE_OPTIONS_V4_SIZE: u32 = V4_END as u32;

/// `replay_guard`: no guard named, the default (what `medcode_options_init`
/// writes, and what every version-1 caller gets): the in-memory guard, as
/// `MEDCODE_REPLAY_MEMORY`. One code, one use without configuration.
pub const MEDCODE_REPLAY_DEFAULT: u32 = 0;
/// `replay_guard`: the process's own memory; each code is accepted once
/// while the verifier lives (a restart forgets).
pub const MEDCODE_REPLAY_MEMORY: u32 = 1;
/// `replay_guard`: a replay store file at `replay_target` (created if
/// missing); survives restarts and may be shared by the processes of one
/// till.
pub const MEDCODE_REPLAY_FILE: u32 = 2;
/// `replay_guard`: a Redis server at `replay_target`
/// (`redis://HOST:PORT[/DB]`), or a Redis Cluster
/// (`redis+cluster://HOST:PORT[,HOST:PORT...]`), shared by the tills of a
/// chain.
pub const MEDCODE_REPLAY_REDIS: u32 = 3;
/// `replay_guard`: no replay guard, the explicit opt-out; a code can be
/// shown again within its validity. A till must not use it: a screenshot
/// or photo of a customer's code then works again until the code expires.
/// For tests and tools that only inspect codes. (Before this value existed,
/// `MEDCODE_REPLAY_NONE` was 0; a program built against that header now
/// gets the in-memory guard, the safer behaviour.)
pub const MEDCODE_REPLAY_NONE: u32 = 4;

/// `replay_unavailable` (Redis only): while Redis cannot be reached, refuse
/// every code with `MEDCODE_REASON_REPLAY_GUARD_UNAVAILABLE`. The default.
pub const MEDCODE_REPLAY_FAIL_CLOSED: u32 = 0;
/// `replay_unavailable` (Redis only): while Redis cannot be reached, check
/// codes against this process's own records, accept each once and set
/// `MEDCODE_NOTICE_REPLAY_LOCAL_FALLBACK` in the result.
pub const MEDCODE_REPLAY_LOCAL_FALLBACK: u32 = 1;

/// Largest `struct_size` accepted: far beyond any version, so a garbage size
/// is refused before anything is read.
const MAX_OPTIONS_SIZE: u32 = 4096;

/// Longest path, URL or prefix read from the options, in bytes.
const MAX_OPTION_STR_LEN: usize = 4096;

/// Options for a new verifier. Initialise with `medcode_options_init(&opts)`
/// (a macro passing `sizeof opts`), then change fields. Fields are only ever
/// added at the end; strings are NUL-terminated UTF-8, read only while the
/// verifier is created, and NULL means unset.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MedcodeOptions {
    /// `sizeof(MedcodeOptions)` as the caller compiled it.
    pub struct_size: u32,
    /// Seconds of clock difference tolerated at both ends of a code's
    /// validity. Default 15.
    pub leeway_secs: u32,
    /// Codes claiming a longer validity are refused. Default 300.
    pub max_validity_secs: u32,
    /// The 6-digit region code of the till (e.g. 110000), which enables the
    /// holder's cross-province switch; 0 for none (the default).
    pub till_region: u32,
    /// Version 2. `MEDCODE_REPLAY_DEFAULT` (0, the in-memory guard),
    /// `_MEMORY`, `_FILE`, `_REDIS`, or `_NONE` (no guard, the explicit
    /// opt-out): where accepted token ids are recorded, so that a second
    /// presentation of a code is refused with `MEDCODE_REASON_REPLAYED`.
    /// Version-1 callers, which have no such field, get the in-memory guard.
    pub replay_guard: u32,
    /// Version 2, Redis only: `MEDCODE_REPLAY_FAIL_CLOSED` (default) or
    /// `MEDCODE_REPLAY_LOCAL_FALLBACK`.
    pub replay_unavailable: u32,
    /// Version 2: the replay store file's path (`MEDCODE_REPLAY_FILE`) or the
    /// `redis://HOST:PORT[/DB]` or `redis+cluster://HOST:PORT[,HOST:PORT...]`
    /// URL (`MEDCODE_REPLAY_REDIS`); NULL otherwise.
    pub replay_target: *const c_char,
    /// Version 2, Redis only: prefix of the keys, so that several chains can
    /// share one server; NULL for "medcode:seen:".
    pub replay_key_prefix: *const c_char,
    /// Version 2: the pinned root public key file (ROOT.pub). When set, the
    /// trust list must be a list signed by that root (and `revocations_file`
    /// too), and `medcode_verifier_update_*_file` install newer ones. NULL:
    /// the trust list must be an unsigned one.
    pub root_key_file: *const c_char,
    /// Version 2: a revocation list file, signed when `root_key_file` is set,
    /// unsigned otherwise; NULL for none.
    pub revocations_file: *const c_char,
    /// Version 3: a rollback state file (created if missing; needs
    /// `root_key_file`). It keeps the highest list sequence numbers this
    /// till has used, so that a verifier created later, also after a
    /// restart, refuses an older signed list (`MEDCODE_REASON_INVALID_TRUST_LIST`,
    /// "rollback refused"). NULL for none: each verifier then only knows
    /// the lists it is given.
    pub state_path: *const c_char,
    /// Version 4, `MEDCODE_REPLAY_REDIS` with `MEDCODE_REPLAY_LOCAL_FALLBACK`
    /// only: the replay store file (created with mode 0600 if missing) keeping
    /// this till's own records while Redis is unreachable, so that a till
    /// restarted during an outage still refuses the codes it accepted and
    /// writes them to Redis when it returns. Use one file per server and
    /// key prefix. NULL (the default, and all that version 2 and 3 callers
    /// get): the records are kept in memory, and a restart during an outage
    /// forgets them.
    pub replay_fallback_file: *const c_char,
}

impl Default for MedcodeOptions {
    fn default() -> Self {
        MedcodeOptions {
            struct_size: u32::try_from(size_of::<MedcodeOptions>()).unwrap_or(u32::MAX),
            leeway_secs: DEFAULT_LEEWAY_SECS,
            max_validity_secs: medcode::limits::DEFAULT_MAX_VALIDITY_SECS,
            till_region: 0,
            replay_guard: MEDCODE_REPLAY_DEFAULT,
            replay_unavailable: MEDCODE_REPLAY_FAIL_CLOSED,
            replay_target: std::ptr::null(),
            replay_key_prefix: std::ptr::null(),
            root_key_file: std::ptr::null(),
            revocations_file: std::ptr::null(),
            state_path: std::ptr::null(),
            replay_fallback_file: std::ptr::null(),
        }
    }
}

/// The options, checked and with their strings copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) policy: Policy,
    pub(crate) replay: ReplaySpec,
    pub(crate) root_key_file: Option<PathBuf>,
    pub(crate) revocations_file: Option<PathBuf>,
    pub(crate) state_path: Option<PathBuf>,
}

impl Settings {
    /// The library's till setup for these options and the trust list from
    /// `trust`. Changes of a shared replay guard's reachability are written
    /// to standard error, one line each, as `medcode till` logs them.
    pub(crate) fn config(&self, trust: ListSource) -> TillConfig {
        let mut config = TillConfig::new(trust)
            .policy(self.policy)
            .replay(self.replay.clone())
            .on_event(|event| {
                use std::io::Write;
                let _ = writeln!(std::io::stderr(), "medcode: warning: {event}");
            });
        if let Some(path) = &self.root_key_file {
            config = config.root_key_file(path);
        }
        if let Some(path) = &self.revocations_file {
            config = config.revocations_file(path);
        }
        if let Some(path) = &self.state_path {
            config = config.state_file(path);
        }
        config
    }
}

/// Checks a caller's `struct_size`: one of the versions' sizes, or larger
/// than the latest (a newer header) up to a sanity bound.
fn check_size(size: u64) -> Result<usize, Failure> {
    let known = u64::from(MEDCODE_OPTIONS_V4_SIZE);
    let v1 = u64::from(MEDCODE_OPTIONS_V1_SIZE);
    let v2 = u64::from(MEDCODE_OPTIONS_V2_SIZE);
    let v3 = u64::from(MEDCODE_OPTIONS_V3_SIZE);
    if size < v1 || size > u64::from(MAX_OPTIONS_SIZE) {
        return Err(Failure::new(
            MedcodeReason::InvalidArgument,
            format!(
                "options struct_size is {size}; set it with medcode_options_init (this library knows {known} bytes)"
            ),
        ));
    }
    for (n, (lo, hi)) in [(v1, v2), (v2, v3), (v3, known)].into_iter().enumerate() {
        if size > lo && size < hi {
            return Err(Failure::new(
                MedcodeReason::InvalidArgument,
                format!(
                    "options struct_size is {size}, between version {} ({lo} bytes) and version {} ({hi} bytes); set it with medcode_options_init",
                    n + 1,
                    n + 2
                ),
            ));
        }
    }
    usize::try_from(size).map_err(|_| Failure::new(MedcodeReason::InvalidArgument, "too large"))
}

impl MedcodeOptions {
    /// Reads the caller's options (NULL means defaults).
    ///
    /// # Safety
    /// `ptr` is null, or points to a readable 4-byte `struct_size` field
    /// and, when `check_size` accepts that size, to `struct_size` readable
    /// bytes. No alignment is needed.
    pub(crate) unsafe fn read(ptr: *const MedcodeOptions) -> Result<MedcodeOptions, Failure> {
        let mut opts = MedcodeOptions::default();
        if ptr.is_null() {
            return Ok(opts);
        }
        // SAFETY: non-null (checked above), so its 4-byte struct_size field
        // is readable (caller's contract); read unaligned, as the caller's
        // buffer need not be aligned.
        let size = check_size(u64::from(unsafe { ptr.cast::<u32>().read_unaligned() }))?;
        let known = size_of::<MedcodeOptions>();
        // SAFETY: check_size accepted `size` (at most MAX_OPTIONS_SIZE), so
        // the caller guarantees `size` readable bytes; u8 needs no alignment.
        let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), size) };
        if bytes.iter().skip(known).any(|&b| b != 0) {
            return Err(Failure::new(
                MedcodeReason::InvalidArgument,
                format!(
                    "options set fields beyond the {known} bytes this library version knows; upgrade libmedcode_capi"
                ),
            ));
        }
        let take = size.min(known);
        // SAFETY: both regions are valid for `take` bytes and do not overlap;
        // `take` is the end of a version, so only whole fields are copied,
        // and every field is an integer or a raw pointer, for which any
        // bytes form a valid value.
        unsafe {
            std::ptr::copy_nonoverlapping(
                ptr.cast::<u8>(),
                std::ptr::from_mut(&mut opts).cast::<u8>(),
                take,
            );
        }
        Ok(opts)
    }

    /// The library policy these options describe.
    pub(crate) fn policy(&self) -> Result<Policy, Failure> {
        let till_region = match self.till_region {
            0 => None,
            code => Some(Region::from_code(code).map_err(|_| {
                Failure::new(
                    MedcodeReason::InvalidArgument,
                    format!("till_region {code} is not a 6-digit administrative division code"),
                )
            })?),
        };
        Ok(Policy {
            leeway_secs: self.leeway_secs,
            max_validity_secs: self.max_validity_secs,
            till_region,
        })
    }

    /// Checks every option and copies its strings.
    ///
    /// # Safety
    /// Each string field is null or NUL-terminated (at most 4097 bytes are
    /// read of each).
    pub(crate) unsafe fn settings(&self) -> Result<Settings, Failure> {
        let policy = self.policy()?;
        // SAFETY: guaranteed by the caller, for every string field.
        let (target, key_prefix, root_key_file, revocations_file, state_path, fallback_file) = unsafe {
            (
                option_str(self.replay_target, "replay_target")?,
                option_str(self.replay_key_prefix, "replay_key_prefix")?,
                option_str(self.root_key_file, "root_key_file")?,
                option_str(self.revocations_file, "revocations_file")?,
                option_str(self.state_path, "state_path")?,
                option_str(self.replay_fallback_file, "replay_fallback_file")?,
            )
        };
        let bad = |why: String| Failure::new(MedcodeReason::InvalidArgument, why);
        let guard_name = match self.replay_guard {
            MEDCODE_REPLAY_DEFAULT => "MEDCODE_REPLAY_DEFAULT (the in-memory guard)",
            MEDCODE_REPLAY_NONE => "MEDCODE_REPLAY_NONE",
            MEDCODE_REPLAY_MEMORY => "MEDCODE_REPLAY_MEMORY",
            MEDCODE_REPLAY_FILE => "MEDCODE_REPLAY_FILE",
            MEDCODE_REPLAY_REDIS => "MEDCODE_REPLAY_REDIS",
            other => {
                return Err(bad(format!(
                    "options.replay_guard is {other}; expected MEDCODE_REPLAY_DEFAULT (0), MEDCODE_REPLAY_MEMORY (1), MEDCODE_REPLAY_FILE (2), MEDCODE_REPLAY_REDIS (3) or MEDCODE_REPLAY_NONE (4)"
                )));
            }
        };
        let unavailable = match self.replay_unavailable {
            MEDCODE_REPLAY_FAIL_CLOSED => UnavailablePolicy::FailClosed,
            MEDCODE_REPLAY_LOCAL_FALLBACK => UnavailablePolicy::LocalFallback,
            other => {
                return Err(bad(format!(
                    "options.replay_unavailable is {other}; expected MEDCODE_REPLAY_FAIL_CLOSED (0) or MEDCODE_REPLAY_LOCAL_FALLBACK (1)"
                )));
            }
        };
        if fallback_file.is_some() && unavailable != UnavailablePolicy::LocalFallback {
            return Err(bad(
                "options.replay_fallback_file applies to MEDCODE_REPLAY_REDIS with MEDCODE_REPLAY_LOCAL_FALLBACK only"
                    .to_owned(),
            ));
        }
        if self.replay_guard != MEDCODE_REPLAY_REDIS {
            if unavailable != UnavailablePolicy::FailClosed {
                return Err(bad(format!(
                    "options.replay_unavailable applies to MEDCODE_REPLAY_REDIS only, but replay_guard is {guard_name}"
                )));
            }
            if key_prefix.is_some() {
                return Err(bad(format!(
                    "options.replay_key_prefix applies to MEDCODE_REPLAY_REDIS only, but replay_guard is {guard_name}"
                )));
            }
        }
        let replay = match (self.replay_guard, target) {
            (MEDCODE_REPLAY_DEFAULT | MEDCODE_REPLAY_NONE | MEDCODE_REPLAY_MEMORY, Some(_)) => {
                return Err(bad(format!(
                    "options.replay_target is set, but replay_guard is {guard_name}, which takes none"
                )));
            }
            (MEDCODE_REPLAY_FILE | MEDCODE_REPLAY_REDIS, None) => {
                return Err(bad(format!(
                    "options.replay_target is NULL; {guard_name} needs {}",
                    if self.replay_guard == MEDCODE_REPLAY_FILE {
                        "the path of its replay store file"
                    } else {
                        "a redis://HOST:PORT[/DB] or redis+cluster://HOST:PORT[,HOST:PORT...] URL"
                    }
                )));
            }
            (MEDCODE_REPLAY_DEFAULT | MEDCODE_REPLAY_MEMORY, None) => ReplaySpec::Memory,
            (MEDCODE_REPLAY_NONE, None) => ReplaySpec::None,
            (MEDCODE_REPLAY_FILE, Some(path)) => ReplaySpec::File(PathBuf::from(path)),
            (MEDCODE_REPLAY_REDIS, Some(url)) => ReplaySpec::Redis(RedisSpec {
                url,
                key_prefix,
                unavailable,
                fallback_file: fallback_file.map(PathBuf::from),
            }),
            // Refused above: an unknown guard, or a guard needing a target.
            _ => {
                return Err(bad(format!(
                    "options.replay_guard {guard_name} is not usable here"
                )));
            }
        };
        Ok(Settings {
            policy,
            replay,
            root_key_file: root_key_file.map(PathBuf::from),
            revocations_file: revocations_file.map(PathBuf::from),
            state_path: state_path.map(PathBuf::from),
        })
    }
}

/// Reads an optional string field: NULL is unset; an empty string is
/// refused (leave the field NULL instead), and so is one that is not UTF-8
/// or longer than 4096 bytes.
///
/// # Safety
/// `ptr` is null or NUL-terminated.
unsafe fn option_str(ptr: *const c_char, field: &str) -> Result<Option<String>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    let what = format!("options.{field}");
    // SAFETY: non-null and NUL-terminated (caller's contract).
    let text = unsafe {
        read_str(
            ptr,
            MAX_OPTION_STR_LEN,
            &what,
            MedcodeReason::InvalidArgument,
            MedcodeReason::InvalidArgument,
        )
    }?;
    if text.is_empty() {
        return Err(Failure::new(
            MedcodeReason::InvalidArgument,
            format!("{what} is an empty string; leave it NULL when unused"),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// Fills the first `size` bytes at `opts` with the defaults (leeway 15 s,
/// maximum validity 300 s, no till region, the in-memory replay guard
/// (`MEDCODE_REPLAY_DEFAULT`), no root key, no
/// revocation list, no state file, no fallback file), zero for anything beyond what this
/// library knows, and sets `struct_size` to `size`. Pass
/// `sizeof(MedcodeOptions)`, as the header's `medcode_options_init(&opts)`
/// macro does. Returns `MEDCODE_REASON_INVALID_ARGUMENT`, writing nothing,
/// for a NULL `opts` or a size that is not 16 (version 1),
/// `MEDCODE_OPTIONS_V2_SIZE`, `MEDCODE_OPTIONS_V3_SIZE`,
/// `MEDCODE_OPTIONS_V4_SIZE` or larger (a newer header) up to 4096.
///
/// # Safety
/// `opts` is null, or points to `size` writable bytes when `size` is one
/// of the sizes accepted above (nothing is written for any other size). No
/// alignment is needed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_options_init_size(
    opts: *mut MedcodeOptions,
    size: usize,
) -> MedcodeReason {
    call(|| {
        if opts.is_null() {
            return Err(Failure::null("opts"));
        }
        let size = check_size(u64::try_from(size).unwrap_or(u64::MAX))?;
        // SAFETY: non-null (checked above) and check_size accepted `size`, so
        // the caller's contract gives `size` writable bytes at `opts`.
        unsafe { init(opts, size) };
        Ok(())
    })
}

/// Writes the defaults to the first `size` bytes at `opts`.
///
/// # Safety
/// `opts` is non-null and points to `size` writable bytes; `size` passed
/// `check_size`.
unsafe fn init(opts: *mut MedcodeOptions, size: usize) {
    let defaults = MedcodeOptions {
        struct_size: u32::try_from(size).unwrap_or(u32::MAX),
        ..MedcodeOptions::default()
    };
    let known = size_of::<MedcodeOptions>();
    let take = size.min(known);
    let out = opts.cast::<u8>();
    // SAFETY: `take <= size` bytes are writable at `out`; `defaults` is a
    // separate local. The struct has no padding (see the tests), so every
    // byte copied is initialised.
    unsafe {
        std::ptr::copy_nonoverlapping(std::ptr::from_ref(&defaults).cast::<u8>(), out, take);
        if size > known {
            std::ptr::write_bytes(out.add(known), 0, size - known);
        }
    }
}

/// The first version's initialiser, kept for programs built against the
/// first header and for bindings that declare the 16-byte struct (such as
/// the Python till in docs/EMBEDDING.md): fills exactly 16 bytes (`struct_size` 16 and
/// the version-1 defaults), so the later fields keep their defaults (among
/// them the in-memory replay guard: each code is accepted once). C and
/// C++ code calls the header's `medcode_options_init(&opts)` macro instead,
/// which is `medcode_options_init_size(&opts, sizeof opts)`. Does nothing
/// when `opts` is NULL.
///
/// # Safety
/// `opts` is null or points to 16 writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_options_init(opts: *mut MedcodeOptions) {
    crate::guard::quiet((), || {
        if !opts.is_null() {
            let size = usize::try_from(MEDCODE_OPTIONS_V1_SIZE).unwrap_or(usize::MAX);
            // SAFETY: non-null with 16 writable bytes (caller's contract).
            unsafe { init(opts, size) };
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_sizes_and_no_padding() {
        assert_eq!(offset_of!(MedcodeOptions, replay_guard), 16);
        assert_eq!(offset_of!(MedcodeOptions, replay_unavailable), 20);
        let p = size_of::<*const c_char>();
        assert_eq!(offset_of!(MedcodeOptions, replay_target), 24);
        assert_eq!(offset_of!(MedcodeOptions, replay_key_prefix), 24 + p);
        assert_eq!(offset_of!(MedcodeOptions, root_key_file), 24 + 2 * p);
        assert_eq!(offset_of!(MedcodeOptions, revocations_file), 24 + 3 * p);
        assert_eq!(offset_of!(MedcodeOptions, state_path), 24 + 4 * p);
        assert_eq!(offset_of!(MedcodeOptions, replay_fallback_file), 24 + 5 * p);
        assert_eq!(size_of::<MedcodeOptions>(), 24 + 6 * p);
        assert_eq!(
            usize::try_from(MEDCODE_OPTIONS_V2_SIZE).unwrap(),
            24 + 4 * p
        );
        assert_eq!(
            usize::try_from(MEDCODE_OPTIONS_V3_SIZE).unwrap(),
            24 + 5 * p
        );
        assert_eq!(
            usize::try_from(MEDCODE_OPTIONS_V4_SIZE).unwrap(),
            size_of::<MedcodeOptions>()
        );
        assert_eq!(
            MedcodeOptions::default().struct_size,
            MEDCODE_OPTIONS_V4_SIZE
        );
        #[cfg(target_pointer_width = "64")]
        assert_eq!(
            (
                MEDCODE_OPTIONS_V2_SIZE,
                MEDCODE_OPTIONS_V3_SIZE,
                MEDCODE_OPTIONS_V4_SIZE
            ),
            (56, 64, 72)
        );
    }

    #[test]
    fn init_sets_defaults() {
        let mut o = MedcodeOptions {
            struct_size: 0,
            leeway_secs: 1,
            max_validity_secs: 2,
            till_region: 3,
            replay_guard: 4,
            replay_unavailable: 5,
            replay_target: c"x".as_ptr(),
            replay_key_prefix: c"x".as_ptr(),
            root_key_file: c"x".as_ptr(),
            revocations_file: c"x".as_ptr(),
            state_path: c"x".as_ptr(),
            replay_fallback_file: c"x".as_ptr(),
        };
        // SAFETY: `o` is a live MedcodeOptions, so size_of::<MedcodeOptions>() bytes are writable
        // at it.
        let code = unsafe { medcode_options_init_size(&mut o, size_of::<MedcodeOptions>()) };
        assert_eq!(code, MedcodeReason::Ok);
        assert_eq!(o, MedcodeOptions::default());
        assert_eq!(o.leeway_secs, 15);
        assert_eq!(o.max_validity_secs, 300);
        assert!(o.replay_target.is_null());
        // SAFETY: the contract allows a null opts, which is refused before any write.
        let code = unsafe { medcode_options_init_size(std::ptr::null_mut(), 16) };
        assert_eq!(code, MedcodeReason::InvalidArgument);
        assert_eq!(
            // SAFETY: a null pointer means the defaults; nothing is read.
            unsafe { MedcodeOptions::read(std::ptr::null()) }.unwrap(),
            o
        );
        // SAFETY: after the init above every string field of `o` is null.
        let s = unsafe { o.settings() }.unwrap();
        assert_eq!(o.replay_guard, MEDCODE_REPLAY_DEFAULT);
        assert_eq!(s.replay, ReplaySpec::Memory);
        assert_eq!(s.root_key_file, None);
        assert_eq!(s.state_path, None);
    }

    /// The first version's initialiser touches 16 bytes and no more.
    #[test]
    fn v1_init_writes_sixteen_bytes() {
        let mut buf = [0xAAu8; 64];
        // SAFETY: `buf` has 64 writable bytes, more than the 16 written; init writes bytewise
        // (copy_nonoverlapping of u8), so the array's alignment of 1 is enough.
        unsafe { medcode_options_init(buf.as_mut_ptr().cast()) };
        assert_eq!(&buf[..4], &16u32.to_ne_bytes());
        assert_eq!(&buf[4..8], &15u32.to_ne_bytes());
        assert_eq!(&buf[8..12], &300u32.to_ne_bytes());
        assert_eq!(&buf[12..16], &0u32.to_ne_bytes());
        assert!(buf[16..].iter().all(|&b| b == 0xAA));
        // SAFETY: `buf` starts with struct_size 16 and has 64 readable bytes; read takes
        // struct_size with read_unaligned and copies bytes, so no alignment is needed.
        let got = unsafe { MedcodeOptions::read(buf.as_ptr().cast()) }.unwrap();
        assert_eq!(
            got,
            MedcodeOptions {
                struct_size: 16,
                ..MedcodeOptions::default()
            }
        );
        // SAFETY: a null opts is allowed and ignored.
        unsafe { medcode_options_init(std::ptr::null_mut()) };
    }

    #[test]
    fn sizes_are_checked() {
        let (v2, v3, v4) = (
            MEDCODE_OPTIONS_V2_SIZE,
            MEDCODE_OPTIONS_V3_SIZE,
            MEDCODE_OPTIONS_V4_SIZE,
        );
        for size in [
            0,
            4,
            15,
            17,
            20,
            24,
            v2 - 1,
            v2 + 1,
            v3 - 1,
            v3 + 1,
            v4 - 1,
            4097,
            u32::MAX,
        ] {
            let o = MedcodeOptions {
                struct_size: size,
                ..MedcodeOptions::default()
            };
            // SAFETY: `o` is a whole MedcodeOptions; each struct_size in the list is refused by
            // check_size after only its 4-byte field was read.
            let err = unsafe { MedcodeOptions::read(&o) }.unwrap_err();
            assert_eq!(err.code, MedcodeReason::InvalidArgument, "{size}");
            let mut buf = [0u8; 8192];
            // SAFETY: none of these sizes is accepted, so the contract asks for no writable
            // bytes (nothing is written); `buf` has 8192 anyway, enough for all but u32::MAX.
            let code = unsafe {
                medcode_options_init_size(buf.as_mut_ptr().cast(), usize::try_from(size).unwrap())
            };
            assert_eq!(code, MedcodeReason::InvalidArgument, "{size}");
            assert!(buf.iter().all(|&b| b == 0), "nothing written for {size}");
        }
        let o = MedcodeOptions {
            struct_size: 20,
            ..MedcodeOptions::default()
        };
        assert_eq!(
            // SAFETY: `o` is a whole 64-byte struct, so 20 bytes are readable (and the size is
            // refused first).
            unsafe { MedcodeOptions::read(&o) }.unwrap_err().detail,
            format!(
                "options struct_size is 20, between version 1 (16 bytes) and version 2 ({v2} bytes); set it with medcode_options_init"
            )
        );
        let o = MedcodeOptions {
            struct_size: v2 + 1,
            ..MedcodeOptions::default()
        };
        assert_eq!(
            // SAFETY: `o` is a whole struct, so v2 + 1 bytes are readable (and the size is refused
            // first).
            unsafe { MedcodeOptions::read(&o) }.unwrap_err().detail,
            format!(
                "options struct_size is {}, between version 2 ({v2} bytes) and version 3 ({v3} bytes); set it with medcode_options_init",
                v2 + 1
            )
        );
    }

    /// A version-2 caller: the state path keeps its default (none), and the
    /// bytes beyond the version-2 struct are never read.
    #[test]
    fn v2_callers_keep_working() {
        let v2 = usize::try_from(MEDCODE_OPTIONS_V2_SIZE).unwrap();
        let mut buf = [0xAAu8; 128];
        // SAFETY: `buf` has 128 writable bytes, more than v2; init writes bytewise, so alignment 1
        // suffices.
        let code = unsafe { medcode_options_init_size(buf.as_mut_ptr().cast(), v2) };
        assert_eq!(code, MedcodeReason::Ok);
        assert!(buf[v2..].iter().all(|&b| b == 0xAA));
        // SAFETY: `buf` holds struct_size v2 and has 128 readable bytes; read is alignment-free
        // (read_unaligned, then a byte copy).
        let got = unsafe { MedcodeOptions::read(buf.as_ptr().cast()) }.unwrap();
        assert_eq!(
            got,
            MedcodeOptions {
                struct_size: MEDCODE_OPTIONS_V2_SIZE,
                ..MedcodeOptions::default()
            }
        );
        // SAFETY: `got` has the default (null) string fields.
        assert_eq!(unsafe { got.settings() }.unwrap().state_path, None);
    }

    /// A caller compiled against a future header with one more field.
    #[repr(C)]
    struct Future {
        v3: MedcodeOptions,
        next: u64,
    }

    #[test]
    fn larger_structs_need_unknown_fields_unset() {
        let mut f = Future {
            v3: MedcodeOptions::default(),
            next: 7,
        };
        let size = size_of::<Future>();
        // SAFETY: `f` is a live repr(C) Future of exactly `size` writable bytes.
        let code = unsafe { medcode_options_init_size(std::ptr::from_mut(&mut f).cast(), size) };
        assert_eq!(code, MedcodeReason::Ok);
        assert_eq!(f.next, 0);
        assert_eq!(usize::try_from(f.v3.struct_size).unwrap(), size);
        f.v3.leeway_secs = 3;
        // SAFETY: struct_size is size_of::<Future>() and `f` has that many readable bytes.
        let got = unsafe { MedcodeOptions::read(std::ptr::from_ref(&f).cast()) }.unwrap();
        assert_eq!(got.leeway_secs, 3);
        f.next = 1;
        // SAFETY: as above: `f` still has its struct_size readable bytes.
        let err = unsafe { MedcodeOptions::read(std::ptr::from_ref(&f).cast()) }.unwrap_err();
        assert_eq!(err.code, MedcodeReason::InvalidArgument);
        assert_eq!(
            err.detail,
            format!(
                "options set fields beyond the {} bytes this library version knows; upgrade libmedcode_capi",
                size_of::<MedcodeOptions>()
            )
        );
    }

    #[test]
    fn till_region_is_checked() {
        let mut o = MedcodeOptions::default();
        assert_eq!(o.policy().unwrap().till_region, None);
        o.till_region = 110_000;
        assert_eq!(o.policy().unwrap().till_region.unwrap().code(), 110_000);
        o.till_region = 12;
        let err = o.policy().unwrap_err();
        assert_eq!(err.code, MedcodeReason::InvalidArgument);
        assert_eq!(
            err.detail,
            "till_region 12 is not a 6-digit administrative division code"
        );
    }

    fn settings_err(o: &MedcodeOptions) -> String {
        // SAFETY: every caller passes options whose string fields are null, C string literals, a
        // live CString or a NUL-terminated local array.
        let err = unsafe { o.settings() }.unwrap_err();
        assert_eq!(err.code, MedcodeReason::InvalidArgument);
        err.detail
    }

    #[test]
    fn replay_choices_are_checked() {
        let base = MedcodeOptions::default();
        let with = |guard, target: *const c_char| MedcodeOptions {
            replay_guard: guard,
            replay_target: target,
            ..base
        };
        // SAFETY: replay_target is null, and so is every other string field of the defaults.
        let s = unsafe { with(MEDCODE_REPLAY_MEMORY, std::ptr::null()).settings() }.unwrap();
        assert_eq!(s.replay, ReplaySpec::Memory);
        // SAFETY: as above.
        let s = unsafe { with(MEDCODE_REPLAY_DEFAULT, std::ptr::null()).settings() }.unwrap();
        assert_eq!(s.replay, ReplaySpec::Memory);
        // SAFETY: as above.
        let s = unsafe { with(MEDCODE_REPLAY_NONE, std::ptr::null()).settings() }.unwrap();
        assert_eq!(s.replay, ReplaySpec::None);
        // SAFETY: replay_target is a C string literal; the other string fields are null.
        let s = unsafe { with(MEDCODE_REPLAY_FILE, c"/tmp/seen.db".as_ptr()).settings() }.unwrap();
        assert_eq!(s.replay, ReplaySpec::File(PathBuf::from("/tmp/seen.db")));
        let o = MedcodeOptions {
            replay_unavailable: MEDCODE_REPLAY_LOCAL_FALLBACK,
            replay_key_prefix: c"chain-a:".as_ptr(),
            ..with(MEDCODE_REPLAY_REDIS, c"redis://127.0.0.1:6379/2".as_ptr())
        };
        assert_eq!(
            // SAFETY: replay_target and replay_key_prefix are C string literals; the others are
            // null.
            unsafe { o.settings() }.unwrap().replay,
            ReplaySpec::Redis(RedisSpec {
                url: "redis://127.0.0.1:6379/2".into(),
                key_prefix: Some("chain-a:".into()),
                unavailable: UnavailablePolicy::LocalFallback,
                fallback_file: None,
            })
        );

        assert_eq!(
            settings_err(&with(5, std::ptr::null())),
            "options.replay_guard is 5; expected MEDCODE_REPLAY_DEFAULT (0), MEDCODE_REPLAY_MEMORY (1), MEDCODE_REPLAY_FILE (2), MEDCODE_REPLAY_REDIS (3) or MEDCODE_REPLAY_NONE (4)"
        );
        assert_eq!(
            settings_err(&with(MEDCODE_REPLAY_DEFAULT, c"x".as_ptr())),
            "options.replay_target is set, but replay_guard is MEDCODE_REPLAY_DEFAULT (the in-memory guard), which takes none"
        );
        assert_eq!(
            settings_err(&with(MEDCODE_REPLAY_NONE, c"x".as_ptr())),
            "options.replay_target is set, but replay_guard is MEDCODE_REPLAY_NONE, which takes none"
        );
        assert_eq!(
            settings_err(&with(MEDCODE_REPLAY_FILE, std::ptr::null())),
            "options.replay_target is NULL; MEDCODE_REPLAY_FILE needs the path of its replay store file"
        );
        assert_eq!(
            settings_err(&with(MEDCODE_REPLAY_REDIS, std::ptr::null())),
            "options.replay_target is NULL; MEDCODE_REPLAY_REDIS needs a redis://HOST:PORT[/DB] or redis+cluster://HOST:PORT[,HOST:PORT...] URL"
        );
        assert_eq!(
            settings_err(&with(MEDCODE_REPLAY_MEMORY, c"x".as_ptr())),
            "options.replay_target is set, but replay_guard is MEDCODE_REPLAY_MEMORY, which takes none"
        );
        assert_eq!(
            settings_err(&with(MEDCODE_REPLAY_FILE, c"".as_ptr())),
            "options.replay_target is an empty string; leave it NULL when unused"
        );
        let o = MedcodeOptions {
            replay_unavailable: MEDCODE_REPLAY_LOCAL_FALLBACK,
            ..with(MEDCODE_REPLAY_FILE, c"/tmp/seen.db".as_ptr())
        };
        assert_eq!(
            settings_err(&o),
            "options.replay_unavailable applies to MEDCODE_REPLAY_REDIS only, but replay_guard is MEDCODE_REPLAY_FILE"
        );
        let o = MedcodeOptions {
            replay_unavailable: 2,
            ..base
        };
        assert_eq!(
            settings_err(&o),
            "options.replay_unavailable is 2; expected MEDCODE_REPLAY_FAIL_CLOSED (0) or MEDCODE_REPLAY_LOCAL_FALLBACK (1)"
        );
        let o = MedcodeOptions {
            replay_key_prefix: c"p:".as_ptr(),
            ..with(MEDCODE_REPLAY_MEMORY, std::ptr::null())
        };
        assert_eq!(
            settings_err(&o),
            "options.replay_key_prefix applies to MEDCODE_REPLAY_REDIS only, but replay_guard is MEDCODE_REPLAY_MEMORY"
        );
    }

    #[test]
    fn list_files_are_read_as_utf8() {
        let o = MedcodeOptions {
            root_key_file: c"keys/demo-root.pub".as_ptr(),
            revocations_file: c"revocations.signed.json".as_ptr(),
            state_path: c"/var/lib/medcode/lists.state".as_ptr(),
            ..MedcodeOptions::default()
        };
        // SAFETY: the three string fields set are C string literals; the other two are null.
        let s = unsafe { o.settings() }.unwrap();
        assert_eq!(
            s.state_path,
            Some(PathBuf::from("/var/lib/medcode/lists.state"))
        );
        assert_eq!(s.root_key_file, Some(PathBuf::from("keys/demo-root.pub")));
        assert_eq!(
            s.revocations_file,
            Some(PathBuf::from("revocations.signed.json"))
        );
        let bad = [b'k' as c_char, 0xFFu8 as c_char, 0];
        let o = MedcodeOptions {
            root_key_file: bad.as_ptr(),
            ..MedcodeOptions::default()
        };
        assert!(
            settings_err(&o).starts_with("options.root_key_file is not valid UTF-8"),
            "{}",
            settings_err(&o)
        );
        let long = vec![b'a'; 5000];
        let long = std::ffi::CString::new(long).unwrap();
        let o = MedcodeOptions {
            revocations_file: long.as_ptr(),
            ..MedcodeOptions::default()
        };
        assert_eq!(
            settings_err(&o),
            "options.revocations_file is longer than 4096 bytes"
        );
    }
}
