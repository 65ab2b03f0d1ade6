//! Prints "hello" followed by its arguments: `greet.wasm from wasm` prints "hello from wasm".

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    println!("hello {}", args.join(" "));
}
