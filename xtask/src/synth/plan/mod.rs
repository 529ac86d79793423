//! What the synth tree holds beyond the bundled core: every service with its class message and
//! RPC count. The counts are those of the real SDK where `docs/sdk-shape.md` gives them, and add
//! up to its 105 services and 1,323 RPCs; a test checks the sums.

mod core_files;
mod service_files;

pub(super) use core_files::CORE_FILE_SERVICES;
pub(super) use service_files::SERVICE_FILES;

/// One service of the tree.
pub(super) struct Svc {
    /// gRPC service name without package.
    pub name: &'static str,
    /// The "class" message holding its request/response types, as a path below the package
    /// (`ApiLocalDB.ApiLocalDB_Category`); empty for services whose types are top-level.
    pub class: &'static str,
    /// RPCs the service ends up with, the core's and the quirk-bearing ones included.
    pub rpcs: usize,
    /// RPC names it must have: `name`, or `name=stem` when the request type is `<stem>Request`
    /// (`make1=make`: `TimeSpanTService.make1(TimeSpanT.makeRequest)`).
    pub fixed: &'static [&'static str],
}

const fn svc(
    name: &'static str,
    class: &'static str,
    rpcs: usize,
    fixed: &'static [&'static str],
) -> Svc {
    Svc {
        name,
        class,
        rpcs,
        fixed,
    }
}

/// Classes that are created and destroyed through their service (`create` is in 36 services of
/// the SDK, `destroy` in 35).
const LIFE: &[&str] = &["create", "destroy"];

/// Types-only files beyond the core's four.
pub(super) const TYPE_FILES: &[(&str, &str)] = &[
    ("apiarray.proto", "arrays of API objects (types only)"),
    (
        "apidialogfeedback.proto",
        "dialog results; the top-level `DialogResult` enum (types only)",
    ),
    ("apiplugin.proto", "plugin descriptions (types only)"),
    (
        "octanechangeevent.proto",
        "change events; enum value names shared with nested enums (types only)",
    ),
    (
        "octanecallbacktypes.proto",
        "callback payload structs (types only)",
    ),
    (
        "octanerendersettings.proto",
        "a settings snapshot that uses field numbers up to 34 (types only)",
    ),
];
