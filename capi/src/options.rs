//! Verifier options: a versioned struct that grows at its end.
//!
//! The caller fills `struct_size` with `sizeof(MedcodeOptions)` of the header
//! it was compiled against (`medcode_options_init` does it, along with the
//! defaults). A library newer than the caller's header reads only the fields
//! the caller knows and uses defaults for the rest; a library older than the
//! caller's header accepts the larger struct only when every field it does
//! not know is zero (unset), so an option is never silently ignored.

use std::mem::size_of;

use medcode::{DEFAULT_LEEWAY_SECS, DEFAULT_MAX_VALIDITY_SECS, Policy, Region};

use crate::guard::{Failure, quiet};
use crate::reason::MedcodeReason;

/// Size in bytes of the first version of `MedcodeOptions` (four `uint32_t`).
pub const MEDCODE_OPTIONS_V1_SIZE: u32 = 16;

/// Largest `struct_size` accepted: far beyond any version, so a garbage size
/// is refused before anything is read.
const MAX_OPTIONS_SIZE: u32 = 4096;

/// Options for a new verifier. Initialise with `medcode_options_init`, then
/// change fields. Fields are only ever added at the end.
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
}

impl Default for MedcodeOptions {
    fn default() -> Self {
        MedcodeOptions {
            struct_size: u32::try_from(size_of::<MedcodeOptions>()).unwrap_or(u32::MAX),
            leeway_secs: DEFAULT_LEEWAY_SECS,
            max_validity_secs: DEFAULT_MAX_VALIDITY_SECS,
            till_region: 0,
        }
    }
}

impl MedcodeOptions {
    /// Reads the caller's options (NULL means defaults).
    ///
    /// # Safety
    /// `ptr` is null or points to at least `ptr->struct_size` readable bytes.
    pub(crate) unsafe fn read(ptr: *const MedcodeOptions) -> Result<MedcodeOptions, Failure> {
        let mut opts = MedcodeOptions::default();
        if ptr.is_null() {
            return Ok(opts);
        }
        // SAFETY: a non-null options pointer has at least its first field.
        let size = unsafe { ptr.cast::<u32>().read_unaligned() };
        let known = opts.struct_size;
        if !(MEDCODE_OPTIONS_V1_SIZE..=MAX_OPTIONS_SIZE).contains(&size) {
            return Err(Failure::new(
                MedcodeReason::InvalidArgument,
                format!(
                    "options struct_size is {size}; set it with medcode_options_init (this library knows {known} bytes)"
                ),
            ));
        }
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        let known = usize::try_from(known).unwrap_or(usize::MAX);
        // SAFETY: the caller guarantees `struct_size` readable bytes.
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
        // every field is a plain integer, so any bytes form a valid value.
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
}

/// Fills `opts` with the defaults (leeway 15 s, maximum validity 300 s, no
/// till region) and sets `struct_size`. Does nothing when `opts` is NULL.
///
/// # Safety
/// `opts` is null or points to a writable `MedcodeOptions`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_options_init(opts: *mut MedcodeOptions) {
    quiet((), || {
        if !opts.is_null() {
            // SAFETY: checked non-null; the caller guarantees it is writable.
            unsafe { opts.write(MedcodeOptions::default()) };
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_size_is_the_struct_size() {
        assert_eq!(size_of::<MedcodeOptions>(), 16);
        assert_eq!(
            MedcodeOptions::default().struct_size,
            MEDCODE_OPTIONS_V1_SIZE
        );
    }

    #[test]
    fn init_sets_defaults() {
        let mut o = MedcodeOptions {
            struct_size: 0,
            leeway_secs: 1,
            max_validity_secs: 2,
            till_region: 3,
        };
        unsafe { medcode_options_init(&mut o) };
        assert_eq!(o, MedcodeOptions::default());
        assert_eq!(o.leeway_secs, 15);
        assert_eq!(o.max_validity_secs, 300);
        unsafe { medcode_options_init(std::ptr::null_mut()) };
        assert_eq!(
            unsafe { MedcodeOptions::read(std::ptr::null()) }.unwrap(),
            o
        );
    }

    #[test]
    fn sizes_are_checked() {
        for size in [0, 4, 15, 4097, u32::MAX] {
            let o = MedcodeOptions {
                struct_size: size,
                ..MedcodeOptions::default()
            };
            let err = unsafe { MedcodeOptions::read(&o) }.unwrap_err();
            assert_eq!(err.code, MedcodeReason::InvalidArgument, "{size}");
        }
    }

    /// A caller compiled against a future header with one more field.
    #[repr(C)]
    struct Future {
        v1: MedcodeOptions,
        replay_guard: u32,
        pad: u32,
    }

    #[test]
    fn larger_structs_need_unknown_fields_unset() {
        let mut f = Future {
            v1: MedcodeOptions {
                struct_size: 24,
                leeway_secs: 3,
                ..MedcodeOptions::default()
            },
            replay_guard: 0,
            pad: 0,
        };
        let got = unsafe { MedcodeOptions::read(std::ptr::from_ref(&f).cast()) }.unwrap();
        assert_eq!(got.leeway_secs, 3);
        assert_eq!(got.struct_size, 24);
        f.replay_guard = 1;
        let err = unsafe { MedcodeOptions::read(std::ptr::from_ref(&f).cast()) }.unwrap_err();
        assert_eq!(err.code, MedcodeReason::InvalidArgument);
        assert_eq!(
            err.detail,
            "options set fields beyond the 16 bytes this library version knows; upgrade libmedcode_capi"
        );
        assert_eq!(f.pad, 0);
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
}
