//! Prints "ok" followed by its arguments, separated by spaces, and exits 0:
//! `hello-rs.wasm one two` prints "ok one two".

fn main() {
    let mut line = String::from("ok");
    for arg in std::env::args().skip(1) {
        line.push(' ');
        line.push_str(&arg);
    }
    println!("{}", line);
}
