//! Keeps freed frame-sized memory in the process for the next frame instead of returning it to
//! the kernel.
//!
//! Every grabbed frame passes through megabytes of memory allocated for it and freed after it
//! (the buffers its HTTP/2 frames are read into; until 2026-12-01 also one buffer of the whole
//! answer, which tonic decoded). With glibc's default, dynamic thresholds such memory, once
//! freed, often leaves a free heap top larger than the trim threshold; glibc hands those pages
//! back to the kernel, and the next frame faults them in again one page at a time: 5,000 to
//! 106,000 page faults a second while the `octane-proxy` binary streamed 1920x1080 RGBA8 frames
//! to one client, up to a sixth of its CPU per frame. Fixed thresholds stop that: allocations
//! below [`MMAP_THRESHOLD`] stay on the heap, and up to [`TRIM_THRESHOLD`] of free heap top is
//! kept for reuse. The resident set then stays near its high-water mark after a stream ends,
//! ready for the next one.
//!
//! The allocator is the whole process's, so this is the application's choice to make: the
//! `octane-proxy` binary calls [`keep_freed_frame_memory`] first thing, as should an embedder
//! that streams frames.

/// Allocations at least this large get a mapping of their own: glibc's largest dynamic
/// threshold on 64-bit, fixed so that glibc stops moving the trim threshold by itself.
pub const MMAP_THRESHOLD: usize = 32 << 20;

/// Free memory at the top of a heap up to this size stays in the process.
pub const TRIM_THRESHOLD: usize = 64 << 20;

/// Fixes glibc's `malloc` thresholds as the module docs describe; does nothing with other C
/// libraries.
#[allow(unsafe_code)] // the one call into the C library; see the SAFETY comment
pub fn keep_freed_frame_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets parameters of glibc's allocator, under its own locks; both
    // values fit in an `int`.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD as libc::c_int);
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Minor page faults of this thread so far: other tests run in threads of the same process
    /// meanwhile, and their faults are not this test's.
    #[allow(unsafe_code)] // a system call; see the SAFETY comment
    fn minor_faults() -> i64 {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: `getrusage` writes a `rusage` into the pointer it is given.
        let usage = unsafe {
            assert_eq!(libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr()), 0);
            usage.assume_init()
        };
        usage.ru_minflt
    }

    /// Allocates a frame-sized buffer and writes every page of it.
    fn frame() -> Vec<u8> {
        let mut buffer = Vec::<u8>::with_capacity(8 << 20);
        buffer.resize(8 << 20, 1);
        std::hint::black_box(buffer)
    }

    #[test]
    fn a_freed_frame_buffer_is_reused_without_faulting_its_pages_in_again() {
        keep_freed_frame_memory();
        drop(frame());
        let before = minor_faults();
        drop(frame());
        let faults = minor_faults() - before;
        // Refaulting the 8 MiB would take 2,048 faults of 4 KiB pages.
        assert!(
            faults < 256,
            "{faults} page faults for a reused 8 MiB buffer"
        );
    }
}
