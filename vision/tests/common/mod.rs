//! Shared by the vision tests.

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
