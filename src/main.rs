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

// Safety: each block is freed and resized by the allocator that made it, chosen by its size,
// which Rust passes back unchanged in the layout; a resize across the threshold moves the bytes
// into a block of the other allocator and frees the old one.
unsafe impl std::alloc::GlobalAlloc for Alloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        unsafe {
            if layout.size() >= LARGE {
                std::alloc::System.alloc(layout)
            } else {
                mimalloc::MiMalloc.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        unsafe {
            if layout.size() >= LARGE {
                std::alloc::System.alloc_zeroed(layout)
            } else {
                mimalloc::MiMalloc.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe {
            if layout.size() >= LARGE {
                std::alloc::System.dealloc(ptr, layout)
            } else {
                mimalloc::MiMalloc.dealloc(ptr, layout)
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        unsafe {
            match (layout.size() >= LARGE, size >= LARGE) {
                (true, true) => std::alloc::System.realloc(ptr, layout, size),
                (false, false) => mimalloc::MiMalloc.realloc(ptr, layout, size),
                _ => {
                    let new = std::alloc::Layout::from_size_align_unchecked(size, layout.align());
                    let moved = self.alloc(new);
                    if !moved.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(size));
                        self.dealloc(ptr, layout);
                    }
                    moved
                }
            }
        }
    }
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
