//! One module per subcommand: its arguments, the library calls and what
//! it prints. A command imports shared arguments (`crate::args`), output
//! (`crate::output`) and helpers, never another command.

pub(crate) mod api_key;
pub(crate) mod bench;
pub(crate) mod demo;
pub(crate) mod device;
pub(crate) mod family;
pub(crate) mod issue;
pub(crate) mod keygen;
pub(crate) mod registry;
pub(crate) mod revoke;
pub(crate) mod serve;
pub(crate) mod show;
pub(crate) mod till;
pub(crate) mod trust;
pub(crate) mod usage;
pub(crate) mod verify;
pub(crate) mod wallet;
