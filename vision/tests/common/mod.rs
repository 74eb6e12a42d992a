//! Shared by the vision tests.

// each test binary compiles this module and uses part of it
#![allow(dead_code)]

use jiuzhu_vision::ModelPaths;
use jiuzhu_vision::image::load_bgr;

/// A registry photo from the model cache (`make models`), as BGR.
pub fn photo(name: &str) -> opencv::core::Mat {
    load_bgr(
        &ModelPaths::locate()
            .test_image(name)
            .expect("run `make models` first"),
    )
    .unwrap()
}

/// An image of `rows` × `cols` of OpenCV type `typ`, every channel `value`.
pub fn solid(rows: i32, cols: i32, typ: i32, value: f64) -> opencv::core::Mat {
    opencv::core::Mat::new_rows_cols_with_default(rows, cols, typ, opencv::core::Scalar::all(value))
        .unwrap()
}

/// The share of an evaluation set a run takes (`vision/tests/pad.rs`, `independent.rs`): all of it,
/// unless `JIUZHU_EVAL_EVERY=n` (n ≥ 1) asks for every n-th case, as `make test` does (n = 2) to keep
/// CI's time; `make eval` runs the sets whole. The cases are the same seeded cases either way, so a
/// case decides alike in both runs. A value that is not a whole number from 1 to 100 is an error,
/// not a silent full run.
pub fn eval_every() -> usize {
    match std::env::var("JIUZHU_EVAL_EVERY") {
        Err(std::env::VarError::NotPresent) => 1,
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n @ 1..=100) => n,
            _ => panic!("JIUZHU_EVAL_EVERY={v:?}: expected a whole number from 1 to 100"),
        },
        Err(e) => panic!("JIUZHU_EVAL_EVERY: {e}"),
    }
}

/// Every [`eval_every`]-th of `cases`, the first included.
pub fn eval_share<T>(cases: Vec<T>) -> Vec<T> {
    let every = eval_every();
    cases.into_iter().step_by(every).collect()
}
