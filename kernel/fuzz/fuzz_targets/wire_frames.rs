#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mesos_kernel::fuzzing::wire_frames(data));
