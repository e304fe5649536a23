//! The scenario language of `SCENARIOS.md`: parse a script, run it against the public API,
//! render and compare the trace. (in progress)
