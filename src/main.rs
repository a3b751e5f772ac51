/// mimalloc: the analysis allocates many small sets and the AST many small
/// strings; glibc's allocator took a fifth of a check (docs/PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(sopflow::cli::main());
}
