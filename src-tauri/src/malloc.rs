//! How the app's own process hands freed memory back to the kernel (glibc's allocator).
//!
//! glibc serves a block of 128 KiB or more from a mapping of its own, unmapped when freed. But
//! its threshold moves: each time such a block is freed, glibc raises the threshold to that
//! block's size (up to 32 MiB), so the next blocks of that size come from the heap instead,
//! where a freed block stays resident until everything above it in the heap is free too. The
//! app's large blocks are all short-lived (an engine's container list read in one piece, the
//! JSON of a snapshot or of a run of deltas, the script Tauri evaluates to deliver it), so after
//! the first of them, later ones kept their pages after use. Fixing the threshold at its
//! default turns the moving one off: each large block is mapped and unmapped on its own, at the
//! cost of a `mmap` and `munmap` per block (a few a second at most, while engines change).
//!
//! Only this process: WebKit's web and network processes are programs of their own.
#![allow(unsafe_code)]

/// glibc's own default threshold, fixed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Fixes glibc's mmap threshold (above). Call it first in `main`, before any other thread runs.
/// Returns whether glibc took it (`false` on another C library or system).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn return_large_frees_to_the_kernel() -> bool {
    // SAFETY: `mallopt` sets one parameter of the allocator and has no other effect; no other
    // thread exists yet to allocate while it does.
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn return_large_frees_to_the_kernel() -> bool {
    false
}
