#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| strongroom_fuzz_targets::pccs_answers(data));
