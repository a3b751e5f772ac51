fn main() {
    std::process::exit(sopflow::cli::main());
}
