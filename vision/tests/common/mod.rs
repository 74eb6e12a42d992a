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
