//! Gives freed heap memory back to the system after the kernel has moved a lot of data.
//!
//! glibc keeps freed memory in its arenas for reuse: after a cell printed 50 MB, or after
//! evcxr's warm-up, the kernel's resident size stayed ~100-200 MB above what it uses. Its
//! `malloc_trim` returns the free pages; it walks every arena, so it runs only after large
//! outputs, not after every request.

/// IOPub bytes published since the last trim above which the end of a request trims.
pub const TRIM_AFTER_BYTES: u64 = 16 << 20;

/// Returns free heap pages to the system (glibc only; elsewhere a no-op).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let started = std::time::Instant::now();
        // SAFETY: malloc_trim only walks and shrinks the allocator's own free lists; it is
        // thread-safe and takes no pointers.
        let released = unsafe { libc::malloc_trim(0) };
        tracing::debug!(
            released = released != 0,
            elapsed_us = started.elapsed().as_micros() as u64,
            "malloc_trim"
        );
    }
}
