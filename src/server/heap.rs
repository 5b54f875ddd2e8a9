//! The allocator's settings for a long-running server that sometimes reads megabyte bodies.

/// Gives the memory freed after large requests back to the system. glibc keeps freed heap
/// pages (a parsed 1 MB JSON body is tens of thousands of small allocations) in its arenas;
/// without this the resident set stays at the high-water mark of the largest requests seen,
/// far above what the journal and the state hold (docs/control-api.md: the journal budget).
pub(super) fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Fewer malloc arenas: each tokio thread would otherwise get its own, and a large request
/// on one leaves free pages that the others never reuse. Four: the main thread's, the accept
/// loop's, and one for each of the (usually two) connection lanes — with two, the lanes shared
/// one and queued on its lock: an IssuingReport detail page (thousands of allocations) cost
/// 1 460 µs of CPU instead of 720 in `benches/run.sh`'s growth part. Blocks of 512 KiB and more (the
/// bodies of large uploads and their copies) are mapped on their own and returned to the
/// system when freed: glibc's moving threshold would otherwise climb to 32 MiB after the
/// first large free and keep every later megabyte body in the arenas.
///
/// Rationale: in the benchmark's throughput cases (sixteen 1 MiB uploads in flight among them)
/// the peak resident set is 57 MiB with it and 64 MiB without; the page faults of the fresh
/// mappings cost a 1 MiB upload ~1.8 ms more CPU (5.4 ms instead of 3.6; CONTRIBUTING.md).
pub(super) fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 4);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 512 * 1024);
    }
}
