//! Gives freed memory back to the system after a large answer. The state endpoints build and
//! free tens of MB at 10,000 tasks, and both allocators keep freed pages for a while (glibc
//! in its arenas, mimalloc until its purge delay), which showed as resident memory.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::response::Response;
use hyper::body::{Frame, SizeHint};

/// An answer at least this large makes the process give freed memory back.
const LARGE_BODY: u64 = 1 << 20;

/// Response middleware: a large answer gives free pages back to the system once built, and
/// again once sent.
pub(crate) async fn after_large(resp: Response) -> Response {
    if resp
        .body()
        .size_hint()
        .exact()
        .is_none_or(|n| n < LARGE_BODY)
    {
        return resp;
    }
    // What the handler built and freed to write the answer was freed on this thread, whose
    // heap is the one mimalloc can collect from here.
    release_free_memory();
    let (parts, body) = resp.into_parts();
    Response::from_parts(parts, Body::new(ReleaseWhenSent(body)))
}

/// A body that, when dropped (sent, or its connection gone), frees its own bytes and then
/// has both allocators give free pages back: by then the answer's whole build is free.
struct ReleaseWhenSent(Body);

impl HttpBody for ReleaseWhenSent {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.0).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}

impl Drop for ReleaseWhenSent {
    fn drop(&mut self) {
        drop(std::mem::take(&mut self.0));
        // On the thread that sent it: a few ms, once per answer of a megabyte or more.
        release_free_memory();
    }
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
