//! Operator API (`POST /api/v1` on the master): calls, responses and events.
