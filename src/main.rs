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

#[cfg(test)]
mod tests {
    /// Blocks keep their bytes when a resize moves them across the threshold, either way, and
    /// between two large sizes; large zeroed blocks are zero.
    #[test]
    fn blocks_keep_their_bytes_across_the_threshold() {
        let pattern = |i: usize| (i * 31 % 251) as u8;
        let mut v: Vec<u8> = Vec::with_capacity(16);
        for i in 0..3 * super::LARGE + 17 {
            v.push(pattern(i));
        }
        assert!(v.capacity() >= super::LARGE);
        assert!(v.iter().enumerate().all(|(i, b)| *b == pattern(i)));
        v.truncate(1000);
        v.shrink_to_fit();
        assert!(v.capacity() < super::LARGE);
        assert!(v.iter().enumerate().all(|(i, b)| *b == pattern(i)));
        let zeros = vec![0u64; super::LARGE];
        assert!(zeros.iter().all(|z| *z == 0));
        let wide: Vec<u128> = (0..super::LARGE as u128).collect();
        assert_eq!(wide.as_ptr() as usize % std::mem::align_of::<u128>(), 0);
        assert_eq!(
            wide.iter().sum::<u128>(),
            (super::LARGE as u128 - 1) * super::LARGE as u128 / 2
        );
    }
}
