//! The catalogs are compiled into the crate (`static_loader!`): rebuild it
//! whenever a file under `locales/` changes, is added or goes.

fn main() {
    println!("cargo:rerun-if-changed=../../locales");
}
