#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mesos_local::fuzzing::operator_request(data));
