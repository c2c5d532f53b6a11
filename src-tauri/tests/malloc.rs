//! `malloc::return_large_frees_to_the_kernel` against glibc itself: after a large block is freed,
//! the next large one is still mapped on its own (and so unmapped when freed), where glibc's
//! moving threshold would have served it from the heap. Its own test binary: one process, one
//! test, so no other test's allocations move the count.
#![cfg(all(target_os = "linux", target_env = "gnu"))]
#![allow(unsafe_code)]

#[path = "../src/malloc.rs"]
mod malloc;

/// How many blocks glibc holds in mappings of their own now.
fn mapped_blocks() -> usize {
    // SAFETY: `mallinfo2` only reads the allocator's counters.
    unsafe { libc::mallinfo2() }.hblks
}

#[test]
fn a_large_block_after_a_freed_larger_one_is_mapped_on_its_own() {
    assert!(malloc::return_large_frees_to_the_kernel());
    let before = mapped_blocks();
    let first = std::hint::black_box(vec![1u8; 4 << 20]);
    assert_eq!(mapped_blocks(), before + 1, "4 MiB: mapped");
    drop(first);
    assert_eq!(mapped_blocks(), before, "and unmapped when freed");
    // With glibc's moving threshold it is now 4 MiB, and this block would come from the heap.
    let next = std::hint::black_box(vec![1u8; 1 << 20]);
    assert_eq!(mapped_blocks(), before + 1, "1 MiB after it: mapped too");
    drop(next);
    assert_eq!(mapped_blocks(), before);
}
