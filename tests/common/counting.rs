//! A counting global allocator for one test or bench binary: allocations, live bytes and the
//! peak above a starting point, per thread (counts are deterministic where times are not).
//!
//! Included by path (`#[path = ".../tests/common/counting.rs"] mod counting;`) by the tests and
//! benches that count; it installs itself as the binary's global allocator.

#![allow(dead_code)] // each user takes a part

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn add(n: u64, bytes: i64) {
    // `try_with`: the allocator may be called while thread locals are torn down.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + n));
    let _ = LIVE.try_with(|l| {
        let now = l.get() + bytes;
        l.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(1, layout.size() as i64);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add(1, layout.size() as i64);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(0, -(layout.size() as i64));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(1, new_size as i64 - layout.size() as i64);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations (and reallocations) made by this thread so far.
pub fn allocations() -> u64 {
    ALLOCS.with(Cell::get)
}

/// Bytes this thread holds on the heap (allocated minus freed), as requested.
pub fn live_bytes() -> i64 {
    LIVE.with(Cell::get)
}

/// Runs `f` once and returns its result with the allocations it made.
pub fn count<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = allocations();
    let r = f();
    (r, allocations() - before)
}

/// What a piece of work cost this thread.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    /// Allocations and reallocations.
    pub allocs: u64,
    /// Highest heap use above the starting point, in bytes.
    pub peak_heap: i64,
}

/// Runs `f` once and returns its result with its allocations and peak heap use.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Cost) {
    let allocs = allocations();
    let live = live_bytes();
    PEAK.with(|p| p.set(live));
    let r = f();
    let cost = Cost { allocs: allocations() - allocs, peak_heap: PEAK.with(Cell::get) - live };
    (r, cost)
}
