#![no_main]
//! See cpm_pf_fuzz::msrp_legs and TESTING.md.

libfuzzer_sys::fuzz_target!(|data: &[u8]| cpm_pf_fuzz::msrp_legs(data));
