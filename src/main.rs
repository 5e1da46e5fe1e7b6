use mimalloc::MiMalloc;
use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: Alloc = Alloc;

/// Blocks under 1 MiB from mimalloc: faster than glibc's malloc for the many small strings of a
/// large export and for libphonenumber's pattern compiles (BENCHMARKS.md, "Allocator"). Larger
/// blocks from the system's malloc, whose realloc moves a large block by remapping its pages
/// (`mremap`) where mimalloc copies it: an index of a million orders that doubles its vector
/// then holds one copy at a time, not two (a 1M-order run peaked at 67 MiB the other way).
struct Alloc;

/// From this size on, a block is the system's.
const LARGE: usize = 1 << 20;

// Out of line: inlined into every place that allocates, the size test added 320 KB to the binary.
// Safety: each block is freed and resized by the allocator that made it, chosen by its size,
// which Rust passes back unchanged in the layout; a resize across the threshold moves the bytes
// into a block of the other allocator and frees the old one.
unsafe impl GlobalAlloc for Alloc {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE {
            unsafe { large(|| System.alloc(layout)) }
        } else {
            unsafe { MiMalloc.alloc(layout) }
        }
    }

    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE {
            unsafe { large(|| System.alloc_zeroed(layout)) }
        } else {
            unsafe { MiMalloc.alloc_zeroed(layout) }
        }
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() >= LARGE {
            unsafe { large(|| System.dealloc(ptr, layout)) }
        } else {
            unsafe { MiMalloc.dealloc(ptr, layout) }
        }
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        if layout.size() < LARGE && size < LARGE {
            return unsafe { MiMalloc.realloc(ptr, layout, size) };
        }
        large(|| unsafe {
            if layout.size() >= LARGE && size >= LARGE {
                return System.realloc(ptr, layout, size);
            }
            let moved = self.alloc(Layout::from_size_align_unchecked(size, layout.align()));
            if !moved.is_null() {
                std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(size));
                self.dealloc(ptr, layout);
            }
            moved
        })
    }
}

/// Marks the large-block path as the rare one.
#[cold]
fn large<T>(f: impl FnOnce() -> T) -> T {
    f()
}

fn main() -> ExitCode {
    let cli = cartnudge::cli::parse();
    let (quiet, json) = (cli.quiet, cli.wants_json());
    let code = match cartnudge::run(cli) {
        Ok(code) => code,
        Err(err) => {
            let code = cartnudge::exit_code_for(&err);
            if cartnudge::should_print(&err, quiet) {
                if json {
                    // Wrappers asked for JSON: the error is one JSON object on stderr.
                    let obj =
                        serde_json::json!({"error": format!("{err:#}"), "exit_code": code.code()});
                    eprintln!("{obj}");
                } else {
                    eprintln!("cartnudge: {err:#}");
                }
            }
            code
        }
    };
    ExitCode::from(code.code() as u8)
}
