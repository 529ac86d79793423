//! Decoding a request body allocates the encoded message and what the message itself holds,
//! nothing more, in both modes: the path tracking behind the ignored-key report costs nothing
//! until a key is ignored.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use octane_proxy::{JsonMode, routes};

/// Counts the allocations of the current thread.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

#[allow(unsafe_code)] // a counting allocator can only be written with `unsafe`
// SAFETY: every call is passed on unchanged to the system allocator, which upholds
// `GlobalAlloc`'s contract; the count is a thread-local that allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's `layout` is passed on as `GlobalAlloc::alloc` received it.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above, that is from `System`, with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn allocations_of(route: &str, body: &str, mode: JsonMode) -> (usize, Vec<String>) {
    let (service, method) = route.split_once('/').expect("Service/method");
    let route = routes::lookup(service, method).expect("a route");
    let before = ALLOCATIONS.with(Cell::get);
    let decoded = route
        .decode_request_in(body.as_bytes(), mode)
        .expect("a valid body");
    let count = ALLOCATIONS.with(Cell::get) - before;
    (count, decoded.ignored)
}

#[test]
fn a_body_without_stray_keys_allocates_only_the_message() {
    // Integers as strings: pbjson reads an integer written as a JSON number through an untagged
    // enum whose first try (a string) allocates an error, in any mode and before this layer.
    let nested = r#"{"objectPtr":{"handle":"1000123","type":17},"pinIdx":"3","sourceNode":{"handle":"1000124","type":"ApiNode"},"evaluate":true,"doCycleCheck":null}"#;
    let with_nulls =
        r#"{"objectPtr":{"handle":"5","type":null},"attribute_id":"A_VALUE","expected_type":10}"#;
    for mode in [JsonMode::Lenient, JsonMode::Strict] {
        // One allocation: the encoded message.
        assert_eq!(
            allocations_of("ApiNode/connectToIx", nested, mode),
            (1, vec![]),
            "{mode:?}"
        );
        assert_eq!(
            allocations_of("ApiItem/getValueByAttrID", with_nulls, mode),
            (1, vec![]),
            "{mode:?}"
        );
    }
    // A stray key costs its path (and the list that holds it).
    let (count, ignored) = allocations_of(
        "ApiNode/connectToIx",
        r#"{"pinIdx":3,"stray":1}"#,
        JsonMode::Lenient,
    );
    assert_eq!(ignored, ["stray"]);
    assert!(count > 1, "{count}");
}
