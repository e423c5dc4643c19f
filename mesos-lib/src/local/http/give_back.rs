//! Gives freed memory back to the system after a large answer. The state endpoints build and
//! free tens of MB at 10,000 tasks, and both allocators keep freed pages for a while (glibc
//! in its arenas, mimalloc until its purge delay), which showed as resident memory.

use axum::body::HttpBody;
use axum::response::Response;

/// An answer at least this large makes the process give freed memory back.
const LARGE_BODY: u64 = 1 << 20;

/// Response middleware: after a large answer, returns free pages to the system, off the
/// request path.
pub(crate) async fn after_large(resp: Response) -> Response {
    if resp
        .body()
        .size_hint()
        .exact()
        .is_some_and(|n| n >= LARGE_BODY)
    {
        tokio::task::spawn_blocking(release_free_memory);
    }
    resp
}

/// Returns the free pages of both allocators that may serve this process: mimalloc when it is
/// the global allocator (`mesos-local`), glibc's malloc otherwise (an embedding program).
fn release_free_memory() {
    // SAFETY: mi_collect only walks and purges the allocator's own free pages; thread-safe.
    unsafe { libmimalloc_sys::mi_collect(true) };
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only shrinks the allocator's own free lists; thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}
